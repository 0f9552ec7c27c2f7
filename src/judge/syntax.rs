//! Strict syntax judging of every server message.
//!
//! **Grammar.** Responses are judged against the formal syntax of RFC 3501 §9
//! (IMAP4rev1). RFC 2060 §9 is its predecessor and accepts the same responses in every
//! case this judge reports; where RFC 9051 (IMAP4rev2) is more permissive (empty
//! `resp-text`, UTF-8 text) the judge only applies it after the session enabled
//! IMAP4rev2 or UTF8=ACCEPT (RFC 6855).
//!
//! **How.** Each message is decoded from its complete bytes by imap-codec without quirks
//! (greetings with `GreetingCodec`, all others with `ResponseCodec`) and must be consumed
//! entirely. imap-codec only says "Failed", and it is stricter than the ABNF in places
//! (it insists on a response code after `[`, checks calendar dates, limits body nesting,
//! does not know every extension), so a failure is not yet a finding. The judge then
//! reads the message itself:
//!
//! - Lexical faults no grammar allows are certain: a line not ended by CRLF (RFC 3501
//!   §2.2), NUL, bare CR or 8-bit bytes outside literals (RFC 3501 §9: `CHAR = %x01-7F`,
//!   `TEXT-CHAR = <any CHAR except CR and LF>`, `QUOTED-CHAR`), NUL inside a literal
//!   (`CHAR8 = %x01-ff`; RFC 3516 `literal8` excepted), unbalanced parentheses.
//! - Status responses (`tag OK ...`, `* NO ...`, greetings) are checked against the ABNF
//!   directly: the text after `[` need not be a response code, because `text` may begin
//!   with `[` (RFC 3501 §9); that case is a [`Kind::Warning`] citing RFC 2060 §9 ("text
//!   SHOULD NOT begin with "[""), never a syntax finding.
//! - Responses whose keyword RFC 3501 defines are syntax findings when strict decoding
//!   fails, after removing extension parts the server may legitimately add: FETCH items,
//!   STATUS items and LIST extended data not in RFC 3501 are set aside and the rest is
//!   decoded again (RFC 3501 §7: server responses conform to the base document "until the
//!   client issues a command that uses the associated capability").
//! - Untagged responses with a keyword RFC 3501 does not define are extension responses
//!   (RFC 3501 §7, §9 has no generic form for them): no finding unless they are not even
//!   lexically well-formed, which is a [`Kind::Warning`]. Numbered ones (`* n WORD`) are
//!   the exception: no extension defines `message-data` beyond EXISTS, RECENT, EXPUNGE
//!   and FETCH, so an unknown word there is a syntax finding.
//!
//! **Naming.** A FETCH item or STATUS response that fails is read again by the ABNF
//! ([`super::innermost`]) to name the innermost rule that rejects it and the bytes where
//! it does. Findings cite the active profile's document in its own words
//! ([`super::grammar`]): RFC 2060 §9 (`body_type_msg`, `SPACE`) under rfc2060, RFC 3501
//! §9 (`body-type-msg`, `SP`) under rfc3501.

use imap_codec::decode::Decoder;
use imap_codec::{GreetingCodec, ResponseCodec};

use super::grammar::{self, COVERED_IN_2060};
use super::lex;
use super::{Kind, Verdict};
use crate::model::Profile;
use crate::wire::{escape, literal_announcement, Exchange, Fragment, Message, Transcript};

mod data;
mod keyword;
mod lexical;
mod status;

use keyword::classify;
pub use keyword::is_core_fetch_item;
use lexical::lexical;
use status::{check_greeting, status_keyword};

/// What the session has enabled so far that changes the grammar.
#[derive(Clone, Copy, Debug, Default)]
pub struct Grammar {
    /// RFC 6855 UTF8=ACCEPT or RFC 9051 IMAP4rev2 enabled, or RFC 5255 LANGUAGE used:
    /// UTF-8 may appear in strings or text.
    pub utf8: bool,
    /// RFC 9051 IMAP4rev2 enabled: `resp-text` may be empty.
    pub rev2: bool,
}

impl Grammar {
    /// Takes note of capability lists: a server that lists IMAP4rev2 but not IMAP4rev1
    /// speaks RFC 9051 from the start (RFC 9051 §9).
    pub fn observe_capabilities(&mut self, m: &Message) {
        let l = m.first_line().to_ascii_uppercase();
        let caps = if let Some(i) = find(&l, b"[CAPABILITY ") {
            &l[i..i + l[i..]
                .iter()
                .position(|&c| c == b']')
                .unwrap_or(l.len() - i)]
        } else if l.starts_with(b"* CAPABILITY ") {
            &l[..]
        } else {
            return;
        };
        let words: Vec<&[u8]> = caps.split(|&c| c == b' ').collect();
        if words.contains(&&b"IMAP4REV2"[..]) && !words.contains(&&b"IMAP4REV1"[..]) {
            self.rev2 = true;
        }
    }

    /// Takes note of `* ENABLED` responses (RFC 5161), a successful LANGUAGE command
    /// (RFC 5255 extends `resp-text` to UTF-8 once the client used it) and capability lists.
    pub fn observe(&mut self, e: &Exchange) {
        let cmd = e.command();
        let verb = cmd.first_line().split(|&c| c == b' ').nth(1).unwrap_or(b"");
        let ok = e.completion().is_some_and(|c| {
            c.first_line()
                .split(|&c| c == b' ')
                .nth(1)
                .is_some_and(|k| k.eq_ignore_ascii_case(b"OK"))
        });
        if verb.eq_ignore_ascii_case(b"LANGUAGE") && ok {
            self.utf8 = true;
        }
        for m in e.responses() {
            self.observe_capabilities(m);
            let l = m.first_line().to_ascii_uppercase();
            if l.starts_with(b"* ENABLED") {
                for w in l.split(|&c| c == b' ') {
                    match w {
                        b"UTF8=ACCEPT" | b"UTF8=ONLY" => self.utf8 = true,
                        b"IMAP4REV2" => {
                            self.utf8 = true;
                            self.rev2 = true;
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A judged fault in one message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// `Syntax`, or `Warning` when the message is doubtful but not proven wrong.
    pub kind: Kind,
    /// The formal-syntax rule name, e.g. `msg-att`.
    pub rule: &'static str,
    /// Where the rule is defined, e.g. `RFC 3501 §9`.
    pub rfc: &'static str,
    /// What exactly is wrong.
    pub why: String,
}

fn bad(rule: &'static str, why: impl Into<String>) -> Fault {
    Fault {
        kind: Kind::Syntax,
        rule,
        rfc: "RFC 3501 §9",
        why: why.into(),
    }
}

fn warn(rule: &'static str, rfc: &'static str, why: impl Into<String>) -> Fault {
    Fault {
        kind: Kind::Warning,
        rule,
        rfc,
        why: why.into(),
    }
}

/// The ABNF of each rule this judge names (RFC 3501 §9, abridged), for `expected`.
pub fn abnf(rule: &str) -> &'static str {
    match rule {
        "CRLF" => "every line ends with CRLF (RFC 3501 §2.2; CRLF = CR LF)",
        "CHAR" => "CHAR = %x01-7F (7-bit, no NUL) outside literals",
        "TEXT-CHAR" => "TEXT-CHAR = <any CHAR except CR and LF>; CHAR = %x01-7F",
        "QUOTED-CHAR" => {
            "quoted = DQUOTE *QUOTED-CHAR DQUOTE; QUOTED-CHAR = <any TEXT-CHAR except quoted-specials> / \"\\\" quoted-specials"
        }
        "CHAR8" => "literal = \"{\" number \"}\" CRLF *CHAR8; CHAR8 = %x01-ff (no NUL)",
        "greeting" => "greeting = \"*\" SP (resp-cond-auth / resp-cond-bye) CRLF",
        "continue-req" => "continue-req = \"+\" SP (resp-text / base64) CRLF",
        "response-tagged" => "response-tagged = tag SP resp-cond-state CRLF",
        "resp-cond-state" => "resp-cond-state = (\"OK\" / \"NO\" / \"BAD\") SP resp-text",
        "resp-text" => {
            "resp-text = [\"[\" resp-text-code \"]\" SP] text; text = 1*TEXT-CHAR"
        }
        "tag" => "tag = 1*<any ASTRING-CHAR except \"+\">",
        "response-data" => {
            "response-data = \"*\" SP (resp-cond-state / resp-cond-bye / mailbox-data / message-data / capability-data) CRLF"
        }
        "message-data" => "message-data = nz-number SP (\"EXPUNGE\" / (\"FETCH\" SP msg-att))",
        "mailbox-data" => {
            "mailbox-data = \"FLAGS\" SP flag-list / \"LIST\" SP mailbox-list / \"LSUB\" SP mailbox-list / \"SEARCH\" *(SP nz-number) / \"STATUS\" SP mailbox SP \"(\" [status-att-list] \")\" / number SP \"EXISTS\" / number SP \"RECENT\""
        }
        "msg-att" => {
            "msg-att = \"(\" (msg-att-dynamic / msg-att-static) *(SP (msg-att-dynamic / msg-att-static)) \")\""
        }
        "msg-att-static" => {
            "msg-att-static = \"ENVELOPE\" SP envelope / \"INTERNALDATE\" SP date-time / \"RFC822\" [\".HEADER\" / \".TEXT\"] SP nstring / \"RFC822.SIZE\" SP number / \"BODY\" [\"STRUCTURE\"] SP body / \"BODY\" section [\"<\" number \">\"] SP nstring / \"UID\" SP uniqueid"
        }
        "msg-att-dynamic" => "msg-att-dynamic = \"FLAGS\" SP \"(\" [flag-fetch *(SP flag-fetch)] \")\"",
        "envelope" => {
            "envelope = \"(\" env-date SP env-subject SP env-from SP env-sender SP env-reply-to SP env-to SP env-cc SP env-bcc SP env-in-reply-to SP env-message-id \")\""
        }
        "body" => "body = \"(\" (body-type-1part / body-type-mpart) \")\"",
        "date-time" => {
            "date-time = DQUOTE date-day-fixed \"-\" date-month \"-\" date-year SP time SP zone DQUOTE"
        }
        "uniqueid" => "uniqueid = nz-number",
        "nz-number" => "nz-number = digit-nz *DIGIT (0 < n < 4,294,967,296)",
        "number" => "number = 1*DIGIT (0 <= n < 4,294,967,296)",
        "capability-data" => {
            "capability-data = \"CAPABILITY\" *(SP capability) SP \"IMAP4rev1\" *(SP capability)"
        }
        "flag-list" => "flag-list = \"(\" [flag *(SP flag)] \")\"",
        "mailbox-list" => {
            "mailbox-list = \"(\" [mbx-list-flags] \")\" SP (DQUOTE QUOTED-CHAR DQUOTE / nil) SP mailbox"
        }
        "status-att-list" => "status-att-list = status-att SP number *(SP status-att SP number)",
        _ => "RFC 3501 §9",
    }
}

/// The catalogue id of a formal-syntax rule under the rfc2060 profile
/// ([`syntax_rule_id_in`]).
pub fn syntax_rule_id(rule: &str) -> Option<String> {
    syntax_rule_id_in(rule, Profile::Rfc2060)
}

/// The catalogue id of a formal-syntax rule (an RFC 3501 §9 name) in `rfc/requirements.toml`:
/// `3501-9-<rule>` under rfc3501 where RFC 3501 changed the rule, else `2060-9-<rule>`;
/// for a rule only RFC 3501 has, the rule that covers it (`msg-att-static` is in
/// `msg-att`, `status-att-list` in `mailbox-data`); `2060-9-response` when none is in the
/// catalogue.
pub fn syntax_rule_id_in(rule: &str, profile: Profile) -> Option<String> {
    let cat = crate::catalogue::catalogue();
    let lower = rule.to_ascii_lowercase().replace('_', "-");
    let covering = COVERED_IN_2060
        .iter()
        .find(|(r, _)| *r == lower)
        .map(|(_, c)| c.to_ascii_lowercase().replace('_', "-"));
    let prefixes: &[&str] = match profile {
        Profile::Rfc3501 => &["3501-9-", "2060-9-"],
        Profile::Rfc2060 => &["2060-9-"],
    };
    let found = [Some(lower), covering]
        .into_iter()
        .flatten()
        .flat_map(|r| prefixes.iter().map(move |p| format!("{p}{r}")))
        .find(|id| cat.get(id).is_some());
    found.or_else(|| Some("2060-9-response".to_string()))
}

/// Judges every server message of a transcript under the rfc2060 profile
/// ([`judge_syntax_in`]).
pub fn judge_syntax(target: &str, t: &Transcript) -> Vec<Verdict> {
    judge_syntax_in(target, t, Profile::Rfc2060)
}

/// Judges every server message of a transcript: greeting, setup and script responses.
/// Summaries and expected texts cite `profile`'s document and its rule names (RFC 2060
/// §9 `body_type_msg` / RFC 3501 §9 `body-type-msg`, [`grammar`]).
pub fn judge_syntax_in(target: &str, t: &Transcript, profile: Profile) -> Vec<Verdict> {
    let mut g = Grammar::default();
    let mut out = Vec::new();
    let mut emit = |m: &Message, step: Option<usize>, f: Fault| {
        let rule = grammar::rule_name(f.rule, profile);
        let rfc = grammar::in_words_of(f.rfc, profile);
        let why = grammar::in_words_of(&f.why, profile);
        // RFC 2060 §9's "text SHOULD NOT begin with "["" is not in RFC 3501, which reads
        // such text as `text`: under rfc3501 it is only a note.
        let kind =
            if profile == Profile::Rfc3501 && f.kind == Kind::Warning && f.rfc == "RFC 2060 §9" {
                Kind::Note
            } else {
                f.kind
            };
        out.push(Verdict {
            kind,
            targets: vec![target.to_string()],
            step,
            rule: syntax_rule_id_in(f.rule, profile),
            summary: match f.kind {
                Kind::Warning => format!("doubtful `{rule}` ({rfc}): {why}"),
                _ => format!("response does not match `{rule}` ({rfc}): {why}"),
            },
            expected: format!(
                "`{rule}`: {}",
                grammar::definition(f.rule, profile)
                    .unwrap_or_else(|| grammar::in_words_of(abnf(f.rule), profile))
            ),
            observed: observed(&m.to_bytes()),
            cause: None,
        });
    };
    if let Some(m) = &t.greeting {
        g.observe_capabilities(m);
        if let Some(f) = check_message(m, true, g) {
            emit(m, None, f);
        }
    }
    for (step, e) in t.steps() {
        for m in e.responses() {
            if let Some(f) = check_message(m, false, g) {
                emit(m, step, f);
            }
        }
        g.observe(e);
    }
    out
}

/// Longest part of a message shown in `observed`.
pub const OBSERVED_MAX: usize = 8192;

/// The message escaped; a very long one (a big literal) is cut after [`OBSERVED_MAX`]
/// bytes with a note of its full length.
pub fn observed(bytes: &[u8]) -> String {
    if bytes.len() <= OBSERVED_MAX {
        return escape(bytes);
    }
    format!(
        "{}... ({} bytes in all)",
        escape(&bytes[..OBSERVED_MAX]),
        bytes.len()
    )
}

/// Whether the message was cut off by the end of the stream (a line without LF, or a
/// literal shorter than announced). Such a message is judged by `judge_end`, not here.
pub fn is_partial(m: &Message) -> bool {
    let mut want: Option<u64> = None;
    for f in &m.fragments {
        match f {
            Fragment::Line(l) => {
                if !l.ends_with(b"\n") {
                    return true;
                }
                want = literal_announcement(l).map(|(n, _)| n);
            }
            Fragment::Literal(b) => {
                if want.is_some_and(|n| (b.len() as u64) < n) {
                    return true;
                }
                want = None;
            }
        }
    }
    want.is_some_and(|n| n > 0) || m.fragments.is_empty()
}

/// Judges one server message. `greeting` selects the greeting grammar.
pub fn check_message(m: &Message, greeting: bool, g: Grammar) -> Option<Fault> {
    if is_partial(m) {
        return None;
    }
    let bytes = m.to_bytes();
    let status = status_keyword(m.first_line()).is_some();
    if let Some(f) = lexical(m, status || m.is_continuation(), g) {
        return Some(f);
    }
    let decoded = if greeting {
        matches!(GreetingCodec::default().decode(&bytes), Ok((rest, _)) if rest.is_empty())
    } else {
        decodes(&bytes)
    };
    if decoded {
        return None;
    }
    if g.utf8 && bytes.iter().any(|&c| c >= 0x80) && !status {
        // RFC 6855 §3 allows UTF-8 in quoted strings once enabled; the strict IMAP4rev1
        // decoder cannot judge that, so only lexical well-formedness is required.
        if bytes.starts_with(b"* ") && lex::items(&bytes, 2).is_some() {
            return None;
        }
        return Some(warn(
            "TEXT-CHAR",
            "RFC 6855 §3",
            "UTF-8 was enabled and the strict IMAP4rev1 decoder cannot judge this UTF-8 data",
        ));
    }
    if greeting {
        return check_greeting(m.first_line(), g);
    }
    classify(m, &bytes, g)
}

fn decodes(bytes: &[u8]) -> bool {
    matches!(ResponseCodec::default().decode(bytes), Ok((rest, _)) if rest.is_empty())
}

#[cfg(test)]
mod tests;
