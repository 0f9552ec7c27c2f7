//! Deliberately broken commands, each labelled with what RFC 2060 requires of the server
//! that receives it.
//!
//! Every operator writes one complete command as the server's framing reads it: a literal
//! is always followed by the octets it announced, and the line ends in CRLF, so that the
//! session stays in step whatever the server makes of the command. What is broken is the
//! grammar inside (RFC 2060 §9), or a limit the grammar does not set (length, nesting).
//!
//! The label ([`Label`]) says what answer the RFC requires ([`Expect`]), which requirement
//! of `rfc/requirements.toml` requires it, and which grammar rule the command breaks.
//! `judge::mutation` holds each server's answer to the label.

use arbitrary::Unstructured;

use super::entropy::pick;
use crate::wire::{Fragment, Message};

/// A mutation operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operator {
    /// A command name no RFC defines.
    UnknownCommand,
    /// A literal announced one octet shorter than the argument it carries, so the last
    /// octet follows the literal where CRLF or SP must.
    LiteralShort,
    /// A literal announced one octet longer: it swallows the CR, and a bare LF follows.
    LiteralLong,
    /// A bare CR inside an atom.
    BareCr,
    /// A line ended by LF alone (then an empty CRLF line, so that no server waits).
    BareLf,
    /// A NUL octet inside a quoted string.
    Nul,
    /// 8-bit octets (UTF-8) inside a quoted string.
    EightBit,
    /// A backslash before a character other than `"` and `\` in a quoted string.
    BadEscape,
    /// Message sequence number 0.
    ZeroNumber,
    /// A message sequence number of 2^32, beyond the 32-bit numbers of RFC 2060 §9.
    HugeNumber,
    /// A tag of 1,000 octets.
    OverlongTag,
    /// A 9,000-octet LIST pattern: a line longer than the 8,000 octets RFC 2683 §3.2.1.5
    /// asks servers to accept.
    OverlongLine,
    /// A search key nested in 200 parentheses.
    DeepNesting,
    /// A mailbox name with LIST wildcards in it.
    WildcardName,
    /// A mailbox name whose modified UTF-7 (RFC 2060 §5.1.3) is not closed by `-`.
    BrokenMutf7,
    /// A non-synchronizing literal `{n+}` (RFC 2088 LITERAL+) sent to a server that did
    /// not advertise LITERAL+: `LIST "" {n+}` whose literal is itself a command line
    /// (`<tag>z NOOP`), so that a server that reads the first line as an error then reads
    /// the literal as a command, and the session stays in step either way. Judged only
    /// where the server did not advertise LITERAL+ ([`Operator::unless_advertised`]).
    LiteralPlusUnadvertised,
}

/// What the RFC requires of the answer to a mutated command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// RFC 2060 §2.2.2: a syntax error is answered BAD. NO calls a protocol error a
    /// failure of a valid command (a violation); OK carries out a command the grammar
    /// does not allow (a warning: lenient, not proven harmful).
    Bad,
    /// The command cannot be carried out as sent: BAD or NO. OK is a violation.
    Refused,
    /// BAD or NO; OK is a warning (the server read the command some other way than the
    /// grammar, which is not proven harmful).
    BadOrNo,
    /// Valid grammar or no rule either way: any completion (or an untagged BAD, or BYE),
    /// and the connection must go on answering (RFC 2060 §2.2.1).
    Answered,
}

/// What a mutated command is, and what its answer must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Label {
    pub operator: Operator,
    pub expect: Expect,
    /// The requirement (catalogue id) the answer is judged by.
    pub requires: &'static str,
    /// The RFC 2060 §9 rule the command breaks (catalogue id), if it breaks one.
    pub breaks: Option<&'static str>,
}

/// RFC 2060 §2.2.2: "BAD (indicating protocol error such as unrecognized command or
/// command syntax error)".
pub const BAD_FOR_PROTOCOL_ERROR: &str = "2060-2.2.2-ok-no-bad";
/// RFC 2060 §2.2.1: the server "parses the command and its arguments, and transmits server
/// data and a server command completion result response".
pub const COMPLETION_RESULT: &str = "2060-2.2.1-completion-result";

impl Operator {
    pub const ALL: [Operator; 16] = [
        Operator::UnknownCommand,
        Operator::LiteralShort,
        Operator::LiteralLong,
        Operator::BareCr,
        Operator::BareLf,
        Operator::Nul,
        Operator::EightBit,
        Operator::BadEscape,
        Operator::ZeroNumber,
        Operator::HugeNumber,
        Operator::OverlongTag,
        Operator::OverlongLine,
        Operator::DeepNesting,
        Operator::WildcardName,
        Operator::BrokenMutf7,
        Operator::LiteralPlusUnadvertised,
    ];

    /// The name used in case files and findings.
    pub fn name(self) -> &'static str {
        match self {
            Operator::UnknownCommand => "unknown-command",
            Operator::LiteralShort => "literal-short",
            Operator::LiteralLong => "literal-long",
            Operator::BareCr => "bare-cr",
            Operator::BareLf => "bare-lf",
            Operator::Nul => "nul",
            Operator::EightBit => "eight-bit",
            Operator::BadEscape => "bad-escape",
            Operator::ZeroNumber => "zero-number",
            Operator::HugeNumber => "huge-number",
            Operator::OverlongTag => "overlong-tag",
            Operator::OverlongLine => "overlong-line",
            Operator::DeepNesting => "deep-nesting",
            Operator::WildcardName => "wildcard-name",
            Operator::BrokenMutf7 => "broken-mutf7",
            Operator::LiteralPlusUnadvertised => "literal-plus-unadvertised",
        }
    }

    pub fn from_name(name: &str) -> Option<Operator> {
        Operator::ALL.into_iter().find(|o| o.name() == name)
    }

    /// Whether the operator writes a selected-state command (RFC 2060 §6.4), which is
    /// only drawn while a mailbox is selected, so that the state is not what is wrong.
    pub fn needs_selection(self) -> bool {
        matches!(
            self,
            Operator::ZeroNumber | Operator::HugeNumber | Operator::DeepNesting
        )
    }

    /// The capability under which the command is valid: where the server advertised it,
    /// the answer is not judged against the label.
    pub fn unless_advertised(self) -> Option<&'static str> {
        match self {
            Operator::LiteralPlusUnadvertised => Some("LITERAL+"),
            _ => None,
        }
    }

    /// What the RFC requires of the answer.
    pub fn label(self) -> Label {
        use Expect::*;
        let (expect, requires, breaks) = match self {
            Operator::UnknownCommand => (Bad, BAD_FOR_PROTOCOL_ERROR, None),
            // RFC 2060 §9 `literal ::= "{" number "}" CRLF *CHAR8`, "Number represents the
            // number of CHAR8 octets": what follows the literal must be SP or CRLF.
            Operator::LiteralShort => (Bad, BAD_FOR_PROTOCOL_ERROR, Some("2060-9-literal")),
            // Read by the count, a bare LF follows the literal; read by lines, STATUS
            // lacks its attribute list. Either way a syntax error.
            Operator::LiteralLong => (Bad, BAD_FOR_PROTOCOL_ERROR, Some("2060-9-literal")),
            // RFC 2060 §9: CR is a CTL, which ATOM_CHAR excludes.
            Operator::BareCr => (Bad, BAD_FOR_PROTOCOL_ERROR, Some("2060-9-atom-char")),
            // RFC 2060 §9 `CRLF ::= CR LF`; many servers accept LF alone, which the RFC
            // neither requires nor forbids of a receiver.
            Operator::BareLf => (Answered, COMPLETION_RESULT, Some("2060-9-crlf")),
            // RFC 2060 §9 `CHAR ::= <any 7-bit US-ASCII character except NUL, ...>`.
            Operator::Nul => (Bad, BAD_FOR_PROTOCOL_ERROR, Some("2060-9-char")),
            // RFC 2060 §4.3: a quoted string is 7-bit. A server that reads UTF-8 (as RFC
            // 6855 servers may) finds no such mailbox: NO. Never OK.
            Operator::EightBit => (
                Refused,
                BAD_FOR_PROTOCOL_ERROR,
                Some("2060-4.3-quoted-7bit"),
            ),
            // RFC 2060 §9 `QUOTED_CHAR ::= <any TEXT_CHAR except quoted_specials> / "\"
            // quoted_specials`.
            Operator::BadEscape => (Bad, BAD_FOR_PROTOCOL_ERROR, Some("2060-9-quoted-char")),
            // RFC 2060 §9 `sequence_num ::= nz_number / "*"`.
            Operator::ZeroNumber => (Bad, BAD_FOR_PROTOCOL_ERROR, Some("2060-9-nz-number")),
            // RFC 2060 §9 nz_number: "Non-zero unsigned 32-bit integer (0 < n <
            // 4,294,967,296)", a limit stated in a grammar comment only: BAD (out of the
            // grammar) or NO (no such message) are both fair.
            Operator::HugeNumber => (BadOrNo, BAD_FOR_PROTOCOL_ERROR, Some("2060-9-nz-number")),
            Operator::OverlongTag | Operator::OverlongLine | Operator::DeepNesting => {
                (Answered, COMPLETION_RESULT, None)
            }
            // RFC 2060 neither forbids these names nor requires a server to accept them.
            Operator::WildcardName | Operator::BrokenMutf7 => (Answered, COMPLETION_RESULT, None),
            // RFC 2060 §9 `literal ::= "{" number "}" CRLF *CHAR8`: `{n+}` is RFC 2088's,
            // which a server that does not advertise LITERAL+ need not read.
            Operator::LiteralPlusUnadvertised => {
                (Bad, BAD_FOR_PROTOCOL_ERROR, Some("2060-9-literal"))
            }
        };
        Label {
            operator: self,
            expect,
            requires,
            breaks,
        }
    }

    /// Writes the mutated command with `tag`. `mailbox` is a mailbox the session believes
    /// exists; `prefix` is where the session makes its mailboxes.
    pub fn write(self, u: &mut Unstructured, tag: &str, mailbox: &str, prefix: &str) -> Message {
        let fragments = match self {
            Operator::UnknownCommand => {
                // Never X...: RFC 2060 §6.5.1 leaves those to experimental commands.
                let verb = *pick(
                    u,
                    &["ZYZZYVA", "FROBNICATE INBOX", "SELECTT INBOX", "FETCH-ALL"],
                );
                line(tag, &[verb.as_bytes()])
            }
            Operator::LiteralShort | Operator::LiteralLong => {
                // A name that ends in a letter, so that the octet left over is not CRLF.
                let name = format!("{prefix}imapconformx").into_bytes();
                let n = name.len();
                let (count, data, rest) = if self == Operator::LiteralShort {
                    (
                        n - 1,
                        name[..n - 1].to_vec(),
                        [&name[n - 1..], b" (MESSAGES)"].concat(),
                    )
                } else {
                    (n + 1, [&name[..], b"\r"].concat(), b"\n".to_vec())
                };
                let mut fragments = line(tag, &[format!("STATUS {{{count}}}").as_bytes()]);
                fragments.push(Fragment::Literal(data));
                fragments.push(Fragment::Line([&rest[..], b"\r\n"].concat()));
                fragments
            }
            Operator::BareCr => status(tag, format!("{prefix}imapcon\rformx").as_bytes()),
            Operator::BareLf => vec![Fragment::Line(format!("{tag} NOOP\n\r\n").into_bytes())],
            Operator::Nul => quoted_status(tag, format!("{prefix}imapcon\0formx").as_bytes()),
            Operator::EightBit => {
                quoted_status(tag, format!("{prefix}imapconform-caf\u{e9}").as_bytes())
            }
            Operator::BadEscape => {
                // `\I` where only `\"` and `\\` are allowed; read leniently it names the
                // mailbox the session believes exists.
                let name = mailbox.replacen('I', "\\I", 1);
                let name = if name == mailbox {
                    format!("\\{mailbox}")
                } else {
                    name
                };
                quoted_status(tag, name.as_bytes())
            }
            Operator::ZeroNumber => fetch_flags(tag, pick::<&str>(u, &["0", "0:1", "1,0"])),
            Operator::HugeNumber => fetch_flags(
                tag,
                pick::<&str>(u, &["4294967296", "1:4294967296", "99999999999999999999"]),
            ),
            Operator::OverlongTag => {
                let long_tag = format!("{tag}{}", "x".repeat(1000 - tag.len().min(999)));
                line(&long_tag, &[b"NOOP"])
            }
            Operator::OverlongLine => {
                let pattern = format!("\"{prefix}{}\"", "p".repeat(9000));
                line(tag, &[b"LIST \"\" ", pattern.as_bytes()])
            }
            Operator::DeepNesting => {
                let depth = 200;
                let key = format!("{}ALL{}", "(".repeat(depth), ")".repeat(depth));
                line(tag, &[b"SEARCH ", key.as_bytes()])
            }
            Operator::WildcardName => {
                // Quoted: `*` and `%` are list_wildcards, which an atom may not hold.
                let name = *pick(u, &["imapconform*x", "imapconform%x"]);
                quoted_status(tag, format!("{prefix}{name}").as_bytes())
            }
            Operator::BrokenMutf7 => {
                // `&AOk` starts modified base64 that never ends with `-`.
                let name = *pick(u, &["imapconform-caf&AOk", "imapconform&Jjo"]);
                status(tag, format!("{prefix}{name}").as_bytes())
            }
            Operator::LiteralPlusUnadvertised => {
                let inner = format!("{tag}z NOOP").into_bytes();
                let mut fragments =
                    line(tag, &[format!("LIST \"\" {{{}+}}", inner.len()).as_bytes()]);
                fragments.push(Fragment::Literal(inner));
                fragments.push(Fragment::Line(b"\r\n".to_vec()));
                fragments
            }
        };
        Message { fragments }
    }
}

/// `tag SP parts... CRLF` as one line.
fn line(tag: &str, parts: &[&[u8]]) -> Vec<Fragment> {
    let mut l = tag.as_bytes().to_vec();
    l.push(b' ');
    for p in parts {
        l.extend_from_slice(p);
    }
    l.extend_from_slice(b"\r\n");
    vec![Fragment::Line(l)]
}

/// `tag STATUS name (MESSAGES)` with `name` written as it is (an atom, or not quite one).
fn status(tag: &str, name: &[u8]) -> Vec<Fragment> {
    line(tag, &[b"STATUS ", name, b" (MESSAGES)"])
}

/// `tag STATUS "name" (MESSAGES)` with `name` written inside the quotes as it is.
fn quoted_status(tag: &str, name: &[u8]) -> Vec<Fragment> {
    line(tag, &[b"STATUS \"", name, b"\" (MESSAGES)"])
}

/// `tag FETCH set FLAGS`.
fn fetch_flags(tag: &str, set: &str) -> Vec<Fragment> {
    line(tag, &[b"FETCH ", set.as_bytes(), b" FLAGS"])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::catalogue;
    use imap_codec::{decode::Decoder, CommandCodec};

    fn written(op: Operator) -> Vec<u8> {
        let bytes = [7u8; 64];
        let mut u = Unstructured::new(&bytes);
        op.write(&mut u, "m1", "INBOX", "INBOX.").to_bytes()
    }

    #[test]
    fn every_label_cites_requirements_in_the_catalogue() {
        for op in Operator::ALL {
            let l = op.label();
            assert!(
                catalogue().get(l.requires).is_some(),
                "{op:?}: {}",
                l.requires
            );
            if let Some(b) = l.breaks {
                assert!(catalogue().get(b).is_some(), "{op:?}: {b}");
            }
            assert_eq!(Operator::from_name(op.name()), Some(op));
        }
    }

    /// Operators labelled BAD or Refused write commands the RFC 3501 grammar (which
    /// imap-codec's strict parser follows) does not accept as the same command.
    #[test]
    fn commands_labelled_bad_do_not_parse_strictly() {
        for op in Operator::ALL {
            // `{n+}` is valid where LITERAL+ is advertised, and imap-codec reads it.
            if op.label().expect == Expect::Answered || op.unless_advertised().is_some() {
                continue;
            }
            let bytes = written(op);
            let parsed = CommandCodec::default().decode(&bytes);
            assert!(
                !matches!(parsed, Ok((b"", _))),
                "{op:?} parses as a whole command: {}",
                String::from_utf8_lossy(&bytes)
            );
        }
    }

    #[test]
    fn every_mutated_command_is_framed_completely() {
        for op in Operator::ALL {
            let m = {
                let bytes = [3u8; 64];
                op.write(&mut Unstructured::new(&bytes), "m1", "INBOX.work", "INBOX.")
            };
            let Some(Fragment::Line(last)) = m.fragments.last() else {
                panic!("{op:?} does not end in a line");
            };
            assert!(last.ends_with(b"\r\n"), "{op:?}");
            for pair in m.fragments.windows(2) {
                if let (Fragment::Line(l), Fragment::Literal(data)) = (&pair[0], &pair[1]) {
                    let (n, _) = crate::wire::literal_announcement(l).expect("announced");
                    assert_eq!(
                        n as usize,
                        data.len(),
                        "{op:?}: the literal holds what it announced"
                    );
                }
            }
        }
    }

    #[test]
    fn the_literal_operators_are_one_octet_off_the_argument() {
        let short = String::from_utf8_lossy(&written(Operator::LiteralShort)).into_owned();
        assert_eq!(short, "m1 STATUS {17}\r\nINBOX.imapconformx (MESSAGES)\r\n");
        let long = String::from_utf8_lossy(&written(Operator::LiteralLong)).into_owned();
        assert_eq!(long, "m1 STATUS {19}\r\nINBOX.imapconformx\r\n\r\n");
    }

    /// Read with LITERAL+, a LIST of the pattern `m1z NOOP`; read without, a line with a
    /// syntax error and then the command `m1z NOOP`.
    #[test]
    fn the_unadvertised_literal_plus_is_a_command_either_way() {
        let op = Operator::LiteralPlusUnadvertised;
        let text = String::from_utf8_lossy(&written(op)).into_owned();
        assert_eq!(text, "m1 LIST \"\" {8+}\r\nm1z NOOP\r\n");
        assert_eq!(op.unless_advertised(), Some("LITERAL+"));
        let (rest, cmd) = CommandCodec::default().decode(text.as_bytes()).unwrap();
        assert!(rest.is_empty());
        assert_eq!(cmd.body.name(), "LIST");
    }
}
