//! The model's own answer to a SEARCH, as the reference server gives it: two-valued.
//!
//! Where [`evaluate`](super::evaluate) says [`Truth::Maybe`] (servers may differ), a
//! server still answers yes or no, and its answers must obey the logic of RFC 2060
//! §6.4.4: "NOT <search-key> Messages that do not match the specified search key", "OR
//! <search-key1> <search-key2> Messages that match either search key", and a list "is
//! the intersection (AND function) of all the messages that match those keys". So the
//! model decides each `Maybe` key once, by one fixed reading that depends only on the
//! message, and combines the decisions with Boolean logic: `SEARCH k` and `SEARCH NOT k`
//! then partition the mailbox, and `OR a b` is the union of `a` and `b`. A key that
//! `evaluate` decides keeps that decision, so the answer is one every conforming server
//! may give.

use imap_types::search::SearchKey;

use super::{
    contains_ci, date_truth, evaluate_with, DateCmp, SearchScope, SearchSubject, ServerZones, Truth,
};

/// The model's answer to the top-level list of keys (their AND).
pub fn decide_all(
    keys: &[SearchKey],
    subject: &dyn SearchSubject,
    scope: &SearchScope,
    zones: ServerZones,
) -> bool {
    keys.iter().all(|k| decide(k, subject, scope, zones))
}

/// The model's answer to one key: the three-valued verdict where it is `Yes` or `No`,
/// else the model's own reading ([`reading`]), combined by Boolean NOT, OR and AND.
pub fn decide(
    key: &SearchKey,
    subject: &dyn SearchSubject,
    scope: &SearchScope,
    zones: ServerZones,
) -> bool {
    let d = |k: &SearchKey| decide(k, subject, scope, zones);
    match key {
        SearchKey::And(keys) => keys.as_ref().iter().all(d),
        SearchKey::Not(k) => !d(k),
        SearchKey::Or(a, b) => d(a) || d(b),
        leaf => match evaluate_with(leaf, subject, scope, zones) {
            Truth::Yes => true,
            Truth::No => false,
            Truth::Maybe => reading(leaf, subject, scope),
        },
    }
}

/// The reference server's reading of a key the RFC leaves open: strings are matched
/// case-insensitively (ASCII) against the raw, unfolded field values (any field of that
/// name), the raw header and the raw body, and the decoded text parts when the CHARSET
/// asks for decoding; dates are the date as written in the value's own zone ("disregarding
/// time and timezone", RFC 3501 §6.4.4); a message without a Date: header matches no
/// SENT* key; any other key (an extension's) matches nothing.
fn reading(key: &SearchKey, subject: &dyn SearchSubject, scope: &SearchScope) -> bool {
    let field = |name: &[u8], needle: &[u8]| {
        subject
            .header_values(name)
            .iter()
            .any(|v| contains_ci(v, needle))
    };
    let decoded = |needle: &[u8]| {
        scope.decode_mime
            && subject
                .decoded_text_parts()
                .iter()
                .any(|p| contains_ci(p, needle))
    };
    let on_date = |date: chrono::NaiveDate, cmp: DateCmp, d: &imap_types::datetime::NaiveDate| {
        date_truth((date, date), cmp, *d.as_ref()) == Truth::Yes
    };
    let internal = |cmp, d| on_date(subject.internal_date().date_naive(), cmp, d);
    let sent = |cmp, d| {
        subject
            .sent_date()
            .is_some_and(|sd| on_date(sd.date_naive(), cmp, d))
    };
    match key {
        SearchKey::Subject(s) => field(b"Subject", s.as_ref()),
        SearchKey::From(s) => field(b"From", s.as_ref()),
        SearchKey::To(s) => field(b"To", s.as_ref()),
        SearchKey::Cc(s) => field(b"Cc", s.as_ref()),
        SearchKey::Bcc(s) => field(b"Bcc", s.as_ref()),
        SearchKey::Header(name, s) => field(name.as_ref(), s.as_ref()),
        SearchKey::Body(s) => contains_ci(subject.body_bytes(), s.as_ref()) || decoded(s.as_ref()),
        SearchKey::Text(s) => {
            contains_ci(subject.header_bytes(), s.as_ref())
                || contains_ci(subject.body_bytes(), s.as_ref())
                || decoded(s.as_ref())
        }
        SearchKey::Before(d) => internal(DateCmp::Before, d),
        SearchKey::On(d) => internal(DateCmp::On, d),
        SearchKey::Since(d) => internal(DateCmp::Since, d),
        SearchKey::SentBefore(d) => sent(DateCmp::Before, d),
        SearchKey::SentOn(d) => sent(DateCmp::On, d),
        SearchKey::SentSince(d) => sent(DateCmp::Since, d),
        _ => false,
    }
}
