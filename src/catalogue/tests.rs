use super::*;
use std::collections::HashSet;

const RFC2060: &str = include_str!("../../rfc/rfc2060.txt");
const RFC3501: &str = include_str!("../../rfc/rfc3501.txt");
const RFC9051: &str = include_str!("../../rfc/rfc9051.txt");

/// Every Rust source file under src/, except this one, as text.
fn sources() -> String {
    fn walk(dir: &std::path::Path, out: &mut String) {
        for e in std::fs::read_dir(dir).expect("src/ reads").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("catalogue.rs") {
                out.push_str(&std::fs::read_to_string(&p).expect("source reads"));
            }
        }
    }
    let mut out = String::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut out,
    );
    out
}

/// An entry that says the oracle, the end-of-session judge or the mutation judge checks
/// it is cited by that judge's code (by its id), and every id the code cites is in the catalogue.
/// Syntax entries are checked by the strict decoder as a whole (`judge::syntax`).
#[test]
fn every_checked_requirement_is_cited_by_code_and_every_cited_id_exists() {
    let src = sources();
    let cat = catalogue();
    let uncited: Vec<&str> = cat
        .requirements()
        .iter()
        .filter(|r| {
            matches!(
                r.check.as_deref(),
                Some(
                    "oracle"
                        | "end"
                        | "tags"
                        | "mutation"
                        | "starttls"
                        | "capabilities"
                        | "eight-bit"
                        | "metamorphic"
                        | "autologout"
                        | "read-only"
                )
            )
        })
        .filter(|r| !src.contains(&format!("\"{}\"", r.id)))
        .map(|r| r.id.as_str())
        .collect();
    assert!(
        uncited.is_empty(),
        "checked but cited by no code: {uncited:?}"
    );
    let mut unknown = Vec::new();
    let mut rest = src.as_str();
    while let Some(i) = rest
        .find("\"2060-")
        .or_else(|| rest.find("\"3501-"))
        .or_else(|| rest.find("\"9051-"))
    {
        let tail = &rest[i + 1..];
        let end = tail.find('"').unwrap_or(0);
        let id = &tail[..end];
        let is_id = id.len() > 7
            && id.as_bytes().get(5).is_some_and(u8::is_ascii_digit)
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
        if is_id && id.contains('-') && cat.get(id).is_none() && !id.ends_with('-') {
            unknown.push(id.to_string());
        }
        rest = &tail[end..];
    }
    assert!(
        unknown.is_empty(),
        "ids cited by code but not in the catalogue: {unknown:?}"
    );
}

fn rfc_text(rfc: u32) -> &'static str {
    match rfc {
        2060 => RFC2060,
        3501 => RFC3501,
        9051 => RFC9051,
        n => panic!("no text for RFC {n}"),
    }
}

#[test]
fn parses_and_ids_are_unique_and_well_formed() {
    let cat = catalogue();
    assert!(cat.requirements().len() > 150);
    let mut seen = HashSet::new();
    for r in cat.requirements() {
        assert!(seen.insert(&r.id), "duplicate id {}", r.id);
        assert!(
            matches!(r.rfc, 2060 | 3501 | 9051),
            "{}: rfc must be 2060, 3501 or 9051",
            r.id
        );
        let prefix = format!("{}-{}-", r.rfc, r.section.to_lowercase());
        let slug =
            r.id.strip_prefix(&prefix)
                .unwrap_or_else(|| panic!("{}: id must start with {prefix:?}", r.id));
        assert!(
            !slug.is_empty()
                && slug
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !slug.starts_with('-')
                && !slug.ends_with('-')
                && !slug.contains("--"),
            "{}: slug must be lowercase letters, digits and single hyphens",
            r.id
        );
        assert_eq!(r.id, r.id.to_lowercase(), "{}", r.id);
        assert!(!r.title.is_empty() && !r.quote.is_empty(), "{}", r.id);
        assert_eq!(cat.get(&r.id).map(|x| &x.id), Some(&r.id));
    }
    assert!(cat.get("no-such-id").is_none());
}

#[test]
fn exactly_one_of_check_and_not_checked() {
    for r in catalogue().requirements() {
        match (&r.check, &r.not_checked) {
            (Some(c), None) => assert!(
                JUDGES.contains(&c.as_str()),
                "{}: unknown judge {c:?} (one of {JUDGES:?})",
                r.id
            ),
            (None, Some(reason)) => {
                assert!(reason.trim().len() > 5, "{}: give a reason", r.id)
            }
            _ => panic!("{}: needs exactly one of `check` and `not_checked`", r.id),
        }
    }
}

#[test]
fn every_quote_is_verbatim_in_its_rfc() {
    let texts: HashMap<u32, String> = [2060, 3501, 9051]
        .into_iter()
        .map(|n| (n, collapse(&strip_page_breaks(rfc_text(n)).join(" "))))
        .collect();
    let mut missing = Vec::new();
    for r in catalogue().requirements() {
        if !texts[&r.rfc].contains(&collapse(&r.quote)) {
            missing.push(format!("{}: {:?}", r.id, r.quote));
        }
    }
    assert!(
        missing.is_empty(),
        "quotes not in the RFC text:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_quote_is_in_the_section_it_cites_and_titles_match() {
    let secs: HashMap<u32, HashMap<String, (String, String)>> = [2060, 3501, 9051]
        .into_iter()
        .map(|n| (n, sections(rfc_text(n))))
        .collect();
    for r in catalogue().requirements() {
        let (title, text) = secs[&r.rfc]
            .get(&r.section)
            .unwrap_or_else(|| panic!("{}: RFC {} has no section {}", r.id, r.rfc, r.section));
        assert!(
            text.contains(&collapse(&r.quote)),
            "{}: quote is not in RFC {} §{}",
            r.id,
            r.rfc,
            r.section
        );
        assert_eq!(
            title.strip_suffix(" Command").unwrap_or(title),
            r.title,
            "{}: title of RFC {} §{}",
            r.id,
            r.rfc,
            r.section
        );
    }
}

#[test]
fn page_breaks_are_stripped() {
    let lines = strip_page_breaks(RFC2060);
    assert!(!lines.iter().any(|l| l.contains("[Page ")));
    assert!(!lines.iter().any(|l| l.starts_with("RFC 2060 ")));
    // A sentence interrupted by a page break reads whole again (RFC 2060 §6.3.5).
    let text = collapse(&lines.join(" "));
    assert!(text.contains("It is an error to attempt to rename from a mailbox name"));
    assert!(!collapse(RFC2060).contains("It is an error to attempt to rename from a mailbox name"));
}

#[test]
fn replaces_names_an_existing_2060_entry() {
    let cat = catalogue();
    for r in cat.requirements() {
        if let Some(old) = &r.replaces {
            assert_eq!(r.rfc, 3501, "{}: only RFC 3501 entries replace", r.id);
            let o = cat
                .get(old)
                .unwrap_or_else(|| panic!("{}: replaces unknown {old}", r.id));
            assert_eq!(o.rfc, 2060, "{}: replaces a non-2060 entry {old}", r.id);
        }
    }
}

#[test]
fn sections_are_ordered_and_counted() {
    let cat = catalogue();
    let secs = cat.by_section();
    assert_eq!(
        secs.iter().map(|s| s.requirements.len()).sum::<usize>(),
        cat.requirements().len()
    );
    let first_3501 = secs.iter().position(|s| s.rfc == 3501).unwrap();
    assert!(secs[..first_3501].iter().all(|s| s.rfc == 2060));
    let pos = |sec: &str| {
        secs.iter()
            .position(|s| s.rfc == 2060 && s.section == sec)
            .unwrap()
    };
    assert!(pos("6.3.9") < pos("6.3.10"));
    assert!(pos("7.5") < pos("9"));
    let select = &secs[pos("6.3.1")];
    assert_eq!(select.title, "SELECT");
    assert!(select.count(Level::Must) >= 3 && select.checked() > 0);
    let (checked, total) = cat.absolute_coverage(2060);
    assert!(total > 50 && checked <= total);
}

/// Number of "Example:"/"Examples:" blocks of RFC 2060 that show C: or S: lines.
fn example_blocks(text: &str) -> usize {
    let lines = strip_page_breaks(text);
    let mut count = 0;
    let mut i = 0;
    while i < lines.len() {
        let t = lines[i].trim_start();
        let label = ["Example:", "Examples:"]
            .into_iter()
            .find(|l| t.starts_with(l));
        let Some(label) = label else {
            i += 1;
            continue;
        };
        let indent = lines[i].len() - t.len();
        let first = t[label.len()..].trim_start();
        let mut shows = first.starts_with("C:") || first.starts_with("S:");
        i += 1;
        while i < lines.len() {
            let l = lines[i];
            let lt = l.trim_start();
            if !lt.is_empty() && l.len() - lt.len() <= indent {
                break;
            }
            shows |= lt.starts_with("C:") || lt.starts_with("S:");
            i += 1;
        }
        count += usize::from(shows);
    }
    count
}

#[test]
fn examples_are_well_formed_and_complete() {
    let ex = examples();
    for e in ex {
        assert!(!e.lines.is_empty(), "§{}: no lines", e.section);
        for l in &e.lines {
            assert!(
                l.starts_with("C: ") || l.starts_with("S: "),
                "§{}: {l:?} does not start with \"C: \" or \"S: \"",
                e.section
            );
        }
        assert!(e
            .independent_from
            .iter()
            .all(|&i| i > 0 && i < e.lines.len()));
    }
    let blocks = example_blocks(RFC2060);
    assert_eq!(
        blocks, 41,
        "RFC 2060 has 41 example blocks with C:/S: lines"
    );
    assert_eq!(ex.iter().filter(|e| !e.sample).count(), blocks);
    let samples: Vec<_> = ex.iter().filter(|e| e.sample).collect();
    assert_eq!(samples.len(), 1);
    assert_eq!(samples[0].section, "8");
    // Every example's section exists and its title matches the heading.
    let secs = sections(RFC2060);
    for e in ex {
        let (title, _) = &secs[&e.section];
        assert_eq!(title.strip_suffix(" Command").unwrap_or(title), e.title);
    }
}

#[test]
fn changes_file_names_existing_entries() {
    let text = include_str!("../../rfc/rfc3501-changes.md");
    let cat = catalogue();
    let mut numbers = Vec::new();
    for line in text.lines().filter(|l| l.starts_with("| ")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let Ok(n) = cells[1].parse::<u32>() else {
            continue;
        };
        numbers.push(n);
        for word in cells[4].split([',', ' ']) {
            if word.starts_with("2060-") || word.starts_with("3501-") {
                assert!(cat.get(word).is_some(), "change {n}: no entry {word}");
            }
        }
    }
    // RFC 3501 Appendix B lists 114 changes, one line each.
    assert_eq!(numbers, (1..=114).collect::<Vec<_>>());
}
