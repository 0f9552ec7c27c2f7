//! The truth corpus (`corpus/truth/`): hand-checked cases, each labelled with every verdict
//! the judges must give on it and the false verdicts they once gave. Judged offline, as a
//! campaign judges a session with its one target; any change of verdict fails, with the
//! verdicts given now printed as `# expect:` lines.

use std::path::PathBuf;

use imapconform::truth::{corpus_files, describe, TruthCase};

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus/truth")
}

#[test]
fn every_truth_case_gives_exactly_its_labelled_verdicts() {
    let files = corpus_files(&corpus()).expect("corpus/truth is readable");
    assert!(
        files.len() >= 10,
        "the truth corpus holds only {} cases",
        files.len()
    );
    let mut changed = Vec::new();
    for f in &files {
        let t = TruthCase::load(f).unwrap_or_else(|e| panic!("{e:#}"));
        let o = t.check().unwrap_or_else(|e| panic!("{e:#}"));
        if !o.holds() {
            changed.push(describe(&t, &o));
        }
    }
    assert!(
        changed.is_empty(),
        "{} of {} truth cases changed verdict:\n{}",
        changed.len(),
        files.len(),
        changed.join("\n")
    );
}

/// The corpus keeps both sides: cases whose server is wrong (a verdict expected) and
/// cases that once gave a false verdict (a `never` line), so that precision and recall
/// are both held.
#[test]
fn the_corpus_holds_true_findings_and_false_ones() {
    let cases: Vec<TruthCase> = corpus_files(&corpus())
        .unwrap()
        .iter()
        .map(|f| TruthCase::load(f).unwrap_or_else(|e| panic!("{e:#}")))
        .collect();
    let with_expect = cases.iter().filter(|c| !c.expect.is_empty()).count();
    let with_never = cases.iter().filter(|c| !c.never.is_empty()).count();
    assert!(with_expect >= 5, "{with_expect} cases expect a verdict");
    assert!(with_never >= 5, "{with_never} cases hold a false verdict");
}
