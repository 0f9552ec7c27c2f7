//! TLS targets through the command line: implicit TLS, STARTTLS, certificate errors,
//! LOGINDISABLED and plaintext injected after the STARTTLS OK.
//!
//! The fixture server here is test-only and tests the tool's own handling of TLS (its
//! handshake, its error messages, what it records); it speaks just enough IMAP
//! (greeting, CAPABILITY, STARTTLS, LOGIN, NOOP, LOGOUT; NO to anything else) and never
//! stands in for a real server. Its CA and certificates are made by rcgen for each test.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

const BIN: &str = env!("CARGO_BIN_EXE_imapconform");

/// A CA and a server certificate it signed for `imap.test` and 127.0.0.1, and a
/// self-signed certificate for the same names.
struct Certs {
    ca_pem: String,
    signed: (Vec<CertificateDer<'static>>, Vec<u8>),
    self_signed: (Vec<CertificateDer<'static>>, Vec<u8>),
}

fn certs() -> Certs {
    let names = vec!["imap.test".to_string(), "127.0.0.1".to_string()];
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "imapconform test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(names.clone())
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    let own_key = KeyPair::generate().unwrap();
    let own = CertificateParams::new(names)
        .unwrap()
        .self_signed(&own_key)
        .unwrap();
    Certs {
        ca_pem: ca.pem(),
        signed: (vec![leaf.der().clone()], leaf_key.serialize_der()),
        self_signed: (vec![own.der().clone()], own_key.serialize_der()),
    }
}

fn acceptor(cert: &(Vec<CertificateDer<'static>>, Vec<u8>)) -> TlsAcceptor {
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        cert.0.clone(),
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.1.clone())),
    )
    .unwrap();
    TlsAcceptor::from(Arc::new(config))
}

/// How the fixture secures its connections.
#[derive(Clone)]
enum Security {
    Plain,
    Implicit(TlsAcceptor),
    Starttls(TlsAcceptor),
}

/// What the fixture does.
#[derive(Clone)]
struct Fixture {
    security: Security,
    /// Capabilities before TLS (or throughout, without STARTTLS).
    caps_before: &'static str,
    /// Capabilities under TLS after STARTTLS (empty: CAPABILITY gets no list).
    caps_after: &'static str,
    /// Plaintext sent in the same write as the STARTTLS OK.
    inject_with_ok: &'static [u8],
    /// Plaintext sent in a write of its own after the STARTTLS OK, before TLS.
    inject_later: &'static [u8],
}

impl Fixture {
    fn new(security: Security) -> Fixture {
        Fixture {
            security,
            caps_before: "IMAP4rev1",
            caps_after: "IMAP4rev1",
            inject_with_ok: b"",
            inject_later: b"",
        }
    }
}

/// What the fixture saw: one entry per command, `tls NAME` or `plain NAME`.
type Log = Arc<Mutex<Vec<String>>>;

/// Starts the fixture on a port of its own; it serves every connection until the test
/// process ends.
fn start(f: Fixture) -> (String, Log) {
    let log: Log = Arc::default();
    let (tx, rx) = std::sync::mpsc::channel();
    let l = log.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap().to_string()).unwrap();
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let (f, l) = (f.clone(), l.clone());
                tokio::spawn(async move {
                    let _ = connection(tcp, &f, &l).await;
                });
            }
        });
    });
    (rx.recv().unwrap(), log)
}

enum Next {
    Done,
    StartTls,
}

async fn connection(mut tcp: tokio::net::TcpStream, f: &Fixture, log: &Log) -> std::io::Result<()> {
    let greeting = format!("* OK [CAPABILITY {}] fixture ready\r\n", f.caps_before);
    match &f.security {
        Security::Implicit(acceptor) => {
            let mut tls = acceptor.accept(tcp).await?;
            tls.write_all(greeting.as_bytes()).await?;
            serve(&mut tls, f, true, log).await?;
            tls.shutdown().await
        }
        Security::Plain => {
            tcp.write_all(greeting.as_bytes()).await?;
            serve(&mut tcp, f, false, log).await.map(|_| ())
        }
        Security::Starttls(acceptor) => {
            tcp.write_all(greeting.as_bytes()).await?;
            if let Next::StartTls = serve(&mut tcp, f, false, log).await? {
                if !f.inject_later.is_empty() {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    tcp.write_all(f.inject_later).await?;
                }
                let mut tls = acceptor.accept(tcp).await?;
                serve(&mut tls, f, true, log).await?;
                tls.shutdown().await?;
            }
            Ok(())
        }
    }
}

/// One line, one byte at a time (nothing after it is read: the bytes after STARTTLS
/// belong to the handshake).
async fn read_line<S: AsyncRead + Unpin>(s: &mut S) -> std::io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    loop {
        if s.read(&mut b).await? == 0 {
            return Ok(None);
        }
        line.push(b[0]);
        if b[0] == b'\n' || line.len() > 100_000 {
            return Ok(Some(line));
        }
    }
}

/// `{n}` or `{n+}` at the end of a line.
fn literal(line: &[u8]) -> Option<(usize, bool)> {
    let text = std::str::from_utf8(line).ok()?.trim_end();
    let inner = text.strip_suffix('}')?;
    let open = inner.rfind('{')?;
    let count = &inner[open + 1..];
    match count.strip_suffix('+') {
        Some(n) => Some((n.parse().ok()?, false)),
        None => Some((count.parse().ok()?, true)),
    }
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    f: &Fixture,
    tls: bool,
    log: &Log,
) -> std::io::Result<Next> {
    let caps = if tls && matches!(f.security, Security::Starttls(_)) {
        f.caps_after
    } else {
        f.caps_before
    };
    loop {
        let Some(first) = read_line(s).await? else {
            return Ok(Next::Done);
        };
        let mut last = first.clone();
        while let Some((n, sync)) = literal(&last) {
            if sync {
                s.write_all(b"+ go ahead\r\n").await?;
            }
            let mut data = vec![0u8; n];
            s.read_exact(&mut data).await?;
            let Some(next) = read_line(s).await? else {
                return Ok(Next::Done);
            };
            last = next;
        }
        let text = String::from_utf8_lossy(&first).to_string();
        let mut words = text.split_whitespace();
        let tag = words.next().unwrap_or("*").to_string();
        let command = words.next().unwrap_or("").to_ascii_uppercase();
        log.lock()
            .unwrap()
            .push(format!("{} {command}", if tls { "tls" } else { "plain" }));
        let answer = match command.as_str() {
            // An empty list: no untagged CAPABILITY at all.
            "CAPABILITY" if caps.is_empty() => format!("{tag} OK done\r\n"),
            "CAPABILITY" => format!("* CAPABILITY {caps}\r\n{tag} OK done\r\n"),
            "STARTTLS" if !tls => {
                let mut out = format!("{tag} OK begin TLS now\r\n").into_bytes();
                out.extend_from_slice(f.inject_with_ok);
                s.write_all(&out).await?;
                return Ok(Next::StartTls);
            }
            "LOGIN" if caps.contains("LOGINDISABLED") => format!("{tag} NO LOGIN is disabled\r\n"),
            "LOGIN" => format!("{tag} OK logged in\r\n"),
            "NOOP" => format!("{tag} OK done\r\n"),
            "LOGOUT" => {
                s.write_all(format!("* BYE bye\r\n{tag} OK done\r\n").as_bytes())
                    .await?;
                return Ok(Next::Done);
            }
            _ => format!("{tag} NO not implemented by the test fixture\r\n"),
        };
        s.write_all(answer.as_bytes()).await?;
    }
}

/// A scratch directory for one test, removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("imapconform-tls-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    /// The text of every case file written.
    cases: Vec<String>,
    findings: String,
}

/// `imapconform run` on one target at `address` with the TLS settings `tls` (TOML lines),
/// from the parent of the scratch directory (so a relative `ca_file` must be read from
/// the targets file's directory).
/// The TLS lines of a STARTTLS target that trusts the fixture's CA for `imap.test`.
const STARTTLS_WITH_CA: &str =
    "tls = \"starttls\"\nca_file = \"ca.pem\"\nserver_name = \"imap.test\"\n";

fn run(dir: &Path, address: &str, tls: &str, ca_pem: Option<&str>) -> Run {
    if let Some(pem) = ca_pem {
        std::fs::write(dir.join("ca.pem"), pem).unwrap();
    }
    let targets = dir.join("targets.toml");
    std::fs::write(
        &targets,
        format!("[[target]]\nname = \"fx\"\naddress = \"{address}\"\nuser = \"u1\"\npassword = \"pw1\"\ntimeout_ms = 3000\n{tls}"),
    )
    .unwrap();
    let out = dir.join("out");
    let output = Command::new(BIN)
        .args(["run", "--targets"])
        .arg(&targets)
        .arg("--out")
        .arg(&out)
        .args([
            "--sessions",
            "2",
            "--commands",
            "2..4",
            "--jobs",
            "1",
            "--no-minimize",
            "--no-oracle",
            "--all-cases",
            // The driver's own behaviour is under test: the STARTTLS probes (which send
            // LOGIN before TLS on purpose) are tests/starttls_checks.rs's.
            "--no-probes",
        ])
        .current_dir(dir.parent().unwrap())
        .output()
        .expect("run imapconform");
    let mut cases = Vec::new();
    if let Ok(entries) = std::fs::read_dir(out.join("cases")) {
        for e in entries.flatten() {
            cases.push(std::fs::read_to_string(e.path()).unwrap());
        }
    }
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        cases,
        findings: std::fs::read_to_string(out.join("findings.jsonl")).unwrap_or_default(),
    }
}

impl Run {
    fn shown(&self) -> String {
        format!(
            "exit {:?}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    /// Two sessions ran to their end: no setup error, a case file for each.
    fn assert_sessions_ran(&self) {
        assert_ne!(self.code, Some(2), "{}", self.shown());
        assert!(!self.stdout.contains("SETUP ERROR"), "{}", self.shown());
        assert!(
            self.stdout.contains("2 sessions against 1 targets"),
            "{}",
            self.shown()
        );
        assert_eq!(self.cases.len(), 2, "{}", self.shown());
    }

    /// The run stopped at a setup error: exit 2, the error on one line, no finding.
    fn assert_setup_error(&self, expect: &[&str]) {
        assert_eq!(self.code, Some(2), "{}", self.shown());
        let line = self
            .stdout
            .lines()
            .find(|l| l.contains("SETUP ERROR"))
            .unwrap_or_else(|| panic!("no SETUP ERROR line: {}", self.shown()));
        for e in expect {
            assert!(line.contains(e), "{e:?} missing from {line:?}");
        }
        assert!(
            self.findings.trim().is_empty(),
            "findings: {}",
            self.findings
        );
    }
}

fn entries(log: &Log) -> Vec<String> {
    log.lock().unwrap().clone()
}

#[test]
fn implicit_tls_with_the_ca_in_ca_file_runs_sessions() {
    let c = certs();
    let (addr, log) = start(Fixture::new(Security::Implicit(acceptor(&c.signed))));
    let s = Scratch::new("implicit");
    // No server_name: the certificate must carry the IP address of `address`.
    let r = run(
        &s.0,
        &addr,
        "tls = \"implicit\"\nca_file = \"ca.pem\"\n",
        Some(&c.ca_pem),
    );
    r.assert_sessions_ran();
    let seen = entries(&log);
    assert_eq!(
        seen.iter().filter(|e| *e == "tls LOGIN").count(),
        2,
        "{seen:?}"
    );
    assert!(seen.iter().all(|e| e.starts_with("tls ")), "{seen:?}");
    for case in &r.cases {
        assert!(case.contains("\n# security: implicit\n"), "{case}");
        assert!(
            case.contains("S: * OK [CAPABILITY IMAP4rev1] fixture ready"),
            "{case}"
        );
    }
    // The same with the name given explicitly.
    let r = run(
        &s.0,
        &addr,
        "tls = \"implicit\"\nca_file = \"ca.pem\"\nserver_name = \"imap.test\"\n",
        Some(&c.ca_pem),
    );
    r.assert_sessions_ran();
}

#[test]
fn certificate_problems_are_one_line_setup_errors_not_findings() {
    let c = certs();
    let (addr, _) = start(Fixture::new(Security::Implicit(acceptor(&c.signed))));
    let s = Scratch::new("certs");
    // No ca_file: Mozilla's roots do not know the test CA.
    let r = run(&s.0, &addr, "tls = \"implicit\"\n", None);
    r.assert_setup_error(&[
        &format!("TLS handshake with {addr} failed: certificate not trusted (unknown issuer)"),
        "`ca_file`",
        "insecure = true",
    ]);
    // A name the certificate does not carry.
    let r = run(
        &s.0,
        &addr,
        "tls = \"implicit\"\nca_file = \"ca.pem\"\nserver_name = \"other.test\"\n",
        Some(&c.ca_pem),
    );
    r.assert_setup_error(&[
        "not valid for the name \"other.test\"",
        "imap.test",
        "`server_name`",
    ]);
}

#[test]
fn insecure_accepts_a_self_signed_certificate() {
    let c = certs();
    let (addr, log) = start(Fixture::new(Security::Implicit(acceptor(&c.self_signed))));
    let s = Scratch::new("insecure");
    let r = run(&s.0, &addr, "tls = \"implicit\"\n", None);
    r.assert_setup_error(&["certificate not trusted"]);
    let r = run(&s.0, &addr, "tls = \"implicit\"\ninsecure = true\n", None);
    r.assert_sessions_ran();
    assert_eq!(
        entries(&log).iter().filter(|e| *e == "tls LOGIN").count(),
        2
    );
}

#[test]
fn a_plaintext_server_on_an_implicit_tls_target_is_named_as_such() {
    let (addr, log) = start(Fixture::new(Security::Plain));
    let s = Scratch::new("plainport");
    let r = run(&s.0, &addr, "tls = \"implicit\"\ninsecure = true\n", None);
    r.assert_setup_error(&[
        "the server did not start TLS: it sent plaintext (`* OK [CAPABILITY IMAP4rev1] fixture ready`)",
        "is this a plaintext port? use tls = \"starttls\" or \"none\"",
    ]);
    assert!(
        !entries(&log).iter().any(|e| e.ends_with("LOGIN")),
        "{:?}",
        entries(&log)
    );
}

#[test]
fn starttls_discards_the_capabilities_learned_before_tls() {
    let c = certs();
    let (addr, log) = start(Fixture {
        caps_before: "IMAP4rev1 STARTTLS LOGINDISABLED",
        caps_after: "IMAP4rev1 AUTH=PLAIN",
        ..Fixture::new(Security::Starttls(acceptor(&c.signed)))
    });
    let s = Scratch::new("starttls");
    let r = run(&s.0, &addr, STARTTLS_WITH_CA, Some(&c.ca_pem));
    r.assert_sessions_ran();
    let seen = entries(&log);
    assert_eq!(
        seen.iter().filter(|e| *e == "tls LOGIN").count(),
        2,
        "{seen:?}"
    );
    assert!(!seen.iter().any(|e| e == "plain LOGIN"), "{seen:?}");
    // Per session: STARTTLS in plaintext, CAPABILITY again under TLS.
    assert_eq!(
        seen.iter().filter(|e| *e == "plain STARTTLS").count(),
        2,
        "{seen:?}"
    );
    assert_eq!(
        seen.iter().filter(|e| *e == "tls CAPABILITY").count(),
        2,
        "{seen:?}"
    );
    for case in &r.cases {
        assert!(case.contains("\n# security: starttls\n"), "{case}");
        let order = [
            "S: * OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] fixture ready",
            "C: s5 STARTTLS",
            "S: s5 OK begin TLS now",
            "C: s6 CAPABILITY",
            "S: * CAPABILITY IMAP4rev1 AUTH=PLAIN",
            "C: s1 LOGIN",
        ];
        let at: Vec<usize> = order
            .iter()
            .map(|o| {
                case.find(o)
                    .unwrap_or_else(|| panic!("{o:?} missing: {case}"))
            })
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{at:?}: {case}");
    }
}

/// A server that answers the CAPABILITY sent under TLS with no list leaves the client
/// knowing nothing: what it said before TLS (LOGINDISABLED here) must not count.
#[test]
fn capabilities_from_before_tls_do_not_count_even_when_none_come_after() {
    let c = certs();
    let (addr, log) = start(Fixture {
        caps_before: "IMAP4rev1 STARTTLS LOGINDISABLED",
        caps_after: "",
        ..Fixture::new(Security::Starttls(acceptor(&c.signed)))
    });
    let s = Scratch::new("nocaps");
    let r = run(&s.0, &addr, STARTTLS_WITH_CA, Some(&c.ca_pem));
    r.assert_sessions_ran();
    let seen = entries(&log);
    assert_eq!(
        seen.iter().filter(|e| *e == "tls LOGIN").count(),
        2,
        "{seen:?}"
    );
}

#[test]
fn logindisabled_under_tls_too_is_a_setup_error_and_login_is_never_sent() {
    let c = certs();
    let (addr, log) = start(Fixture {
        caps_before: "IMAP4rev1 STARTTLS LOGINDISABLED",
        caps_after: "IMAP4rev1 LOGINDISABLED AUTH=PLAIN",
        ..Fixture::new(Security::Starttls(acceptor(&c.signed)))
    });
    let s = Scratch::new("logindisabled");
    let r = run(&s.0, &addr, STARTTLS_WITH_CA, Some(&c.ca_pem));
    r.assert_setup_error(&["LOGINDISABLED", "RFC 3501 §6.1.1"]);
    let seen = entries(&log);
    assert!(seen.contains(&"tls CAPABILITY".to_string()), "{seen:?}");
    assert!(!seen.iter().any(|e| e.ends_with("LOGIN")), "{seen:?}");
}

#[test]
fn a_starttls_target_without_starttls_is_a_setup_error() {
    let (addr, log) = start(Fixture::new(Security::Plain));
    let s = Scratch::new("nostarttls");
    let r = run(&s.0, &addr, "tls = \"starttls\"\ninsecure = true\n", None);
    r.assert_setup_error(&["does not advertise STARTTLS", "IMAP4rev1"]);
    assert!(!entries(&log).iter().any(|e| e.ends_with("LOGIN")));
}

#[test]
fn plaintext_after_the_starttls_ok_is_recorded_and_never_read_as_a_response() {
    let c = certs();
    let (addr, log) = start(Fixture {
        caps_before: "IMAP4rev1 STARTTLS",
        caps_after: "IMAP4rev1",
        // An injected completion for the CAPABILITY the client sends under TLS, and
        // capabilities it must not believe.
        inject_with_ok:
            b"* CAPABILITY IMAP4rev1 LITERAL+ INJECTED\r\ns6 OK injected completion\r\n",
        inject_later: b"* 1 EXISTS injected later\r\n",
        ..Fixture::new(Security::Starttls(acceptor(&c.signed)))
    });
    let s = Scratch::new("inject");
    let r = run(&s.0, &addr, STARTTLS_WITH_CA, Some(&c.ca_pem));
    r.assert_sessions_ran();
    assert_eq!(
        entries(&log).iter().filter(|e| *e == "tls LOGIN").count(),
        2
    );
    for case in &r.cases {
        // In the STARTTLS exchange, after its OK, before the CAPABILITY sent under TLS;
        // and that CAPABILITY's answer is the real one, not the injected completion.
        let order = [
            "S: s5 OK begin TLS now",
            "S: * CAPABILITY IMAP4rev1 LITERAL+ INJECTED",
            "S: s6 OK injected completion",
            "S: * 1 EXISTS injected later",
            "C: s6 CAPABILITY",
            "S: * CAPABILITY IMAP4rev1\n",
            "S: s6 OK done",
            "C: s1 LOGIN",
        ];
        let at: Vec<usize> = order
            .iter()
            .map(|o| {
                case.find(o)
                    .unwrap_or_else(|| panic!("{o:?} missing: {case}"))
            })
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{at:?}: {case}");
        // The injected LITERAL+ was not believed: no literal went non-synchronizing.
        assert!(!case.contains("+}"), "{case}");
    }
}

/// The race driver opens its two connections through the same setup: over TLS too.
#[test]
fn the_race_driver_reaches_a_starttls_target() {
    let c = certs();
    let (addr, log) = start(Fixture {
        caps_before: "IMAP4rev1 STARTTLS LOGINDISABLED",
        caps_after: "IMAP4rev1",
        ..Fixture::new(Security::Starttls(acceptor(&c.signed)))
    });
    let s = Scratch::new("race");
    std::fs::write(s.0.join("ca.pem"), &c.ca_pem).unwrap();
    std::fs::write(
        s.0.join("targets.toml"),
        format!("[[target]]\nname = \"fx\"\naddress = \"{addr}\"\nuser = \"u1\"\npassword = \"pw1\"\ntimeout_ms = 3000\ntls = \"starttls\"\nca_file = \"ca.pem\"\nserver_name = \"imap.test\"\n"),
    )
    .unwrap();
    let out = Command::new(BIN)
        .args([
            "race",
            "--targets",
            "targets.toml",
            "--out",
            "out",
            "--scenarios",
            "1",
        ])
        .current_dir(&s.0)
        .output()
        .expect("run imapconform race");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_ne!(
        out.status.code(),
        Some(2),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!stdout.contains("SETUP ERROR"), "{stdout}");
    let seen = entries(&log);
    assert_eq!(
        seen.iter().filter(|e| *e == "plain STARTTLS").count(),
        2,
        "{seen:?}"
    );
    assert_eq!(
        seen.iter().filter(|e| *e == "tls LOGIN").count(),
        2,
        "{seen:?}"
    );
    let case = std::fs::read_dir(s.0.join("out/cases"))
        .unwrap()
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .next()
        .expect("a race case file");
    assert!(case.contains("\n# security: starttls\n"), "{case}");
}
