//! RFC 2060 §9 `set`: ranges written high end first, and the wording of a refused set.

use std::sync::Arc;

use super::{fetches, ok, search, T};
use crate::model::account::Arrival;
use crate::model::flags::FlagSet;
use crate::model::message::Message;
use crate::model::response::Outcome;
use crate::model::Profile;

fn numbers(r: &crate::model::response::Reply) -> Vec<u32> {
    fetches(r).into_iter().map(|(n, _)| n).collect()
}

#[test]
fn a_range_written_high_to_low_names_the_numbers_between_rfc2060_9() {
    // RFC 2060 §9 set: "colon delimits between two numbers inclusive"; RFC 3501 §9:
    // "2:4 and 4:2 are equivalent and indicate values 2, 3, and 4".
    for profile in [Profile::Rfc2060, Profile::Rfc3501] {
        let mut t = T::selected(&["", "", "", "", ""]);
        t.s.profile = profile;
        let r = t.run("FETCH 4:2 FLAGS");
        ok(&r);
        assert_eq!(numbers(&r), vec![2, 3, 4], "{profile:?}");
        let r = t.run("UID FETCH 4:2 FLAGS");
        ok(&r);
        assert_eq!(numbers(&r), vec![2, 3, 4], "{profile:?}");
        assert_eq!(search(&t.run("SEARCH 4:2")), vec![2, 3, 4]);
        assert_eq!(search(&t.run("SEARCH UID 9:*")), vec![5]);
        let r = t.run("STORE 3:1 +FLAGS (\\Flagged)");
        ok(&r);
        assert_eq!(numbers(&r), vec![1, 2, 3]);
        ok(&t.run("COPY 5:4 INBOX"));
        assert_eq!(t.messages("INBOX"), 7);
    }
}

#[test]
fn an_oracle_under_rfc2060_accepts_any_reading_of_a_reversed_range_rfc2060_9() {
    // RFC 2060 names no order for a range's two numbers: a server that reads `4:2` as
    // nothing, or refuses it, is not judged on it.
    let mut t = T::selected(&["", "", "", "", ""]);
    t.s.follower = true;
    let r = t.run("FETCH 4:2 FLAGS");
    assert!(r.allowed.permits(Outcome::Ok) && r.allowed.permits(Outcome::Bad));
    assert!(t.s.latitude.data_unsure);
    let r = t.run("STORE 4:2 +FLAGS (\\Seen)");
    assert!(r.allowed.permits(Outcome::No));
    assert!(t.s.latitude.flags_lost);
    // RFC 3501 §9 fixes the reading: the oracle holds a server to it.
    t.s.profile = Profile::Rfc3501;
    let r = t.run("FETCH 4:2 FLAGS");
    assert!(!r.allowed.permits(Outcome::Bad));
    assert!(!t.s.latitude.data_unsure);
}

#[test]
fn a_refused_uid_set_is_called_a_uid_set_rfc2060_6_4_8() {
    // An oracle that does not know whether `*` counts a message the server has not
    // announced refuses to predict; the text names what was refused.
    let mut t = T::selected(&["", ""]);
    t.s.follower = true;
    let now = t.s.now;
    t.store
        .accounts
        .get_mut("u1")
        .unwrap()
        .deliver(
            b"INBOX",
            Arc::new(Message::parse(b"Subject: x\r\n\r\nx\r\n".to_vec())),
            FlagSet::new(),
            now,
            true,
            Arrival::Unclaimed,
            true,
        )
        .unwrap();
    let r = t.run("UID FETCH 1:* FLAGS");
    assert_eq!(r.completion.outcome, Outcome::Bad);
    assert!(r.completion.text.contains("UID"), "{r:?}");
    assert!(!r.completion.text.contains("sequence number"), "{r:?}");
}

#[test]
fn a_uid_range_to_star_in_an_empty_mailbox_names_nothing_however_read_rfc2060_9() {
    // `UID 1:*` in an empty mailbox is `1:0` under RFC 2060 §9, but names no message
    // under any reading: an oracle still follows what the server does with it.
    let mut t = T::selected(&[]);
    t.s.follower = true;
    let r = t.run("UID COPY 1:* INBOX");
    assert!(!r.allowed.permits(Outcome::Bad), "{r:?}");
    assert!(!t.s.latitude.unsure);
}
