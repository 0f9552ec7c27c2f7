use super::*;

#[test]
fn status_lines_align() {
    let a = ServerStatus {
        name: "dovecot".into(),
        up: true,
        version: "dovecot-imapd 1:2.3.19".into(),
        port: 14300,
        pid: Some(42),
        listeners: tls_listeners("dovecot", 14300)
            .into_iter()
            .map(|l| (l, true))
            .collect(),
    };
    let b = ServerStatus {
        name: "mailutils".into(),
        up: false,
        version: String::new(),
        port: 14303,
        pid: None,
        listeners: tls_listeners("mailutils", 14303)
            .into_iter()
            .map(|l| (l, false))
            .collect(),
    };
    let (a, b) = (a.to_string(), b.to_string());
    assert_eq!(a.find("127.0.0.1"), b.find("127.0.0.1"));
    assert_eq!(a.find("pid"), b.find("pid"));
    assert!(a.contains("up ") && b.contains("down"));
    assert!(b.ends_with('?'));
    assert!(
        a.contains("[tls 127.0.0.1:14310, logindisabled 127.0.0.2:14320]"),
        "{a}"
    );
    assert!(
        b.contains("[tls 127.0.0.1:14313 DOWN, logindisabled 127.0.0.1:14323 DOWN]"),
        "{b}"
    );
}

#[test]
fn pool_and_validation() {
    let p = user_pool(8);
    assert_eq!(p.len(), 8);
    assert_eq!(p[7].user, "u8");
    let mut o = LabOptions::default();
    assert!(validate(&o).is_ok());
    o.users = 3;
    assert!(validate(&o).is_err());
    o.users = 8;
    o.base_port = 65534;
    assert!(validate(&o).is_err());
    // The last port is base + 20 + 3 (mailutils' STARTTLS-required port).
    o.base_port = 65535 - 24;
    assert!(validate(&o).is_ok());
    o.base_port = 65535 - 23;
    let e = validate(&o).unwrap_err().to_string();
    assert!(e.contains("--base-port 65512 leaves no room"), "{e}");
    o.base_port = 14300;
    o.state_dir = "rel".into();
    assert!(validate(&o).is_err());
    assert!(check_server("cyrus").is_ok());
    assert!(check_server("exim").is_err());
}

#[test]
fn tls_targets_mirror_the_plain_targets() {
    let opts = LabOptions {
        state_dir: "/s".into(),
        base_port: 15300,
        ..LabOptions::default()
    };
    let pool = user_pool(8);
    let plain: Vec<Target> = SERVERS
        .iter()
        .enumerate()
        .map(|(i, s)| Target {
            name: s.to_string(),
            address: Some(format!("127.0.0.1:{}", 15300 + i)),
            users: pool.clone(),
            reset: Some(vec!["reset".into(), s.to_string(), "{user}".into()]),
            restart: Some(vec!["restart".into(), s.to_string()]),
            exclusive: true,
            ..Default::default()
        })
        .collect();
    // The targets parser reads the CA file: a real one, in a scratch state dir.
    let state = std::env::temp_dir().join(format!("imapconform-labtls-{}", std::process::id()));
    let tls = certs::TlsFiles::new(&state);
    std::fs::create_dir_all(tls.ca.parent().unwrap()).unwrap();
    std::fs::write(&tls.ca, certs::generate(1_800_000_000).unwrap().ca_pem).unwrap();
    let file = tls_targets(&opts, &plain, &tls);
    // What the file says survives a round trip through the targets parser.
    let file = TargetsFile::parse(&file.to_toml()).unwrap();
    let names: Vec<&str> = file.targets.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names.len(), 12);
    // Each session owns its user on every one of them: a closed world.
    assert!(file.targets.iter().all(|t| t.exclusive));
    assert!(reference_target(Path::new("/x"), &pool).exclusive);
    assert_eq!(
        &names[..3],
        ["dovecot-tls", "dovecot-starttls", "dovecot-logindisabled"]
    );
    let find = |n: &str| file.targets.iter().find(|t| t.name == n).unwrap();
    let expect = [
        ("dovecot-tls", "127.0.0.1:15310", TlsMode::Implicit),
        ("dovecot-starttls", "127.0.0.1:15300", TlsMode::Starttls),
        (
            "dovecot-logindisabled",
            "127.0.0.2:15320",
            TlsMode::Starttls,
        ),
        ("cyrus-tls", "127.0.0.1:15311", TlsMode::Implicit),
        ("courier-starttls", "127.0.0.1:15302", TlsMode::Starttls),
        (
            "mailutils-logindisabled",
            "127.0.0.1:15323",
            TlsMode::Starttls,
        ),
    ];
    for (name, addr, mode) in expect {
        let t = find(name);
        assert_eq!(t.address.as_deref(), Some(addr), "{name}");
        assert_eq!(t.tls, mode, "{name}");
        assert_eq!(t.server_name.as_deref(), Some("localhost"), "{name}");
        assert_eq!(t.ca_file.as_deref(), Some(tls.ca.as_path()));
        assert!(!t.insecure);
        let server = name.split('-').next().unwrap();
        let base = plain.iter().find(|p| p.name == server).unwrap();
        assert_eq!((&t.reset, &t.restart), (&base.reset, &base.restart));
        assert!(!t.users.is_empty() && t.users.iter().all(|u| base.users.contains(u)));
    }
    // The targets of one server share its store, so never a user: their pools are
    // disjoint.
    for server in SERVERS {
        let mut seen = std::collections::HashSet::new();
        for t in file
            .targets
            .iter()
            .filter(|t| t.name.starts_with(&format!("{server}-")))
        {
            for u in &t.users {
                assert!(seen.insert(u.user.clone()), "{} shares {}", t.name, u.user);
            }
        }
    }
    let _ = std::fs::remove_dir_all(&state);
}

#[test]
fn cli_parses() {
    use clap::Parser;
    #[derive(clap::Parser)]
    struct Cli {
        #[command(subcommand)]
        lab: LabCommand,
    }
    let c = Cli::try_parse_from(["x", "reset", "--state-dir", "/s", "cyrus", "u3"]).unwrap();
    match c.lab {
        LabCommand::Reset { args, server, user } => {
            assert_eq!(args.state_dir, PathBuf::from("/s"));
            assert_eq!((server.as_str(), user.as_str()), ("cyrus", "u3"));
        }
        _ => panic!("not reset"),
    }
    let c =
        Cli::try_parse_from(["x", "up", "--base-port", "15000", "--targets-out", "/t"]).unwrap();
    assert!(
        matches!(c.lab, LabCommand::Up { args, targets_out: Some(_) } if args.base_port == 15000)
    );
}
