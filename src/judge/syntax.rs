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
use super::innermost;
use super::lex::{self, Tok, TokKind};
use super::{Kind, Verdict};
use crate::model::Profile;
use crate::wire::{
    escape, literal_announcement, strip_eol, Exchange, Fragment, Message, Transcript,
};

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

/// Checks that apply to every byte whatever the grammar rule: line ends, NUL, CR, 8-bit.
fn lexical(m: &Message, status: bool, g: Grammar) -> Option<Fault> {
    let mut literal8 = false;
    for f in &m.fragments {
        match f {
            Fragment::Line(l) => {
                if !l.ends_with(b"\r\n") {
                    return Some(bad(
                        "CRLF",
                        "line ends with a bare LF instead of CRLF (RFC 3501 §2.2)",
                    ));
                }
                let body = &l[..l.len() - 2];
                let mut in_quote = false;
                let mut i = 0;
                while i < body.len() {
                    let c = body[i];
                    let rule = if in_quote {
                        "QUOTED-CHAR"
                    } else if status {
                        "TEXT-CHAR"
                    } else {
                        "CHAR"
                    };
                    match c {
                        b'"' if !status => in_quote = !in_quote,
                        b'\\' if in_quote => i += 1,
                        0 => return Some(bad(rule, format!("NUL byte at offset {i} of a line"))),
                        b'\r' => {
                            return Some(bad(rule, format!("bare CR at offset {i} of a line")))
                        }
                        0x80..=0xff if !g.utf8 => {
                            return Some(bad(
                                rule,
                                format!(
                                    "8-bit byte 0x{c:02X} at offset {i} of a line (IMAP4rev1 lines are 7-bit; 8-bit data must be sent as a literal)"
                                ),
                            ))
                        }
                        _ => {}
                    }
                    i += 1;
                }
                literal8 = strip_eol(l).ends_with(b"}") && {
                    let s = strip_eol(l);
                    s.iter()
                        .rposition(|&c| c == b'{')
                        .is_some_and(|p| p > 0 && s[p - 1] == b'~')
                };
            }
            Fragment::Literal(b) => {
                if !literal8 {
                    if let Some(i) = b.iter().position(|&c| c == 0) {
                        return Some(bad("CHAR8", format!("NUL byte at offset {i} of a literal")));
                    }
                }
            }
        }
    }
    None
}

/// `OK`/`NO`/`BAD`/`BYE`/`PREAUTH` after the tag, if the message is a status response.
fn status_keyword(line: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let sp = line.iter().position(|&c| c == b' ')?;
    let (tag, rest) = (&line[..sp], &line[sp + 1..]);
    let kw_end = rest.iter().position(|&c| c == b' ').unwrap_or(rest.len());
    let kw = &rest[..kw_end];
    let upper = kw.to_ascii_uppercase();
    matches!(
        upper.as_slice(),
        b"OK" | b"NO" | b"BAD" | b"BYE" | b"PREAUTH"
    )
    .then_some((tag, kw, &rest[kw_end..]))
}

/// RFC 3501 §9 `resp-text` after the keyword: `rest` is what follows the keyword.
fn check_resp_text(rest: &[u8], g: Grammar) -> Option<Fault> {
    let Some(text) = rest.strip_prefix(b" ") else {
        return Some(bad(
            "resp-text",
            "no SP and text after the status keyword (even RFC 9051 requires `SP resp-text`)",
        ));
    };
    if text.is_empty() {
        if g.rev2 {
            return None;
        }
        return Some(bad(
            "resp-text",
            "empty text after the status keyword (text = 1*TEXT-CHAR; only RFC 9051 allows it empty)",
        ));
    }
    if let Some(code) = text.strip_prefix(b"[") {
        let close = code.iter().position(|&c| c == b']');
        let ok_code = close.is_some_and(|p| code.get(p + 1) == Some(&b' ') && p + 2 < code.len());
        if !ok_code {
            return Some(warn(
                "resp-text",
                "RFC 2060 §9",
                "text begins with \"[\" but is not `\"[\" resp-text-code \"]\" SP text`; the ABNF reads it all as text, RFC 2060 says text SHOULD NOT begin with \"[\"",
            ));
        }
    }
    None
}

fn check_tag(tag: &[u8]) -> Option<Fault> {
    let ok = !tag.is_empty()
        && tag.iter().all(|&c| {
            c > 0x20
                && c < 0x7f
                && !matches!(c, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b'+')
        });
    (!ok).then(|| bad("tag", format!("`{}` is not a valid tag", escape(tag))))
}

fn check_greeting(line: &[u8], g: Grammar) -> Option<Fault> {
    let Some((tag, kw, rest)) = status_keyword(line) else {
        return Some(bad(
            "greeting",
            "a greeting must be `* OK`, `* PREAUTH` or `* BYE`",
        ));
    };
    let kw = kw.to_ascii_uppercase();
    if tag != b"*" || !matches!(kw.as_slice(), b"OK" | b"PREAUTH" | b"BYE") {
        return Some(bad(
            "greeting",
            "a greeting must be `* OK`, `* PREAUTH` or `* BYE`",
        ));
    }
    check_resp_text(rest, g).or_else(|| undecided_unless_utf8(line, g, "greeting"))
}

/// Like [`undecided`], but nothing when enabled UTF-8 explains why the decoder refused.
fn undecided_unless_utf8(line: &[u8], g: Grammar, rule: &'static str) -> Option<Fault> {
    if g.utf8 && line.iter().any(|&c| c >= 0x80) {
        return None;
    }
    Some(undecided(rule))
}

/// imap-codec refused a message our own reading of the ABNF accepts.
fn undecided(rule: &'static str) -> Fault {
    warn(
        rule,
        "RFC 3501 §9",
        "the strict decoder (imap-codec) refuses it but the ABNF alternatives admit it; not reported as a syntax violation",
    )
}

const CORE_FETCH: &[&str] = &[
    "FLAGS",
    "ENVELOPE",
    "INTERNALDATE",
    "RFC822",
    "RFC822.HEADER",
    "RFC822.TEXT",
    "RFC822.SIZE",
    "BODY",
    "BODYSTRUCTURE",
    "UID",
];

const CORE_STATUS: &[&str] = &["MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN"];

/// Whether a FETCH item name is defined by RFC 3501 §9 `msg-att`.
pub fn is_core_fetch_item(name: &[u8]) -> bool {
    let n = name.to_ascii_uppercase();
    n.starts_with(b"BODY[") || CORE_FETCH.iter().any(|c| c.as_bytes() == n.as_slice())
}

fn classify(m: &Message, bytes: &[u8], g: Grammar) -> Option<Fault> {
    let line = m.first_line();
    if line.starts_with(b"+") {
        if !line.starts_with(b"+ ") {
            return Some(bad(
                "continue-req",
                "continuation request without SP after \"+\"",
            ));
        }
        return Some(undecided("continue-req"));
    }
    if let Some((tag, kw, rest)) = status_keyword(line) {
        let kw = kw.to_ascii_uppercase();
        if g.rev2 && rest == b" " && !(tag == b"*" && kw == b"PREAUTH") && check_tag(tag).is_none()
        {
            // RFC 9051 §9: resp-text = ["[" resp-text-code "]" SP] [text].
            return None;
        }
        if tag == b"*" {
            if kw == b"PREAUTH" {
                return Some(bad(
                    "response-data",
                    "PREAUTH is only allowed in the greeting (resp-cond-auth)",
                ));
            }
            return check_resp_text(rest, g)
                .or_else(|| undecided_unless_utf8(line, g, "resp-text"));
        }
        if let Some(f) = check_tag(tag) {
            return Some(f);
        }
        if !matches!(kw.as_slice(), b"OK" | b"NO" | b"BAD") {
            return Some(bad(
                "response-tagged",
                format!("tagged response with `{}` (only OK, NO, BAD)", escape(&kw)),
            ));
        }
        return check_resp_text(rest, g)
            .or_else(|| undecided_unless_utf8(line, g, "response-tagged"));
    }
    if !line.starts_with(b"* ") {
        if line.starts_with(b"*") {
            return Some(bad("response-data", "no SP after \"*\""));
        }
        let tag = m.tag();
        return check_tag(tag).or_else(|| {
            Some(bad(
                "response-tagged",
                "tagged response without OK, NO or BAD",
            ))
        });
    }
    // Untagged data: `* [number SP] KEYWORD ...`.
    let Some(toks) = lex::items(bytes, 2) else {
        return Some(lexically_malformed(line));
    };
    let Some(first) = toks.first().and_then(Tok::atom) else {
        return Some(bad("response-data", "untagged response without a keyword"));
    };
    if first.iter().all(u8::is_ascii_digit) {
        return numbered(bytes, &toks, g);
    }
    let kw = first.to_ascii_uppercase();
    match kw.as_slice() {
        b"CAPABILITY" => Some(bad("capability-data", "CAPABILITY response does not match")),
        b"FLAGS" => Some(bad("flag-list", "FLAGS response does not match")),
        b"SEARCH" => {
            if toks.iter().any(|t| t.list().is_some()) {
                // RFC 7162 §3.1.5 adds `(MODSEQ n)` to SEARCH; extension data.
                None
            } else {
                Some(bad(
                    "mailbox-data",
                    "SEARCH response must be `SEARCH *(SP nz-number)`",
                ))
            }
        }
        b"LIST" | b"LSUB" => {
            if toks.len() > 4 {
                // RFC 5258 mbox-list-extended after the mailbox name: judge the rest.
                let core = rebuild(bytes, b"* ", &toks[..4], b"\r\n");
                if decodes(&core) {
                    return None;
                }
            }
            Some(bad(
                "mailbox-list",
                format!("{} response does not match", String::from_utf8_lossy(&kw)),
            ))
        }
        b"STATUS" => status_data(bytes, &toks),
        _ => None,
    }
}

fn lexically_malformed(line: &[u8]) -> Fault {
    let rest = &line[2..];
    let kw: Vec<u8> = rest
        .iter()
        .take_while(|&&c| c != b' ')
        .copied()
        .collect::<Vec<u8>>()
        .to_ascii_uppercase();
    let rule = match kw.as_slice() {
        b"CAPABILITY" => Some("capability-data"),
        b"FLAGS" | b"SEARCH" | b"LIST" | b"LSUB" | b"STATUS" => Some("mailbox-data"),
        _ if !kw.is_empty() && kw.iter().all(u8::is_ascii_digit) => Some("message-data"),
        _ => None,
    };
    if let Some(rule) = rule {
        bad(
            rule,
            "not well-formed: unbalanced parentheses or brackets, an unterminated quoted string, a short literal or items not separated by single SPs",
        )
    } else {
        warn(
            "response-data",
            "RFC 3501 §7",
            "an extension response that is not well-formed (unbalanced parentheses, unterminated string or bad spacing)",
        )
    }
}

/// Rebuilds a response from the byte ranges of chosen items.
fn rebuild(bytes: &[u8], head: &[u8], toks: &[Tok], tail: &[u8]) -> Vec<u8> {
    let mut out = head.to_vec();
    for (i, t) in toks.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        out.extend_from_slice(&bytes[t.span.0..t.span.1]);
    }
    out.extend_from_slice(tail);
    out
}

fn parse_u32(d: &[u8]) -> Option<u32> {
    std::str::from_utf8(d).ok()?.parse().ok()
}

fn numbered(bytes: &[u8], toks: &[Tok], g: Grammar) -> Option<Fault> {
    let n = toks[0].atom().unwrap_or(b"");
    let kw = toks
        .get(1)
        .and_then(Tok::atom)
        .unwrap_or(b"")
        .to_ascii_uppercase();
    let (rule, nz) = match kw.as_slice() {
        b"EXISTS" | b"RECENT" => ("mailbox-data", false),
        b"EXPUNGE" | b"FETCH" => ("message-data", true),
        _ => {
            return Some(bad(
                "message-data",
                format!(
                    "`* {} {}`: unknown response (message-data is only EXPUNGE or FETCH, mailbox-data only EXISTS or RECENT after a number; no extension adds others)",
                    escape(n),
                    escape(&kw)
                ),
            ))
        }
    };
    match parse_u32(n) {
        None => {
            return Some(bad(
                if nz { "nz-number" } else { "number" },
                format!("`{}` is out of the 32-bit range", escape(n)),
            ))
        }
        Some(0) if nz => return Some(bad("nz-number", "message sequence number 0 (nz-number)")),
        _ => {}
    }
    if kw != b"FETCH" {
        return Some(bad(
            rule,
            format!("`{}` takes no arguments", String::from_utf8_lossy(&kw)),
        ));
    }
    fetch(bytes, toks, g)
}

fn fetch(bytes: &[u8], toks: &[Tok], _g: Grammar) -> Option<Fault> {
    let n = toks[0].atom().unwrap_or(b"");
    // Where the reading stops, when the FETCH data is not a list of RFC 3501 items.
    let shape = |why: &str| match innermost::fetch_response(bytes) {
        Some(miss) => at_miss(bytes, &miss, why),
        None => bad("msg-att", why),
    };
    let list = match toks.get(2..) {
        Some([t]) => match t.list() {
            Some(l) if !l.is_empty() => l,
            _ => return Some(shape("FETCH data must be a non-empty parenthesized list")),
        },
        _ => return Some(shape("FETCH must be followed by exactly one list")),
    };
    let has_ext = list
        .iter()
        .step_by(2)
        .any(|t| !t.atom().is_some_and(is_core_fetch_item));
    if list.len() % 2 != 0 {
        return Some(if has_ext {
            warn(
                "msg-att",
                "RFC 3501 §9",
                "odd number of FETCH items together with extension items; cannot tell which is wrong",
            )
        } else {
            shape("FETCH items must be name-value pairs")
        });
    }
    let pairs: Vec<&[Tok]> = list
        .chunks(2)
        .filter(|p| p[0].atom().is_some_and(is_core_fetch_item))
        .collect();
    if pairs.is_empty() {
        return None;
    }
    let head = [b"* ".as_slice(), n, b" FETCH ("].concat();
    if has_ext {
        let core: Vec<Tok> = pairs.iter().flat_map(|p| p.iter().cloned()).collect();
        if decodes(&rebuild(bytes, &head, &core, b")\r\n")) {
            return None;
        }
    }
    // Find the first item that fails on its own, to name its rule.
    for p in &pairs {
        if decodes(&rebuild(bytes, &head, p, b")\r\n")) {
            continue;
        }
        let name = p[0].atom().unwrap_or(b"").to_ascii_uppercase();
        let shown = String::from_utf8_lossy(&name).into_owned();
        let (rule, what) = match name.as_slice() {
            b"FLAGS" => ("msg-att-dynamic", "FLAGS"),
            b"ENVELOPE" => ("envelope", "ENVELOPE"),
            b"INTERNALDATE" => {
                if p[1].text().is_some_and(date_time_abnf) && matches!(p[1].kind, TokKind::Str(_)) {
                    return Some(warn(
                        "date-time",
                        "RFC 3501 §9",
                        "INTERNALDATE matches the date-time ABNF but is not a real calendar date/time",
                    ));
                }
                ("date-time", "INTERNALDATE")
            }
            b"BODY" | b"BODYSTRUCTURE" => {
                if p[1].depth() > 7 {
                    return Some(warn(
                        "body",
                        "RFC 3501 §9",
                        "body structure nested deeper than the strict decoder's limit; not judged",
                    ));
                }
                (
                    "body",
                    if name == b"BODY" {
                        "BODY"
                    } else {
                        "BODYSTRUCTURE"
                    },
                )
            }
            b"UID" => ("uniqueid", "UID"),
            b"RFC822.SIZE" => ("number", "RFC822.SIZE"),
            _ => ("msg-att-static", shown.as_str()),
        };
        if let Some(miss) = innermost::fetch_item(bytes, p[0].span.0, p[1].span.1) {
            return Some(at_miss(bytes, &miss, &format!("FETCH item `{what}`")));
        }
        let detail = if rule == "body" {
            body_spacing(&p[1])
                .map(|d| format!(": {d}"))
                .unwrap_or_default()
        } else {
            String::new()
        };
        return Some(bad(
            rule,
            format!("FETCH item {what} (msg-att) does not match{detail}"),
        ));
    }
    Some(bad(
        "msg-att",
        "FETCH items do not combine into a valid msg-att",
    ))
}

/// A fault naming the innermost rule that fails and the bytes where it does:
/// "FETCH item `BODY`: `body-type-msg` wants SP at byte 412, after `…NIL NIL NIL)`, where
/// the server sent `(\"text\" \"plain\"…`".
fn at_miss(bytes: &[u8], miss: &innermost::Miss, what: &str) -> Fault {
    let (before, after) = innermost::excerpt(bytes, miss.offset);
    let shown = if after.is_empty() {
        "the end of the response".to_string()
    } else {
        format!("`{after}`")
    };
    bad(
        miss.rule,
        format!(
            "{what}: `{}` wants {} at byte {}, after `{before}`, where the server sent {shown}",
            miss.rule,
            miss.want.show(),
            miss.offset
        ),
    )
}

/// Explains a body structure whose fields are not separated by SP where RFC 3501 §9
/// requires it: every field of `body-type-1part` and everything after the parts of
/// `body-type-mpart` (only `1*body` and `1*address` are written without separators).
fn body_spacing(t: &Tok) -> Option<String> {
    let l = t.list()?;
    let adjacent = |a: &Tok, b: &Tok| a.span.1 == b.span.0;
    let parts = l.iter().take_while(|p| p.list().is_some()).count();
    if parts > 0 {
        // body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]
        for p in &l[..parts] {
            if let Some(d) = body_spacing(p) {
                return Some(d);
            }
        }
        return l[parts - 1..].windows(2).enumerate().find_map(|(i, w)| {
            adjacent(&w[0], &w[1]).then(|| {
                format!(
                    "no SP before field {} after the parts of a multipart (body-type-mpart)",
                    i + 1
                )
            })
        });
    }
    // body-type-1part: every field separated by SP; for message/rfc822 the 9th field is
    // a nested body.
    if let Some(i) = l.windows(2).position(|w| adjacent(&w[0], &w[1])) {
        return Some(format!(
            "no SP between fields {} and {} of a single-part body (body-type-1part; e.g. body-type-msg = media-message SP body-fields SP envelope SP body SP body-fld-lines)",
            i + 1,
            i + 2
        ));
    }
    l.get(8).and_then(body_spacing)
}

/// RFC 3501 §9 `date-time` by the ABNF alone (no calendar check).
fn date_time_abnf(s: &[u8]) -> bool {
    // dd-Mmm-yyyy hh:mm:ss +zzzz, day may be " d".
    if s.len() != 26 {
        return false;
    }
    let d = |i: usize| s[i].is_ascii_digit();
    let month = s[3..6].to_ascii_uppercase();
    let months: [&[u8]; 12] = [
        b"JAN", b"FEB", b"MAR", b"APR", b"MAY", b"JUN", b"JUL", b"AUG", b"SEP", b"OCT", b"NOV",
        b"DEC",
    ];
    (s[0] == b' ' || d(0))
        && d(1)
        && s[2] == b'-'
        && months.contains(&month.as_slice())
        && s[6] == b'-'
        && (7..11).all(d)
        && s[11] == b' '
        && d(12)
        && d(13)
        && s[14] == b':'
        && d(15)
        && d(16)
        && s[17] == b':'
        && d(18)
        && d(19)
        && s[20] == b' '
        && (s[21] == b'+' || s[21] == b'-')
        && (22..26).all(d)
}

fn status_data(bytes: &[u8], toks: &[Tok]) -> Option<Fault> {
    let fail = || {
        Some(match innermost::status(bytes) {
            Some(miss) => at_miss(bytes, &miss, "STATUS response"),
            None => bad("status-att-list", "STATUS response does not match"),
        })
    };
    let [kw, mbox, list] = toks else {
        return fail();
    };
    let Some(items) = list.list() else {
        return fail();
    };
    if items.len() % 2 != 0 {
        return fail();
    }
    let core: Vec<Tok> = items
        .chunks(2)
        .filter(|p| {
            p[0].atom().is_some_and(|a| {
                CORE_STATUS
                    .iter()
                    .any(|c| c.as_bytes() == a.to_ascii_uppercase().as_slice())
            })
        })
        .flat_map(|p| p.iter().cloned())
        .collect();
    if core.len() == items.len() {
        return fail();
    }
    let mut head = rebuild(bytes, b"* ", &[kw.clone(), mbox.clone()], b" (");
    head.extend_from_slice(&rebuild(bytes, b"", &core, b")\r\n"));
    if decodes(&head) {
        None
    } else {
        fail()
    }
}

#[cfg(test)]
mod tests;
