//! Links from a report to the case files of its findings directory.
//!
//! Case paths in findings are relative to the findings directory (`cases/…imap`). A
//! report written into that directory links to them as they are; a report written
//! elsewhere (`imapconform report DIR --out OUTDIR`) links through a relative prefix from
//! OUTDIR to DIR, so the reports and the cases can be moved together.

use std::path::{Component, Path};

/// The prefix (ending in `/`, or empty) that turns a path relative to `dir` into one
/// relative to `out`. Both directories must exist. Falls back to `dir`'s absolute path
/// when no relative path exists.
pub fn prefix(out: &Path, dir: &Path) -> String {
    let (Ok(out), Ok(dir)) = (out.canonicalize(), dir.canonicalize()) else {
        return format!("{}/", dir.display());
    };
    if out == dir {
        return String::new();
    }
    let o: Vec<Component> = out.components().collect();
    let d: Vec<Component> = dir.components().collect();
    let common = o.iter().zip(&d).take_while(|(a, b)| a == b).count();
    let mut s = String::new();
    for _ in common..o.len() {
        s.push_str("../");
    }
    for c in &d[common..] {
        s.push_str(&c.as_os_str().to_string_lossy());
        s.push('/');
    }
    s
}

/// A URL path for `prefix` + `path`: each byte outside the unreserved set and `/` is
/// percent-encoded (RFC 3986 §2.1), so a case name with spaces or `#` still links.
pub fn href(prefix: &str, path: &str) -> String {
    let mut out = String::new();
    for b in prefix.bytes().chain(path.bytes()) {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_go_up_to_the_common_directory_and_down_to_the_findings() {
        let base = std::env::temp_dir().join(format!("imapconform-links-{}", std::process::id()));
        let dir = base.join("run");
        let out = base.join("reports/today");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::create_dir_all(&out).unwrap();
        assert_eq!(prefix(&dir, &dir), "");
        assert_eq!(prefix(&out, &dir), "../../run/");
        assert_eq!(
            href("../run/", "cases/a b#1.imap"),
            "../run/cases/a%20b%231.imap"
        );
        std::fs::remove_dir_all(&base).unwrap();
    }
}
