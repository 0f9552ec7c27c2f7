//! SEARCH evaluation, RFC 2060 §6.4.4 (with the RFC 3501 §6.4.4 clarifications),
//! three-valued.
//!
//! Servers legitimately differ where the RFC leaves room: whether substring search sees
//! decoded content (base64, quoted-printable, RFC 2047 words; RFC 2060 §6.4.4 requires
//! decoding only for a CHARSET other than US-ASCII), which non-text body parts are
//! searched ("Server implementations MAY exclude [MIME-IMB] body parts with terminal
//! content media types other than TEXT and MESSAGE"), how the envelope structure renders
//! an address field, non-ASCII case folding, and the time zone in which a date is taken
//! "disregarding time and timezone" (RFC 3501 §6.4.4). So a key evaluates to a [`Truth`]:
//! [`Truth::Yes`] when every conforming server must match the message, [`Truth::No`] when
//! none may, [`Truth::Maybe`] otherwise. The oracle requires model-Yes ⊆ server result ⊆
//! Yes ∪ Maybe.
//!
//! Depth: [`evaluate`] recurses once per nested NOT/OR/parenthesised list. Keys decoded by
//! imap-codec are at most 9 levels deep (its `search_key(9)` recursion limit); keys built
//! in memory are fine to a depth of several thousand on a 2 MiB thread stack (tested at
//! 1000).

use chrono::{DateTime, FixedOffset, NaiveDate, TimeDelta};
use imap_types::search::SearchKey;

use super::sequence::{contains_seq, contains_uid};

/// A three-valued verdict with Kleene's strong logic for AND, OR and NOT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Truth {
    /// Every conforming server matches the message.
    Yes,
    /// No conforming server matches the message.
    No,
    /// The RFC leaves it to the server.
    Maybe,
}

impl Truth {
    /// `Yes` for true, `No` for false.
    pub fn from_bool(b: bool) -> Truth {
        if b {
            Truth::Yes
        } else {
            Truth::No
        }
    }

    /// Kleene AND: `No` if either is `No`, else `Maybe` if either is `Maybe`, else `Yes`.
    /// RFC 2060 §6.4.4: "When multiple keys are specified, the result is the intersection
    /// (AND function) of all the messages that match those keys."
    pub fn and(self, other: Truth) -> Truth {
        match (self, other) {
            (Truth::No, _) | (_, Truth::No) => Truth::No,
            (Truth::Maybe, _) | (_, Truth::Maybe) => Truth::Maybe,
            _ => Truth::Yes,
        }
    }

    /// Kleene OR: `Yes` if either is `Yes`, else `Maybe` if either is `Maybe`, else `No`.
    /// RFC 2060 §6.4.4 OR: "Messages that match either search key."
    pub fn or(self, other: Truth) -> Truth {
        match (self, other) {
            (Truth::Yes, _) | (_, Truth::Yes) => Truth::Yes,
            (Truth::Maybe, _) | (_, Truth::Maybe) => Truth::Maybe,
            _ => Truth::No,
        }
    }
}

impl std::ops::Not for Truth {
    type Output = Truth;

    /// Kleene NOT: swaps `Yes` and `No`, keeps `Maybe`. RFC 2060 §6.4.4 NOT: "Messages
    /// that do not match the specified search key."
    fn not(self) -> Truth {
        match self {
            Truth::Yes => Truth::No,
            Truth::No => Truth::Yes,
            Truth::Maybe => Truth::Maybe,
        }
    }
}

/// One message as SEARCH sees it (RFC 2060 §6.4.4).
pub trait SearchSubject {
    /// Message sequence number (RFC 2060 §2.3.1.2).
    fn seq(&self) -> u32;
    /// Unique identifier (RFC 2060 §2.3.1.1).
    fn uid(&self) -> u32;
    /// Whether the flag is set: `\Seen`, `\Answered`, `\Flagged`, `\Deleted`, `\Draft`,
    /// `\Recent`, or a keyword. Flag names compare case-insensitively.
    fn has_flag(&self, flag: &str) -> bool;
    /// INTERNALDATE (RFC 2060 §2.3.3).
    fn internal_date(&self) -> DateTime<FixedOffset>;
    /// RFC822.SIZE (RFC 2060 §2.3.4).
    fn size(&self) -> u32;
    /// Unfolded values (after the colon) of the top-level header fields with that name
    /// (case-insensitive), in message order.
    fn header_values(&self, name: &[u8]) -> Vec<Vec<u8>>;
    /// The raw header, as in `BODY[HEADER]`.
    fn header_bytes(&self) -> &[u8];
    /// The raw body, as in `BODY[TEXT]`.
    fn body_bytes(&self) -> &[u8];
    /// The parsed Date: header, `None` if missing or unparseable.
    fn sent_date(&self) -> Option<DateTime<FixedOffset>>;
    /// True if the message uses base64/quoted-printable or RFC 2047 words anywhere.
    fn encoded(&self) -> bool;
    /// Ranges of [`SearchSubject::body_bytes`] holding unencoded `text/*` leaf parts of a
    /// MIME message (empty for a single-part message).
    fn plain_text_ranges(&self) -> Vec<std::ops::Range<usize>>;
    /// Decoded bodies of base64 or quoted-printable `text/*` parts.
    fn decoded_text_parts(&self) -> Vec<Vec<u8>>;
}

/// What SEARCH needs of the mailbox besides the message (for `*` in sequence sets).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchScope {
    /// Number of messages in the mailbox (`*` in a message set, RFC 2060 §9).
    pub message_count: u32,
    /// Sorted UIDs in the mailbox (`*` in a UID set is the last, RFC 3501 §6.4.8).
    pub uids: Vec<u32>,
    /// The SEARCH names a CHARSET other than US-ASCII: RFC 2060 §6.4.4 "[MIME-IMB]
    /// content transfer encodings ... MUST be decoded before comparing text", so text in
    /// encoded text parts is certain to be searched.
    pub decode_mime: bool,
    /// SENTBEFORE, SENTON and SENTSINCE take the Date: header's date as written. RFC 3501
    /// §6.4.4: "Messages whose [RFC-2822] Date: header (disregarding time and timezone)
    /// is earlier than the specified date." RFC 2060 §6.4.4 says only "Messages whose
    /// [RFC-822] Date: header is earlier than the specified date", which a server may
    /// read in its own time zone: without this, every zone a server may use counts.
    pub sent_dates_as_written: bool,
}

/// The UTC offsets, in seconds, of the time zones a server may take a date in when it
/// compares dates "disregarding time and timezone" (RFC 3501 §6.4.4). The date in the
/// value's own offset and in UTC are always considered as well.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerZones {
    /// Westmost offset (e.g. -12 h).
    pub min_offset_secs: i32,
    /// Eastmost offset (e.g. +14 h).
    pub max_offset_secs: i32,
}

impl Default for ServerZones {
    /// Every zone in use on Earth: UTC-12:00 to UTC+14:00. With this range a date spans at
    /// least two calendar days, so ON and SENTON are never `Yes`. A lab whose servers all
    /// run in UTC can pass `ServerZones { min_offset_secs: 0, max_offset_secs: 0 }`.
    fn default() -> Self {
        ServerZones {
            min_offset_secs: -12 * 3600,
            max_offset_secs: 14 * 3600,
        }
    }
}

/// RFC 2060 §6.4.4: evaluates one search key against one message, with the default
/// [`ServerZones`].
pub fn evaluate(key: &SearchKey, subject: &dyn SearchSubject, scope: &SearchScope) -> Truth {
    evaluate_with(key, subject, scope, ServerZones::default())
}

/// RFC 2060 §6.4.4: the top-level list of keys is an AND ("the result is the intersection
/// (AND function) of all the messages that match those keys"). An empty list is `Yes`.
pub fn evaluate_all(keys: &[SearchKey], subject: &dyn SearchSubject, scope: &SearchScope) -> Truth {
    evaluate_all_with(keys, subject, scope, ServerZones::default())
}

/// [`evaluate_all`] with the server's possible time zones given.
pub fn evaluate_all_with(
    keys: &[SearchKey],
    subject: &dyn SearchSubject,
    scope: &SearchScope,
    zones: ServerZones,
) -> Truth {
    keys.iter().fold(Truth::Yes, |acc, k| {
        acc.and(evaluate_with(k, subject, scope, zones))
    })
}

/// [`evaluate`] with the server's possible time zones given.
pub fn evaluate_with(
    key: &SearchKey,
    subject: &dyn SearchSubject,
    scope: &SearchScope,
    zones: ServerZones,
) -> Truth {
    let flag = |f: &str| Truth::from_bool(subject.has_flag(f));
    let eval = |k: &SearchKey| evaluate_with(k, subject, scope, zones);
    let internal = |cmp: DateCmp, d: &imap_types::datetime::NaiveDate| {
        date_truth(date_span(&subject.internal_date(), zones), cmp, *d.as_ref())
    };
    let sent = |cmp: DateCmp, d: &imap_types::datetime::NaiveDate| match subject.sent_date() {
        Some(sd) if scope.sent_dates_as_written => {
            let written = sd.date_naive();
            date_truth((written, written), cmp, *d.as_ref())
        }
        Some(sd) => date_truth(date_span(&sd, zones), cmp, *d.as_ref()),
        // Servers differ: some fall back to INTERNALDATE, some never match.
        None => Truth::Maybe,
    };
    match key {
        // "A search key can also be a parenthesized list of one or more search keys."
        SearchKey::And(keys) => keys
            .as_ref()
            .iter()
            .fold(Truth::Yes, |acc, k| acc.and(eval(k))),
        // "<message set>: Messages with message sequence numbers corresponding to the
        // specified message sequence number set"
        SearchKey::SequenceSet(set) => {
            Truth::from_bool(contains_seq(set, subject.seq(), scope.message_count))
        }
        // "UID <message set>: Messages with unique identifiers corresponding to the
        // specified unique identifier set."
        SearchKey::Uid(set) => Truth::from_bool(contains_uid(set, subject.uid(), &scope.uids)),
        SearchKey::All => Truth::Yes,
        SearchKey::Answered => flag("\\Answered"),
        SearchKey::Unanswered => !flag("\\Answered"),
        SearchKey::Deleted => flag("\\Deleted"),
        SearchKey::Undeleted => !flag("\\Deleted"),
        SearchKey::Draft => flag("\\Draft"),
        SearchKey::Undraft => !flag("\\Draft"),
        SearchKey::Flagged => flag("\\Flagged"),
        SearchKey::Unflagged => !flag("\\Flagged"),
        SearchKey::Seen => flag("\\Seen"),
        SearchKey::Unseen => !flag("\\Seen"),
        SearchKey::Recent => flag("\\Recent"),
        // NEW: "functionally equivalent to "(RECENT UNSEEN)"".
        SearchKey::New => flag("\\Recent").and(!flag("\\Seen")),
        // OLD: "functionally equivalent to "NOT RECENT"".
        SearchKey::Old => !flag("\\Recent"),
        SearchKey::Keyword(k) => flag(k.as_ref()),
        SearchKey::Unkeyword(k) => !flag(k.as_ref()),
        // "LARGER <n>: Messages with an [RFC-822] size larger than the specified number
        // of octets." SMALLER: "smaller than". Both strict.
        SearchKey::Larger(n) => Truth::from_bool(subject.size() > *n),
        SearchKey::Smaller(n) => Truth::from_bool(subject.size() < *n),
        SearchKey::Not(k) => !eval(k),
        SearchKey::Or(a, b) => eval(a).or(eval(b)),
        SearchKey::Before(d) => internal(DateCmp::Before, d),
        SearchKey::On(d) => internal(DateCmp::On, d),
        SearchKey::Since(d) => internal(DateCmp::Since, d),
        SearchKey::SentBefore(d) => sent(DateCmp::Before, d),
        SearchKey::SentOn(d) => sent(DateCmp::On, d),
        SearchKey::SentSince(d) => sent(DateCmp::Since, d),
        SearchKey::Subject(s) => envelope_text(subject, b"Subject", s.as_ref()),
        SearchKey::From(s) => envelope_address(subject, b"From", s.as_ref()),
        SearchKey::To(s) => envelope_address(subject, b"To", s.as_ref()),
        SearchKey::Cc(s) => envelope_address(subject, b"Cc", s.as_ref()),
        SearchKey::Bcc(s) => envelope_address(subject, b"Bcc", s.as_ref()),
        SearchKey::Header(name, s) => header(subject, name.as_ref(), s.as_ref()),
        SearchKey::Body(s) => {
            let decoded = decoded_parts(subject, scope);
            let mut hays = body_hays(subject);
            hays.extend(decoded_hays(&decoded));
            text_truth(s.as_ref(), &hays)
        }
        SearchKey::Text(s) => {
            let decoded = decoded_parts(subject, scope);
            text(subject, s.as_ref(), &decoded)
        }
        // Extension keys (RFC 5032 OLDER/YOUNGER, RFC 7162 MODSEQ) exist only when another
        // crate turns on imap-types features; they are outside RFC 2060.
        #[allow(unreachable_patterns)]
        _ => Truth::Maybe,
    }
}

// ---------------------------------------------------------------------------------------
// Dates

#[derive(Debug, Clone, Copy)]
enum DateCmp {
    Before,
    On,
    Since,
}

/// The earliest and latest calendar date of `dt` over its own offset, UTC and the
/// server's possible zones (the date is monotone in the offset, so the ends suffice).
fn date_span(dt: &DateTime<FixedOffset>, zones: ServerZones) -> (NaiveDate, NaiveDate) {
    let utc = dt.naive_utc();
    let at = |secs: i32| {
        utc.checked_add_signed(TimeDelta::seconds(i64::from(secs)))
            .map(|t| t.date())
    };
    let own = dt.date_naive();
    [
        Some(utc.date()),
        at(zones.min_offset_secs),
        at(zones.max_offset_secs),
    ]
    .into_iter()
    .flatten()
    .fold((own, own), |(lo, hi), d| (lo.min(d), hi.max(d)))
}

/// RFC 2060 §6.4.4 BEFORE "earlier than the specified date", ON "within the specified
/// date", SINCE "within or later than the specified date", over a span of possible dates:
/// `Yes`/`No` when every date in the span agrees, else `Maybe`.
fn date_truth((lo, hi): (NaiveDate, NaiveDate), cmp: DateCmp, d: NaiveDate) -> Truth {
    let (all, none) = match cmp {
        DateCmp::Before => (hi < d, lo >= d),
        DateCmp::Since => (lo >= d, hi < d),
        DateCmp::On => (lo == d && hi == d, d < lo || d > hi),
    };
    if all {
        Truth::Yes
    } else if none {
        Truth::No
    } else {
        Truth::Maybe
    }
}

// ---------------------------------------------------------------------------------------
// Strings

/// One place the needle is looked for.
struct Hay<'h> {
    bytes: &'h [u8],
    /// A raw match here is a match on every conforming server.
    certain: bool,
    /// Servers may transform these bytes before matching (decode, normalise, skip), so a
    /// raw miss proves nothing.
    transformable: bool,
}

impl<'h> Hay<'h> {
    /// A header field value: certain unless it holds encoded words a server may decode.
    fn of_value(v: &'h [u8]) -> Hay<'h> {
        let enc = value_encoded(v);
        Hay {
            bytes: v,
            certain: !enc,
            transformable: enc,
        }
    }
}

/// ASCII case-insensitive substring test (RFC 2060 §6.4.4: "a message matches the key if
/// the string is a substring of the field.  The matching is case-insensitive.").
fn contains_ci(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty()
        || haystack
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

fn has_whitespace_run(b: &[u8]) -> bool {
    b.iter().any(|&c| matches!(c, b'\t' | b'\r' | b'\n')) || b.windows(2).any(|w| w == b"  ")
}

/// `b` with every run of SP, HTAB, CR and LF replaced by one SP: what a server that
/// normalises whitespace (or unfolds differently) might search.
fn collapse_whitespace(b: &[u8]) -> Vec<u8> {
    let ws = |c: &u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    let mut out = Vec::with_capacity(b.len());
    for c in b {
        if ws(c) {
            if out.last() != Some(&b' ') {
                out.push(b' ');
            }
        } else {
            out.push(*c);
        }
    }
    out
}

/// The core of every string key. `Yes` if the needle occurs (ASCII case-folded) in a
/// certain hay; `Maybe` if it occurs only in uncertain ones; on no occurrence `No` unless
/// a hay may be transformed by the server, has non-ASCII bytes (a server folding
/// Unicode case might match), or matches once its whitespace runs are collapsed. A non-ASCII needle is `Maybe` either way (its meaning
/// depends on CHARSET and decoding), and so is a needle whose whitespace is fragile
/// (tab, CR, LF, a leading, trailing or doubled space: unfolding and whitespace
/// normalisation differ between servers). An empty needle is a substring of every field
/// present: `Yes` if a certain hay exists, else `Maybe`.
fn text_truth(needle: &[u8], hays: &[Hay]) -> Truth {
    if !needle.is_ascii()
        || has_whitespace_run(needle)
        || needle.first() == Some(&b' ')
        || needle.last() == Some(&b' ')
    {
        return Truth::Maybe;
    }
    if needle.is_empty() {
        return if hays.iter().any(|h| h.certain) {
            Truth::Yes
        } else {
            Truth::Maybe
        };
    }
    let mut verdict = Truth::No;
    for h in hays {
        if contains_ci(h.bytes, needle) {
            if h.certain {
                return Truth::Yes;
            }
            verdict = Truth::Maybe;
        } else if h.transformable
            || !h.bytes.is_ascii()
            || (needle.contains(&b' ') && contains_ci(&collapse_whitespace(h.bytes), needle))
        {
            verdict = Truth::Maybe;
        }
    }
    verdict
}

/// Whether a header value may hold RFC 2047 encoded words ("=?"). A property of the value
/// alone, so that equal fields answer alike whatever else their messages hold.
fn value_encoded(value: &[u8]) -> bool {
    value.windows(2).any(|w| w == b"=?")
}

/// SUBJECT: "Messages that contain the specified string in the envelope structure's
/// SUBJECT field." The envelope holds the first Subject field; later ones are uncertain.
fn envelope_text(subject: &dyn SearchSubject, field: &[u8], needle: &[u8]) -> Truth {
    let values = subject.header_values(field);
    let hays: Vec<Hay> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let enc = value_encoded(v);
            Hay {
                bytes: v,
                certain: i == 0 && !enc,
                transformable: enc,
            }
        })
        .collect();
    text_truth(needle, &hays)
}

/// Bytes that an envelope address structure (RFC 2060 §7.4.2) may drop or rewrite:
/// comments, quoting, group syntax.
fn has_address_specials(v: &[u8]) -> bool {
    v.iter().any(|c| b"()\"\\:;".contains(c))
}

/// A needle made only of atext (RFC 2822 §3.2.4) plus `@` and `.`: it lies within one
/// token of an address, which every envelope rendering keeps.
fn token_safe(needle: &[u8]) -> bool {
    needle
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~@.".contains(&c))
}

/// FROM/TO/CC/BCC: "Messages that contain the specified string in the envelope
/// structure's FROM field" (and TO, CC, BCC). Servers search a rendering of the parsed
/// addresses, not the raw field; a raw match is certain only for a token-safe needle in a
/// plain first field, and a raw miss is conclusive only for a token-safe needle.
fn envelope_address(subject: &dyn SearchSubject, field: &[u8], needle: &[u8]) -> Truth {
    let values = subject.header_values(field);
    let safe = token_safe(needle);
    let hays: Vec<Hay> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let fragile = value_encoded(v) || has_address_specials(v);
            Hay {
                bytes: v,
                certain: i == 0 && safe && !fragile,
                transformable: !safe || fragile,
            }
        })
        .collect();
    text_truth(needle, &hays)
}

/// HEADER: "Messages that have a header with the specified field-name ... and that
/// contains the specified string in the [RFC-822] field-body." RFC 3501 §6.4.4: "If the
/// string to search is zero-length, this matches all messages that have a header line
/// with the specified field-name regardless of the contents."
fn header(subject: &dyn SearchSubject, field: &[u8], needle: &[u8]) -> Truth {
    let values = subject.header_values(field);
    if needle.is_empty() {
        return Truth::from_bool(!values.is_empty());
    }
    let hays: Vec<Hay> = values.iter().map(|v| Hay::of_value(v)).collect();
    text_truth(needle, &hays)
}

/// BODY: "Messages that contain the specified string in the body of the message." Raw
/// matches are certain only in a single-part text body without a transfer encoding;
/// multipart and non-text bodies may be decoded or skipped part by part (RFC 2060 §6.4.4:
/// servers "MAY exclude [MIME-IMB] body parts with terminal content media types other
/// than TEXT and MESSAGE").
/// The decoded text parts when the SEARCH's CHARSET requires decoding.
fn decoded_parts(subject: &dyn SearchSubject, scope: &SearchScope) -> Vec<Vec<u8>> {
    if scope.decode_mime {
        subject.decoded_text_parts()
    } else {
        Vec::new()
    }
}

/// Decoded text parts as certain hays (RFC 2060 §6.4.4: they MUST be searched decoded).
fn decoded_hays(decoded: &[Vec<u8>]) -> impl Iterator<Item = Hay<'_>> {
    decoded.iter().map(|bytes| Hay {
        bytes,
        certain: true,
        transformable: false,
    })
}

/// The hays of BODY: the whole body (see [`body_hay`]), and each unencoded text leaf of
/// a MIME message, where a match is certain however the server reads MIME.
fn body_hays<'s>(subject: &'s dyn SearchSubject) -> Vec<Hay<'s>> {
    let body = subject.body_bytes();
    let mut hays = vec![body_hay(subject)];
    hays.extend(
        subject
            .plain_text_ranges()
            .into_iter()
            .filter_map(|r| body.get(r))
            .map(|bytes| Hay {
                bytes,
                certain: true,
                transformable: false,
            }),
    );
    hays
}

fn body_hay<'s>(subject: &'s dyn SearchSubject) -> Hay<'s> {
    let first = |name: &[u8]| {
        subject
            .header_values(name)
            .into_iter()
            .next()
            .map(|v| v.trim_ascii().to_ascii_lowercase())
    };
    let textual = match first(b"Content-Type") {
        None => true,
        Some(ct) => ct.starts_with(b"text/") || ct == b"text",
    };
    let encoded = match first(b"Content-Transfer-Encoding") {
        None => false,
        Some(cte) => cte.starts_with(b"base64") || cte.starts_with(b"quoted-printable"),
    };
    Hay {
        bytes: subject.body_bytes(),
        certain: textual && !encoded,
        transformable: !textual || encoded,
    }
}

/// TEXT: "Messages that contain the specified string in the header or body of the
/// message." Matches inside a field body (after the colon, unfolded) are certain; a match
/// only elsewhere in the raw header (field names, across a fold) is `Maybe`, since servers
/// differ in what of the header they search.
fn text(subject: &dyn SearchSubject, needle: &[u8], decoded: &[Vec<u8>]) -> Truth {
    let fields = header_fields(subject.header_bytes());
    let mut hays: Vec<Hay> = fields.iter().map(|(_, v)| Hay::of_value(v)).collect();
    hays.push(Hay {
        bytes: subject.header_bytes(),
        certain: false,
        transformable: false,
    });
    hays.extend(body_hays(subject));
    hays.extend(decoded_hays(decoded));
    text_truth(needle, &hays)
}

/// Top-level header fields of a raw header as (name, unfolded value) pairs, in order (a
/// helper for implementing [`SearchSubject::header_values`]): RFC 2822
/// §2.2.3 unfolding removes each CRLF that precedes whitespace; the value is what follows
/// the colon, without surrounding whitespace. Lines that are neither a field nor a
/// continuation are skipped; the first empty line ends the header.
pub fn header_fields(header: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    for line in header.split(|&c| c == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if matches!(line[0], b' ' | b'\t') {
            if let Some((_, v)) = out.last_mut() {
                v.extend_from_slice(line);
            }
            continue;
        }
        if let Some(colon) = line.iter().position(|&c| c == b':') {
            out.push((
                line[..colon].trim_ascii().to_vec(),
                line[colon + 1..].to_vec(),
            ));
        }
    }
    for (_, v) in &mut out {
        *v = v.trim_ascii().to_vec();
    }
    out
}

mod decide;
pub use decide::{decide, decide_all};

#[cfg(test)]
mod tests;

/// Whether any key in `keys`, or nested in one (NOT, OR, a parenthesised list), satisfies
/// `pred`.
pub fn any_key(keys: &[SearchKey], pred: &dyn Fn(&SearchKey) -> bool) -> bool {
    keys.iter().any(|k| {
        pred(k)
            || match k {
                SearchKey::And(inner) => any_key(inner.as_ref(), pred),
                SearchKey::Not(inner) => any_key(std::slice::from_ref(inner.as_ref()), pred),
                SearchKey::Or(a, b) => {
                    any_key(std::slice::from_ref(a.as_ref()), pred)
                        || any_key(std::slice::from_ref(b.as_ref()), pred)
                }
                _ => false,
            }
    })
}

/// The requirement (`rfc/requirements.toml`) that defines what `key` matches
/// (RFC 2060 §6.4.4), for findings about a SEARCH with that key.
pub fn key_requirement(key: &SearchKey) -> &'static str {
    match key {
        SearchKey::And(_) => "2060-6.4.4-and",
        SearchKey::SequenceSet(_) => "2060-6.4.4-key-message-set",
        SearchKey::All => "2060-6.4.4-key-all",
        SearchKey::Answered => "2060-6.4.4-key-answered",
        SearchKey::Bcc(_) => "2060-6.4.4-key-bcc",
        SearchKey::Before(_) => "2060-6.4.4-key-before",
        SearchKey::Body(_) => "2060-6.4.4-key-body",
        SearchKey::Cc(_) => "2060-6.4.4-key-cc",
        SearchKey::Deleted => "2060-6.4.4-key-deleted",
        SearchKey::Draft => "2060-6.4.4-key-draft",
        SearchKey::Flagged => "2060-6.4.4-key-flagged",
        SearchKey::From(_) => "2060-6.4.4-key-from",
        SearchKey::Header(..) => "2060-6.4.4-key-header",
        SearchKey::Keyword(_) => "2060-6.4.4-key-keyword",
        SearchKey::Larger(_) => "2060-6.4.4-key-larger",
        SearchKey::New => "2060-6.4.4-key-new",
        SearchKey::Not(_) => "2060-6.4.4-key-not",
        SearchKey::Old => "2060-6.4.4-key-old",
        SearchKey::On(_) => "2060-6.4.4-key-on",
        SearchKey::Or(..) => "2060-6.4.4-key-or",
        SearchKey::Recent => "2060-6.4.4-key-recent",
        SearchKey::Seen => "2060-6.4.4-key-seen",
        SearchKey::SentBefore(_) => "2060-6.4.4-key-sentbefore",
        SearchKey::SentOn(_) => "2060-6.4.4-key-senton",
        SearchKey::SentSince(_) => "2060-6.4.4-key-sentsince",
        SearchKey::Since(_) => "2060-6.4.4-key-since",
        SearchKey::Smaller(_) => "2060-6.4.4-key-smaller",
        SearchKey::Subject(_) => "2060-6.4.4-key-subject",
        SearchKey::Text(_) => "2060-6.4.4-key-text",
        SearchKey::To(_) => "2060-6.4.4-key-to",
        SearchKey::Uid(_) => "2060-6.4.4-key-uid",
        SearchKey::Unanswered => "2060-6.4.4-key-unanswered",
        SearchKey::Undeleted => "2060-6.4.4-key-undeleted",
        SearchKey::Undraft => "2060-6.4.4-key-undraft",
        SearchKey::Unflagged => "2060-6.4.4-key-unflagged",
        SearchKey::Unkeyword(_) => "2060-6.4.4-key-unkeyword",
        SearchKey::Unseen => "2060-6.4.4-key-unseen",
        #[allow(unreachable_patterns)]
        _ => "2060-6.4.4-sequence-numbers",
    }
}
