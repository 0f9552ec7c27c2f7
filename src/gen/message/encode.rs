//! Encodings a drawn message uses: RFC 2045 §6.8 base64 and §6.7 quoted-printable
//! bodies, RFC 2047 §4 encoded words ("B" and "Q") in header fields.

use arbitrary::Unstructured;

use crate::gen::entropy::int;

/// RFC 2047 §4 encoded word for `text`: `=?UTF-8?B?...?=`, `=?ISO-8859-1?Q?...?=` or
/// `=?UTF-8?Q?...?=`.
pub fn encoded_word(u: &mut Unstructured, text: &str) -> String {
    match int(u, 0, 2) {
        0 => format!("=?UTF-8?B?{}?=", base64(text.as_bytes())),
        1 => {
            // Every text in ACCENTED is within ISO-8859-1, whose code points are the
            // first 256 of Unicode.
            let latin1: Vec<u8> = text.chars().map(|c| c as u32 as u8).collect();
            format!("=?ISO-8859-1?Q?{}?=", q_encode(&latin1))
        }
        _ => format!("=?utf-8?q?{}?=", q_encode(text.as_bytes())),
    }
}

/// RFC 2047 §4.2 "Q" encoding: SPACE as `_`, letters and digits as themselves, every
/// other octet as `=XX`.
pub(super) fn q_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for &b in bytes {
        match b {
            b' ' => out.push('_'),
            b if b.is_ascii_alphanumeric() => out.push(b as char),
            b => out.push_str(&format!("={b:02X}")),
        }
    }
    out
}

/// RFC 2045 §6.7 quoted-printable of CRLF-separated lines: octets above 126, `=` and
/// control characters as `=XX` (rule 1), a space or tab before a line end encoded
/// (rule 3), lines cut with a soft line break `=` CRLF so that none exceeds 76
/// characters (rule 5), never inside an escape.
pub fn quoted_printable(text: &str) -> String {
    let mut out = String::new();
    let lines: Vec<&str> = text.split("\r\n").collect();
    for (n, line) in lines.iter().enumerate() {
        let bytes = line.as_bytes();
        let mut width = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let last = i + 1 == bytes.len();
            let escape = b == b'='
                || b > 126
                || (b < 32 && b != b'\t')
                || (last && (b == b' ' || b == b'\t'));
            let piece = if escape {
                format!("={b:02X}")
            } else {
                (b as char).to_string()
            };
            if width + piece.len() > 75 {
                out.push_str("=\r\n");
                width = 0;
            }
            width += piece.len();
            out.push_str(&piece);
        }
        if n + 1 < lines.len() {
            out.push_str("\r\n");
        }
    }
    out
}

/// RFC 2045 §6.8 base64 (short inputs only: no line breaking needed below 57 octets,
/// and longer inputs are wrapped at 76 characters).
pub(super) fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for (i, chunk) in data.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            out.push_str("\r\n");
        }
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
