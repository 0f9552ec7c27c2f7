//! Deliberately broken commands, each labelled with the one defect it carries.
//!
//! Every operator writes one complete command as the server's framing reads it: a literal
//! is always followed by the octets it announced, and the line ends in CRLF, so that the
//! session stays in step whatever the server makes of the command. Each command has
//! exactly one defect, the one its operator names: a grammar rule the client breaks (RFC
//! 2060 §9), or a limit the grammar does not set (length, nesting). With that defect
//! undone, the command is valid (the tests decode it strictly).
//!
//! What a server owes a malformed command (`judge::mutation`): no crash, no hang, a
//! completion under the command's own tag (RFC 2060 §2.2.1), the next command still
//! answered under its own tag, and grammatical output (`judge::syntax`). It may answer
//! NO, BAD, or carry the command out leniently: RFC 2060 §2.2.2 lists BAD among the
//! "possible server completion responses" but requires it of no case, and the rules the
//! commands break constrain what a client sends, never what a server answers. No MUST of
//! RFC 2060 names the answer to any of these commands (§6.4.4's "it MUST return a tagged
//! NO response (not a BAD)" for an unsupported CHARSET is about a well-formed SEARCH,
//! which the oracle judges).

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

/// What a mutated command is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Label {
    pub operator: Operator,
    /// The client grammar rule (catalogue id) the command breaks, if it breaks one: what
    /// the client did wrong, never a rule cited against the server's answer.
    pub breaks: Option<&'static str>,
}

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

    /// The operator's defect.
    pub fn label(self) -> Label {
        let breaks = match self {
            Operator::UnknownCommand => None,
            // RFC 2060 §9 `literal ::= "{" number "}" CRLF *CHAR8`, "Number represents the
            // number of CHAR8 octets": read by the count, the literal leaves the last octet
            // of the name where SP must follow (short), or swallows that SP (long).
            Operator::LiteralShort | Operator::LiteralLong => Some("2060-9-literal"),
            // RFC 2060 §9: CR is a CTL, which ATOM_CHAR excludes.
            Operator::BareCr => Some("2060-9-atom-char"),
            // RFC 2060 §9 `CRLF ::= CR LF`.
            Operator::BareLf => Some("2060-9-crlf"),
            // RFC 2060 §9 `CHAR ::= <any 7-bit US-ASCII character except NUL, ...>`.
            Operator::Nul => Some("2060-9-char"),
            // RFC 2060 §4.3: a quoted string is 7-bit.
            Operator::EightBit => Some("2060-4.3-quoted-7bit"),
            // RFC 2060 §9 `QUOTED_CHAR ::= <any TEXT_CHAR except quoted_specials> / "\"
            // quoted_specials`.
            Operator::BadEscape => Some("2060-9-quoted-char"),
            // RFC 2060 §9 `sequence_num ::= nz_number / "*"`; nz_number: "Non-zero unsigned
            // 32-bit integer (0 < n < 4,294,967,296)".
            Operator::ZeroNumber | Operator::HugeNumber => Some("2060-9-nz-number"),
            // Limits the grammar does not set; names RFC 2060 neither forbids nor requires
            // a server to accept.
            Operator::OverlongTag
            | Operator::OverlongLine
            | Operator::DeepNesting
            | Operator::WildcardName
            | Operator::BrokenMutf7 => None,
            // `{n+}` is RFC 2088's, which a server that does not advertise LITERAL+ need
            // not read.
            Operator::LiteralPlusUnadvertised => Some("2060-9-literal"),
        };
        Label {
            operator: self,
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
                // `STATUS {n} name (MESSAGES)` with n one off the name's length and the
                // octets as they are, so that with the count right the command is valid.
                // A name that ends in a letter, so that the octet left over (short) is
                // not CRLF; long, the literal swallows the SP before `(MESSAGES)`.
                let rest = format!("{prefix}imapconformx (MESSAGES)").into_bytes();
                let n = rest.len() - b" (MESSAGES)".len();
                let count = if self == Operator::LiteralShort {
                    n - 1
                } else {
                    n + 1
                };
                let mut fragments = line(tag, &[format!("STATUS {{{count}}}").as_bytes()]);
                fragments.push(Fragment::Literal(rest[..count].to_vec()));
                fragments.push(Fragment::Line([&rest[count..], b"\r\n"].concat()));
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
    use crate::catalogue::{catalogue, Level};
    use imap_codec::{decode::Decoder, CommandCodec};

    fn written(op: Operator) -> Vec<u8> {
        let bytes = [7u8; 64];
        let mut u = Unstructured::new(&bytes);
        op.write(&mut u, "m1", "INBOX", "INBOX.").to_bytes()
    }

    /// Every command the operator can write (each of its picks), for a few mailboxes.
    fn every_variant(op: Operator) -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = Vec::new();
        for seed in 0..=255u8 {
            for (mailbox, prefix) in [("INBOX", "INBOX."), ("INBOX.work", "INBOX."), ("box", "")] {
                let bytes = [seed; 64];
                let w = op
                    .write(&mut Unstructured::new(&bytes), "m1", mailbox, prefix)
                    .to_bytes();
                if !out.contains(&w) {
                    out.push(w);
                }
            }
        }
        out
    }

    fn replace(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
        let i = bytes
            .windows(from.len())
            .position(|w| w == from)
            .unwrap_or_else(|| {
                panic!(
                    "{:?} not in {:?}",
                    String::from_utf8_lossy(from),
                    String::from_utf8_lossy(bytes)
                )
            });
        [&bytes[..i], to, &bytes[i + from.len()..]].concat()
    }

    /// The command with its named defect undone, and nothing else changed.
    fn undone(op: Operator, bytes: &[u8]) -> Vec<u8> {
        match op {
            Operator::UnknownCommand => {
                let text = String::from_utf8_lossy(bytes).into_owned();
                let fixed = text
                    .replacen("ZYZZYVA", "NOOP", 1)
                    .replacen("FROBNICATE INBOX", "SELECT INBOX", 1)
                    .replacen("SELECTT INBOX", "SELECT INBOX", 1)
                    .replacen("FETCH-ALL", "NOOP", 1);
                assert_ne!(fixed, text, "no unknown verb in {text:?}");
                fixed.into_bytes()
            }
            // The count made right: the octets that follow are the same.
            Operator::LiteralShort | Operator::LiteralLong => {
                let first = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
                let (n, _) =
                    crate::wire::literal_announcement(&[first, b"\n"].concat()).expect("a literal");
                let right = if op == Operator::LiteralShort {
                    n + 1
                } else {
                    n - 1
                };
                replace(
                    bytes,
                    format!("{{{n}}}").as_bytes(),
                    format!("{{{right}}}").as_bytes(),
                )
            }
            Operator::BareCr => replace(bytes, b"imapcon\rformx", b"imapconformx"),
            Operator::BareLf => replace(bytes, b"\n\r\n", b"\r\n"),
            Operator::Nul => replace(bytes, b"\0", b""),
            Operator::EightBit => replace(bytes, "é".as_bytes(), b"e"),
            Operator::BadEscape => replace(bytes, b"\\", b""),
            Operator::ZeroNumber => {
                let text = String::from_utf8_lossy(bytes).into_owned();
                text.replace(" 0 ", " 1 ")
                    .replace(" 0:1 ", " 1:1 ")
                    .replace(" 1,0 ", " 1,1 ")
                    .into_bytes()
            }
            Operator::HugeNumber => {
                let text = String::from_utf8_lossy(bytes).into_owned();
                text.replace("99999999999999999999", "4294967295")
                    .replace("4294967296", "4294967295")
                    .into_bytes()
            }
            // imap-codec reads search keys at most 9 deep; the RFC sets no limit.
            Operator::DeepNesting => {
                let text = String::from_utf8_lossy(bytes).into_owned();
                let opens = text.matches('(').count();
                text.replacen(&"(".repeat(opens), "(", 1)
                    .replacen(&")".repeat(opens), ")", 1)
                    .into_bytes()
            }
            // The defect is a limit, not the grammar: the command is valid as it is.
            Operator::OverlongTag
            | Operator::OverlongLine
            | Operator::WildcardName
            | Operator::BrokenMutf7 => bytes.to_vec(),
            // Valid where LITERAL+ is advertised.
            Operator::LiteralPlusUnadvertised => bytes.to_vec(),
        }
    }

    fn parses_strictly(bytes: &[u8]) -> bool {
        matches!(CommandCodec::default().decode(bytes), Ok((b"", _)))
    }

    /// Every mutation's only defect is the one it names: with that defect undone, the
    /// command (every variant the operator writes) decodes strictly as one whole command.
    fn only_its_named_defect(op: Operator) {
        let variants = every_variant(op);
        assert!(!variants.is_empty());
        for bytes in variants {
            let fixed = undone(op, &bytes);
            assert!(
                parses_strictly(&fixed),
                "{op:?}: with its defect undone, {:?} still does not parse",
                String::from_utf8_lossy(&fixed)
            );
        }
    }

    /// One test per operator: `<name>_is_valid_but_for_the_defect_it_names`.
    macro_rules! only_defect_tests {
        ($($test:ident: $op:ident),* $(,)?) => {
            $(
                #[test]
                fn $test() {
                    only_its_named_defect(Operator::$op);
                }
            )*
            /// Every operator has its test above.
            #[test]
            fn every_operator_has_a_test_of_its_only_defect() {
                let tested = [$(Operator::$op),*];
                for op in Operator::ALL {
                    assert!(tested.contains(&op), "{op:?} has no test of its only defect");
                }
            }
        };
    }

    only_defect_tests! {
        unknown_command_is_valid_but_for_the_defect_it_names: UnknownCommand,
        literal_short_is_valid_but_for_the_defect_it_names: LiteralShort,
        literal_long_is_valid_but_for_the_defect_it_names: LiteralLong,
        bare_cr_is_valid_but_for_the_defect_it_names: BareCr,
        bare_lf_is_valid_but_for_the_defect_it_names: BareLf,
        nul_is_valid_but_for_the_defect_it_names: Nul,
        eight_bit_is_valid_but_for_the_defect_it_names: EightBit,
        bad_escape_is_valid_but_for_the_defect_it_names: BadEscape,
        zero_number_is_valid_but_for_the_defect_it_names: ZeroNumber,
        huge_number_is_valid_but_for_the_defect_it_names: HugeNumber,
        overlong_tag_is_valid_but_for_the_defect_it_names: OverlongTag,
        overlong_line_is_valid_but_for_the_defect_it_names: OverlongLine,
        deep_nesting_is_valid_but_for_the_defect_it_names: DeepNesting,
        wildcard_name_is_valid_but_for_the_defect_it_names: WildcardName,
        broken_mutf7_is_valid_but_for_the_defect_it_names: BrokenMutf7,
        literal_plus_unadvertised_is_valid_but_for_the_defect_it_names: LiteralPlusUnadvertised,
    }

    /// The old `literal-long` sent a valid literal, then a bare LF and no attribute list:
    /// two defects. The check above catches such a command.
    #[test]
    fn a_command_with_a_second_defect_fails_the_check() {
        let old = b"m1 STATUS {19}\r\nINBOX.imapconformx\r\n\r\n";
        assert!(!parses_strictly(&undone(Operator::LiteralLong, old)));
    }

    /// Operators that name a grammar rule write commands the strict decoder rejects: the
    /// defect is really there.
    #[test]
    fn every_mutation_that_names_a_grammar_rule_breaks_it() {
        for op in Operator::ALL {
            // `{n+}` is valid where LITERAL+ is advertised, and imap-codec reads it.
            if op.label().breaks.is_none() || op.unless_advertised().is_some() {
                continue;
            }
            for bytes in every_variant(op) {
                assert!(
                    !parses_strictly(&bytes),
                    "{op:?} parses as a whole command: {}",
                    String::from_utf8_lossy(&bytes)
                );
            }
        }
    }

    #[test]
    fn the_undo_of_a_defect_is_not_the_identity_where_a_rule_is_broken() {
        // The check above is not vacuous: undoing changes the bytes of every operator
        // that breaks a rule.
        for op in Operator::ALL {
            if op.label().breaks.is_some() && op.unless_advertised().is_none() {
                for bytes in every_variant(op) {
                    assert_ne!(undone(op, &bytes), bytes, "{op:?}");
                }
            }
        }
    }

    #[test]
    fn every_label_names_a_client_grammar_rule_of_the_catalogue() {
        for op in Operator::ALL {
            if let Some(b) = op.label().breaks {
                let r = catalogue().get(b).unwrap_or_else(|| panic!("{op:?}: {b}"));
                assert!(
                    matches!(r.level, Level::Syntax | Level::Definition),
                    "{op:?}: {b} is a {}",
                    r.level
                );
            }
            assert_eq!(Operator::from_name(op.name()), Some(op));
        }
        assert!(catalogue().get(COMPLETION_RESULT).is_some());
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

    /// The same octets either way; only the count is one off: short, the name's last
    /// octet follows the literal where SP must; long, the literal swallows that SP.
    #[test]
    fn the_literal_operators_are_one_octet_off_the_argument() {
        let short = String::from_utf8_lossy(&written(Operator::LiteralShort)).into_owned();
        assert_eq!(short, "m1 STATUS {17}\r\nINBOX.imapconformx (MESSAGES)\r\n");
        let long = String::from_utf8_lossy(&written(Operator::LiteralLong)).into_owned();
        assert_eq!(long, "m1 STATUS {19}\r\nINBOX.imapconformx (MESSAGES)\r\n");
        let m = Operator::LiteralLong.write(
            &mut Unstructured::new(&[7u8; 64]),
            "m1",
            "INBOX",
            "INBOX.",
        );
        assert_eq!(
            m.fragments[1],
            Fragment::Literal(b"INBOX.imapconformx ".to_vec())
        );
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
