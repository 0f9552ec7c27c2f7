//! Specification tests for the model, one group per RFC 2060 section: each drives
//! [`Session::execute`] with decoded command lines and asserts on the [`Reply`].

use chrono::DateTime;
use imap_codec::decode::Decoder;
use imap_codec::CommandCodec;

use super::{Session, State, Store};
use crate::model::response::{Code, FetchItem, Outcome, Reply, Untagged};
use crate::model::Profile;

mod lsub;
mod ranges;
mod recent;
mod search;

/// One connection to a store with the user u1 (password pw-u1), `.` as delimiter.
struct T {
    store: Store,
    s: Session,
}

impl T {
    fn new() -> T {
        let now = DateTime::parse_from_rfc3339("2024-03-01T12:00:00+00:00").unwrap();
        T {
            store: Store::with_users(b'.', &[("u1".into(), "pw-u1".into())]),
            s: Session::new(Profile::Rfc2060, now),
        }
    }

    /// Logged in.
    fn authed() -> T {
        let mut t = T::new();
        assert_eq!(t.run("LOGIN u1 pw-u1").completion.outcome, Outcome::Ok);
        t
    }

    /// Logged in, INBOX with one message per entry of `flags`, selected.
    fn selected(flags: &[&str]) -> T {
        let mut t = T::authed();
        for (i, f) in flags.iter().enumerate() {
            t.append("INBOX", f, &mail(i + 1));
        }
        ok(&t.run("SELECT INBOX"));
        t
    }

    /// Runs one command (without tag and CRLF).
    fn run(&mut self, line: &str) -> Reply {
        self.bytes(format!("a1 {line}\r\n").as_bytes())
    }

    fn bytes(&mut self, b: &[u8]) -> Reply {
        let (rest, cmd) = CommandCodec::default()
            .decode(b)
            .unwrap_or_else(|e| panic!("{:?} does not decode: {e:?}", String::from_utf8_lossy(b)));
        assert!(rest.is_empty());
        self.s.execute(&mut self.store, &cmd.body)
    }

    fn append(&mut self, mailbox: &str, flags: &str, text: &str) -> Reply {
        let b = format!(
            "a1 APPEND {mailbox} ({flags}) {{{}}}\r\n{text}\r\n",
            text.len()
        );
        self.bytes(b.as_bytes())
    }

    fn list(&mut self, cmd: &str) -> Vec<(Vec<String>, String)> {
        let r = self.run(cmd);
        ok(&r);
        r.untagged
            .iter()
            .filter_map(|u| match u {
                Untagged::List {
                    attributes, name, ..
                } => Some((
                    attributes.clone(),
                    String::from_utf8_lossy(name).into_owned(),
                )),
                _ => None,
            })
            .collect()
    }

    fn names(&mut self, cmd: &str) -> Vec<String> {
        let mut n: Vec<String> = self.list(cmd).into_iter().map(|x| x.1).collect();
        n.sort();
        n
    }

    fn messages(&mut self, mailbox: &str) -> u32 {
        let r = self.run(&format!("STATUS {mailbox} (MESSAGES)"));
        ok(&r);
        match &r.untagged[0] {
            Untagged::Status { items, .. } => items[0].1,
            u => panic!("{u:?}"),
        }
    }

    /// The flags of message `seq` as FETCH FLAGS reports them.
    fn flags(&mut self, seq: u32) -> Vec<String> {
        let r = self.run(&format!("FETCH {seq} FLAGS"));
        ok(&r);
        fetch_flags(&r, seq).expect("FLAGS")
    }
}

fn mail(i: usize) -> String {
    format!(
        "From: Joe <joe@example.org>\r\nTo: u1@example.org\r\nSubject: message {i}\r\n\
         Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n\r\nBody {i}\r\n"
    )
}

fn ok(r: &Reply) {
    assert_eq!(r.completion.outcome, Outcome::Ok, "{r:?}");
}

fn not_ok(r: &Reply) {
    assert_ne!(r.completion.outcome, Outcome::Ok, "{r:?}");
    assert!(
        !r.allowed.permits(Outcome::Ok),
        "OK must not be allowed: {r:?}"
    );
}

fn fetches(r: &Reply) -> Vec<(u32, Vec<FetchItem>)> {
    r.untagged
        .iter()
        .filter_map(|u| match u {
            Untagged::Fetch(n, items) => Some((*n, items.clone())),
            _ => None,
        })
        .collect()
}

fn fetch_flags(r: &Reply, seq: u32) -> Option<Vec<String>> {
    fetches(r)
        .into_iter()
        .filter(|(n, _)| *n == seq)
        .flat_map(|(_, i)| i)
        .find_map(|i| match i {
            FetchItem::Flags(f) => Some(f),
            _ => None,
        })
}

fn has(flags: &[String], f: &str) -> bool {
    flags.iter().any(|x| x.eq_ignore_ascii_case(f))
}

fn expunges(r: &Reply) -> Vec<u32> {
    r.untagged
        .iter()
        .filter_map(|u| match u {
            Untagged::Expunge(n) => Some(*n),
            _ => None,
        })
        .collect()
}

fn search(r: &Reply) -> Vec<u32> {
    ok(r);
    r.untagged
        .iter()
        .find_map(|u| match u {
            Untagged::Search(v) => Some(v.clone()),
            _ => None,
        })
        .expect("SEARCH response")
}

fn code_in_untagged(r: &Reply, f: impl Fn(&Code) -> bool) -> bool {
    r.untagged
        .iter()
        .any(|u| matches!(u, Untagged::Ok(Some(c), _) if f(c)))
}

// ---------------------------------------------------------------------------------------
// §3 states
// ---------------------------------------------------------------------------------------

#[test]
fn authenticated_state_commands_are_not_ok_before_login_rfc2060_3() {
    let mut t = T::new();
    for c in [
        "SELECT INBOX",
        "CREATE x",
        "LIST \"\" *",
        "STATUS INBOX (MESSAGES)",
    ] {
        not_ok(&t.run(c));
    }
    assert_eq!(t.s.state, State::NotAuthenticated);
}

#[test]
fn selected_state_commands_are_not_ok_without_a_selection_rfc2060_3() {
    let mut t = T::authed();
    for c in [
        "CHECK",
        "CLOSE",
        "EXPUNGE",
        "SEARCH ALL",
        "FETCH 1 FLAGS",
        "STORE 1 +FLAGS (\\Seen)",
        "COPY 1 INBOX",
    ] {
        not_ok(&t.run(c));
    }
}

#[test]
fn login_is_not_ok_once_authenticated_rfc2060_3() {
    let mut t = T::authed();
    not_ok(&t.run("LOGIN u1 pw-u1"));
    assert_eq!(t.s.state, State::Authenticated);
}

// ---------------------------------------------------------------------------------------
// §6.1 any state
// ---------------------------------------------------------------------------------------

#[test]
fn capability_lists_imap4rev1_in_every_state_rfc2060_6_1_1() {
    let mut t = T::new();
    for _ in 0..2 {
        let r = t.run("CAPABILITY");
        ok(&r);
        assert!(
            matches!(&r.untagged[..], [Untagged::Capability(c)] if c.iter().any(|x| x == "IMAP4rev1"))
        );
        t.run("LOGIN u1 pw-u1");
    }
}

#[test]
fn noop_succeeds_in_every_state_rfc2060_6_1_2() {
    let mut t = T::new();
    ok(&t.run("NOOP"));
    t.run("LOGIN u1 pw-u1");
    ok(&t.run("NOOP"));
    t.run("SELECT INBOX");
    ok(&t.run("NOOP"));
}

#[test]
fn logout_sends_bye_then_ok_rfc2060_6_1_3() {
    let mut t = T::selected(&[""]);
    let r = t.run("LOGOUT");
    ok(&r);
    assert!(r.untagged.iter().any(|u| matches!(u, Untagged::Bye(_))));
    assert_eq!(t.s.state, State::Logout);
}

// ---------------------------------------------------------------------------------------
// §6.2.2 LOGIN
// ---------------------------------------------------------------------------------------

#[test]
fn login_with_the_right_password_enters_authenticated_state_rfc2060_6_2_2() {
    let mut t = T::new();
    ok(&t.run("LOGIN u1 pw-u1"));
    assert_eq!(t.s.state, State::Authenticated);
}

#[test]
fn login_with_a_wrong_password_is_no_and_stays_unauthenticated_rfc2060_6_2_2() {
    let mut t = T::new();
    assert_eq!(t.run("LOGIN u1 wrong").completion.outcome, Outcome::No);
    assert_eq!(t.run("LOGIN nobody pw-u1").completion.outcome, Outcome::No);
    assert_eq!(t.s.state, State::NotAuthenticated);
}

// ---------------------------------------------------------------------------------------
// §6.3.1 SELECT, §6.3.2 EXAMINE
// ---------------------------------------------------------------------------------------

#[test]
fn select_sends_flags_exists_recent_uidvalidity_rfc2060_6_3_1() {
    let mut t = T::authed();
    t.append("INBOX", "\\Seen", &mail(1));
    t.append("INBOX", "", &mail(2));
    let r = t.run("SELECT INBOX");
    ok(&r);
    assert!(r
        .untagged
        .iter()
        .any(|u| matches!(u, Untagged::Flags(f) if f.len() >= 5)));
    assert!(r.untagged.contains(&Untagged::Exists(2)));
    assert!(r.untagged.contains(&Untagged::Recent(2)));
    assert!(code_in_untagged(&r, |c| matches!(c, Code::UidValidity(_))));
    // "If this is missing, the client can not make any assumptions about the first
    // unseen message": the model sends it when there is one.
    assert!(code_in_untagged(&r, |c| *c == Code::Unseen(2)));
    assert_eq!(r.completion.code, Some(Code::ReadWrite));
    assert!(matches!(t.s.state, State::Selected(_)));
}

#[test]
fn select_of_a_missing_mailbox_is_no_and_deselects_rfc2060_6_3_1() {
    let mut t = T::selected(&[""]);
    let r = t.run("SELECT nosuch");
    assert_eq!(r.completion.outcome, Outcome::No);
    assert!(!r.allowed.permits(Outcome::Ok));
    assert_eq!(t.s.state, State::Authenticated);
    not_ok(&t.run("FETCH 1 FLAGS"));
}

#[test]
fn recent_is_reported_to_the_first_session_only_rfc2060_6_3_1() {
    let mut t = T::selected(&["", ""]);
    let r = t.run("SELECT INBOX");
    assert!(r.untagged.contains(&Untagged::Recent(0)), "{r:?}");
}

#[test]
fn examine_is_read_only_and_allows_no_changes_rfc2060_6_3_2() {
    let mut t = T::authed();
    t.append("INBOX", "", &mail(1));
    let r = t.run("EXAMINE INBOX");
    ok(&r);
    assert_eq!(r.completion.code, Some(Code::ReadOnly));
    assert!(r.untagged.contains(&Untagged::Exists(1)));
    // FETCH BODY[] does not set \Seen in a read-only mailbox.
    t.run("FETCH 1 BODY[]");
    assert!(!has(&t.flags(1), "\\Seen"));
}

// ---------------------------------------------------------------------------------------
// §6.3.3 CREATE
// ---------------------------------------------------------------------------------------

#[test]
fn create_makes_the_superiors_rfc2060_6_3_3() {
    let mut t = T::authed();
    ok(&t.run("CREATE a.b.c"));
    assert_eq!(t.names("LIST \"\" a*"), ["a", "a.b", "a.b.c"]);
}

#[test]
fn create_with_trailing_delimiter_makes_the_name_without_it_rfc2060_6_3_3() {
    let mut t = T::authed();
    ok(&t.run("CREATE owatagusiam."));
    assert_eq!(t.names("LIST \"\" owatagusiam*"), ["owatagusiam"]);
    ok(&t.run("CREATE owatagusiam.blurdybloop"));
}

#[test]
fn create_of_inbox_or_an_existing_name_is_no_rfc2060_6_3_3() {
    let mut t = T::authed();
    not_ok(&t.run("CREATE INBOX"));
    not_ok(&t.run("CREATE inbox"));
    ok(&t.run("CREATE x"));
    not_ok(&t.run("CREATE x"));
}

// ---------------------------------------------------------------------------------------
// §6.3.4 DELETE
// ---------------------------------------------------------------------------------------

#[test]
fn delete_of_inbox_or_a_missing_name_is_no_rfc2060_6_3_4() {
    let mut t = T::authed();
    not_ok(&t.run("DELETE INBOX"));
    not_ok(&t.run("DELETE nosuch"));
}

#[test]
fn delete_with_inferiors_leaves_a_noselect_which_cannot_be_deleted_rfc2060_6_3_4() {
    let mut t = T::authed();
    ok(&t.run("CREATE foo"));
    ok(&t.run("CREATE foo.bar"));
    ok(&t.run("DELETE foo"));
    let l = t.list("LIST \"\" foo");
    assert_eq!(l.len(), 1);
    assert!(has(&l[0].0, "\\Noselect"));
    not_ok(&t.run("DELETE foo"));
    // Once the inferior is gone the \Noselect name may go.
    ok(&t.run("DELETE foo.bar"));
    ok(&t.run("DELETE foo"));
    assert!(t.names("LIST \"\" foo*").is_empty());
}

// ---------------------------------------------------------------------------------------
// §6.3.5 RENAME
// ---------------------------------------------------------------------------------------

#[test]
fn rename_moves_the_inferiors_rfc2060_6_3_5() {
    let mut t = T::authed();
    ok(&t.run("CREATE foo.bar"));
    t.append("foo.bar", "", &mail(1));
    ok(&t.run("RENAME foo zowie"));
    assert_eq!(t.names("LIST \"\" *"), ["INBOX", "zowie", "zowie.bar"]);
    assert_eq!(t.messages("zowie.bar"), 1);
}

#[test]
fn rename_of_a_missing_name_or_to_an_existing_name_is_no_rfc2060_6_3_5() {
    let mut t = T::authed();
    ok(&t.run("CREATE a"));
    ok(&t.run("CREATE b"));
    not_ok(&t.run("RENAME nosuch c"));
    not_ok(&t.run("RENAME a b"));
}

#[test]
fn rename_of_inbox_moves_its_messages_and_leaves_it_empty_rfc2060_6_3_5() {
    let mut t = T::authed();
    ok(&t.run("CREATE INBOX.bar"));
    t.append("INBOX", "", &mail(1));
    t.append("INBOX", "", &mail(2));
    ok(&t.run("RENAME INBOX old-mail"));
    assert_eq!(t.names("LIST \"\" *"), ["INBOX", "INBOX.bar", "old-mail"]);
    assert_eq!(t.messages("old-mail"), 2);
    assert_eq!(t.messages("INBOX"), 0);
}

// ---------------------------------------------------------------------------------------
// §6.3.6 SUBSCRIBE, §6.3.7 UNSUBSCRIBE, §6.3.9 LSUB
// ---------------------------------------------------------------------------------------

#[test]
fn lsub_lists_subscribed_names_only_rfc2060_6_3_9() {
    let mut t = T::authed();
    ok(&t.run("CREATE news.mime"));
    ok(&t.run("CREATE news.misc"));
    ok(&t.run("SUBSCRIBE news.mime"));
    let l = t.list("LSUB \"news.\" \"*\"");
    assert_eq!(l, [(vec![], "news.mime".to_string())]);
    assert!(t
        .run("LSUB \"\" *")
        .untagged
        .iter()
        .all(|u| matches!(u, Untagged::List { lsub: true, .. })));
}

#[test]
fn unsubscribe_removes_the_name_from_lsub_rfc2060_6_3_7() {
    let mut t = T::authed();
    ok(&t.run("CREATE news"));
    ok(&t.run("SUBSCRIBE news"));
    ok(&t.run("UNSUBSCRIBE news"));
    assert!(t.list("LSUB \"\" *").is_empty());
}

#[test]
fn subscribe_does_not_create_the_mailbox_rfc2060_6_3_6() {
    let mut t = T::authed();
    ok(&t.run("SUBSCRIBE ghost"));
    assert!(t.names("LIST \"\" ghost").is_empty());
}

// ---------------------------------------------------------------------------------------
// §6.3.8 LIST
// ---------------------------------------------------------------------------------------

#[test]
fn list_percent_matches_one_level_and_star_all_levels_rfc2060_6_3_8() {
    let mut t = T::authed();
    ok(&t.run("CREATE a.b.c"));
    ok(&t.run("CREATE ab"));
    assert_eq!(t.names("LIST \"\" %"), ["INBOX", "a", "ab"]);
    assert_eq!(t.names("LIST \"\" a.%"), ["a.b"]);
    assert_eq!(t.names("LIST \"\" a.*"), ["a.b", "a.b.c"]);
    assert_eq!(t.names("LIST a. %"), ["a.b"]);
}

#[test]
fn list_empty_name_returns_the_delimiter_and_root_rfc2060_6_3_8() {
    let mut t = T::authed();
    let r = t.run("LIST \"\" \"\"");
    ok(&r);
    assert!(
        matches!(
            &r.untagged[..],
            [Untagged::List { attributes, delimiter: Some(b'.'), name, lsub: false }]
                if has(attributes, "\\Noselect") && name.is_empty()
        ),
        "{r:?}"
    );
    let r = t.run("LIST foo.bar \"\"");
    assert!(matches!(&r.untagged[..], [Untagged::List { name, .. }] if name == b"foo."));
}

#[test]
fn list_of_nothing_is_ok_and_empty_rfc2060_6_3_8() {
    let mut t = T::authed();
    assert!(t.list("LIST \"\" nosuch*").is_empty());
}

// ---------------------------------------------------------------------------------------
// §6.3.10 STATUS
// ---------------------------------------------------------------------------------------

#[test]
fn status_counts_messages_recent_unseen_rfc2060_6_3_10() {
    let mut t = T::authed();
    ok(&t.run("CREATE box"));
    t.append("box", "\\Seen", &mail(1));
    t.append("box", "", &mail(2));
    t.append("box", "", &mail(3));
    let r = t.run("STATUS box (MESSAGES RECENT UNSEEN UIDNEXT UIDVALIDITY)");
    ok(&r);
    let Untagged::Status { name, items } = &r.untagged[0] else {
        panic!("{r:?}")
    };
    assert_eq!(name, b"box");
    let get = |k: &str| items.iter().find(|i| i.0 == k).map(|i| i.1);
    assert_eq!(get("MESSAGES"), Some(3));
    assert_eq!(get("RECENT"), Some(3));
    assert_eq!(get("UNSEEN"), Some(2));
    assert!(get("UIDNEXT").unwrap() > 3);
    assert!(get("UIDVALIDITY").is_some());
}

#[test]
fn status_of_a_missing_mailbox_is_no_rfc2060_6_3_10() {
    let mut t = T::authed();
    not_ok(&t.run("STATUS nosuch (MESSAGES)"));
}

// ---------------------------------------------------------------------------------------
// §6.3.11 APPEND
// ---------------------------------------------------------------------------------------

#[test]
fn append_sets_the_flags_and_internal_date_rfc2060_6_3_11() {
    let mut t = T::authed();
    let text = mail(1);
    let b = format!(
        "a1 APPEND INBOX (\\Seen \\Flagged) \"07-Feb-1994 21:52:25 -0800\" {{{}}}\r\n{text}\r\n",
        text.len()
    );
    ok(&t.bytes(b.as_bytes()));
    ok(&t.run("SELECT INBOX"));
    let r = t.run("FETCH 1 (FLAGS INTERNALDATE RFC822.SIZE)");
    let f = fetch_flags(&r, 1).unwrap();
    assert!(has(&f, "\\Seen") && has(&f, "\\Flagged"));
    let items = &fetches(&r)[0].1;
    let want = DateTime::parse_from_rfc3339("1994-02-07T21:52:25-08:00").unwrap();
    assert!(items.contains(&FetchItem::InternalDate(want)), "{items:?}");
    assert!(items.contains(&FetchItem::Rfc822Size(text.len() as u32)));
}

#[test]
fn append_to_a_missing_mailbox_is_no_trycreate_and_creates_nothing_rfc2060_6_3_11() {
    let mut t = T::authed();
    let r = t.append("nosuch", "", &mail(1));
    assert_eq!(r.completion.outcome, Outcome::No);
    assert_eq!(r.completion.code, Some(Code::TryCreate));
    assert!(!r.allowed.permits(Outcome::Ok));
    assert!(t.names("LIST \"\" nosuch").is_empty());
}

#[test]
fn append_to_the_selected_mailbox_reports_exists_rfc2060_6_3_11() {
    let mut t = T::selected(&[""]);
    let r = t.append("INBOX", "", &mail(2));
    ok(&r);
    assert!(r.untagged.contains(&Untagged::Exists(2)), "{r:?}");
}

// ---------------------------------------------------------------------------------------
// §6.4.2 CLOSE, §6.4.3 EXPUNGE
// ---------------------------------------------------------------------------------------

#[test]
fn close_expunges_silently_and_deselects_rfc2060_6_4_2() {
    let mut t = T::selected(&["\\Deleted", "", "\\Deleted"]);
    let r = t.run("CLOSE");
    ok(&r);
    assert!(expunges(&r).is_empty(), "{r:?}");
    assert_eq!(t.s.state, State::Authenticated);
    assert_eq!(t.messages("INBOX"), 1);
}

#[test]
fn close_after_examine_removes_nothing_rfc2060_6_4_2() {
    let mut t = T::authed();
    t.append("INBOX", "\\Deleted", &mail(1));
    ok(&t.run("EXAMINE INBOX"));
    ok(&t.run("CLOSE"));
    assert_eq!(t.messages("INBOX"), 1);
}

#[test]
fn expunge_numbers_each_valid_when_sent_rfc2060_6_4_3() {
    // The RFC's example: 3, 4, 7 and 11 deleted.
    let flags: Vec<&str> = (1..=12)
        .map(|i| {
            if [3, 4, 7, 11].contains(&i) {
                "\\Deleted"
            } else {
                ""
            }
        })
        .collect();
    let mut t = T::selected(&flags);
    let r = t.run("EXPUNGE");
    ok(&r);
    // §7.4.1: each EXPUNGE renumbers the later messages; replaying the numbers in order
    // must remove exactly the deleted messages.
    let mut view: Vec<u32> = (1..=12).collect();
    let mut gone = Vec::new();
    for n in expunges(&r) {
        gone.push(view.remove(n as usize - 1));
    }
    gone.sort();
    assert_eq!(gone, [3, 4, 7, 11]);
    assert_eq!(search(&t.run("SEARCH ALL")), [1, 2, 3, 4, 5, 6, 7, 8]);
}

// ---------------------------------------------------------------------------------------
// §6.4.4 SEARCH
// ---------------------------------------------------------------------------------------

#[test]
fn search_by_flags_and_sequence_rfc2060_6_4_4() {
    let mut t = T::selected(&["\\Flagged", "", "\\Flagged \\Deleted", "\\Seen"]);
    assert_eq!(search(&t.run("SEARCH FLAGGED")), [1, 3]);
    assert_eq!(search(&t.run("SEARCH FLAGGED NOT DELETED")), [1]);
    assert_eq!(search(&t.run("SEARCH OR DELETED SEEN")), [3, 4]);
    assert_eq!(search(&t.run("SEARCH UNSEEN 2:4")), [2, 3]);
    assert_eq!(search(&t.run("SEARCH ANSWERED")), Vec::<u32>::new());
}

#[test]
fn uid_search_answers_uids_rfc2060_6_4_4() {
    let mut t = T::selected(&["", "\\Deleted", ""]);
    ok(&t.run("EXPUNGE"));
    // UIDs 1 and 3 remain, as messages 1 and 2.
    assert_eq!(search(&t.run("UID SEARCH ALL")), [1, 3]);
    assert_eq!(search(&t.run("SEARCH UID 3")), [2]);
}

#[test]
fn search_with_an_unknown_charset_is_no_rfc2060_6_4_4() {
    let mut t = T::selected(&[""]);
    let r = t.run("SEARCH CHARSET X-NOSUCH ALL");
    assert_eq!(r.completion.outcome, Outcome::No);
    assert_eq!(r.completion.code, Some(Code::BadCharset));
}

#[test]
fn search_by_header_text_rfc2060_6_4_4() {
    let mut t = T::selected(&["", ""]);
    assert_eq!(search(&t.run("SEARCH SUBJECT \"message 2\"")), [2]);
    assert_eq!(search(&t.run("SEARCH FROM joe")), [1, 2]);
}

// ---------------------------------------------------------------------------------------
// §6.4.5 FETCH
// ---------------------------------------------------------------------------------------

#[test]
fn fetch_body_sets_seen_and_body_peek_does_not_rfc2060_6_4_5() {
    let mut t = T::selected(&["", ""]);
    let r = t.run("FETCH 1 BODY.PEEK[]");
    ok(&r);
    assert!(fetch_flags(&r, 1).is_none());
    assert!(!has(&t.flags(1), "\\Seen"));
    let r = t.run("FETCH 2 BODY[]");
    ok(&r);
    // "if this causes the flags to change they SHOULD be included as part of the FETCH
    // responses"
    assert!(has(&fetch_flags(&r, 2).expect("FLAGS sent"), "\\Seen"));
    assert!(has(&t.flags(2), "\\Seen"));
}

#[test]
fn fetch_rfc822_header_does_not_set_seen_rfc2060_6_4_5() {
    let mut t = T::selected(&[""]);
    ok(&t.run("FETCH 1 (RFC822.HEADER RFC822.SIZE)"));
    assert!(!has(&t.flags(1), "\\Seen"));
}

#[test]
fn fetch_flags_include_recent_for_a_new_message_rfc2060_6_4_5() {
    let mut t = T::selected(&["\\Flagged"]);
    let f = t.flags(1);
    assert!(has(&f, "\\Recent") && has(&f, "\\Flagged"), "{f:?}");
}

#[test]
fn uid_fetch_includes_uid_rfc2060_6_4_8() {
    let mut t = T::selected(&["", ""]);
    let r = t.run("UID FETCH 1:* FLAGS");
    ok(&r);
    let f = fetches(&r);
    assert_eq!(f.len(), 2);
    for (seq, items) in f {
        assert!(items.contains(&FetchItem::Uid(seq)), "{items:?}");
    }
}

#[test]
fn fetch_of_a_number_beyond_the_mailbox_is_not_ok_rfc2060_6_4_5() {
    let mut t = T::selected(&[""]);
    assert_ne!(t.run("FETCH 5 FLAGS").completion.outcome, Outcome::Ok);
}

// ---------------------------------------------------------------------------------------
// §6.4.6 STORE
// ---------------------------------------------------------------------------------------

#[test]
fn store_plus_and_minus_flags_answer_the_new_flags_rfc2060_6_4_6() {
    let mut t = T::selected(&["\\Seen", ""]);
    let r = t.run("STORE 1:2 +FLAGS (\\Deleted)");
    ok(&r);
    let f1 = fetch_flags(&r, 1).unwrap();
    assert!(has(&f1, "\\Seen") && has(&f1, "\\Deleted"));
    assert!(has(&fetch_flags(&r, 2).unwrap(), "\\Deleted"));
    let r = t.run("STORE 1 -FLAGS (\\Seen)");
    let f1 = fetch_flags(&r, 1).unwrap();
    assert!(!has(&f1, "\\Seen") && has(&f1, "\\Deleted"));
}

#[test]
fn store_flags_replaces_keeping_recent_rfc2060_6_4_6() {
    let mut t = T::selected(&["\\Seen \\Answered"]);
    let r = t.run("STORE 1 FLAGS (\\Draft)");
    let f = fetch_flags(&r, 1).unwrap();
    assert!(has(&f, "\\Draft") && !has(&f, "\\Seen") && !has(&f, "\\Answered"));
    // \Recent is not the client's to change (§2.3.2).
    assert!(has(&f, "\\Recent"));
}

#[test]
fn store_silent_sends_no_fetch_rfc2060_6_4_6() {
    let mut t = T::selected(&[""]);
    let r = t.run("STORE 1 +FLAGS.SILENT (\\Flagged)");
    ok(&r);
    assert!(fetches(&r).is_empty(), "{r:?}");
    assert!(has(&t.flags(1), "\\Flagged"));
}

// ---------------------------------------------------------------------------------------
// §6.4.7 COPY
// ---------------------------------------------------------------------------------------

#[test]
fn copy_keeps_flags_and_internal_date_rfc2060_6_4_7() {
    let mut t = T::selected(&["\\Flagged", "\\Seen \\Answered"]);
    ok(&t.run("CREATE MEETING"));
    ok(&t.run("COPY 1:2 MEETING"));
    ok(&t.run("SELECT MEETING"));
    let r = t.run("FETCH 1:2 FLAGS");
    assert!(has(&fetch_flags(&r, 1).unwrap(), "\\Flagged"));
    let f2 = fetch_flags(&r, 2).unwrap();
    assert!(has(&f2, "\\Seen") && has(&f2, "\\Answered"));
}

#[test]
fn copy_to_a_missing_mailbox_is_no_trycreate_rfc2060_6_4_7() {
    let mut t = T::selected(&[""]);
    let r = t.run("COPY 1 nosuch");
    assert_eq!(r.completion.outcome, Outcome::No);
    assert_eq!(r.completion.code, Some(Code::TryCreate));
    assert!(!r.allowed.permits(Outcome::Ok));
}

// ---------------------------------------------------------------------------------------
// §6.4.8 UID
// ---------------------------------------------------------------------------------------

#[test]
fn uid_commands_ignore_uids_that_do_not_exist_rfc2060_6_4_8() {
    let mut t = T::selected(&["", "\\Deleted", ""]);
    ok(&t.run("EXPUNGE"));
    let r = t.run("UID FETCH 2:100 FLAGS");
    ok(&r);
    let f = fetches(&r);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].0, 2);
    assert!(f[0].1.contains(&FetchItem::Uid(3)));
    let r = t.run("UID FETCH 50 FLAGS");
    ok(&r);
    assert!(fetches(&r).is_empty());
    let r = t.run("UID STORE 2,3 +FLAGS (\\Seen)");
    ok(&r);
    assert_eq!(fetches(&r).len(), 1);
    ok(&t.run("UID COPY 7:9 INBOX"));
}

#[test]
fn a_uid_range_to_star_beyond_the_last_uid_includes_the_last_message_rfc2060_9() {
    // RFC 2060 §9: `*` is "the unique identifier of the last message in the mailbox" and
    // a colon "delimits between two numbers inclusive", so `5:*` with UIDs 1..2 is the
    // UIDs between 2 and 5; RFC 3501 §6.4.8: "a UID range of 559:* always includes the UID
    // of the last message in the mailbox".
    for profile in [Profile::Rfc2060, Profile::Rfc3501] {
        let mut t = T::selected(&["", ""]);
        t.s.profile = profile;
        let r = t.run("UID FETCH 5:* FLAGS");
        ok(&r);
        assert_eq!(fetches(&r).len(), 1);
        assert_eq!(fetches(&r)[0].0, 2);
        ok(&t.run("UID FETCH 2:* FLAGS"));
    }
}
