//! End to end: the lab against the real servers (never a fake). Needs root on Debian 12;
//! fails loudly when a server cannot be installed or started.
//!
//! Uses its own state directory and port range, so it never touches a lab started with
//! the defaults (/dev/shm/imapconform-lab, ports 14300..).

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use imapconform::lab::process::{alive, group_members, is_ok, Probe};
use imapconform::lab::{self, LabOptions, SERVERS};
use imapconform::targets::{expand, TargetsFile};

const BASE_PORT: u16 = 14420;

fn options() -> LabOptions {
    LabOptions {
        state_dir: PathBuf::from("/dev/shm/imapconform-labtest-e2e"),
        base_port: BASE_PORT,
        users: 8,
        exe: Some(PathBuf::from(env!("CARGO_BIN_EXE_imapconform"))),
    }
}

fn port(server: &str) -> u16 {
    BASE_PORT + SERVERS.iter().position(|s| *s == server).unwrap() as u16
}

fn login(server: &str, user: &str, password: &str) -> Probe {
    let (mut p, greeting) = Probe::connect(port(server), Duration::from_secs(5))
        .unwrap_or_else(|e| panic!("{server}: no greeting: {e:#}"));
    assert!(
        greeting.starts_with("* OK"),
        "{server}: greeting {greeting:?}"
    );
    p.login(user, password)
        .unwrap_or_else(|e| panic!("{server}: {e:#}"));
    p
}

fn ok(p: &mut Probe, server: &str, cmd: &str) -> Vec<String> {
    let (untagged, tagged) = p.command(cmd).unwrap();
    assert!(is_ok(&tagged), "{server}: {cmd} -> {tagged}");
    untagged
}

/// Fills u2's store: a second mailbox, messages in both, a subscription.
fn dirty(server: &str, password: &str, name: &str) {
    let mut p = login(server, "u2", password);
    ok(&mut p, server, &format!("CREATE {name}"));
    let msg = b"From: a@example.org\r\nSubject: t\r\n\r\nhello\r\n";
    for mbox in ["INBOX", name] {
        let t = p
            .command_with_literal(&format!("APPEND {mbox}"), msg)
            .unwrap();
        assert!(is_ok(&t), "{server}: APPEND {mbox} -> {t}");
    }
    ok(&mut p, server, &format!("SUBSCRIBE {name}"));
    let list = ok(&mut p, server, "LIST \"\" *");
    assert!(list.iter().any(|l| l.contains(name)), "{server}: {list:?}");
    p.logout();
}

/// u2's store must be empty: only INBOX, no subscription, INBOX empty, and a mailbox
/// name used before the reset can be created again.
fn assert_empty(server: &str, password: &str) {
    let mut p = login(server, "u2", password);
    let list = ok(&mut p, server, "LIST \"\" *");
    let names: Vec<&String> = list.iter().filter(|l| l.starts_with("* LIST")).collect();
    assert_eq!(names.len(), 1, "{server}: LIST after reset: {list:?}");
    assert!(
        names[0].to_ascii_uppercase().contains("INBOX"),
        "{server}: {list:?}"
    );
    // Cyrus subscribes INBOX when it autocreates an account at first LOGIN (a brand-new
    // Cyrus user looks like that); nothing else may be subscribed anywhere.
    let lsub = ok(&mut p, server, "LSUB \"\" *");
    let subs: Vec<&String> = lsub.iter().filter(|l| l.starts_with("* LSUB")).collect();
    let allowed = |l: &&String| server == "cyrus" && l.ends_with(" INBOX");
    assert!(
        subs.iter().all(allowed),
        "{server}: LSUB after reset: {lsub:?}"
    );
    let sel = ok(&mut p, server, "SELECT INBOX");
    assert!(
        sel.iter().any(|l| l == "* 0 EXISTS"),
        "{server}: SELECT INBOX after reset: {sel:?}"
    );
    ok(&mut p, server, "CREATE INBOX.x");
    p.logout();
}

/// Each one-process-per-session target greets with PREAUTH and serves a short session
/// in a fresh session directory.
fn stdio_targets_answer(opts: &LabOptions) {
    use std::io::Write;
    let file = TargetsFile::load(&opts.state_dir.join("targets-stdio.toml")).unwrap();
    for t in &file.targets {
        let session = opts.state_dir.join(format!("session-{}", t.name));
        let _ = std::fs::remove_dir_all(&session);
        std::fs::create_dir_all(&session).unwrap();
        let argv = expand(t.spawn.as_ref().unwrap(), None, &session);
        let mut child = Command::new(&argv[0])
            .args(&argv[1..])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"a CREATE INBOX.x\r\nb LIST \"\" *\r\nc LOGOUT\r\n")
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.starts_with("* PREAUTH"), "{}: {text}", t.name);
        for tag in ["a OK", "b OK", "c OK"] {
            assert!(text.contains(tag), "{}: no {tag:?} in {text}", t.name);
        }
        assert!(text.contains("INBOX.x"), "{}: {text}", t.name);
        std::fs::remove_dir_all(&session).unwrap();
    }
}

/// Stops the test's lab even when an assertion fails half way.
struct DownOnDrop(LabOptions);

impl Drop for DownOnDrop {
    fn drop(&mut self) {
        let _ = lab::down(&self.0);
    }
}

#[test]
fn lab_up_login_reset_status_down() {
    let opts = options();
    lab::down(&opts).expect("down before the test");
    let _guard = DownOnDrop(opts.clone());

    // A descriptor of the caller that is not close-on-exec (as `flock(1)` hands its lock
    // to the command it runs) must not reach the daemons, which outlive the caller.
    let marker = opts.state_dir.with_extension("inherited");
    let held = std::fs::File::create(&marker).unwrap();
    // SAFETY: F_SETFD on a descriptor this test owns.
    unsafe {
        libc::fcntl(std::os::fd::AsRawFd::as_raw_fd(&held), libc::F_SETFD, 0);
    }
    let t = Instant::now();
    let first = lab::up(&opts).expect("lab up");
    for s in &first {
        for member in group_members(s.pid.expect("a pid")) {
            let fds = std::fs::read_dir(format!("/proc/{member}/fd"))
                .into_iter()
                .flatten();
            for fd in fds.flatten() {
                assert_ne!(
                    std::fs::read_link(fd.path()).ok().as_deref(),
                    Some(marker.as_path()),
                    "{} (pid {member}) holds a descriptor of the process that started it",
                    s.name
                );
            }
        }
    }
    drop(held);
    let _ = std::fs::remove_file(&marker);
    eprintln!("lab up (fresh state dir): {:.2?}", t.elapsed());
    let t = Instant::now();
    let second = lab::up(&opts).expect("lab up again");
    eprintln!("lab up (nothing to do): {:.2?}", t.elapsed());
    assert_eq!(first.len(), 4);
    for (a, b) in first.iter().zip(&second) {
        assert!(a.up, "{a}");
        assert_eq!(
            a.pid, b.pid,
            "a second `up` must leave running servers alone"
        );
    }

    let targets = TargetsFile::load(&opts.state_dir.join("targets.toml")).expect("targets");
    let names: Vec<&str> = targets.targets.iter().map(|t| t.name.as_str()).collect();
    let mut expected = SERVERS.to_vec();
    expected.push(lab::REFERENCE);
    assert_eq!(
        names, expected,
        "the four servers, then the reference server"
    );
    let reference = targets.targets.last().unwrap();
    assert!(reference
        .spawn
        .as_ref()
        .is_some_and(|s| s[1..3] == ["serve", "--stdio"]));
    assert_eq!(reference.pool().len(), 8);
    TargetsFile::load(&opts.state_dir.join("targets-stdio.toml")).expect("stdio targets");

    for target in targets.targets.iter().filter(|t| t.name != lab::REFERENCE) {
        let server = target.name.as_str();
        assert_eq!(target.pool().len(), 8);
        for c in target.pool() {
            let t = Instant::now();
            let (p, _) = Probe::connect(port(server), Duration::from_secs(5)).unwrap();
            let greet = t.elapsed();
            drop(p);
            let mut p = login(server, &c.user, &c.password);
            ok(&mut p, server, "NOOP");
            p.logout();
            if c.user == "u1" {
                eprintln!("{server}: greeting after {greet:.2?}");
            }
        }

        let pw = &target.pool()[1].password;
        dirty(server, pw, "INBOX.x");
        let argv = expand(
            target.reset.as_ref().unwrap(),
            Some(&target.pool()[1]),
            std::path::Path::new("/nonexistent"),
        );
        let t = Instant::now();
        let st = Command::new(&argv[0]).args(&argv[1..]).status().unwrap();
        eprintln!("{server}: reset took {:.2?}", t.elapsed());
        assert!(st.success(), "{server}: reset {argv:?} failed");
        assert_empty(server, pw);
        // A second round: reset again after the store was used once more.
        // (assert_empty created INBOX.x again: that one must go too.)
        dirty(server, pw, "INBOX.y");
        lab::reset(&opts, server, "u2").unwrap();
        assert_empty(server, pw);
    }
    assert!(lab::reset(&opts, "dovecot", "../etc").is_err());
    assert!(lab::reset(&opts, "exim", "u1").is_err());

    // Every pool user of every server at once, as a campaign's workers would.
    let t = Instant::now();
    std::thread::scope(|s| {
        for target in targets.targets.iter().filter(|t| t.name != lab::REFERENCE) {
            for c in target.pool() {
                let server = target.name.clone();
                s.spawn(move || {
                    let mut p = login(&server, &c.user, &c.password);
                    ok(&mut p, &server, "SELECT INBOX");
                    for _ in 0..50 {
                        ok(&mut p, &server, "NOOP");
                    }
                    p.logout();
                });
            }
        }
    });
    eprintln!("32 concurrent sessions of 50 NOOPs: {:.2?}", t.elapsed());

    stdio_targets_answer(&opts);
    let cli = Command::new(env!("CARGO_BIN_EXE_imapconform"))
        .args(["lab", "status", "--state-dir"])
        .arg(&opts.state_dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&cli.stdout);
    assert!(cli.status.success(), "lab status: {text}");
    assert_eq!(
        text.lines().filter(|l| l.contains(" up ")).count(),
        4,
        "{text}"
    );

    let st = lab::status(&opts).unwrap();
    for s in &st {
        assert!(s.up, "{s}");
        assert!(s.pid.is_some(), "{s}");
        assert!(!s.version.is_empty(), "{s}");
    }
    let pids: Vec<u32> = st.iter().map(|s| s.pid.unwrap()).collect();

    let t = Instant::now();
    lab::down(&opts).expect("down");
    eprintln!("lab down: {:.2?}", t.elapsed());
    for pid in &pids {
        assert!(!alive(*pid), "pid {pid} still alive after down");
        assert!(
            group_members(*pid).is_empty(),
            "group {pid} not empty after down"
        );
    }
    let ps = Command::new("ps").args(["-eo", "pid,stat,args"]).output();
    if let Ok(ps) = ps {
        let ps = String::from_utf8_lossy(&ps.stdout);
        let dir = opts.state_dir.to_string_lossy();
        let left: Vec<&str> = ps
            .lines()
            .filter(|l| l.contains(dir.as_ref()) && !l.contains(" Z"))
            .collect();
        assert!(left.is_empty(), "processes left: {left:?}");
    }
    // Nothing the servers started is left either, even what left their process group
    // (Courier's gamin server works in a user's maildir).
    let in_state_dir: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| alive(*pid))
        .filter_map(|pid| {
            let cwd = std::fs::read_link(format!("/proc/{pid}/cwd")).ok()?;
            cwd.starts_with(&opts.state_dir)
                .then(|| format!("{pid} in {}", cwd.display()))
        })
        .collect();
    assert!(in_state_dir.is_empty(), "processes left: {in_state_dir:?}");
    for s in lab::status(&opts).unwrap() {
        assert!(!s.up, "{s}");
        assert_eq!(s.pid, None, "{s}");
    }
    lab::down(&opts).expect("down when nothing runs");
    let _ = std::fs::remove_dir_all(&opts.state_dir);
}
