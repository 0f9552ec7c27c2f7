//! Bad input to the tool: every malformed targets file, case file, baseline, findings
//! directory and option value gets one short message on standard error naming the file,
//! the line (where there is one) and the problem, and exit status 2; never a panic or a
//! backtrace, also with RUST_BACKTRACE=1 in the environment.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_imapconform");

/// A scratch directory for one test, removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "imapconform-bad-input-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn file(&self, name: &str, bytes: impl AsRef<[u8]>) -> String {
        let p = self.0.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, bytes).unwrap();
        name.to_string()
    }

    fn dir(&self, name: &str) -> String {
        std::fs::create_dir_all(self.0.join(name)).unwrap();
        name.to_string()
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs the tool in `dir` with and without RUST_BACKTRACE=1 and checks that it refuses
/// the input as the table says: exit status 2, every `expect` in a short standard error
/// (under 5 lines, blank lines aside), no panic and no backtrace.
fn refuses(dir: &Path, args: &[&str], expect: &[&str]) {
    for backtrace in [Some("1"), Some("full"), None] {
        let mut cmd = Command::new(BIN);
        cmd.args(args).current_dir(dir).env_remove("RUST_BACKTRACE");
        if let Some(b) = backtrace {
            cmd.env("RUST_BACKTRACE", b);
        }
        let out = cmd.output().expect("run imapconform");
        let err = String::from_utf8_lossy(&out.stderr);
        let shown = format!(
            "imapconform {} (RUST_BACKTRACE={backtrace:?}):\n{err}",
            args.join(" ")
        );
        assert_eq!(out.status.code(), Some(2), "exit status of {shown}");
        for e in expect {
            assert!(err.contains(e), "{e:?} missing from {shown}");
        }
        let lines = err.lines().filter(|l| !l.trim().is_empty()).count();
        assert!(lines < 5, "more than 4 lines: {shown}");
        for bad in ["panicked", "RUST_BACKTRACE", "stack backtrace", "src/"] {
            assert!(!err.contains(bad), "{bad:?} in {shown}");
        }
    }
}

/// A target that would work: the reference server on stdin/stdout.
fn good_targets(s: &Scratch) -> String {
    s.file(
        "good.toml",
        format!(
            "[[target]]\nname = \"ref\"\nspawn = [{BIN:?}, \"serve\", \"--stdio\"]\nuser = \"u1\"\npassword = \"pw-u1\"\nmodel = true\n"
        ),
    )
}

fn run_with(targets: &str) -> Vec<String> {
    [
        "run",
        "--targets",
        targets,
        "--out",
        "out",
        "--sessions",
        "1",
    ]
    .map(String::from)
    .to_vec()
}

fn refuses_targets(s: &Scratch, name: &str, text: impl AsRef<[u8]>, expect: &[&str]) {
    let f = s.file(name, text);
    let args = run_with(&f);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    refuses(s.path(), &args, &[&[name][..], expect].concat());
    // The same message from every command that reads a targets file.
    refuses(
        s.path(),
        &["race", "--targets", &f, "--out", "out"],
        &[&[name][..], expect].concat(),
    );
}

#[test]
fn malformed_targets_files_are_refused_with_file_line_and_problem() {
    let s = Scratch::new("targets");
    refuses_targets(
        &s,
        "syntax.toml",
        "[[target]]\nname = \"a\"\nspawn = [\"x\"]\ntimeout_ms = = 3\n",
        &["line 4", "expected"],
    );
    refuses_targets(
        &s,
        "unknown.toml",
        "[[target]]\nname = \"a\"\nspawn = [\"x\"]\nbogus = 1\n",
        &["line 4", "unknown field `bogus`"],
    );
    refuses_targets(
        &s,
        "type.toml",
        "[[target]]\nname = \"a\"\nspawn = [\"x\"]\ntimeout_ms = \"soon\"\n",
        &["line 4", "invalid type"],
    );
    refuses_targets(
        &s,
        "noaddr.toml",
        "# lab\n\n[[target]]\nname = \"a\"\nuser = \"u\"\n",
        &["line 3", "needs `address` or `spawn`"],
    );
    refuses_targets(
        &s,
        "badaddr.toml",
        "[[target]]\nname = \"a\"\nspawn = [\"x\"]\n\n[[target]]\nname = \"b\"\naddress = \"localhost\"\nuser = \"u\"\npassword = \"p\"\n",
        &["line 5", "host:port", "\"localhost\""],
    );
    refuses_targets(
        &s,
        "nouser.toml",
        "[[target]]\nname = \"a\"\nspawn = [\"x\"]\npassword = \"p\"\n",
        &["line 1", "`password` without `user`"],
    );
    refuses_targets(
        &s,
        "emptyusers.toml",
        "[[target]]\nname = \"a\"\naddress = \"127.0.0.1:143\"\nusers = []\n",
        &["line 1", "needs `user`/`password` or a `users` pool"],
    );
    refuses_targets(
        &s,
        "twice.toml",
        "[[target]]\nname = \"a\"\nspawn = [\"x\"]\n[[target]]\nname = \"a\"\nspawn = [\"y\"]\n",
        &["line 4", "used twice"],
    );
    refuses_targets(&s, "empty.toml", "", &["no targets"]);
    // TLS settings (RFC 3501 §6.2.1, RFC 8314): each names the target and the problem.
    let tcp = "[[target]]\nname = \"t\"\naddress = \"127.0.0.1:993\"\nuser = \"u\"\n";
    refuses_targets(
        &s,
        "tlsspawn.toml",
        "[[target]]\nname = \"a\"\nspawn = [\"x\"]\ntls = \"starttls\"\n",
        &["line 1", "target #1 (\"a\")", "needs an `address`"],
    );
    refuses_targets(
        &s,
        "tlsword.toml",
        format!("{tcp}tls = \"ssl\"\n"),
        &["line 5", "unknown variant `ssl`"],
    );
    refuses_targets(
        &s,
        "insecurenotls.toml",
        format!("{tcp}insecure = true\n"),
        &["line 1", "`insecure` is set but `tls` is \"none\""],
    );
    refuses_targets(
        &s,
        "insecureca.toml",
        format!("{tcp}tls = \"implicit\"\ninsecure = true\nca_file = \"ca.pem\"\n"),
        &["line 1", "contradict"],
    );
    refuses_targets(
        &s,
        "badname.toml",
        format!("{tcp}tls = \"implicit\"\nserver_name = \"a b\"\n"),
        &["`server_name`", "neither a DNS name nor an IP address"],
    );
    refuses_targets(
        &s,
        "noca.toml",
        format!("{tcp}tls = \"implicit\"\nca_file = \"missing-ca.pem\"\n"),
        &["line 1", "`ca_file`", "missing-ca.pem", "no such file"],
    );
    s.file("notpem.pem", "hello\n");
    refuses_targets(
        &s,
        "notpem.toml",
        format!("{tcp}tls = \"starttls\"\nca_file = \"notpem.pem\"\n"),
        &["notpem.pem", "holds no certificate"],
    );
    refuses_targets(
        &s,
        "latin1.toml",
        b"[[target]]\nname = \"m\xfcller\"\n".as_slice(),
        &["line 2", "column 10", "not UTF-8"],
    );
    refuses(
        s.path(),
        &["run", "--targets", "missing.toml", "--out", "out"],
        &["missing.toml", "no such file"],
    );
    let d = s.dir("adir");
    refuses(
        s.path(),
        &["run", "--targets", &d, "--out", "out"],
        &["adir", "is a directory"],
    );
    refuses(
        s.path(),
        &["replay", "x.imap", "--targets", "missing.toml"],
        &["x.imap", "no such file"],
    );
}

#[test]
fn malformed_case_files_are_refused_with_file_line_and_problem() {
    let s = Scratch::new("cases");
    let t = good_targets(&s);
    let magic = "# imapconform case v1\n";
    let cases: Vec<(&str, Vec<u8>, Vec<&str>)> = vec![
        (
            "prefix.imap",
            format!("{magic}# seed: 1\nC: a1 NOOP\nX: what\n").into(),
            vec!["line 4", "expected a record"],
        ),
        (
            "escape.imap",
            format!("{magic}C: a1 NOOP\\q\n").into(),
            vec!["line 2", "unknown escape"],
        ),
        (
            "literal.imap",
            format!(
                "{magic}== script ==\nC: a1 APPEND INBOX {{10}}\nS: + go\nC| abc\\\nC>\nS: a1 OK\n"
            )
            .into(),
            vec!["line 5", "literal length mismatch", "{10}"],
        ),
        (
            "truncated.imap",
            b"# imapconform ca".to_vec(),
            vec!["line 1", "not a case file"],
        ),
        ("empty.imap", Vec::new(), vec!["line 1", "not a case file"]),
        (
            "garbage.imap",
            (0..=255u8).rev().cycle().take(600).collect(),
            vec!["line 1", "not UTF-8", "binary"],
        ),
        (
            "end.imap",
            format!("{magic}# end: exploded\n").into(),
            vec!["line 2", "unknown end"],
        ),
    ];
    for (name, bytes, expect) in &cases {
        let f = s.file(name, bytes);
        let expect: Vec<&str> = [&[*name, "case file"][..], expect].concat();
        refuses(s.path(), &["replay", &f, "--targets", &t], &expect);
        refuses(s.path(), &["minimize", &f, "--targets", &t], &expect);
    }
    // A corpus directory with a bad case names the file and the line.
    s.file(
        "corpus/a.imap",
        format!("{magic}== script ==\nC: a1 NOOP\nS: a1 OK\n"),
    );
    s.file(
        "corpus/b.imap",
        format!("{magic}== script ==\nC: a1 NOOP\\x4\n"),
    );
    refuses(
        s.path(),
        &["run", "--targets", &t, "--out", "out", "--corpus", "corpus"],
        &["corpus/b.imap", "line 3", "\\x"],
    );
    refuses(
        s.path(),
        &["replay", "corpus", "--targets", &t],
        &["corpus", "is a directory"],
    );
}

#[test]
fn malformed_baselines_and_findings_directories_are_refused() {
    let s = Scratch::new("dirs");
    let empty = s.dir("empty");
    refuses(
        s.path(),
        &["report", &empty],
        &["empty", "not a findings directory"],
    );
    refuses(
        s.path(),
        &["report", "nowhere"],
        &["nowhere", "No such file"],
    );
    s.file("run/findings.jsonl", "{\"id\": \"1.1.0\"}\nnot json\n");
    refuses(
        s.path(),
        &["report", "run"],
        &["run/findings.jsonl", "line 1", "missing field"],
    );
    s.file("res/results.json", "{\"format\": 1,\n \"tool\": 3}\n");
    refuses(
        s.path(),
        &["report", "res"],
        &["res/results.json", "line 2", "invalid type"],
    );
    s.file("ok/findings.jsonl", "");
    s.file(
        "kind.toml",
        "[[known]]\nid = \"D0123456789ab\"\ntargets = [\"a\"]\nkind = \"nope\"\nreason = \"r\"\n",
    );
    refuses(
        s.path(),
        &["baseline", "check", "--baseline", "kind.toml", "ok"],
        &["kind.toml", "line 1", "kind"],
    );
    s.file(
        "syntax.toml",
        "[[known]]\nid = \"D0123456789ab\"\nreason = \n",
    );
    refuses(
        s.path(),
        &["baseline", "check", "--baseline", "syntax.toml", "ok"],
        &["syntax.toml", "line 3", "not TOML"],
    );
    refuses(
        s.path(),
        &["baseline", "check", "--baseline", "none.toml", "ok"],
        &["none.toml", "no such file"],
    );
    s.file("bin.toml", b"[[known]]\nid = \"\xff\"\n".as_slice());
    refuses(
        s.path(),
        &["baseline", "update", "--baseline", "bin.toml", "ok"],
        &["bin.toml", "line 2", "not UTF-8"],
    );
    refuses(
        s.path(),
        &["merge", "ok", "gone", "--out", "merged"],
        &["gone", "no such directory"],
    );
}

#[test]
fn bad_option_values_are_refused_with_the_option_and_the_reason() {
    let s = Scratch::new("options");
    let t = good_targets(&s);
    let run = |extra: &[&str], expect: &[&str]| {
        let mut args = vec!["run", "--targets", t.as_str(), "--out", "out"];
        args.extend_from_slice(extra);
        refuses(s.path(), &args, expect);
    };
    run(&["--sessions", "many"], &["--sessions", "invalid digit"]);
    run(&["--sessions", "-3"], &["-3"]);
    run(
        &["--duration", "5 parsecs"],
        &["--duration", "unknown unit"],
    );
    run(
        &["--duration", "99999999999999999999s"],
        &["--duration", "too long"],
    );
    run(
        &["--minimize-time", "0s"],
        &["--minimize-time", "above zero"],
    );
    run(&["--shard", "5/4"], &["--shard", "1 <= K <= N"]);
    run(&["--shard", "2"], &["--shard"]);
    run(&["--profile", "rfc1730"], &["--profile", "rfc2060"]);
    run(&["--seed", "x"], &["--seed", "invalid digit"]);
    run(&["--commands", "9..2"], &["--commands", "MIN <= MAX"]);
    run(&["--fail-on", "doom"], &["--fail-on"]);
    run(&["--mix", "FETCH=lots"], &["--mix", "FETCH"]);
    run(
        &["--target", "nope"],
        &["good.toml", "no target named \"nope\""],
    );
    run(
        &["--derive-one-in", "2", "--shard", "1/2"],
        &["--derive-one-in", "--shard"],
    );
    s.file("mix.toml", "[mix]\nFETCH = \nSTORE = 1\n");
    run(&["--mix-file", "mix.toml"], &["mix.toml", "line 2"]);
    run(&["--bogus"], &["--bogus"]);
    refuses(
        s.path(),
        &[
            "minimize",
            "x.imap",
            "--targets",
            &t,
            "--max-time",
            "1fortnight",
        ],
        &["--max-time", "unknown unit"],
    );
    refuses(
        s.path(),
        &["race", "--targets", &t, "--out", "o", "--scenarios", "all"],
        &["--scenarios"],
    );
    refuses(
        s.path(),
        &["serve", "--user", "nocolon"],
        &["--user", "NAME:PASSWORD"],
    );
    refuses(
        s.path(),
        &["serve", "--listen", "here"],
        &["--listen", "invalid"],
    );
}
