//! Acceptance of the reports (issue 5 §5, "Reports"): `imapconform report DIR` on a
//! findings directory writes report.html, report.md, junit.xml and results.json, and the
//! HTML renders in a real browser.
//!
//! The fixture is a findings directory made here: three servers, case files written with
//! [`Case`] so the diff between servers has real content, and a `results.json` with a
//! syntax finding that has a minimal case, a violation held by two servers, and a
//! divergence. The page is loaded by headless Chromium (`--dump-dom`), and the DOM it
//! built is checked: one matrix column per server, pass, fail and not-exercised cells,
//! every in-page link has its target, every file link leads to a file in DIR. A machine
//! without Chromium fails this test: `.ci/run` installs it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use imapconform::case::Case;
use imapconform::catalogue::catalogue;
use imapconform::judge::Kind;
use imapconform::report::distinct::{dedup, BaselineState, Minimal, Verification};
use imapconform::report::results::{Fixed, Results, TargetRun, FORMAT};
use imapconform::report::Finding;
use imapconform::wire::{Exchange, Transcript};

const SERVERS: [&str; 3] = ["alpha", "beta", "gamma"];

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("imapconform-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("cases")).unwrap();
    d
}

/// A case file of `target`: LOGIN in the setup, then NOOP and SELECT, whose answer is
/// `select_ok`.
fn write_case(dir: &Path, rel: &str, target: &str, select_ok: &str, exists: &str) {
    let case = Case {
        header: vec![
            ("tool".into(), "imapconform 0.1.0".into()),
            ("seed".into(), "7".into()),
            ("session".into(), "1".into()),
            ("target".into(), target.into()),
        ],
        transcript: Transcript {
            greeting: Some(imapconform::wire::Message::line(format!(
                "* OK {target} ready <&>"
            ))),
            setup: vec![Exchange::from_lines(
                "s1 LOGIN u1 pw1",
                &["s1 OK Logged in"],
            )],
            script: vec![
                Exchange::from_lines("a1 NOOP", &["a1 OK NOOP done"]),
                Exchange::from_lines(
                    "a2 SELECT INBOX",
                    &[exists, "* FLAGS (\\Seen \\Deleted)", select_ok],
                ),
            ],
            ..Transcript::default()
        },
    };
    std::fs::write(dir.join(rel), case.to_text()).unwrap();
}

fn requirement(section: &str, judge: &str) -> String {
    catalogue()
        .requirements()
        .iter()
        .find(|r| r.rfc == 2060 && r.section == section && r.check.as_deref() == Some(judge))
        .unwrap_or_else(|| panic!("no requirement of §{section} checked by {judge}"))
        .id
        .clone()
}

struct Fixture {
    dir: PathBuf,
    results: Results,
    syntax_rule: String,
}

fn fixture(name: &str) -> Fixture {
    let dir = temp_dir(name);
    let answers = [
        ("alpha", "a2 OK [READ-WRITE] SELECT completed", "* 1 EXISTS"),
        ("beta", "a2 OK [READ-WRITE] Select done", "* 1 EXISTS"),
        ("gamma", "a2 NO [TRYCREATE] no such mailbox", "* 0 EXISTS"),
    ];
    let mut cases = BTreeMap::new();
    for (t, ok, exists) in answers {
        let rel = format!("cases/7.1-{t}.imap");
        write_case(&dir, &rel, t, ok, exists);
        cases.insert(t.to_string(), rel);
    }
    write_case(
        &dir,
        "cases/7.1-beta.min.imap",
        "beta",
        "a2 OK [READ-WRITE] Select done",
        "* 1 EXISTS",
    );
    let syntax_rule = requirement("9", "syntax");
    let fetch_rule = requirement("6.4.5", "oracle");
    let base = |id: &str, kind: Kind, targets: &[&str]| Finding {
        id: id.into(),
        target: targets[0].into(),
        targets: targets.iter().map(|s| s.to_string()).collect(),
        kind,
        rule: None,
        quote: None,
        summary: String::new(),
        command: "a2 SELECT INBOX\\r\\n".into(),
        expected: String::new(),
        observed: String::new(),
        case: cases[targets[0]].clone(),
        cases: cases.clone(),
        seed: 7,
        session: 1,
        step: Some(1),
        cause: None,
    };
    let mut syntax = base("7.1.0", Kind::Syntax, &["beta"]);
    syntax.rule = Some(syntax_rule.clone());
    syntax.summary = "resp-text <broken> & \u{7} bell".into();
    syntax.expected = "resp-text".into();
    syntax.observed = "a2 OK [READ-WRITE] Select done".into();
    let mut violation = base("7.1.1", Kind::Violation, &["alpha", "beta"]);
    violation.rule = Some(fetch_rule.clone());
    violation.summary = "RFC822.SIZE of message 1 differs from the stored message".into();
    violation.command = "a3 FETCH 1 RFC822.SIZE\\r\\n".into();
    let mut divergence = base("7.1.2", Kind::Divergence, &["gamma"]);
    divergence.summary =
        "`a2 SELECT INBOX`: gamma answered differently from alpha, beta (which agreed)".into();
    divergence.observed = "--- alpha,beta\n+++ gamma\n@@ -1,3 +1,3 @@\n-* 1 EXISTS\n+* 0 EXISTS\n * FLAGS (\\Seen \\Deleted)\n-<tag> OK [READ-WRITE]\n+<tag> NO [TRYCREATE]\n".into();
    let mut distinct = dedup(&[syntax, violation, divergence]);
    for d in &mut distinct {
        if d.kind == Kind::Syntax {
            d.minimal = Some(Minimal {
                case: "cases/7.1-beta.min.imap".into(),
                from: "cases/7.1-beta.imap".into(),
                commands_before: 9,
                commands_after: 2,
                bytes_before: 300,
                bytes_after: 40,
                tests: 12,
                millis: 80,
                budget_spent: false,
            });
            d.verification = Verification::Verified;
            d.baseline = Some(BaselineState::New);
        } else if d.kind == Kind::Violation {
            d.verification = Verification::Flaky("1 of 3 replays".into());
            d.baseline = Some(BaselineState::Known("reported upstream".into()));
        } else {
            d.baseline = Some(BaselineState::New);
        }
    }
    let target = |name: &str, judges: &[&str], commands: &[(&str, u64)]| TargetRun {
        name: name.into(),
        sessions: 4,
        commands: commands.iter().map(|(c, n)| (c.to_string(), *n)).collect(),
        judges: judges.iter().map(|s| s.to_string()).collect(),
        oracle_judged: 10,
        oracle_total: 12,
        model: false,
        setup_error: None,
        restarts: Vec::new(),
        ..TargetRun::default()
    };
    let results = Results {
        format: FORMAT,
        tool: "imapconform 0.1.0".into(),
        run: "campaign".into(),
        profile: "rfc2060".into(),
        seed: Some(7),
        shards: Vec::new(),
        finished: "2026-11-27T06:00:00Z".into(),
        elapsed_secs: 12.5,
        targets: vec![
            target(
                "alpha",
                &["syntax", "oracle", "differential"],
                &[("SELECT", 4), ("FETCH", 3), ("NOOP", 4)],
            ),
            target(
                "beta",
                &["syntax", "differential"],
                &[("SELECT", 4), ("NOOP", 4)],
            ),
            // Dropped before it was sent anything: nothing is exercised.
            TargetRun {
                setup_error: Some("cannot log in".into()),
                ..target("gamma", &["syntax"], &[])
            },
        ],
        findings: 3,
        distinct,
        fixed: vec![Fixed {
            id: "D000000000001".into(),
            kind: Kind::Crash,
            rule: None,
            summary: "connection dropped on STATUS".into(),
            targets: vec!["alpha".into()],
            reason: "known crash".into(),
            how: "not found again".into(),
        }],
        baseline: Some("baseline.toml".into()),
        interrupted: false,
    };
    results.write(&dir).unwrap();
    Fixture {
        dir,
        results,
        syntax_rule,
    }
}

fn run_report(args: &[&Path]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_imapconform"))
        .arg("report")
        .args(args)
        .output()
        .expect("running imapconform report")
}

/// The headless browser. Missing on a fresh Debian 12 machine, it is installed from
/// Debian's packages (as `imapconform lab up` installs the servers), so that the README's
/// test command works there; without root or apt, the test fails and says what to install.
fn browser() -> PathBuf {
    static BROWSER: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    let found = BROWSER.get_or_init(|| {
        find_browser().or_else(|| {
            let apt = |args: &[&str]| {
                Command::new("apt-get")
                    .args(args)
                    .env("DEBIAN_FRONTEND", "noninteractive")
                    .status()
                    .is_ok_and(|s| s.success())
            };
            let install = ["install", "-y", "-q", "--no-install-recommends", "chromium"];
            let _ = apt(&install) || (apt(&["update", "-q"]) && apt(&install));
            find_browser()
        })
    });
    match found {
        Some(p) => p.clone(),
        None => panic!(
            "no browser to render report.html: none of chromium, chromium-browser, google-chrome is on PATH, \
             and `apt-get install chromium` did not provide one (install it: apt-get install -y --no-install-recommends chromium)"
        ),
    }
}

fn find_browser() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        for d in std::env::split_paths(&path) {
            let p = d.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// The DOM headless Chromium builds from `page`. Its output goes to files (the DOM is
/// larger than a pipe's buffer, and the test waits with a time limit).
fn dump_dom(page: &Path, profile: &Path) -> String {
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    std::fs::create_dir_all(profile).unwrap();
    let dom_file = profile.join("dom.html");
    let err_file = profile.join("stderr.txt");
    let mut child = Command::new(browser())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--disable-dev-shm-usage",
        ])
        .arg(format!(
            "--user-data-dir={}",
            profile.join("data").display()
        ))
        .arg("--dump-dom")
        .arg(&url)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&dom_file).unwrap())
        .stderr(std::fs::File::create(&err_file).unwrap())
        .spawn()
        .expect("starting the browser");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the browser did not render {url} within 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let dom = std::fs::read_to_string(&dom_file).unwrap();
    assert!(
        status.success() && dom.contains("</html>"),
        "the browser did not render {url} ({status}): {}",
        std::fs::read_to_string(&err_file).unwrap_or_default()
    );
    dom
}

/// Values of attribute `name` (double-quoted, as Chromium serialises) in `html`.
fn attr_values(html: &str, name: &str) -> Vec<String> {
    let pat = format!(" {name}=\"");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(p) = rest.find(&pat) {
        rest = &rest[p + pat.len()..];
        let end = rest.find('"').expect("attribute value ends");
        out.push(unescape_html(&rest[..end]));
        rest = &rest[end..];
    }
    out
}

fn unescape_html(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let v = u8::from_str_radix(&s[i + 1..i + 3], 16).expect("percent escape");
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// The element `<tag ... id="id" ...>...</tag>` of `html` (tags of that name not nested).
fn element<'a>(html: &'a str, tag: &str, id: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no element with id {id}"));
    let open = html[..start].rfind(&format!("<{tag}")).unwrap();
    let close = html[start..].find(&format!("</{tag}>")).unwrap() + start;
    &html[open..close]
}

/// Every relative link of `html` leads to an existing file under `dir`.
fn check_file_links(html: &str, page_dir: &Path, dir: &Path) -> usize {
    let dir = dir.canonicalize().unwrap();
    let mut n = 0;
    for h in attr_values(html, "href") {
        if h.starts_with('#') {
            continue;
        }
        assert!(
            !h.contains("://") && !h.starts_with("//"),
            "an external link in the report: {h}"
        );
        let target = page_dir.join(percent_decode(&h));
        let target = target
            .canonicalize()
            .unwrap_or_else(|e| panic!("link {h} leads to {}: {e}", target.display()));
        assert!(target.is_file(), "link {h} is not a file");
        assert!(
            target.starts_with(&dir),
            "link {h} leaves {}",
            dir.display()
        );
        n += 1;
    }
    n
}

#[test]
fn the_report_renders_in_a_browser_with_the_matrix_links_and_diffs() {
    let f = fixture("report-html");
    let dir = &f.dir;
    let out = run_report(&[dir]);
    assert!(
        out.status.success(),
        "imapconform report failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(String::from)
        .collect();
    for name in ["report.html", "report.md", "junit.xml", "results.json"] {
        assert!(
            printed
                .iter()
                .any(|l| l.ends_with(name) && Path::new(l).is_file()),
            "{name} not printed or not written: {printed:?}"
        );
    }

    let dom = dump_dom(&dir.join("report.html"), &dir.join("browser-profile"));

    // The matrix: one column per server, in order, and cells of every state.
    let matrix = element(&dom, "table", "compliance-matrix");
    let servers: Vec<&str> = matrix
        .split("<th class=\"server\" scope=\"col\">")
        .skip(1)
        .map(|s| &s[..s.find("</th>").unwrap()])
        .collect();
    assert_eq!(servers, SERVERS, "one matrix column per server");
    let rows: Vec<&str> = matrix
        .split("<tr ")
        .skip(1)
        .filter(|r| r.contains("class=\"requirement\""))
        .collect();
    let catalogue_rows = catalogue()
        .requirements()
        .iter()
        .filter(|r| r.rfc == 2060)
        .count();
    assert_eq!(rows.len(), catalogue_rows, "a row per RFC 2060 requirement");
    let mut states: BTreeMap<&str, usize> = BTreeMap::new();
    for row in &rows {
        let cells: Vec<&str> = ["pass", "fail", "note", "not-checked", "not-exercised"]
            .into_iter()
            .flat_map(|c| {
                std::iter::repeat_n(c, row.matches(&format!("<td class=\"{c}\"")).count())
            })
            .collect();
        assert_eq!(cells.len(), SERVERS.len(), "a cell per server in {row}");
        for c in cells {
            *states.entry(c).or_default() += 1;
        }
    }
    assert!(
        states["pass"] > 0 && states["fail"] > 0 && states["not-exercised"] > 0,
        "{states:?}"
    );
    assert_eq!(
        states["fail"], 3,
        "syntax on beta, violation on alpha and beta: {states:?}"
    );
    // gamma was sent nothing: all of its column is not exercised, or not checked where
    // the judge that checks the requirement did not run on it (only syntax did).
    for row in &rows {
        let last = &row[row.rfind("<td class=").unwrap()..];
        assert!(
            last.starts_with("<td class=\"not-exercised\"")
                || last.starts_with("<td class=\"not-checked\""),
            "gamma: {row}"
        );
    }
    assert!(states["not-checked"] > 0, "{states:?}");
    // A failing cell shows the severity and the reason, not an id.
    let fail_cell = &rows
        .iter()
        .find(|r| r.contains(&format!("req-{}", f.syntax_rule)))
        .unwrap();
    assert!(
        fail_cell.contains(">syntax</a>: resp-text &lt;broken&gt;"),
        "{fail_cell}"
    );
    assert!(
        !matrix.contains(">fail D"),
        "no bare ids in cells: {matrix}"
    );

    // The first screen: per server, its failed requirements with their level and a
    // one-line reason, before the run's details and the matrix.
    let glance = element(&dom, "table", "failed-by-server");
    assert!(
        dom.find("id=\"failed-by-server\"").unwrap()
            < dom.find("id=\"compliance-matrix\"").unwrap()
    );
    let glance_rows: Vec<&str> = glance.split("<tr ").skip(1).collect();
    let level_of = |rule: &str| catalogue().get(rule).unwrap().level_label();
    let beta: Vec<&&str> = glance_rows
        .iter()
        .filter(|r| r.contains("data-server=\"beta\""))
        .collect();
    assert_eq!(beta.len(), 2, "beta's syntax and violation: {glance}");
    assert!(
        beta[0].contains(&format!(
            "<td class=\"level\">{}</td>",
            level_of(&f.syntax_rule)
        )) && beta[0].contains(">syntax</a>")
            && beta[0].contains("resp-text &lt;broken&gt;"),
        "worst first, with level and reason: {}",
        beta[0]
    );
    let fetch_rule = f
        .results
        .distinct
        .iter()
        .find(|d| d.kind == Kind::Violation)
        .unwrap()
        .rule
        .clone()
        .unwrap();
    assert!(
        beta[1].contains(&format!(
            "<td class=\"level\">{}</td>",
            level_of(&fetch_rule)
        )) && beta[1].contains("RFC822.SIZE of message 1 differs"),
        "{}",
        beta[1]
    );
    let alpha: Vec<&&str> = glance_rows
        .iter()
        .filter(|r| r.contains("data-server=\"alpha\""))
        .collect();
    assert_eq!(alpha.len(), 1, "{glance}");
    let gamma: Vec<&&str> = glance_rows
        .iter()
        .filter(|r| r.contains("data-server=\"gamma\""))
        .collect();
    assert_eq!(gamma.len(), 1, "{glance}");
    assert!(
        gamma[0].contains("no failed requirement"),
        "a divergence is not a failed requirement: {}",
        gamma[0]
    );
    // The syntax requirement's row: beta fails and links to the finding; alpha passes.
    let syntax_id = &f
        .results
        .distinct
        .iter()
        .find(|d| d.kind == Kind::Syntax)
        .unwrap()
        .id;
    let row = element(&dom, "tr", &format!("req-{}", f.syntax_rule));
    assert!(
        row.contains("<td class=\"fail\"") && row.contains(&format!("href=\"#{syntax_id}\"")),
        "{row}"
    );
    assert!(row.contains("<td class=\"pass\""), "{row}");

    // Every in-page link has its target in the DOM.
    let ids: BTreeSet<String> = attr_values(&dom, "id").into_iter().collect();
    let fragments: Vec<String> = attr_values(&dom, "href")
        .into_iter()
        .filter_map(|h| h.strip_prefix('#').map(String::from))
        .collect();
    assert!(fragments.len() >= 3 + catalogue_rows);
    for frag in &fragments {
        assert!(
            ids.contains(frag),
            "href=\"#{frag}\" has no element with that id"
        );
    }
    for d in &f.results.distinct {
        assert!(ids.contains(&d.id), "no section for {}", d.id);
    }
    // Every file link leads to a file in DIR.
    assert!(check_file_links(&dom, dir, dir) >= 3);

    // The finding with a minimal case embeds it, escaped; the syntax finding's diff
    // between servers shows beta's SELECT answer against gamma's.
    let syntax = element(&dom, "section", syntax_id);
    assert!(
        syntax.contains("# imapconform case v1"),
        "minimal case embedded"
    );
    assert!(
        syntax.contains("* OK beta ready &lt;&amp;&gt;"),
        "case text escaped"
    );
    assert!(
        syntax.contains("resp-text &lt;broken&gt; &amp;"),
        "summary escaped"
    );
    assert!(syntax.contains("verified") && syntax.contains("new"));
    assert!(
        syntax.contains("-a2 OK [READ-WRITE] Select done"),
        "{syntax}"
    );
    assert!(
        syntax.contains("+a2 NO [TRYCREATE] no such mailbox"),
        "{syntax}"
    );
    assert!(
        syntax.contains("+a2 OK [READ-WRITE] SELECT completed"),
        "against alpha"
    );
    // The divergence shows the judge's diff.
    let div_id = &f
        .results
        .distinct
        .iter()
        .find(|d| d.kind == Kind::Divergence)
        .unwrap()
        .id;
    let div = element(&dom, "section", div_id);
    assert!(div.contains("+&lt;tag&gt; NO [TRYCREATE]"), "{div}");
    let viol_id = &f
        .results
        .distinct
        .iter()
        .find(|d| d.kind == Kind::Violation)
        .unwrap()
        .id;
    let viol = element(&dom, "section", viol_id);
    assert!(viol.contains("flaky (1 of 3 replays)") && viol.contains("known (reported upstream)"));
    assert!(
        dom.contains("connection dropped on STATUS"),
        "the fixed list"
    );
    assert!(
        dom.contains("2 new, 1 known, 1 fixed"),
        "the header's baseline counts"
    );

    // junit.xml: well-formed, a suite per server with counts that match its cases.
    let xml = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    check_well_formed(&xml).unwrap_or_else(|e| panic!("junit.xml is not well-formed: {e}"));
    assert_eq!(xml.matches("<testsuite ").count(), 3);
    for suite in xml.split("<testsuite ").skip(1) {
        let cases = suite.matches("<testcase ").count();
        let failures = suite.matches("<failure ").count();
        let skipped = suite.matches("<skipped ").count();
        assert_eq!(cases, catalogue_rows);
        let head = &suite[..suite.find('>').unwrap()];
        assert!(
            head.contains(&format!(
                "tests=\"{cases}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\""
            )),
            "{head}"
        );
    }
    assert!(!xml.contains('\u{7}'), "control characters replaced");

    // report.md: the table of new findings (the known violation is not in it).
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.contains("| kind | targets | rule | command | count | verification | summary |"));
    assert!(
        md.contains(&format!(
            "| syntax | beta | `{}` | SELECT | 1 | verified, new |",
            f.syntax_rule
        )),
        "{md}"
    );
    assert!(
        md.contains("| divergence | gamma | — | SELECT | 1 |"),
        "{md}"
    );
    assert!(
        !md.contains("| violation |"),
        "known findings are not in the table"
    );
    assert!(md.contains("**2 new**, 1 known, 1 fixed"));

    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn reports_written_elsewhere_link_back_to_the_cases_and_bad_directories_exit_2() {
    let f = fixture("report-out");
    let out_dir = f.dir.join("elsewhere/reports");
    let out = run_report(&[&f.dir, Path::new("--out"), &out_dir]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    assert!(html.contains("href=\"../../cases/7.1-beta.min.imap\""));
    assert!(check_file_links(&html, &out_dir, &f.dir) >= 3);

    // Without results.json, the findings are enough.
    std::fs::remove_file(f.dir.join("results.json")).unwrap();
    let mut lines = String::new();
    for d in &f.results.distinct {
        let e = &d.examples[0];
        let finding = Finding {
            id: e.id.clone(),
            target: d.targets[0].clone(),
            targets: d.targets.clone(),
            kind: d.kind,
            rule: d.rule.clone(),
            quote: None,
            summary: d.summary.clone(),
            command: e.command.clone(),
            expected: e.expected.clone(),
            observed: e.observed.clone(),
            case: e.case.clone(),
            cases: e.cases.clone(),
            seed: 7,
            session: e.session,
            step: e.step,
            cause: None,
        };
        lines.push_str(&serde_json::to_string(&finding).unwrap());
        lines.push('\n');
    }
    std::fs::write(f.dir.join("findings.jsonl"), lines).unwrap();
    let out = run_report(&[&f.dir]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("no results.json"));
    let r = Results::read(&f.dir).unwrap();
    assert_eq!(r.distinct.len(), 3);
    let names: Vec<&str> = r.targets.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["beta", "alpha", "gamma"]);

    // A malformed results.json, a missing directory, a directory that holds neither.
    std::fs::write(f.dir.join("results.json"), "{ not json").unwrap();
    let out = run_report(&[&f.dir]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("results.json: not a results file"), "{err}");
    let missing = f.dir.join("no-such-dir");
    let out = run_report(&[&missing]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("findings directory") && err.contains("no-such-dir"),
        "{err}"
    );
    let out = run_report(&[&f.dir.join("cases")]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not a findings directory"), "{err}");
    let out = run_report(&[&f.dir.join("cases/7.1-beta.imap")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a directory"));

    std::fs::remove_dir_all(&f.dir).unwrap();
}

/// A minimal XML 1.0 well-formedness check: one root element, tags properly nested,
/// attributes quoted and not repeated, only the predefined entities and character
/// references, no `<` or `&` loose in text, only characters of the `Char` production.
fn check_well_formed(xml: &str) -> Result<(), String> {
    let is_char = |c: char| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..);
    if let Some(c) = xml.chars().find(|&c| !is_char(c)) {
        return Err(format!("character U+{:04X} is not allowed", c as u32));
    }
    let check_text = |t: &str| -> Result<(), String> {
        let mut rest = t;
        while let Some(p) = rest.find('&') {
            let end = rest[p..].find(';').ok_or("unterminated reference")? + p;
            let name = &rest[p + 1..end];
            let ok = matches!(name, "amp" | "lt" | "gt" | "quot" | "apos")
                || name
                    .strip_prefix("#x")
                    .is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
                || name
                    .strip_prefix('#')
                    .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()));
            if !ok {
                return Err(format!("bad reference &{name};"));
            }
            rest = &rest[end + 1..];
        }
        if t.contains('>') && t.contains("]]>") {
            return Err("]]> in text".into());
        }
        Ok(())
    };
    let mut rest = xml;
    if let Some(r) = rest.strip_prefix("<?xml") {
        rest = &r[r.find("?>").ok_or("unterminated XML declaration")? + 2..];
    }
    let mut stack: Vec<String> = Vec::new();
    let mut roots = 0;
    loop {
        let Some(lt) = rest.find('<') else {
            if !rest.trim().is_empty() && stack.is_empty() {
                return Err("text after the root element".into());
            }
            check_text(rest)?;
            break;
        };
        let text = &rest[..lt];
        if stack.is_empty() && !text.trim().is_empty() {
            return Err(format!("text outside the root element: {text:?}"));
        }
        check_text(text)?;
        rest = &rest[lt..];
        let gt = tag_end(rest).ok_or("unterminated tag")?;
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack.pop().ok_or(format!("</{name}> closes nothing"))?;
            if open != name.trim() {
                return Err(format!("<{open}> closed by </{name}>"));
            }
            continue;
        }
        let empty = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let name_end = tag.find(|c: char| c.is_whitespace()).unwrap_or(tag.len());
        let name = &tag[..name_end];
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.:".contains(c))
        {
            return Err(format!("bad element name {name:?}"));
        }
        let mut attrs = BTreeSet::new();
        let mut a = tag[name_end..].trim_start();
        while !a.is_empty() {
            let eq = a
                .find('=')
                .ok_or(format!("attribute without value in <{name}>"))?;
            let aname = a[..eq].trim();
            if !attrs.insert(aname.to_string()) {
                return Err(format!("attribute {aname} repeated in <{name}>"));
            }
            let v = a[eq + 1..].trim_start();
            let q = v.chars().next().ok_or("attribute value missing")?;
            if q != '"' && q != '\'' {
                return Err(format!("unquoted attribute {aname} in <{name}>"));
            }
            let close = v[1..].find(q).ok_or("unterminated attribute value")? + 1;
            let value = &v[1..close];
            if value.contains('<') {
                return Err(format!("< in attribute {aname}"));
            }
            check_text(value)?;
            a = v[close + 1..].trim_start();
        }
        if stack.is_empty() {
            roots += 1;
        }
        if !empty {
            stack.push(name.to_string());
        }
    }
    if let Some(open) = stack.pop() {
        return Err(format!("<{open}> is not closed"));
    }
    if roots != 1 {
        return Err(format!("{roots} root elements"));
    }
    Ok(())
}

/// The index of the `>` that ends the tag `s` starts with (not one inside a quoted value).
fn tag_end(s: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

#[test]
fn the_well_formedness_check_rejects_what_it_must() {
    assert!(
        check_well_formed("<?xml version=\"1.0\"?>\n<a x=\"1\"><b/>t &amp; &#10;</a>\n").is_ok()
    );
    for bad in [
        "<a><b></a></b>",
        "<a x=1/>",
        "<a>&nbsp;</a>",
        "<a>\u{1}</a>",
        "<a/><b/>",
        "<a x=\"1\" x=\"2\"/>",
        "<a>",
        "<a> & </a>",
    ] {
        assert!(check_well_formed(bad).is_err(), "{bad:?} accepted");
    }
}
