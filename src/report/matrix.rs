//! The compliance matrix: for every requirement of the catalogue and every target of a
//! run, whether the run showed the target breaking it, checked it without finding a
//! fault, or did not exercise it (issue 5 §5, "Reports").
//!
//! Columns are the targets of [`Results::targets`], in order. Rows are the requirements of
//! [`crate::catalogue`], grouped by section in RFC order: the RFC 2060 entries, and the
//! RFC 3501 entries too (with the few RFC 9051 STARTTLS entries) when the run held servers
//! to the `rfc3501` profile.
//!
//! A cell is
//! - [`Cell::Fail`] when a distinct finding that is not a note, whose `rule` is the
//!   requirement's id, holds for the target (any kind, known to a baseline or not);
//! - [`Cell::Note`] when only notes ([`Kind::Note`], never a failure) cite the
//!   requirement for the target;
//! - [`Cell::NotChecked`] when no judge that ran on the target checks the requirement
//!   (the requirement has no `check`, or its judge did not run there);
//! - [`Cell::Pass`] when that judge ran and the requirement was exercised: for a
//!   command's section (RFC 2060 §6.1.1 to §6.5.1, and the RFC 3501 sections of the same
//!   commands) the target was sent that command at least once ([`section_command`]); for
//!   any other section the target was sent some command;
//! - [`Cell::NotExercised`] otherwise: exactly when no command the requirement concerns
//!   was sent to the target. [`Row::notes`] says why, for a tooltip.

use crate::catalogue::{Catalogue, Requirement};
use crate::judge::Kind;

use super::results::{Results, TargetRun};

/// The state of one requirement for one target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    /// Checked, and nothing found.
    Pass,
    /// Broken: the ids of the distinct findings that show it.
    Fail(Vec<String>),
    /// Only notes cite it (never a failure): their ids.
    Note(Vec<String>),
    /// No judge that ran on this target checks it.
    NotChecked,
    /// Its judge ran, but no command it concerns was sent to this target.
    NotExercised,
}

impl Cell {
    /// `pass`, `fail`, `note`, `not-checked` or `not-exercised`: the CSS class.
    pub fn label(&self) -> &'static str {
        match self {
            Cell::Pass => "pass",
            Cell::Fail(_) => "fail",
            Cell::Note(_) => "note",
            Cell::NotChecked => "not-checked",
            Cell::NotExercised => "not-exercised",
        }
    }
}

/// One requirement: a cell and a one-line note per target.
#[derive(Clone, Debug)]
pub struct Row<'a> {
    pub requirement: &'a Requirement,
    /// One per target, in the order of [`Matrix::targets`].
    pub cells: Vec<Cell>,
    /// Why each cell is what it is (`checked by oracle; 12 FETCH commands sent`, `not
    /// checked: ...`), one per target.
    pub notes: Vec<String>,
}

/// The rows of one section of one RFC.
#[derive(Clone, Debug)]
pub struct SectionRows<'a> {
    pub rfc: u32,
    pub section: &'a str,
    pub title: &'a str,
    pub rows: Vec<Row<'a>>,
}

/// Counts of one target's cells.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub pass: usize,
    pub fail: usize,
    pub note: usize,
    pub not_checked: usize,
    pub not_exercised: usize,
}

impl Tally {
    /// Every cell.
    pub fn total(&self) -> usize {
        self.pass + self.fail + self.note + self.not_checked + self.not_exercised
    }

    /// Cells that say nothing about the server: not checked or not exercised.
    pub fn skipped(&self) -> usize {
        self.not_checked + self.not_exercised
    }
}

/// The matrix of one run.
#[derive(Clone, Debug)]
pub struct Matrix<'a> {
    /// Target names: the columns.
    pub targets: Vec<String>,
    pub sections: Vec<SectionRows<'a>>,
}

/// What a target must have been sent for a requirement of a command's section to count
/// as exercised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    /// This command ([`super::distinct::command_shape`] names).
    Command(&'static str),
    /// Some `UID <command>` (RFC 2060 §6.4.8).
    Uid,
    /// Some experimental command, `X<atom>` (RFC 2060 §6.5.1).
    Experimental,
    /// One of these commands: those whose answers carry the response a section of §7
    /// describes (FETCH responses come from FETCH and UID FETCH).
    AnyOf(&'static [&'static str]),
}

/// The command a section of RFC `rfc` describes, from the section list of
/// `rfc/rfc2060.txt` (and `rfc/rfc3501.txt`, which inserted STARTTLS as §6.2.1 and so
/// moved AUTHENTICATE and LOGIN one down), or the commands whose answers carry the
/// response a section of §7 describes (RFC 2060 §7.2.2 LIST to §7.2.5 SEARCH, §7.4.2
/// FETCH); `None` for a section that is not one command's.
pub fn section_command(rfc: u32, section: &str) -> Option<Needs> {
    use Needs::Command as C;
    let n = match (rfc, section) {
        (_, "6.1.1") => C("CAPABILITY"),
        (_, "6.1.2") => C("NOOP"),
        (_, "6.1.3") => C("LOGOUT"),
        (2060, "6.2.1") => C("AUTHENTICATE"),
        (2060, "6.2.2") => C("LOGIN"),
        (3501 | 9051, "6.2.1") => C("STARTTLS"),
        (3501, "6.2.2") => C("AUTHENTICATE"),
        (3501, "6.2.3") => C("LOGIN"),
        (_, "6.3.1") => C("SELECT"),
        (_, "6.3.2") => C("EXAMINE"),
        (_, "6.3.3") => C("CREATE"),
        (_, "6.3.4") => C("DELETE"),
        (_, "6.3.5") => C("RENAME"),
        (_, "6.3.6") => C("SUBSCRIBE"),
        (_, "6.3.7") => C("UNSUBSCRIBE"),
        (_, "6.3.8") => C("LIST"),
        (_, "6.3.9") => C("LSUB"),
        (_, "6.3.10") => C("STATUS"),
        (_, "6.3.11") => C("APPEND"),
        (_, "6.4.1") => C("CHECK"),
        (_, "6.4.2") => C("CLOSE"),
        (_, "6.4.3") => C("EXPUNGE"),
        (_, "6.4.4") => C("SEARCH"),
        (_, "6.4.5") => C("FETCH"),
        (_, "6.4.6") => C("STORE"),
        (_, "6.4.7") => C("COPY"),
        (_, "6.4.8") => Needs::Uid,
        (_, "6.5.1") => Needs::Experimental,
        // The responses of one command (or its UID form).
        (_, "7.2.2") => Needs::AnyOf(&["LIST"]),
        (_, "7.2.3") => Needs::AnyOf(&["LSUB"]),
        (_, "7.2.4") => Needs::AnyOf(&["STATUS"]),
        (_, "7.2.5") => Needs::AnyOf(&["SEARCH", "UID SEARCH"]),
        (_, "7.4.2") => Needs::AnyOf(&["FETCH", "UID FETCH"]),
        _ => return None,
    };
    Some(n)
}

impl Needs {
    /// How many commands the target was sent that exercise the section.
    fn sent(self, t: &TargetRun) -> u64 {
        t.commands
            .iter()
            .filter(|(name, _)| match self {
                Needs::Command(c) => name.as_str() == c,
                Needs::Uid => name.starts_with("UID "),
                Needs::Experimental => name.starts_with('X'),
                Needs::AnyOf(names) => names.contains(&name.as_str()),
            })
            .map(|(_, n)| *n)
            .sum()
    }

    fn describe(self) -> String {
        match self {
            Needs::Command(c) => c.to_string(),
            Needs::Uid => "UID".to_string(),
            Needs::Experimental => "X<atom>".to_string(),
            Needs::AnyOf(names) => names.join(" or "),
        }
    }
}

impl<'a> Matrix<'a> {
    /// The matrix of `results` over `catalogue` (see the module documentation).
    pub fn compute(results: &Results, catalogue: &'a Catalogue) -> Matrix<'a> {
        let with_3501 = results.profile == "rfc3501";
        let targets: Vec<String> = results.targets.iter().map(|t| t.name.clone()).collect();
        let sections = catalogue
            .by_section()
            .into_iter()
            .filter(|s| s.rfc == 2060 || (with_3501 && matches!(s.rfc, 3501 | 9051)))
            .map(|s| SectionRows {
                rfc: s.rfc,
                section: s.section,
                title: s.title,
                rows: s.requirements.iter().map(|&r| row(results, r)).collect(),
            })
            .collect();
        Matrix { targets, sections }
    }

    /// Every row, section by section.
    pub fn rows(&self) -> impl Iterator<Item = &Row<'a>> {
        self.sections.iter().flat_map(|s| s.rows.iter())
    }

    /// The counts of target `i`'s cells.
    pub fn tally(&self, i: usize) -> Tally {
        let mut t = Tally::default();
        for r in self.rows() {
            match r.cells.get(i) {
                Some(Cell::Pass) => t.pass += 1,
                Some(Cell::Fail(_)) => t.fail += 1,
                Some(Cell::Note(_)) => t.note += 1,
                Some(Cell::NotChecked) => t.not_checked += 1,
                Some(Cell::NotExercised) | None => t.not_exercised += 1,
            }
        }
        t
    }
}

/// One requirement's cells and notes.
fn row<'a>(results: &Results, r: &'a Requirement) -> Row<'a> {
    let mut cells = Vec::with_capacity(results.targets.len());
    let mut notes = Vec::with_capacity(results.targets.len());
    for t in &results.targets {
        let citing: Vec<&super::distinct::DistinctFinding> = results
            .distinct
            .iter()
            .filter(|d| d.rule.as_deref() == Some(r.id.as_str()) && d.targets.contains(&t.name))
            .collect();
        let describe = |found: &[&super::distinct::DistinctFinding]| {
            found
                .iter()
                .map(|d| format!("{} ({}): {}", d.id, d.kind, d.summary))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let ids = |found: &[&super::distinct::DistinctFinding]| -> Vec<String> {
            found.iter().map(|d| d.id.clone()).collect()
        };
        // A note (a finding that cites a descriptive sentence) breaks nothing: it has a
        // cell of its own, never a failing one.
        let (notes_only, failing): (Vec<_>, Vec<_>) =
            citing.into_iter().partition(|d| d.kind == Kind::Note);
        let (cell, note) = if !failing.is_empty() {
            (Cell::Fail(ids(&failing)), describe(&failing))
        } else if !notes_only.is_empty() {
            (Cell::Note(ids(&notes_only)), describe(&notes_only))
        } else {
            exercised(r, t)
        };
        cells.push(cell);
        notes.push(note);
    }
    Row {
        requirement: r,
        cells,
        notes,
    }
}

/// Pass or not exercised, for a requirement nothing was found against on target `t`.
fn exercised(r: &Requirement, t: &TargetRun) -> (Cell, String) {
    let Some(judge) = r.check.as_deref() else {
        return (Cell::NotChecked, r.status());
    };
    if !t.judges.iter().any(|j| j == judge) {
        return (
            Cell::NotChecked,
            format!("not checked: the {judge} judge did not run on {}", t.name),
        );
    }
    match section_command(r.rfc, &r.section) {
        Some(needs) => match needs.sent(t) {
            0 => (
                Cell::NotExercised,
                format!(
                    "not exercised: no {} command was sent to {}",
                    needs.describe(),
                    t.name
                ),
            ),
            n => (
                Cell::Pass,
                format!("checked by {judge}; {n} {} commands sent", needs.describe()),
            ),
        },
        None => match t.commands.values().sum::<u64>() {
            0 => (
                Cell::NotExercised,
                format!("not exercised: no command was sent to {}", t.name),
            ),
            n => (Cell::Pass, format!("checked by {judge}; {n} commands sent")),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::catalogue::catalogue;
    use crate::judge::Kind;
    use crate::report::distinct::dedup;
    use crate::report::results::FORMAT;
    use crate::report::Finding;

    fn target(name: &str, judges: &[&str], commands: &[(&str, u64)]) -> TargetRun {
        TargetRun {
            name: name.into(),
            sessions: 1,
            commands: commands
                .iter()
                .map(|(c, n)| (c.to_string(), *n))
                .collect::<BTreeMap<_, _>>(),
            judges: judges.iter().map(|s| s.to_string()).collect(),
            ..TargetRun::default()
        }
    }

    fn finding(rule: &str, targets: &[&str]) -> Finding {
        Finding {
            id: "1.1.0".into(),
            target: targets[0].into(),
            targets: targets.iter().map(|s| s.to_string()).collect(),
            kind: Kind::Violation,
            rule: Some(rule.into()),
            quote: None,
            summary: "s".into(),
            command: "a1 FETCH 1 FLAGS\\r\\n".into(),
            expected: String::new(),
            observed: String::new(),
            case: "cases/1.imap".into(),
            cases: BTreeMap::new(),
            seed: 1,
            session: 1,
            step: Some(0),
            cause: None,
        }
    }

    fn results(targets: Vec<TargetRun>, findings: &[Finding], profile: &str) -> Results {
        Results {
            format: FORMAT,
            profile: profile.into(),
            targets,
            distinct: dedup(findings),
            ..Results::default()
        }
    }

    /// A checked requirement of a command's section, and its judge.
    fn checked_in(section: &str) -> &'static Requirement {
        catalogue()
            .requirements()
            .iter()
            .find(|r| r.rfc == 2060 && r.section == section && r.check.is_some())
            .unwrap_or_else(|| panic!("no checked requirement in §{section}"))
    }

    fn cell<'m>(m: &'m Matrix<'_>, id: &str, target: usize) -> &'m Cell {
        &m.rows()
            .find(|r| r.requirement.id == id)
            .unwrap_or_else(|| panic!("{id} not in the matrix"))
            .cells[target]
    }

    #[test]
    fn a_finding_against_a_requirement_fails_only_the_targets_it_holds_for() {
        let fetch = checked_in("6.4.5");
        let judge = fetch.check.as_deref().unwrap();
        let r = results(
            vec![
                target("a", &[judge], &[("FETCH", 3)]),
                target("b", &[judge], &[("FETCH", 3)]),
            ],
            &[finding(&fetch.id, &["a"])],
            "rfc2060",
        );
        let m = Matrix::compute(&r, catalogue());
        assert_eq!(m.targets, ["a", "b"]);
        assert_eq!(
            cell(&m, &fetch.id, 0),
            &Cell::Fail(vec![r.distinct[0].id.clone()])
        );
        assert_eq!(cell(&m, &fetch.id, 1), &Cell::Pass);
    }

    #[test]
    fn a_note_against_a_descriptive_sentence_fails_no_cell() {
        let mut note = finding("2060-2.2.2-ok-no-bad", &["a"]);
        note.kind = Kind::Note;
        let r = results(
            vec![target("a", &["mutation"], &[("STATUS", 1)])],
            &[note],
            "rfc2060",
        );
        let m = Matrix::compute(&r, catalogue());
        assert!(!matches!(
            cell(&m, "2060-2.2.2-ok-no-bad", 0),
            Cell::Fail(_)
        ));
    }

    #[test]
    fn a_command_section_passes_only_when_that_command_was_sent_and_its_judge_ran() {
        let select = checked_in("6.3.1");
        let judge = select.check.as_deref().unwrap();
        let r = results(
            vec![
                target("sent", &[judge], &[("SELECT", 1)]),
                target("not-sent", &[judge], &[("FETCH", 9), ("SELECT", 0)]),
                target("no-judge", &[], &[("SELECT", 4)]),
            ],
            &[],
            "rfc2060",
        );
        let m = Matrix::compute(&r, catalogue());
        assert_eq!(cell(&m, &select.id, 0), &Cell::Pass);
        assert_eq!(cell(&m, &select.id, 1), &Cell::NotExercised);
        assert_eq!(cell(&m, &select.id, 2), &Cell::NotChecked);
        let row = m.rows().find(|r| r.requirement.id == select.id).unwrap();
        assert!(
            row.notes[1].contains("no SELECT command"),
            "{}",
            row.notes[1]
        );
        assert!(row.notes[2].contains("did not run"), "{}", row.notes[2]);
    }

    #[test]
    fn not_exercised_means_no_command_it_concerns_was_sent_and_nothing_else() {
        // The judge ran and FETCH was sent, but no SELECT: SELECT's requirement is not
        // exercised. A judge that did not run leaves it not checked, whatever was sent.
        let select = checked_in("6.3.1");
        let judge = select.check.as_deref().unwrap();
        let r = results(
            vec![
                target("no-select", &[judge], &[("FETCH", 2)]),
                target("no-judge", &["other"], &[("SELECT", 2)]),
            ],
            &[],
            "rfc2060",
        );
        let m = Matrix::compute(&r, catalogue());
        assert_eq!(cell(&m, &select.id, 0), &Cell::NotExercised);
        assert_eq!(cell(&m, &select.id, 1), &Cell::NotChecked);
        for row in m.rows() {
            for (i, c) in row.cells.iter().enumerate() {
                if *c == Cell::NotExercised {
                    assert!(
                        row.notes[i].starts_with("not exercised: no "),
                        "{}: {}",
                        row.requirement.id,
                        row.notes[i]
                    );
                }
            }
        }
    }

    #[test]
    fn a_response_section_is_exercised_only_by_the_commands_that_answer_with_it() {
        let fetch_response = catalogue()
            .requirements()
            .iter()
            .find(|r| r.rfc == 2060 && r.section == "7.4.2" && r.check.is_some())
            .unwrap();
        let judge = fetch_response.check.as_deref().unwrap();
        let r = results(
            vec![
                target("uid-fetch", &[judge], &[("UID FETCH", 1)]),
                target("no-fetch", &[judge], &[("SELECT", 5), ("NOOP", 2)]),
            ],
            &[],
            "rfc2060",
        );
        let m = Matrix::compute(&r, catalogue());
        assert_eq!(cell(&m, &fetch_response.id, 0), &Cell::Pass);
        assert_eq!(cell(&m, &fetch_response.id, 1), &Cell::NotExercised);
    }

    #[test]
    fn a_note_is_never_a_failing_cell() {
        let fetch = checked_in("6.4.5");
        let judge = fetch.check.as_deref().unwrap();
        let mut note = finding(&fetch.id, &["a"]);
        note.kind = Kind::Note;
        let r = results(
            vec![target("a", &[judge], &[("FETCH", 3)])],
            &[note.clone()],
            "rfc2060",
        );
        let m = Matrix::compute(&r, catalogue());
        assert!(matches!(cell(&m, &fetch.id, 0), Cell::Note(_)));
        assert_eq!(m.tally(0).fail, 0);
        assert_eq!(m.tally(0).note, 1);
        // With a failure too, the cell fails.
        let mut fail = finding(&fetch.id, &["a"]);
        fail.session = 2;
        fail.summary = "other".into();
        let r = results(r.targets.clone(), &[note, fail], "rfc2060");
        let m = Matrix::compute(&r, catalogue());
        assert!(matches!(cell(&m, &fetch.id, 0), Cell::Fail(ids) if ids.len() == 1));
    }

    #[test]
    fn uid_section_is_exercised_by_any_uid_command() {
        let uid = checked_in("6.4.8");
        let judge = uid.check.as_deref().unwrap();
        let r = results(
            vec![
                target("a", &[judge], &[("UID FETCH", 2)]),
                target("b", &[judge], &[("FETCH", 2)]),
            ],
            &[],
            "rfc2060",
        );
        let m = Matrix::compute(&r, catalogue());
        assert_eq!(cell(&m, &uid.id, 0), &Cell::Pass);
        assert_eq!(cell(&m, &uid.id, 1), &Cell::NotExercised);
    }

    #[test]
    fn other_sections_are_exercised_by_any_command() {
        let syntax = checked_in("9");
        let judge = syntax.check.as_deref().unwrap();
        let r = results(
            vec![
                target("a", &[judge], &[("NOOP", 1)]),
                target("b", &[judge], &[]),
            ],
            &[],
            "rfc2060",
        );
        let m = Matrix::compute(&r, catalogue());
        assert_eq!(cell(&m, &syntax.id, 0), &Cell::Pass);
        assert_eq!(cell(&m, &syntax.id, 1), &Cell::NotExercised);
    }

    #[test]
    fn an_unchecked_requirement_is_never_pass_and_its_note_says_not_checked() {
        let unchecked = catalogue()
            .requirements()
            .iter()
            .find(|r| r.rfc == 2060 && r.check.is_none())
            .unwrap();
        let all: Vec<&str> = crate::catalogue::JUDGES.to_vec();
        let r = results(
            vec![target(
                "a",
                &all,
                &[("NOOP", 1), ("SELECT", 1), ("LOGIN", 1)],
            )],
            &[],
            "rfc2060",
        );
        let m = Matrix::compute(&r, catalogue());
        let row = m.rows().find(|r| r.requirement.id == unchecked.id).unwrap();
        assert_eq!(row.cells[0], Cell::NotChecked);
        assert!(row.notes[0].starts_with("not checked"), "{}", row.notes[0]);
        // Unless a finding shows it broken after all.
        let r = results(
            r.targets.clone(),
            &[finding(&unchecked.id, &["a"])],
            "rfc2060",
        );
        let m = Matrix::compute(&r, catalogue());
        assert!(matches!(cell(&m, &unchecked.id, 0), Cell::Fail(_)));
    }

    #[test]
    fn rows_are_the_rfc2060_sections_in_order_and_rfc3501_only_under_its_profile() {
        let r = results(vec![target("a", &[], &[])], &[], "rfc2060");
        let m = Matrix::compute(&r, catalogue());
        assert!(m.sections.iter().all(|s| s.rfc == 2060));
        let n2060 = catalogue()
            .requirements()
            .iter()
            .filter(|r| r.rfc == 2060)
            .count();
        assert_eq!(m.rows().count(), n2060);
        let pos = |sec: &str| m.sections.iter().position(|s| s.section == sec).unwrap();
        assert!(pos("6.3.9") < pos("6.3.10"), "sections sorted by number");
        assert_eq!(m.sections[pos("6.3.1")].title, "SELECT");
        assert_eq!(m.tally(0).not_exercised + m.tally(0).not_checked, n2060);
        assert_eq!(m.tally(0).total(), n2060);

        let r = results(vec![target("a", &[], &[])], &[], "rfc3501");
        let m = Matrix::compute(&r, catalogue());
        assert_eq!(m.rows().count(), catalogue().requirements().len());
        assert!(m.sections.iter().any(|s| s.rfc == 3501));
    }

    #[test]
    fn every_command_section_of_the_catalogue_names_the_command_of_its_title() {
        // The catalogue's titles are the RFC's headings with "Command" dropped: the map
        // above agrees with them for both RFCs.
        for s in catalogue().by_section() {
            match section_command(s.rfc, s.section) {
                Some(Needs::Command(c)) => assert_eq!(c, s.title, "RFC {} §{}", s.rfc, s.section),
                Some(Needs::Uid) => assert_eq!(s.title, "UID"),
                Some(Needs::Experimental) => assert_eq!(s.title, "X<atom>"),
                Some(Needs::AnyOf(names)) => {
                    assert_eq!(format!("{} Response", names[0]), s.title, "§{}", s.section)
                }
                None => assert!(
                    s.section.matches('.').count() < 2 || !s.section.starts_with("6."),
                    "RFC {} §{} ({}) has no command",
                    s.rfc,
                    s.section,
                    s.title
                ),
            }
        }
    }
}
