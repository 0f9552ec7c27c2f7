//! PLACEHOLDER until the judge branch merges: the agreed interface only.
use crate::wire::Transcript;

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Warning,
    Divergence,
    Violation,
    Syntax,
    Timeout,
    Crash,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub kind: Kind,
    pub targets: Vec<String>,
    pub step: Option<usize>,
    pub rule: Option<String>,
    pub summary: String,
    pub expected: String,
    pub observed: String,
}
pub fn judge_syntax(_target: &str, _t: &Transcript) -> Vec<Verdict> {
    Vec::new()
}
pub fn judge_end(_target: &str, _t: &Transcript) -> Vec<Verdict> {
    Vec::new()
}
pub fn judge_differential(_runs: &[(&str, &Transcript)]) -> Vec<Verdict> {
    Vec::new()
}
