//! Secrets in what the tool writes: the passwords of the targets file and AUTHENTICATE
//! data never reach a file of the output directory (case files, corpus, findings,
//! results, reports) unless `--keep-secrets` is given, and a redacted case still replays.
//! Against the reference server (`imapconform serve`), with users whose passwords take
//! each form LOGIN can send: an atom, a literal (8-bit), a quoted string.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use imapconform::case::Case;

const BIN: &str = env!("CARGO_BIN_EXE_imapconform");

/// `(user, password)`: sent as an atom, as a literal (not 7-bit), as a quoted string.
const USERS: [(&str, &str); 3] = [
    ("u1", "S3cret-pw"),
    ("u2", "gr\u{fc}n-Passwort"),
    ("u3", "Tr0ub \"4dor\""),
];

/// What must not appear in any file: a distinctive part of each password, and the
/// base64 of the password and of the PLAIN message `\0u1\0S3cret-pw` (RFC 4616).
const LEAKS: [&str; 5] = [
    "S3cret",
    "Passwort",
    "4dor",
    "UzNjcmV0LXB3",
    "AHUxAFMzY3JldC1wdw",
];

/// A corpus case whose script sends each password itself (LOGIN in the wrong state, and
/// AUTHENTICATE with an initial response), so that the script part of the case files
/// holds them too.
const CORPUS_CASE: &str = r#"# imapconform case v1
== script ==
C: a1 NOOP
S: a1 OK
C: a2 LOGIN u1 S3cret-pw
S: a2 BAD
C: a3 LOGIN u2 {14}
S: + go
C| gr\xC3\xBCn-Passwort\
C>
S: a3 BAD
C: a4 LOGIN u3 "Tr0ub \\"4dor\\""
S: a4 BAD
C: a5 AUTHENTICATE PLAIN AHUxAFMzY3JldC1wdw==
S: a5 BAD
"#;

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("imapconform-secrets-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("corpus")).unwrap();
        std::fs::write(dir.join("corpus/secrets.imap"), CORPUS_CASE).unwrap();
        Scratch(dir)
    }

    /// The reference server, one process per session, with the three users.
    fn spawn_targets(&self) -> PathBuf {
        let mut spawn = format!("{BIN:?}, \"serve\", \"--stdio\"");
        let mut users = Vec::new();
        for (u, p) in USERS {
            spawn += &format!(", \"--user\", {:?}", format!("{u}:{p}"));
            users.push(format!("{{ user = {u:?}, password = {p:?} }}"));
        }
        let text = format!(
            "[[target]]\nname = \"ref\"\nspawn = [{spawn}]\nusers = [{}]\nmodel = true\n",
            users.join(", ")
        );
        let path = self.0.join("targets.toml");
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn imapconform(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run imapconform")
}

/// Runs a campaign of the corpus case and a few generated sessions, every case written.
fn campaign(s: &Scratch, out: &str, extra: &[&str]) {
    let targets = s.spawn_targets();
    let mut args = vec![
        "run",
        "--targets",
        targets.to_str().unwrap(),
        "--out",
        out,
        "--sessions",
        "9",
        "-j",
        "3",
        "--all-cases",
        "--quiet",
        "--corpus",
        "corpus",
    ];
    args.extend_from_slice(extra);
    let o = imapconform(&s.0, &args);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "run failed:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn read(p: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned()
}

/// Every file under `dir` is free of every leak; returns how many files were checked.
fn assert_no_leaks(dir: &Path) -> usize {
    let files = files_under(dir);
    for f in &files {
        let text = read(f);
        for leak in LEAKS {
            assert!(!text.contains(leak), "{leak:?} in {}:\n{text}", f.display());
        }
    }
    files.len()
}

#[test]
fn passwords_and_authenticate_data_are_in_no_file_of_a_campaign() {
    let s = Scratch::new("run");
    campaign(&s, "out", &[]);
    let out = s.0.join("out");
    let files = assert_no_leaks(&out);
    for name in [
        "findings.jsonl",
        "results.json",
        "report.html",
        "report.md",
        "junit.xml",
    ] {
        assert!(out.join(name).is_file(), "{name} written");
    }
    let cases = files_under(&out.join("cases"));
    assert!(cases.len() >= 9, "every session's case: {cases:?}");
    assert!(files > cases.len());
    // The setup's LOGIN, with whichever pool user the session had.
    for c in &cases {
        let text = read(c);
        let setup = text.split("== script ==").next().unwrap();
        assert!(
            setup.contains("\nC: s1 LOGIN u") && setup.contains("<redacted>"),
            "{}:\n{text}",
            c.display()
        );
    }
    // The corpus session's script: each form, and the AUTHENTICATE initial response.
    let first = read(&out.join("cases/000000-ref.imap"));
    for redacted in [
        "C: a2 LOGIN u1 <redacted>\n",
        "C: a3 LOGIN u2 {10}\n",
        "C| <redacted>\\\n",
        "C: a4 LOGIN u3 \"<redacted>\"\n",
        "C: a5 AUTHENTICATE PLAIN <redacted>\n",
    ] {
        assert!(first.contains(redacted), "{redacted:?} missing:\n{first}");
    }
    // It still parses: the literal's count was rewritten with its octets.
    let case = Case::parse(&first).expect("a redacted case parses");
    assert_eq!(
        case.transcript.script[2].command().to_bytes(),
        b"a3 LOGIN u2 {10}\r\n<redacted>\r\n"
    );
}

#[test]
fn keep_secrets_writes_passwords_as_sent() {
    let s = Scratch::new("keep");
    campaign(&s, "out", &["--keep-secrets"]);
    let first = read(&s.0.join("out/cases/000000-ref.imap"));
    for sent in [
        "C: a2 LOGIN u1 S3cret-pw\n",
        "C: a3 LOGIN u2 {14}\n",
        "C| gr\\xC3\\xBCn-Passwort\\\n",
        "C: a4 LOGIN u3 \"Tr0ub \\\\\"4dor\\\\\"\"\n",
        "C: a5 AUTHENTICATE PLAIN AHUxAFMzY3JldC1wdw==\n",
    ] {
        assert!(first.contains(sent), "{sent:?} missing:\n{first}");
    }
    let setups = files_under(&s.0.join("out/cases"))
        .iter()
        .map(|c| read(c))
        .filter(|t| {
            USERS
                .iter()
                .any(|(u, p)| t.contains(&format!("s1 LOGIN {u} {p}\n")))
        })
        .count();
    assert!(setups > 0, "no setup shows u1's password as sent");
}

#[test]
fn a_redacted_case_replays_against_the_reference_server() {
    let s = Scratch::new("replay");
    campaign(&s, "out", &[]);
    let targets = s.spawn_targets();
    let o = imapconform(
        &s.0,
        &[
            "replay",
            "out/cases/000000-ref.imap",
            "--targets",
            targets.to_str().unwrap(),
            "--save",
            "saved",
        ],
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        stdout.contains("C: a5 AUTHENTICATE PLAIN <redacted>"),
        "{stdout}"
    );
    // The replay logged in (setup from the targets file) and got the same answers.
    let recorded = Case::parse(&read(&s.0.join("out/cases/000000-ref.imap"))).unwrap();
    let saved = files_under(&s.0.join("saved"));
    assert_eq!(saved.len(), 1);
    let replayed = Case::parse(&read(&saved[0])).unwrap();
    let statuses = |c: &Case| -> Vec<Option<String>> {
        c.transcript.script.iter().map(|e| e.status()).collect()
    };
    assert_eq!(statuses(&replayed), statuses(&recorded));
    assert_eq!(statuses(&replayed)[0].as_deref(), Some("OK"));
    let login = replayed.transcript.setup[0].status();
    assert_eq!(login.as_deref(), Some("OK"), "the replay logged in");
    assert_no_leaks(&s.0.join("saved"));
}

/// The reference server on TCP (a race needs two connections to one store), stopped
/// when dropped.
struct TcpServer(std::process::Child, String);

impl TcpServer {
    fn start() -> TcpServer {
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--user", "u1:S3cret-pw"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the reference server");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .rsplit(' ')
            .next()
            .expect("the server prints its address")
            .to_string();
        TcpServer(child, addr)
    }
}

impl Drop for TcpServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn race_cases_and_findings_are_redacted_unless_kept() {
    let s = Scratch::new("race");
    let server = TcpServer::start();
    let targets = s.0.join("tcp.toml");
    std::fs::write(
        &targets,
        format!(
            "[[target]]\nname = \"ref\"\naddress = \"{}\"\nusers = [{{ user = \"u1\", password = \"S3cret-pw\" }}]\nmodel = true\n",
            server.1
        ),
    )
    .unwrap();
    for (out, extra) in [("races", None), ("kept", Some("--keep-secrets"))] {
        let mut args = vec![
            "race",
            "--targets",
            targets.to_str().unwrap(),
            "--out",
            out,
            "--scenarios",
            "2",
            "--no-verify",
        ];
        args.extend(extra);
        let o = imapconform(&s.0, &args);
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "{}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    assert!(assert_no_leaks(&s.0.join("races")) >= 2);
    let race_case = read(&s.0.join("races/cases/race-0-ref.imap"));
    assert!(
        race_case.contains("C: s1 LOGIN u1 <redacted>\n"),
        "{race_case}"
    );
    let kept = read(&s.0.join("kept/cases/race-0-ref.imap"));
    assert!(kept.contains("C: s1 LOGIN u1 S3cret-pw\n"), "{kept}");
}
