use chrono::{DateTime, FixedOffset};
use imap_types::core::{AString, Atom, Vec1};
use imap_types::datetime::NaiveDate as ImapDate;
use imap_types::search::SearchKey;
use imap_types::sequence::SequenceSet;

use super::*;
use Truth::{Maybe, No, Yes};

mod logic;

struct Msg {
    seq: u32,
    uid: u32,
    flags: Vec<&'static str>,
    date: DateTime<FixedOffset>,
    header: Vec<u8>,
    body: Vec<u8>,
    encoded: bool,
}

impl Msg {
    fn new(header: &str, body: &str) -> Msg {
        Msg {
            seq: 1,
            uid: 10,
            flags: vec![],
            date: DateTime::parse_from_rfc2822("Tue, 15 Feb 1994 12:00:00 +0000").unwrap(),
            header: header.replace('\n', "\r\n").into_bytes(),
            body: body.replace('\n', "\r\n").into_bytes(),
            encoded: false,
        }
    }
}

impl SearchSubject for Msg {
    fn seq(&self) -> u32 {
        self.seq
    }
    fn uid(&self) -> u32 {
        self.uid
    }
    fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f.eq_ignore_ascii_case(flag))
    }
    fn internal_date(&self) -> DateTime<FixedOffset> {
        self.date
    }
    fn size(&self) -> u32 {
        (self.header.len() + self.body.len()) as u32
    }
    fn header_values(&self, name: &[u8]) -> Vec<Vec<u8>> {
        header_fields(&self.header)
            .into_iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
            .collect()
    }
    fn header_bytes(&self) -> &[u8] {
        &self.header
    }
    fn body_bytes(&self) -> &[u8] {
        &self.body
    }
    fn sent_date(&self) -> Option<DateTime<FixedOffset>> {
        let v = self.header_values(b"Date").into_iter().next()?;
        DateTime::parse_from_rfc2822(std::str::from_utf8(&v).ok()?).ok()
    }
    fn encoded(&self) -> bool {
        self.encoded
    }
    fn plain_text_ranges(&self) -> Vec<std::ops::Range<usize>> {
        // The test header has no blank line: the parsed message's body is `self.body`.
        let raw = [&self.header[..], b"\r\n", &self.body[..]].concat();
        crate::model::message::Message::parse(raw).plain_text_ranges()
    }
    fn decoded_text_parts(&self) -> Vec<Vec<u8>> {
        let raw = [&self.header[..], b"\r\n", &self.body[..]].concat();
        crate::model::message::Message::parse(raw).decoded_text_parts()
    }
}

const SMITH: &str = "Date: Tue, 15 Feb 1994 09:00:00 -0500
From: Fred Smith <smith@example.org>
To: Ann <ann@example.org>, bob@example.net
Cc: carol@example.com
Subject: Meeting
 tomorrow
X-Tag: alpha
X-Empty:
";

fn s(v: &str) -> AString<'static> {
    AString::try_from(v.to_string()).unwrap()
}

fn date(d: &str) -> ImapDate {
    ImapDate::try_from(chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap()).unwrap()
}

fn set(v: &str) -> SequenceSet {
    SequenceSet::try_from(v).unwrap()
}

fn scope() -> SearchScope {
    SearchScope {
        message_count: 5,
        uids: vec![3, 7, 10, 11, 20],
        decode_mime: false,
        sent_dates_as_written: false,
    }
}

fn ev(key: SearchKey, m: &Msg) -> Truth {
    evaluate(&key, m, &scope())
}

fn and(keys: Vec<SearchKey<'static>>) -> SearchKey<'static> {
    SearchKey::And(Vec1::try_from(keys).unwrap())
}

#[test]
fn kleene_tables() {
    let all = [Yes, No, Maybe];
    let table_and = [[Yes, No, Maybe], [No, No, No], [Maybe, No, Maybe]];
    let table_or = [[Yes, Yes, Yes], [Yes, No, Maybe], [Yes, Maybe, Maybe]];
    for (i, a) in all.iter().enumerate() {
        for (j, b) in all.iter().enumerate() {
            assert_eq!(a.and(*b), table_and[i][j], "{a:?} AND {b:?}");
            assert_eq!(a.or(*b), table_or[i][j], "{a:?} OR {b:?}");
        }
    }
    assert_eq!(!Yes, No);
    assert_eq!(!No, Yes);
    assert_eq!(!Maybe, Maybe);
}

#[test]
fn flag_keys() {
    // RFC 2060 §6.4.4: ANSWERED, DELETED, DRAFT, FLAGGED, SEEN, RECENT and their UN- forms.
    let mut m = Msg::new(SMITH, "");
    m.flags = vec![
        "\\answered",
        "\\Deleted",
        "\\Draft",
        "\\Flagged",
        "\\Seen",
        "$Work",
    ];
    for (k, want) in [
        (SearchKey::All, Yes),
        (SearchKey::Answered, Yes),
        (SearchKey::Unanswered, No),
        (SearchKey::Deleted, Yes),
        (SearchKey::Undeleted, No),
        (SearchKey::Draft, Yes),
        (SearchKey::Undraft, No),
        (SearchKey::Flagged, Yes),
        (SearchKey::Unflagged, No),
        (SearchKey::Seen, Yes),
        (SearchKey::Unseen, No),
        (SearchKey::Recent, No),
        (SearchKey::Old, Yes),
        (SearchKey::New, No),
        (SearchKey::Keyword(Atom::try_from("$work").unwrap()), Yes),
        (SearchKey::Unkeyword(Atom::try_from("$Work").unwrap()), No),
        (SearchKey::Keyword(Atom::try_from("Other").unwrap()), No),
        (SearchKey::Unkeyword(Atom::try_from("Other").unwrap()), Yes),
    ] {
        assert_eq!(ev(k.clone(), &m), want, "{k:?}");
    }
}

#[test]
fn new_is_recent_unseen_and_old_is_not_recent() {
    // RFC 2060 §6.4.4: NEW "is functionally equivalent to "(RECENT UNSEEN)""; OLD "is
    // functionally equivalent to "NOT RECENT" (as opposed to "NOT NEW")".
    for flags in [
        vec![],
        vec!["\\Recent"],
        vec!["\\Seen"],
        vec!["\\Recent", "\\Seen"],
    ] {
        let mut m = Msg::new(SMITH, "");
        m.flags = flags;
        assert_eq!(
            ev(SearchKey::New, &m),
            ev(and(vec![SearchKey::Recent, SearchKey::Unseen]), &m)
        );
        assert_eq!(
            ev(SearchKey::Old, &m),
            ev(SearchKey::Not(Box::new(SearchKey::Recent)), &m)
        );
    }
}

#[test]
fn larger_and_smaller_are_strict() {
    // RFC 2060 §6.4.4 LARGER/SMALLER: "larger than" / "smaller than" the RFC-822 size.
    let m = Msg::new(SMITH, "hello\n");
    let n = m.size();
    assert_eq!(ev(SearchKey::Larger(n - 1), &m), Yes);
    assert_eq!(ev(SearchKey::Larger(n), &m), No);
    assert_eq!(ev(SearchKey::Smaller(n + 1), &m), Yes);
    assert_eq!(ev(SearchKey::Smaller(n), &m), No);
}

#[test]
fn sequence_sets_and_uids() {
    // RFC 2060 §6.4.4 <message set> and UID <message set>; `*` is the message count and
    // the largest UID.
    let mut m = Msg::new(SMITH, "");
    m.seq = 5;
    m.uid = 20;
    assert_eq!(ev(SearchKey::SequenceSet(set("*")), &m), Yes);
    assert_eq!(ev(SearchKey::SequenceSet(set("1:4")), &m), No);
    assert_eq!(ev(SearchKey::SequenceSet(set("2,4:7,9")), &m), Yes);
    assert_eq!(ev(SearchKey::Uid(set("*")), &m), Yes);
    assert_eq!(ev(SearchKey::Uid(set("100:*")), &m), Yes);
    assert_eq!(ev(SearchKey::Uid(set("1:19")), &m), No);
    m.uid = 10;
    assert_eq!(ev(SearchKey::Uid(set("100:*")), &m), No);
}

#[test]
fn string_keys_match_case_insensitively() {
    // RFC 2060 §6.4.4: "a message matches the key if the string is a substring of the
    // field.  The matching is case-insensitive."
    let m = Msg::new(SMITH, "Please bring the Q3 figures.\n");
    assert_eq!(ev(SearchKey::From(s("SMITH")), &m), Yes);
    assert_eq!(ev(SearchKey::From(s("smith@example.org")), &m), Yes);
    assert_eq!(ev(SearchKey::From(s("jones")), &m), No);
    assert_eq!(ev(SearchKey::To(s("bob@")), &m), Yes);
    assert_eq!(ev(SearchKey::To(s("carol")), &m), No);
    assert_eq!(ev(SearchKey::Cc(s("carol")), &m), Yes);
    assert_eq!(ev(SearchKey::Bcc(s("carol")), &m), No);
    assert_eq!(ev(SearchKey::Subject(s("meeting")), &m), Yes);
    assert_eq!(ev(SearchKey::Subject(s("lunch")), &m), No);
    assert_eq!(ev(SearchKey::Body(s("q3 FIGURES")), &m), Yes);
    assert_eq!(ev(SearchKey::Body(s("Meeting")), &m), No);
    assert_eq!(ev(SearchKey::Text(s("meeting")), &m), Yes);
    assert_eq!(ev(SearchKey::Text(s("figures")), &m), Yes);
    assert_eq!(ev(SearchKey::Text(s("nowhere")), &m), No);
    assert_eq!(ev(SearchKey::Header(s("x-tag"), s("ALPHA")), &m), Yes);
    assert_eq!(ev(SearchKey::Header(s("X-Tag"), s("beta")), &m), No);
}

#[test]
fn subject_is_unfolded() {
    // The Subject field is folded across two lines; its unfolded value contains "Meeting
    // tomorrow" (RFC 2822 §2.2.3). The fold itself is not certain to be searched raw.
    let m = Msg::new(SMITH, "");
    assert_eq!(ev(SearchKey::Subject(s("meeting tomorrow")), &m), Yes);
    assert_eq!(ev(SearchKey::Subject(s("meeting\r\n tomorrow")), &m), Maybe);
    // Words split by a line break in the body: servers normalising whitespace may match.
    let m = Msg::new(SMITH, "bring the\nfigures\n");
    assert_eq!(ev(SearchKey::Body(s("the figures")), &m), Maybe);
    assert_eq!(ev(SearchKey::Body(s("the numbers")), &m), No);
}

#[test]
fn header_with_empty_string_matches_messages_with_the_field() {
    // RFC 3501 §6.4.4 HEADER: "If the string to search is zero-length, this matches all
    // messages that have a header line with the specified field-name regardless of the
    // contents."
    let m = Msg::new(SMITH, "");
    assert_eq!(ev(SearchKey::Header(s("X-Empty"), s("")), &m), Yes);
    assert_eq!(ev(SearchKey::Header(s("x-tag"), s("")), &m), Yes);
    assert_eq!(ev(SearchKey::Header(s("X-Missing"), s("")), &m), No);
    assert_eq!(ev(SearchKey::Header(s("X-Missing"), s("a")), &m), No);
}

#[test]
fn address_rendering_is_server_defined() {
    let m = Msg::new(
        "From: \"Smith, Fred\" <fred@example.org> (work)\nTo: fred@example.org\n",
        "",
    );
    // Quoting and comments may vanish from the envelope rendering.
    assert_eq!(ev(SearchKey::From(s("fred@example.org")), &m), Maybe);
    assert_eq!(ev(SearchKey::From(s("nobody")), &m), Maybe);
    // A plain field and a token-safe needle are certain both ways.
    assert_eq!(ev(SearchKey::To(s("fred@example.org")), &m), Yes);
    assert_eq!(ev(SearchKey::To(s("nobody")), &m), No);
    // A needle with spaces or specials is never certain.
    assert_eq!(ev(SearchKey::To(s("<fred")), &m), Maybe);
    let m = Msg::new(SMITH, "");
    assert_eq!(ev(SearchKey::From(s("Fred Smith")), &m), Maybe);
    assert_eq!(ev(SearchKey::From(s("Fred Jones")), &m), Maybe);
}

#[test]
fn encoded_content_is_maybe() {
    // Encoded words and transfer encodings may or may not be decoded by the server.
    let mut m = Msg::new(
        "Subject: =?ISO-8859-1?Q?Caf=E9?= menu\nContent-Transfer-Encoding: base64\n",
        "aGVsbG8gd29ybGQ=\n",
    );
    m.encoded = true;
    assert_eq!(ev(SearchKey::Subject(s("menu")), &m), Maybe);
    assert_eq!(ev(SearchKey::Subject(s("cafe")), &m), Maybe);
    assert_eq!(ev(SearchKey::Body(s("hello")), &m), Maybe);
    assert_eq!(ev(SearchKey::Body(s("aGVsbG8")), &m), Maybe);
    assert_eq!(ev(SearchKey::Text(s("hello")), &m), Maybe);
    // The field name is outside any field body: TEXT finds it only in the raw header.
    let m = Msg::new(SMITH, "");
    assert_eq!(ev(SearchKey::Text(s("X-Tag")), &m), Maybe);
}

#[test]
fn non_ascii_is_maybe() {
    // A non-ASCII needle depends on CHARSET and decoding: Maybe either way.
    let m = Msg::new("Subject: caf\u{e9}\n", "na\u{ef}ve\n");
    assert_eq!(ev(SearchKey::Subject(s("caf\u{e9}")), &m), Maybe);
    assert_eq!(ev(SearchKey::Subject(s("\u{fc}ber")), &m), Maybe);
    // An ASCII needle against a non-ASCII haystack: a raw match is certain, a miss not.
    assert_eq!(ev(SearchKey::Subject(s("caf")), &m), Yes);
    assert_eq!(ev(SearchKey::Body(s("naive")), &m), Maybe);
    // Pure ASCII, no encodings: a miss is certain.
    let m = Msg::new("Subject: cafe\n", "naive\n");
    assert_eq!(ev(SearchKey::Body(s("nave")), &m), No);
}

#[test]
fn multipart_bodies_are_maybe() {
    // RFC 2060 §6.4.4: servers "MAY exclude [MIME-IMB] body parts with terminal content
    // media types other than TEXT and MESSAGE from consideration".
    let m = Msg::new(
        "Content-Type: multipart/mixed; boundary=b\n",
        "--b\nContent-Type: application/octet-stream\n\nsecret\n--b--\n",
    );
    assert_eq!(ev(SearchKey::Body(s("secret")), &m), Maybe);
    assert_eq!(ev(SearchKey::Body(s("absent")), &m), Maybe);
    let m = Msg::new("Content-Type: Text/Plain; charset=us-ascii\n", "secret\n");
    assert_eq!(ev(SearchKey::Body(s("secret")), &m), Yes);
    assert_eq!(ev(SearchKey::Body(s("absent")), &m), No);
}

#[test]
fn unencoded_text_parts_of_a_multipart_are_certain() {
    // RFC 2060 §6.4.4 BODY: "Messages that contain the specified string in the body of
    // the message." A text/plain part without a transfer encoding holds its text as
    // sent: a server that decodes MIME and one that searches the octets both find it.
    let m = Msg::new(
        "Content-Type: multipart/mixed; boundary=b\n",
        "--b\nContent-Type: text/plain\n\ntravel budget\n--b\nContent-Type: text/plain\n\
         Content-Transfer-Encoding: base64\n\ndXJnZW50\n--b--\n",
    );
    assert_eq!(ev(SearchKey::Body(s("budget")), &m), Yes);
    assert_eq!(ev(SearchKey::Text(s("budget")), &m), Yes);
    // The base64 part ("urgent") is for a decoding server to find: uncertain.
    assert_eq!(ev(SearchKey::Body(s("urgent")), &m), Maybe);
    // RFC 2060 §6.4.4: with a CHARSET other than US-ASCII, encoded text MUST be decoded
    // before comparing: then it is certain.
    let decoding = SearchScope {
        decode_mime: true,
        ..scope()
    };
    assert_eq!(evaluate(&SearchKey::Body(s("urgent")), &m, &decoding), Yes);
    assert_eq!(evaluate(&SearchKey::Text(s("urgent")), &m, &decoding), Yes);
}

#[test]
fn transfer_encodings_decode_per_rfc2045() {
    use crate::model::message::{decode_base64, decode_quoted_printable};
    assert_eq!(decode_base64(b"dXJn\r\nZW50"), b"urgent");
    assert_eq!(decode_base64(b"Zm8="), b"fo");
    assert_eq!(
        decode_quoted_printable(b"caf=C3=A9 =\r\nbar=3D"),
        "caf\u{e9} bar=".as_bytes()
    );
    assert_eq!(decode_quoted_printable(b"a=zz"), b"a=zz");
}

#[test]
fn empty_needles() {
    let m = Msg::new(SMITH, "");
    assert_eq!(ev(SearchKey::Body(s("")), &m), Yes);
    assert_eq!(ev(SearchKey::Text(s("")), &m), Yes);
    assert_eq!(ev(SearchKey::Subject(s("")), &m), Yes);
    assert_eq!(ev(SearchKey::Bcc(s("")), &m), Maybe);
}

fn at(rfc2822: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc2822(rfc2822).unwrap()
}

#[test]
fn internal_date_keys_are_day_granular_and_zone_uncertain() {
    // RFC 2060 §6.4.4 BEFORE "earlier than", ON "within", SINCE "within or later than";
    // RFC 3501 §6.4.4: "disregarding time and timezone".
    let mut m = Msg::new(SMITH, "");
    m.date = at("Tue, 15 Feb 1994 12:00:00 +0000");
    // From UTC-12 to UTC+14: 00:00 on the 15th to 02:00 on the 16th.
    assert_eq!(ev(SearchKey::Before(date("1994-02-17")), &m), Yes);
    assert_eq!(ev(SearchKey::Before(date("1994-02-16")), &m), Maybe);
    assert_eq!(ev(SearchKey::Before(date("1994-02-15")), &m), No);
    assert_eq!(ev(SearchKey::Since(date("1994-02-15")), &m), Yes);
    assert_eq!(ev(SearchKey::Since(date("1994-02-16")), &m), Maybe);
    assert_eq!(ev(SearchKey::Since(date("1994-02-17")), &m), No);
    // 12:30 UTC: 00:30 on the 15th at UTC-12, 02:30 on the 16th at UTC+14; 11:30 UTC
    // reaches back to the 14th.
    m.date = at("Tue, 15 Feb 1994 11:30:00 +0000");
    assert_eq!(ev(SearchKey::Since(date("1994-02-15")), &m), Maybe);
    assert_eq!(ev(SearchKey::On(date("1994-02-14")), &m), Maybe);
    m.date = at("Tue, 15 Feb 1994 12:00:00 +0000");
    assert_eq!(ev(SearchKey::On(date("1994-02-15")), &m), Maybe);
    assert_eq!(ev(SearchKey::On(date("1994-02-13")), &m), No);
    assert_eq!(ev(SearchKey::On(date("1994-02-17")), &m), No);
    // A server known to run in UTC: the own offset and UTC agree here.
    let utc = ServerZones {
        min_offset_secs: 0,
        max_offset_secs: 0,
    };
    let on = SearchKey::On(date("1994-02-15"));
    assert_eq!(evaluate_with(&on, &m, &scope(), utc), Yes);
    // Own offset -05:00 late in the day: the 15th locally, the 16th in UTC.
    m.date = at("Tue, 15 Feb 1994 22:00:00 -0500");
    assert_eq!(evaluate_with(&on, &m, &scope(), utc), Maybe);
    let before = SearchKey::Before(date("1994-02-16"));
    assert_eq!(evaluate_with(&before, &m, &scope(), utc), Maybe);
    let before = SearchKey::Before(date("1994-02-17"));
    assert_eq!(evaluate_with(&before, &m, &scope(), utc), Yes);
}

#[test]
fn sent_date_keys() {
    // RFC 2060 §6.4.4 SENTBEFORE/SENTON/SENTSINCE: the [RFC-822] Date: header.
    let m = Msg::new(SMITH, "");
    assert_eq!(ev(SearchKey::SentBefore(date("1994-02-17")), &m), Yes);
    assert_eq!(ev(SearchKey::SentSince(date("1994-02-17")), &m), No);
    assert_eq!(ev(SearchKey::SentOn(date("1994-02-15")), &m), Maybe);
    assert_eq!(ev(SearchKey::SentOn(date("1994-01-15")), &m), No);
    // No Date: header: servers differ (some use INTERNALDATE).
    let m = Msg::new("Subject: x\n", "");
    assert_eq!(ev(SearchKey::SentBefore(date("2100-01-01")), &m), Maybe);
    assert_eq!(ev(SearchKey::SentSince(date("1900-01-01")), &m), Maybe);
}

#[test]
fn rfc2060_search_example() {
    // RFC 2060 §6.4.4: "SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"".
    let keys = vec![
        SearchKey::Flagged,
        SearchKey::Since(date("1994-02-01")),
        SearchKey::Not(Box::new(SearchKey::From(s("Smith")))),
    ];
    let mut from_jones = Msg::new("From: jones@example.org\n", "");
    from_jones.flags = vec!["\\Flagged"];
    let mut from_smith = Msg::new(SMITH, "");
    from_smith.flags = vec!["\\Flagged"];
    let unflagged = Msg::new("From: jones@example.org\n", "");
    let mut old = Msg::new("From: jones@example.org\n", "");
    old.flags = vec!["\\Flagged"];
    old.date = at("Mon, 10 Jan 1994 12:00:00 +0000");
    assert_eq!(evaluate_all(&keys, &from_jones, &scope()), Yes);
    assert_eq!(evaluate_all(&keys, &from_smith, &scope()), No);
    assert_eq!(evaluate_all(&keys, &unflagged, &scope()), No);
    assert_eq!(evaluate_all(&keys, &old, &scope()), No);
    // The other §6.4.4 example: "DELETED FROM "SMITH" SINCE 1-Feb-1994".
    let keys = vec![
        SearchKey::Deleted,
        SearchKey::From(s("SMITH")),
        SearchKey::Since(date("1994-02-01")),
    ];
    from_smith.flags = vec!["\\Deleted"];
    assert_eq!(evaluate_all(&keys, &from_smith, &scope()), Yes);
    assert_eq!(evaluate_all(&[], &from_smith, &scope()), Yes);
}

#[test]
fn rfc3501_text_example() {
    // RFC 3501 §6.4.4: "SEARCH TEXT "string not in mailbox"" answers "* SEARCH".
    let m = Msg::new(SMITH, "Please bring the Q3 figures.\n");
    assert_eq!(ev(SearchKey::Text(s("string not in mailbox")), &m), No);
}

#[test]
fn not_and_or_over_maybe() {
    let m = Msg::new(SMITH, "");
    let maybe = SearchKey::On(date("1994-02-15"));
    assert_eq!(ev(maybe.clone(), &m), Maybe);
    assert_eq!(ev(SearchKey::Not(Box::new(maybe.clone())), &m), Maybe);
    let or = |a: SearchKey<'static>, b: SearchKey<'static>| SearchKey::Or(Box::new(a), Box::new(b));
    assert_eq!(ev(or(maybe.clone(), SearchKey::All), &m), Yes);
    assert_eq!(ev(or(maybe.clone(), SearchKey::Seen), &m), Maybe);
    assert_eq!(ev(and(vec![maybe.clone(), SearchKey::Seen]), &m), No);
    assert_eq!(ev(and(vec![maybe.clone(), SearchKey::All]), &m), Maybe);
    // NOT (A OR NOT A) is not No under Kleene logic when A is Maybe.
    let excluded = or(maybe.clone(), SearchKey::Not(Box::new(maybe)));
    assert_eq!(ev(SearchKey::Not(Box::new(excluded)), &m), Maybe);
}

#[test]
fn deeply_nested_keys() {
    // imap-codec limits parsed keys to 9 levels; keys built in memory may be deeper.
    let m = Msg::new(SMITH, "");
    let mut k = SearchKey::All;
    for _ in 0..1000 {
        k = SearchKey::Not(Box::new(k));
    }
    assert_eq!(ev(k, &m), Yes);
    let mut k = SearchKey::Seen;
    for _ in 0..1000 {
        k = and(vec![SearchKey::All, k]);
    }
    assert_eq!(ev(k, &m), No);
}

#[test]
fn header_fields_unfold() {
    // RFC 2822 §2.2.3: unfolding removes the CRLF before folding whitespace.
    let h = b"Subject: a\r\n\tb\r\nX:  c \r\nnot a field\r\n\r\nBody: no\r\n";
    assert_eq!(
        header_fields(h),
        vec![
            (b"Subject".to_vec(), b"a\tb".to_vec()),
            (b"X".to_vec(), b"c".to_vec())
        ]
    );
}
