//! RFC 2060 §6.4.4 NOT, OR and AND over keys the model is unsure of, the model's own
//! two-valued answer ([`decide`]), and SENTBEFORE/SENTON/SENTSINCE dates.

use imap_types::search::SearchKey;

use super::{and, date, ev, s, scope, Msg};
use crate::model::search::{
    decide, evaluate, evaluate_with, SearchScope, ServerZones,
    Truth::{Maybe, No, Yes},
};

fn not(k: SearchKey<'static>) -> SearchKey<'static> {
    SearchKey::Not(Box::new(k))
}

fn or(a: SearchKey<'static>, b: SearchKey<'static>) -> SearchKey<'static> {
    SearchKey::Or(Box::new(a), Box::new(b))
}

fn utc() -> ServerZones {
    ServerZones {
        min_offset_secs: 0,
        max_offset_secs: 0,
    }
}

fn decided(k: &SearchKey, m: &Msg) -> bool {
    decide(k, m, &scope(), utc())
}

/// A From field a server may render differently in the envelope (a comment).
fn commented() -> Msg {
    Msg::new("From: joe@example.org (Joe Smith)\n", "")
}

#[test]
fn not_of_an_unsure_key_is_unsure_rfc2060_6_4_4() {
    // "NOT <search-key> Messages that do not match the specified search key."
    let m = commented();
    let from = SearchKey::From(s("Joe Smith"));
    assert_eq!(ev(from.clone(), &m), Maybe);
    assert_eq!(ev(not(from.clone()), &m), Maybe);
    assert_eq!(ev(or(from.clone(), not(from.clone())), &m), Maybe);
    assert_eq!(ev(and(vec![from.clone(), not(from)]), &m), Maybe);
}

#[test]
fn a_key_or_its_negation_matches_every_message_the_model_answers_for_rfc2060_6_4_4() {
    // "OR <search-key1> <search-key2> Messages that match either search key." and NOT:
    // the model's own answer to `OR k NOT k` is every message, to `k NOT k` none.
    for m in [
        commented(),
        Msg::new("From: Joe <joe@example.org>\n", ""),
        Msg::new("From: =?utf-8?q?J=C3=B6e?= <joe@example.org>\n", ""),
        Msg::new("Subject: no from\n", ""),
    ] {
        for needle in ["Joe Smith", "joe", "J\u{f6}e", "example.org>", ""] {
            let k = SearchKey::From(s(needle));
            assert!(decided(&or(k.clone(), not(k.clone())), &m), "{needle}");
            assert!(
                !decided(&and(vec![k.clone(), not(k.clone())]), &m),
                "{needle}"
            );
            assert_ne!(decided(&k, &m), decided(&not(k.clone()), &m), "{needle}");
        }
    }
}

#[test]
fn the_models_answer_keeps_every_sure_verdict_rfc2060_6_4_4() {
    let m = Msg::new(super::SMITH, "hello world");
    for k in [
        SearchKey::From(s("smith")),
        SearchKey::From(s("nobody")),
        SearchKey::Body(s("world")),
        SearchKey::Subject(s("Meeting")),
    ] {
        match ev(k.clone(), &m) {
            Yes => assert!(decided(&k, &m), "{k:?}"),
            No => assert!(!decided(&k, &m), "{k:?}"),
            Maybe => {}
        }
    }
}

#[test]
fn equal_from_fields_answer_from_alike_whatever_else_the_message_holds_rfc2060_6_4_4() {
    // "FROM <string> Messages that contain the specified string in the envelope
    // structure's FROM field": the answer depends on that field alone.
    let header = "From: =?utf-8?q?J=C3=B6rg?= <jorg@example.org>\n";
    let mut plain = Msg::new(header, "plain body");
    plain.encoded = false;
    let mut encoded = Msg::new(header, "plain body");
    encoded.encoded = true;
    for needle in ["jorg", "J=C3=B6rg", "example", "zzz"] {
        let k = SearchKey::From(s(needle));
        assert_eq!(ev(k.clone(), &plain), ev(k.clone(), &encoded), "{needle}");
        assert_eq!(decided(&k, &plain), decided(&k, &encoded), "{needle}");
    }
}

fn as_written() -> SearchScope {
    SearchScope {
        sent_dates_as_written: true,
        ..scope()
    }
}

#[test]
fn sent_dates_disregard_time_and_timezone_rfc3501_6_4_4() {
    // RFC 3501 §6.4.4: "SENTON <date> Messages whose [RFC-2822] Date: header (disregarding
    // time and timezone) is within the specified date." 23:30 -0800 is the next day in UTC.
    let m = Msg::new("Date: Tue, 15 Feb 1994 23:30:00 -0800\n", "");
    let sc = as_written();
    let at = |k: SearchKey| evaluate_with(&k, &m, &sc, ServerZones::default());
    assert_eq!(at(SearchKey::SentOn(date("1994-02-15"))), Yes);
    assert_eq!(at(SearchKey::SentOn(date("1994-02-16"))), No);
    assert_eq!(at(SearchKey::SentBefore(date("1994-02-16"))), Yes);
    assert_eq!(at(SearchKey::SentBefore(date("1994-02-15"))), No);
    assert_eq!(at(SearchKey::SentSince(date("1994-02-15"))), Yes);
    assert_eq!(at(SearchKey::SentSince(date("1994-02-16"))), No);
}

#[test]
fn sent_dates_near_midnight_may_go_either_way_under_rfc2060_which_names_no_zone_6_4_4() {
    // RFC 2060 §6.4.4: "SENTON <date> Messages whose [RFC-822] Date: header is within the
    // specified date": a server may take the date in its own zone.
    let m = Msg::new("Date: Tue, 15 Feb 1994 23:30:00 -0800\n", "");
    assert_eq!(
        evaluate(&SearchKey::SentOn(date("1994-02-15")), &m, &scope()),
        Maybe
    );
    // The model's own answer is the date as written, under either document.
    assert!(decide(
        &SearchKey::SentOn(date("1994-02-15")),
        &m,
        &scope(),
        ServerZones::default()
    ));
    assert!(!decide(
        &SearchKey::SentOn(date("1994-02-16")),
        &m,
        &scope(),
        ServerZones::default()
    ));
}
