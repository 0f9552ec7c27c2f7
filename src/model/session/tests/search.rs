//! RFC 2060 §6.4.4 SEARCH as the reference server answers it: a key and its negation
//! partition the mailbox, OR is the union, and SENT* keys take the Date: header's date.

use super::{ok, search, T};
use crate::model::Profile;

/// INBOX with seven messages whose From fields a server may read differently (comments,
/// encoded words, groups, none), selected.
fn seven() -> T {
    let mut t = T::authed();
    let froms = [
        "From: x@example.org (x)",
        "From: \"x\" <x@example.org>",
        "From: =?utf-8?q?x?= <y@example.org>",
        "From: group: x@example.org;",
        "From: x@example.org",
        "From: y@example.org",
        "Subject: none",
    ];
    for (i, f) in froms.iter().enumerate() {
        let text = format!("{f}\r\nDate: Tue, 15 Feb 1994 23:30:00 -0800\r\n\r\nbody {i}\r\n");
        ok(&t.append("INBOX", "", &text));
    }
    ok(&t.run("SELECT INBOX"));
    t
}

fn all() -> Vec<u32> {
    (1..=7).collect()
}

#[test]
fn a_key_or_its_negation_matches_every_message_rfc2060_6_4_4() {
    // OR: "Messages that match either search key"; NOT: "Messages that do not match the
    // specified search key".
    let mut t = seven();
    for k in [
        "FROM x",
        "FROM \"x (\"",
        "FROM \"<x\"",
        "TO x",
        "TEXT \"x (\"",
    ] {
        let either = search(&t.run(&format!("SEARCH OR {k} NOT {k}")));
        assert_eq!(either, all(), "{k}");
        let mut yes = search(&t.run(&format!("SEARCH {k}")));
        let no = search(&t.run(&format!("SEARCH NOT {k}")));
        assert!(yes.iter().all(|n| !no.contains(n)), "{k}: {yes:?} {no:?}");
        yes.extend(no);
        yes.sort();
        assert_eq!(yes, all(), "{k}");
        assert!(
            search(&t.run(&format!("SEARCH {k} NOT {k}"))).is_empty(),
            "{k}"
        );
    }
}

#[test]
fn sent_on_takes_the_date_headers_date_disregarding_time_and_timezone_rfc3501_6_4_4() {
    // RFC 3501 §6.4.4: "SENTON <date> Messages whose [RFC-2822] Date: header (disregarding
    // time and timezone) is within the specified date." 23:30 -0800 is 16-Feb in UTC.
    for profile in [Profile::Rfc2060, Profile::Rfc3501] {
        let mut t = seven();
        t.s.profile = profile;
        assert_eq!(search(&t.run("SEARCH SENTON 15-Feb-1994")), all());
        assert!(search(&t.run("SEARCH SENTON 16-Feb-1994")).is_empty());
        assert!(search(&t.run("SEARCH SENTBEFORE 15-Feb-1994")).is_empty());
        assert_eq!(search(&t.run("SEARCH SENTBEFORE 16-Feb-1994")), all());
        assert_eq!(search(&t.run("SEARCH SENTSINCE 15-Feb-1994")), all());
        assert!(search(&t.run("SEARCH SENTSINCE 16-Feb-1994")).is_empty());
    }
}
