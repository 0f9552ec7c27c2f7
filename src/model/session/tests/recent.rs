//! RFC 2060 §2.3.2 `\Recent` across sessions sharing one store, and RFC 2060 §7.3.2
//! RECENT: the count, FETCH FLAGS and SEARCH RECENT/NEW/OLD agree, and a message is
//! `\Recent` in exactly one read-write session.

use chrono::DateTime;
use imap_codec::decode::Decoder;
use imap_codec::CommandCodec;

use super::super::{Session, Store};
use super::{fetch_flags, has, mail, ok, search};
use crate::model::response::{Reply, Untagged};
use crate::model::Profile;

/// Several connections of user u1 to one store.
pub(super) struct Many {
    pub store: Store,
    pub s: Vec<Session>,
}

impl Many {
    pub fn new(n: usize) -> Many {
        let now = DateTime::parse_from_rfc3339("2024-03-01T12:00:00+00:00").unwrap();
        let mut m = Many {
            store: Store::with_users(b'.', &[("u1".into(), "pw-u1".into())]),
            s: (0..n)
                .map(|_| Session::new(Profile::Rfc2060, now))
                .collect(),
        };
        for i in 0..n {
            ok(&m.run(i, "LOGIN u1 pw-u1"));
        }
        m
    }

    pub fn run(&mut self, i: usize, line: &str) -> Reply {
        self.bytes(i, format!("a1 {line}\r\n").as_bytes())
    }

    pub fn bytes(&mut self, i: usize, b: &[u8]) -> Reply {
        let (_, cmd) = CommandCodec::default().decode(b).expect("decodes");
        self.s[i].execute(&mut self.store, &cmd.body)
    }

    pub fn append(&mut self, i: usize, mailbox: &str, text: &str) -> Reply {
        let b = format!("a1 APPEND {mailbox} {{{}}}\r\n{text}\r\n", text.len());
        self.bytes(i, b.as_bytes())
    }
}

/// The last RECENT count in a reply.
pub(super) fn recent_count(r: &Reply) -> Option<u32> {
    r.untagged.iter().rev().find_map(|u| match u {
        Untagged::Recent(n) => Some(*n),
        _ => None,
    })
}

/// The last EXISTS count in a reply.
pub(super) fn exists_count(r: &Reply) -> Option<u32> {
    r.untagged.iter().rev().find_map(|u| match u {
        Untagged::Exists(n) => Some(*n),
        _ => None,
    })
}

#[test]
fn a_message_arriving_while_selected_is_recent_in_the_first_session_notified_rfc2060_2_3_2() {
    let mut m = Many::new(3);
    ok(&m.run(0, "SELECT INBOX"));
    ok(&m.run(1, "SELECT INBOX"));
    ok(&m.append(2, "INBOX", &mail(1)));
    // Session 0 is notified first: RECENT 1, and FETCH FLAGS and SEARCH RECENT say so.
    let r = m.run(0, "NOOP");
    assert_eq!(exists_count(&r), Some(1), "{r:?}");
    assert_eq!(recent_count(&r), Some(1), "{r:?}");
    let r = m.run(0, "FETCH 1 FLAGS");
    assert!(has(&fetch_flags(&r, 1).unwrap(), "\\Recent"), "{r:?}");
    assert_eq!(search(&m.run(0, "SEARCH RECENT")), vec![1]);
    assert_eq!(search(&m.run(0, "SEARCH NEW")), vec![1]);
    assert_eq!(search(&m.run(0, "SEARCH OLD")), Vec::<u32>::new());
    // "subsequent sessions will not see \Recent set for this message".
    let r = m.run(1, "NOOP");
    assert_eq!(exists_count(&r), Some(1), "{r:?}");
    assert_ne!(recent_count(&r), Some(1), "{r:?}");
    let r = m.run(1, "FETCH 1 FLAGS");
    assert!(!has(&fetch_flags(&r, 1).unwrap(), "\\Recent"), "{r:?}");
    assert_eq!(search(&m.run(1, "SEARCH RECENT")), Vec::<u32>::new());
    assert_eq!(search(&m.run(1, "SEARCH OLD")), vec![1]);
}

#[test]
fn a_later_select_by_the_same_or_another_session_does_not_see_recent_again_rfc2060_2_3_2() {
    let mut m = Many::new(2);
    ok(&m.run(0, "SELECT INBOX"));
    ok(&m.append(1, "INBOX", &mail(1)));
    assert_eq!(recent_count(&m.run(0, "NOOP")), Some(1));
    let r = m.run(0, "SELECT INBOX");
    assert_eq!(recent_count(&r), Some(0), "{r:?}");
    let r = m.run(1, "SELECT INBOX");
    assert_eq!(recent_count(&r), Some(0), "{r:?}");
    assert_eq!(search(&m.run(1, "SEARCH RECENT")), Vec::<u32>::new());
}

#[test]
fn a_message_appended_to_the_selected_mailbox_is_recent_in_the_appending_session_rfc2060_2_3_2() {
    let mut m = Many::new(2);
    ok(&m.run(0, "SELECT INBOX"));
    let r = m.append(0, "INBOX", &mail(1));
    assert_eq!(recent_count(&r), Some(1), "{r:?}");
    let r = m.run(0, "FETCH 1 FLAGS");
    assert!(has(&fetch_flags(&r, 1).unwrap(), "\\Recent"), "{r:?}");
    let r = m.run(1, "SELECT INBOX");
    assert_eq!(recent_count(&r), Some(0), "{r:?}");
}

#[test]
fn a_read_only_session_does_not_take_recent_from_the_next_rfc3501_2_3_2() {
    // RFC 3501 §2.3.2: "if the session is read-write, subsequent sessions will not see
    // \Recent set for this message".
    let mut m = Many::new(2);
    ok(&m.append(1, "INBOX", &mail(1)));
    let r = m.run(0, "EXAMINE INBOX");
    assert_eq!(recent_count(&r), Some(1), "{r:?}");
    let r = m.run(0, "FETCH 1 FLAGS");
    assert!(has(&fetch_flags(&r, 1).unwrap(), "\\Recent"), "{r:?}");
    let r = m.run(1, "SELECT INBOX");
    assert_eq!(recent_count(&r), Some(1), "{r:?}");
    let r = m.run(1, "SELECT INBOX");
    assert_eq!(recent_count(&r), Some(0), "{r:?}");
}

#[test]
fn recent_never_exceeds_exists_after_another_sessions_expunge_rfc2060_7_3_2() {
    let mut m = Many::new(2);
    ok(&m.append(1, "INBOX", &mail(1)));
    ok(&m.append(1, "INBOX", &mail(2)));
    ok(&m.run(0, "SELECT INBOX"));
    ok(&m.run(1, "SELECT INBOX"));
    ok(&m.run(1, "STORE 1:2 +FLAGS (\\Deleted)"));
    ok(&m.run(1, "EXPUNGE"));
    ok(&m.append(1, "INBOX", &mail(3)));
    let r = m.run(0, "NOOP");
    assert_eq!(exists_count(&r), Some(1), "{r:?}");
    // The two expunged messages were this session's \Recent ones; the new one was
    // announced to session 1 first (its APPEND), so none is \Recent here.
    assert!(recent_count(&r).unwrap_or(0) <= 1, "{r:?}");
    let r = m.run(0, "SEARCH RECENT");
    assert_eq!(search(&r), Vec::<u32>::new());
    let r = m.run(0, "STATUS INBOX (MESSAGES RECENT)");
    ok(&r);
}
