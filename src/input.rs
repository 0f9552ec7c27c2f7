//! Reading the files a user hands the tool (targets, case, baseline, mix files) with
//! one clear message for each way that can fail: missing, a directory, too large, not
//! UTF-8 (with the line and column of the first bad byte).

use std::io::Read;
use std::path::Path;

/// The largest targets, baseline or mix file read (they are a few kilobytes).
pub const CONFIG_LIMIT: u64 = 16 << 20;

/// The largest case file read (a session's messages are at most 64 MiB each, escaped).
pub const CASE_LIMIT: u64 = 1 << 30;

/// Reads `path` as UTF-8 text of at most `limit` bytes. `what` names the file in the
/// message ("targets file", "case file"): `what PATH: problem`.
pub fn read_text(path: &Path, what: &str, limit: u64) -> Result<String, String> {
    let at = || format!("{what} {}", path.display());
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {}", at(), io_problem(&e)))?;
    if meta.is_dir() {
        return Err(format!("{}: is a directory, not a file", at()));
    }
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {}", at(), io_problem(&e)))?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{}: {}", at(), io_problem(&e)))?;
    if bytes.len() as u64 > limit {
        return Err(format!(
            "{}: larger than {} MiB, too large to be one",
            at(),
            limit >> 20
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let bad = e.utf8_error().valid_up_to();
        let line = bytes[..bad].iter().filter(|&&b| b == b'\n').count() + 1;
        let column = bad
            - bytes[..bad]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1)
            + 1;
        let binary = bytes.iter().take(4096).any(|&b| b == 0);
        format!(
            "{}: line {line}: column {column}: not UTF-8 text (byte 0x{:02X}){}",
            at(),
            bytes[bad],
            if binary { "; is it a binary file?" } else { "" }
        )
    })
}

/// A TOML syntax or type error on one line: `line N: what` (the line from the error's
/// span; toml's own message may spread over several lines).
pub fn toml_error(text: &str, e: &toml::de::Error) -> String {
    let what = one_line(e.message());
    match e.span() {
        Some(span) => format!("line {}: {what}", line_of(text, span.start)),
        None => what,
    }
}

/// The 1-based line of byte offset `at` in `text`.
pub fn line_of(text: &str, at: usize) -> usize {
    text.as_bytes()[..at.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// A message's lines joined into one (`a; b`), blank lines dropped.
pub fn one_line(msg: &str) -> String {
    msg.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// An I/O error as a short phrase, without the `(os error N)` tail.
fn io_problem(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("imapconform-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    #[test]
    fn toml_errors_are_one_line_with_the_line_number() {
        let text = "a = 1\nb = [\n";
        let e = toml::from_str::<toml::Table>(text).unwrap_err();
        let m = toml_error(text, &e);
        assert!(m.starts_with("line 3: "), "{m}");
        assert!(!m.contains('\n'), "{m}");
    }

    #[test]
    fn reads_text() {
        let p = scratch("ok.txt", b"a\nb\n");
        assert_eq!(read_text(&p, "file", CONFIG_LIMIT).unwrap(), "a\nb\n");
    }

    #[test]
    fn a_file_above_the_limit_is_refused_without_reading_it_all() {
        let e = read_text(Path::new("/dev/zero"), "targets file", 1 << 20).unwrap_err();
        assert_eq!(
            e,
            "targets file /dev/zero: larger than 1 MiB, too large to be one"
        );
    }

    #[test]
    fn a_missing_file_and_a_directory_are_named() {
        let e = read_text(
            Path::new("/nonexistent/x.toml"),
            "targets file",
            CONFIG_LIMIT,
        )
        .unwrap_err();
        assert_eq!(e, "targets file /nonexistent/x.toml: no such file");
        let e = read_text(&std::env::temp_dir(), "case file", CASE_LIMIT).unwrap_err();
        assert!(e.ends_with("is a directory, not a file"), "{e}");
    }

    #[test]
    fn bytes_that_are_not_utf8_are_placed_by_line_and_column() {
        let p = scratch("latin1.toml", b"name = \"a\"\nuser = \"m\xfcller\"\n");
        let e = read_text(&p, "targets file", CONFIG_LIMIT).unwrap_err();
        assert!(
            e.ends_with("line 2: column 10: not UTF-8 text (byte 0xFC)"),
            "{e}"
        );
        let p = scratch("bin", b"\x00\x01\xff\xfe");
        let e = read_text(&p, "case file", CASE_LIMIT).unwrap_err();
        assert!(
            e.contains("line 1: column 3") && e.contains("binary"),
            "{e}"
        );
    }
}
