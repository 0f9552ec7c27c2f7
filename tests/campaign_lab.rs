//! End to end against the real lab: Dovecot, Cyrus, Courier and GNU Mailutils, started by
//! `imapconform lab up` (which installs what is missing). These tests fail, never skip,
//! when a server is missing.

use std::collections::BTreeSet;
use std::process::Command;

use imapconform::campaign::{drive_target, session_script};
use imapconform::case::Case;
use imapconform::drive::DriveOptions;
use imapconform::gen::GenConfig;
use imapconform::judge::{self, Kind};
use imapconform::replay::{replay, script_commands};
use imapconform::report::read_findings;
use imapconform::targets::{Target, TargetsFile};
use imapconform::wire::{Event, Message, Transcript};

mod common;

use common::{lab_lock, lab_targets, BIN};
/// The lab's targets: the four servers and the reference server (the RFC 2060 model).
const TARGETS: [&str; 5] = ["courier", "cyrus", "dovecot", "mailutils", "reference"];

fn load() -> TargetsFile {
    let f = TargetsFile::load(lab_targets()).expect("the lab's targets file loads");
    let mut names: Vec<&str> = f.targets.iter().map(|t| t.name.as_str()).collect();
    names.sort();
    assert_eq!(
        names, TARGETS,
        "the lab serves the four servers and the reference server"
    );
    f
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn status_of(m: &Message) -> String {
    String::from_utf8_lossy(m.first_line())
        .split(' ')
        .nth(1)
        .unwrap_or("")
        .to_ascii_uppercase()
}

#[test]
fn every_lab_server_greets_and_accepts_login_for_every_pool_user() {
    let _lab = lab_lock();
    let file = load();
    let rt = runtime();
    for t in &file.targets {
        let pool = t.pool();
        assert!(
            pool.len() >= 8,
            "{} has a pool of {} users",
            t.name,
            pool.len()
        );
        for creds in &pool {
            let tr = rt
                .block_on(drive_target(
                    t,
                    Some(creds),
                    &[Message::line("a1 LOGOUT")],
                    &DriveOptions::default(),
                ))
                .unwrap_or_else(|e| panic!("{} as {}: {e}", t.name, creds.user));
            let greeting = tr.greeting.as_ref().expect("a greeting");
            assert!(
                greeting.first_line().starts_with(b"* OK"),
                "{} greets with {:?}",
                t.name,
                String::from_utf8_lossy(greeting.first_line())
            );
            let login = tr.setup[0].completion().expect("LOGIN completed");
            assert_eq!(status_of(login), "OK", "{} LOGIN as {}", t.name, creds.user);
            let logout = tr.script[0].completion().expect("LOGOUT completed");
            assert_eq!(status_of(logout), "OK", "{} LOGOUT", t.name);
            assert!(
                tr.script[0]
                    .responses()
                    .any(|m| m.first_line().starts_with(b"* BYE")),
                "{}: RFC 2060 §6.1.3 BYE before LOGOUT's OK",
                t.name
            );
        }
    }
}

/// Client bytes of a transcript's script, in order.
fn client_bytes(t: &Transcript) -> Vec<u8> {
    t.script
        .iter()
        .flat_map(|e| e.events.iter())
        .filter_map(|ev| match ev {
            Event::Client(m) => Some(m.to_bytes()),
            Event::Server(_) => None,
        })
        .flatten()
        .collect()
}

#[test]
fn the_same_seed_sends_identical_bytes_twice() {
    let _lab = lab_lock();
    let file = load();
    let rt = runtime();
    for index in 0..3 {
        let script = session_script(42, index, &GenConfig::default());
        assert_eq!(script, session_script(42, index, &GenConfig::default()));
        for t in &file.targets {
            let creds = t.pool().into_iter().next();
            let run = || {
                rt.block_on(drive_target(
                    t,
                    creds.as_ref(),
                    &script,
                    &DriveOptions::default(),
                ))
                .unwrap_or_else(|e| panic!("{}: {e}", t.name))
            };
            let (a, b) = (run(), run());
            assert!(!client_bytes(&a).is_empty());
            assert_eq!(
                client_bytes(&a),
                client_bytes(&b),
                "{}: session {index} sent different bytes",
                t.name
            );
        }
    }
}

fn target<'a>(file: &'a TargetsFile, name: &str) -> &'a Target {
    file.targets
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no target {name}"))
}

/// The normalised answers to the script's commands.
fn normalised(t: &Transcript) -> Vec<Vec<String>> {
    let mut ctx = judge::NormContext::default();
    t.script
        .iter()
        .map(|e| judge::normalize_exchange(e, &mut ctx))
        .collect()
}

#[test]
fn a_campaign_against_the_four_servers_writes_findings_whose_cases_replay() {
    let _lab = lab_lock();
    let file = load();
    let out = std::env::temp_dir().join(format!("imapconform-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let run = Command::new(BIN)
        .args(["run", "--targets"])
        .arg(lab_targets())
        .args([
            "--sessions",
            "40",
            "--seed",
            "5",
            "--jobs",
            "8",
            "--quiet",
            // Minimisation has its own test (tests/minimize_lab.rs).
            "--no-minimize",
            "--out",
        ])
        .arg(&out)
        .output()
        .expect("run imapconform run");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let code = run.status.code();
    assert!(
        code == Some(0) || code == Some(1),
        "exit {code:?}\n{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(stdout.contains("40 sessions against 5 targets"), "{stdout}");
    assert!(stdout.contains("oracle followed: "), "{stdout}");
    // Issue 4 §5: response signatures; the first session shows every target something
    // new, so the corpus holds at least its cases.
    assert!(stdout.contains("signature coverage: "), "{stdout}");
    let kept = std::fs::read_dir(out.join("corpus"))
        .expect("DIR/corpus exists")
        .count();
    assert!(kept >= TARGETS.len(), "{kept} case files kept in corpus/");
    assert!(!stdout.contains("SETUP ERROR"), "{stdout}");
    for server in TARGETS {
        assert!(
            stdout.lines().any(|l| l.trim_start().starts_with(server)),
            "the summary has a line for {server}:\n{stdout}"
        );
    }

    let findings = read_findings(&out.join("findings.jsonl")).expect("findings.jsonl reads");
    // The reference server is the model itself: the oracle, the syntax judge and the
    // session-end judge find nothing in it, and the differential judge compares only
    // the real servers (the oracle judges the reference's differences from them).
    let about_reference: Vec<_> = findings
        .iter()
        .filter(|f| f.targets.iter().any(|t| t == "reference"))
        .collect();
    assert!(about_reference.is_empty(), "{about_reference:#?}");
    // Every violation and warning names its requirement and quotes it.
    for f in &findings {
        if matches!(f.kind, Kind::Violation | Kind::Warning) {
            let rule = f
                .rule
                .as_deref()
                .unwrap_or_else(|| panic!("{}: no requirement id", f.id));
            assert!(
                imapconform::catalogue::catalogue().get(rule).is_some(),
                "{}: {rule}",
                f.id
            );
            assert!(
                f.quote.as_deref().is_some_and(|q| q.contains('"')),
                "{}: no quote",
                f.id
            );
        }
    }
    let worst = findings.iter().map(|f| f.kind).max();
    assert_eq!(
        code == Some(1),
        worst.is_some_and(|k| k >= Kind::Violation),
        "exit status follows --fail-on violation"
    );
    // Every case file that a finding names exists and names its session.
    let mut steps: std::collections::BTreeMap<String, (String, Vec<usize>)> = Default::default();
    for f in &findings {
        assert!(f.targets.contains(&f.target));
        let path = out.join(&f.case);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("finding {}: case {}: {e}", f.id, path.display()));
        let case = Case::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(case.get("target"), Some(f.target.as_str()));
        assert_eq!(case.get("seed"), Some("5"));
        assert_eq!(case.get("session"), Some(f.session.to_string().as_str()));
        if let (Some(step), true) = (f.step, f.kind != Kind::Timeout) {
            let e = steps.entry(f.case.clone()).or_default();
            e.0 = f.target.clone();
            e.1.push(step);
        }
    }
    // Each of them replays to the same answers at the commands its findings name. Some
    // servers choose when to announce new messages by timing (GNU Mailutils notices an
    // APPEND to the selected mailbox at this command or the next), so a case gets up to
    // three replays to show its answers again.
    let rt = runtime();
    for (rel, (name, at)) in &steps {
        let case = Case::parse(&std::fs::read_to_string(out.join(rel)).unwrap()).unwrap();
        let then = normalised(&case.transcript);
        let mut last = None;
        for _ in 0..3 {
            let t = target(&file, name).clone();
            let again = rt.block_on(replay(&case, &[t], &DriveOptions::default()));
            let again = again[0].1.as_ref().expect("replay ran");
            assert_eq!(
                script_commands(again),
                script_commands(&case.transcript),
                "{rel}: the replay sent the case's commands"
            );
            let now = normalised(again);
            let differs = at.iter().copied().find(|&s| now.get(s) != then.get(s));
            match differs {
                None => {
                    last = None;
                    break;
                }
                Some(s) => last = Some((s, now.get(s).cloned())),
            }
        }
        if let Some((step, now)) = last {
            let cut = |s: String| s.chars().take(600).collect::<String>();
            panic!(
                "{rel}: {name} answered command {step} of three replays differently:\n  replay: {}\n  case:   {}",
                cut(format!("{now:?}")),
                cut(format!("{:?}", then.get(step)))
            );
        }
    }
    assert!(
        !steps.is_empty(),
        "40 sessions against four servers found nothing to replay"
    );
    let _ = std::fs::remove_dir_all(&out);
}

/// Issue 4 §6: `--shard K/N` runs the K-th of N disjoint slices; together the slices
/// send the sessions of the whole campaign, numbered as in it.
#[test]
fn shards_split_a_campaign_into_disjoint_slices() {
    let _lab = lab_lock();
    lab_targets();
    let sessions_run = |shard: Option<&str>| -> BTreeSet<String> {
        let out = std::env::temp_dir().join(format!(
            "imapconform-shard-{}-{}",
            std::process::id(),
            shard.unwrap_or("all").replace('/', "of")
        ));
        let _ = std::fs::remove_dir_all(&out);
        let mut cmd = Command::new(BIN);
        cmd.args(["run", "--targets"])
            .arg(lab_targets())
            .args(["--target", "dovecot", "--sessions", "6", "--seed", "11"])
            .args(["--quiet", "--all-cases", "--no-minimize", "--out"])
            .arg(&out);
        if let Some(s) = shard {
            cmd.args(["--shard", s]);
        }
        let run = cmd.output().expect("run imapconform run");
        assert!(
            matches!(run.status.code(), Some(0) | Some(1)),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        // The sessions' cases (the probes' run in every slice, before its sessions).
        let cases: BTreeSet<String> = std::fs::read_dir(out.join("cases"))
            .expect("cases written")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|name| !imapconform::probes::is_probe_case_path(&format!("cases/{name}")))
            .collect();
        let _ = std::fs::remove_dir_all(&out);
        cases
    };
    let first = sessions_run(Some("1/2"));
    let second = sessions_run(Some("2/2"));
    let whole = sessions_run(None);
    let names = |v: &[u32]| -> BTreeSet<String> {
        v.iter().map(|i| format!("{i:06}-dovecot.imap")).collect()
    };
    assert_eq!(first, names(&[0, 2, 4]));
    assert_eq!(second, names(&[1, 3, 5]));
    assert_eq!(whole, first.union(&second).cloned().collect());
}
