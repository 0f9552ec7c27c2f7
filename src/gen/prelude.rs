//! The non-authenticated prelude: commands a session now and then sends before it logs
//! in, to see how the server takes AUTHENTICATE exchanges that cannot succeed (RFC 2060
//! §6.2.1): cancelled with `*` at some step, answered with text that is not base64 (in an
//! answer or in the initial response of RFC 4959), or naming a mechanism no server offers;
//! CAPABILITY and NOOP between them.
//!
//! No prelude command carries a pool user's credentials, and none a complete set of
//! made-up ones: a wrong password costs seconds on real servers, while cancels and bad
//! base64 fail at once. The prelude of a session depends only on the campaign seed and the
//! session index, so a campaign is reproducible; it is recorded in the setup of the case
//! (tags [`TAG_PREFIX`]`1`, `2`, ...) and replayed from there.

use arbitrary::Unstructured;

use super::entropy::{chance, int, pick, SplitMix64, CHUNK_BYTES};
use super::syntax::CommandText;
use crate::model::sasl::encode_base64;
use crate::wire::Message;

/// One session in this many gets a prelude.
pub const PRELUDE_ONE_IN: u32 = 16;

/// The first letter of a prelude command's tag.
pub const TAG_PREFIX: &str = "p";

/// Keeps the prelude's stream apart from the session's own.
const PRELUDE_SALT: u64 = 0x0a17_4e17_1ca7_e5a1;

/// A user name no pool has (the LOGIN mechanism's first answer).
const NOBODY: &str = "imapconform-nobody";

/// Answers that are not RFC 3501 §9 `base64`: characters outside the alphabet, a length
/// that is not a multiple of four, `=` before the end, too much padding.
pub const BAD_BASE64: &[&str] = &[
    "AGlt*YXBj",
    "not base64!",
    "AGltYXBj=",
    "=AAA",
    "AAA=BBBB",
    "YQ===",
    "AGlt YXBj",
    "AGltYXB",
];

/// Whether a command tag is a prelude's (`p1`, `p2`, ...).
pub fn is_prelude_tag(tag: &[u8]) -> bool {
    tag.strip_prefix(TAG_PREFIX.as_bytes())
        .is_some_and(|n| !n.is_empty() && n.iter().all(u8::is_ascii_digit))
}

/// The prelude of session `index` of campaign `seed`: empty in all but about one session
/// in [`PRELUDE_ONE_IN`].
pub fn prelude(seed: u64, index: u64) -> Vec<Message> {
    let mut stream = SplitMix64::for_session(seed ^ PRELUDE_SALT, index);
    let mut chunk = [0u8; CHUNK_BYTES];
    stream.fill(&mut chunk);
    let u = &mut Unstructured::new(&chunk);
    if !chance(u, 1, PRELUDE_ONE_IN) {
        return Vec::new();
    }
    draw_prelude(u)
}

/// A prelude drawn from `u`: one to four commands, at least one an AUTHENTICATE.
pub fn draw_prelude(u: &mut Unstructured) -> Vec<Message> {
    let n = int(u, 1, 4) as usize;
    let mut out = Vec::with_capacity(n);
    let mut authenticated = false;
    for i in 0..n {
        let tag = format!("{TAG_PREFIX}{}", i + 1);
        let last = i + 1 == n;
        let between = !last || authenticated;
        out.push(if between && chance(u, 1, 3) {
            let mut c = CommandText::new(&tag);
            let verb: &&str = pick(u, &["CAPABILITY", "NOOP"]);
            c.raw(verb);
            c.finish()
        } else {
            authenticated = true;
            authenticate(u, &tag)
        });
    }
    out
}

/// The mechanism name in one of its spellings (RFC 2060 §9: case-insensitive).
fn spelled(u: &mut Unstructured, name: &str) -> String {
    match int(u, 0, 3) {
        0 => name.to_ascii_lowercase(),
        1 => name
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i % 2 == 1 {
                    c.to_ascii_lowercase()
                } else {
                    c
                }
            })
            .collect(),
        _ => name.to_string(),
    }
}

/// One AUTHENTICATE exchange that cannot log in.
fn authenticate(u: &mut Unstructured, tag: &str) -> Message {
    let mut c = CommandText::new(tag);
    c.raw("AUTHENTICATE ");
    let bad = *pick(u, BAD_BASE64);
    match int(u, 0, 7) {
        // PLAIN, cancelled at its only challenge.
        0 => {
            c.raw(&spelled(u, "PLAIN")).answer("*");
        }
        // LOGIN, cancelled at the user name or at the password.
        1 => {
            c.raw(&spelled(u, "LOGIN"));
            if chance(u, 1, 2) {
                c.answer(&encode_base64(NOBODY.as_bytes()));
            }
            c.answer("*");
        }
        // LOGIN with the user name as initial response (RFC 4959), cancelled at the
        // password.
        2 => {
            c.raw(&spelled(u, "LOGIN"))
                .raw(" ")
                .raw(&encode_base64(NOBODY.as_bytes()))
                .answer("*");
        }
        // PLAIN answered with text that is not base64.
        3 => {
            c.raw(&spelled(u, "PLAIN")).answer(bad);
        }
        // LOGIN answered with text that is not base64, at either step.
        4 => {
            c.raw(&spelled(u, "LOGIN"));
            if chance(u, 1, 2) {
                c.answer(&encode_base64(NOBODY.as_bytes()));
            }
            c.answer(bad);
        }
        // An initial response that is not base64 (RFC 4959). Spaces would make it two
        // arguments; those are left to the answers.
        5 => {
            let bad = if bad.contains(' ') { "AGlt*YXBj" } else { bad };
            let mechanism = *pick(u, &["PLAIN", "LOGIN"]);
            c.raw(&spelled(u, mechanism)).raw(" ").raw(bad);
        }
        // A mechanism no server offers: RFC 2060 §6.2.1 "SHOULD ... NO".
        _ => {
            let mechanism: &&str = pick(u, &["X-UNKNOWN-MECH", "x-imapconform-none"]);
            c.raw(mechanism);
        }
    }
    c.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::sasl::{authenticate_line, decode_base64};
    use crate::wire::Fragment;

    #[test]
    fn about_one_session_in_sixteen_has_a_prelude_and_it_is_reproducible() {
        let with: Vec<u64> = (0..1600).filter(|&i| !prelude(7, i).is_empty()).collect();
        assert!((60..=140).contains(&with.len()), "{}", with.len());
        for &i in &with[..5] {
            assert_eq!(prelude(7, i), prelude(7, i));
        }
        assert_ne!(
            (0..1600)
                .filter(|&i| !prelude(8, i).is_empty())
                .collect::<Vec<_>>(),
            with
        );
    }

    #[test]
    fn every_prelude_authenticates_without_credentials_and_covers_every_form() {
        let mut forms = std::collections::BTreeSet::new();
        for i in 0..4000 {
            let p = prelude(3, i);
            if p.is_empty() {
                continue;
            }
            assert!(p.iter().any(crate::drive::is_authenticate));
            for (k, m) in p.iter().enumerate() {
                assert_eq!(m.tag(), format!("p{}", k + 1).as_bytes());
                assert!(is_prelude_tag(m.tag()));
                let Some(a) = authenticate_line(m.first_line()) else {
                    continue;
                };
                let answers: Vec<&[u8]> = m.fragments[1..]
                    .iter()
                    .map(|f| match f {
                        Fragment::Line(l) => crate::wire::strip_eol(l),
                        Fragment::Literal(_) => panic!("no literal in AUTHENTICATE"),
                    })
                    .collect();
                let cancel = answers.last() == Some(&&b"*"[..]);
                let bad_answer = answers
                    .iter()
                    .any(|a| *a != b"*" && decode_base64(a).is_none());
                let bad_initial = a
                    .initial
                    .as_deref()
                    .is_some_and(|i| decode_base64(i).is_none());
                let unknown = !a.mechanism.eq_ignore_ascii_case(b"PLAIN")
                    && !a.mechanism.eq_ignore_ascii_case(b"LOGIN");
                assert!(
                    cancel || bad_answer || bad_initial || unknown,
                    "{:?}",
                    String::from_utf8_lossy(&m.to_bytes())
                );
                // Never a complete set of credentials: PLAIN's message never goes.
                for d in answers.iter().filter_map(|a| decode_base64(a)) {
                    assert!(!d.contains(&0), "no PLAIN message is sent");
                }
                forms.insert((
                    cancel,
                    bad_answer,
                    bad_initial,
                    unknown,
                    a.initial.is_some(),
                ));
            }
        }
        for want in [
            (true, false, false, false, false),
            (true, false, false, false, true),
            (false, true, false, false, false),
            (false, false, true, false, true),
            (false, false, false, true, false),
        ] {
            assert!(forms.contains(&want), "{want:?} in {forms:?}");
        }
        assert!(!is_prelude_tag(b"p") && !is_prelude_tag(b"s1") && !is_prelude_tag(b"px"));
    }
}
