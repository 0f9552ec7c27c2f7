//! RFC 2060 §6.2.1 AUTHENTICATE followed by the oracle: cancels, bad base64, unknown
//! mechanisms, and the state an OK leaves.

use super::*;

#[test]
fn a_cancelled_authenticate_gets_bad_rfc2060_6_2_1() {
    let cancel = |answer: Option<&str>| {
        let mut events = vec![
            Event::Client(Message::line("s0 AUTHENTICATE PLAIN")),
            Event::Server(Message::line("+ ")),
            Event::Client(Message::line("*")),
        ];
        events.extend(answer.map(|a| Event::Server(Message::line(a))));
        Exchange { events }
    };
    let with_setup = |first: Exchange, end: End| {
        let mut t = session(vec![]);
        t.setup.insert(0, first);
        t.end = end;
        t
    };
    let t = with_setup(cancel(Some("s0 BAD cancelled")), End::Completed);
    assert!(judge(&t, Profile::Rfc2060).is_empty());
    let t = with_setup(cancel(Some("s0 NO authentication failed")), End::Completed);
    let v = judge(&t, Profile::Rfc2060);
    assert_eq!(rules(&v), vec![rule::CANCEL_BAD], "{v:#?}");
    assert_eq!(v[0].kind, Kind::Violation);
    // A server still waiting after the "*" until the session timed out.
    let mut t = with_setup(cancel(None), End::Timeout("s0".into()));
    t.setup.truncate(1);
    let v = judge(&t, Profile::Rfc2060);
    assert_eq!(rules(&v), vec![rule::CANCEL_BAD], "{v:#?}");
}

/// An AUTHENTICATE exchange: the command line, then for each `(challenge, answer)` the
/// server's `+` and the client's answer, then the completion.
fn auth(cmd: &str, steps: &[(&str, &str)], done: &str) -> Exchange {
    let mut events = vec![Event::Client(Message::line(cmd))];
    for (challenge, answer) in steps {
        events.push(Event::Server(Message::line(challenge)));
        events.push(Event::Client(Message::line(answer)));
    }
    events.push(Event::Server(Message::line(done)));
    Exchange { events }
}

/// The prelude `first`, then the usual setup and `script`.
fn after_prelude(first: Vec<Exchange>, script: Vec<Exchange>) -> Transcript {
    let mut t = session(script);
    for (i, e) in first.into_iter().enumerate() {
        t.setup.insert(i, e);
    }
    t
}

#[test]
fn bad_base64_may_get_bad_or_no_and_ok_is_only_a_note_rfc2060_6_2_1() {
    for done in ["p1 BAD invalid base64", "p1 NO authentication failed"] {
        let t = after_prelude(
            vec![auth("p1 AUTHENTICATE PLAIN", &[("+ ", "AGlt*YXBj")], done)],
            vec![],
        );
        assert!(judge(&t, Profile::Rfc3501).is_empty(), "{done}");
        let t = after_prelude(vec![ex("p1 AUTHENTICATE PLAIN AGltYXBj=", &[done])], vec![]);
        assert!(judge(&t, Profile::Rfc2060).is_empty(), "{done}");
    }
    let t = after_prelude(
        vec![auth(
            "p1 AUTHENTICATE LOGIN",
            &[
                ("+ VXNlcm5hbWU6", "aW1hcGNvbmZvcm0tbm9ib2R5"),
                ("+ UGFzc3dvcmQ6", "=AAA"),
            ],
            "p1 OK welcome",
        )],
        vec![],
    );
    let (v, cov) = judge_oracle("srv", &t, Profile::Rfc2060);
    assert_eq!(rules(&v), vec![rule::AUTHENTICATE_BASE64], "{v:#?}");
    // The sentence says what the client sends: accepting more is only a note.
    assert_eq!(v[0].kind, Kind::Note);
    assert_eq!(v[0].step, None);
    assert!(v[0].summary.contains("an answer"), "{}", v[0].summary);
    assert!(cov.stopped.is_some());
    let t = after_prelude(
        vec![ex("p1 AUTHENTICATE PLAIN AGlt*YXBj", &["p1 OK yes"])],
        vec![],
    );
    let v = judge(&t, Profile::Rfc3501);
    assert_eq!(rules(&v), vec![rule::AUTHENTICATE_BASE64], "{v:#?}");
    assert!(
        v[0].summary.contains("initial response"),
        "{}",
        v[0].summary
    );
}

#[test]
fn an_unsupported_mechanism_should_get_no_and_bad_is_only_a_warning() {
    let t = after_prelude(
        vec![ex("p1 AUTHENTICATE X-UNKNOWN-MECH", &["p1 NO unsupported"])],
        vec![],
    );
    assert!(judge(&t, Profile::Rfc2060).is_empty());
    let t = after_prelude(
        vec![ex(
            "p1 AUTHENTICATE X-UNKNOWN-MECH",
            &["p1 BAD unsupported"],
        )],
        vec![],
    );
    let v = judge(&t, Profile::Rfc2060);
    assert_eq!(rules(&v), vec![rule::UNSUPPORTED_MECHANISM], "{v:#?}");
    assert_eq!(v[0].kind, Kind::Warning);
}

#[test]
fn authenticate_ok_puts_the_session_in_the_authenticated_state() {
    // Logged in by AUTHENTICATE PLAIN with an initial response: the script runs as
    // in a LOGIN session, and a second AUTHENTICATE must not succeed.
    let mut t = session(vec![
        ex("a1 SELECT INBOX", &SELECT_OK),
        ex("a2 AUTHENTICATE PLAIN AHUxAHB3", &["a2 OK again?"]),
    ]);
    t.setup[0] = ex(
        "s1 AUTHENTICATE PLAIN AHUxAHB3",
        &["s1 OK [CAPABILITY IMAP4rev1] in"],
    );
    let (v, _) = judge_oracle("srv", &t, Profile::Rfc2060);
    assert_eq!(
        rules(&v),
        vec![crate::model::session::rule::STATE],
        "{v:#?}"
    );
    assert_eq!(v[0].step, Some(1));
    // By AUTHENTICATE LOGIN, answers after continuation requests.
    let mut t = session(vec![ex("a1 SELECT INBOX", &SELECT_OK)]);
    t.setup[0] = auth(
        "s1 AUTHENTICATE LOGIN",
        &[("+ VXNlcm5hbWU6", "dTE="), ("+ UGFzc3dvcmQ6", "cHc=")],
        "s1 OK in",
    );
    let (v, cov) = judge_oracle("srv", &t, Profile::Rfc2060);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped, None);
    assert_eq!(cov.judged, cov.total);
    // A refused AUTHENTICATE leaves the session unauthenticated: LOGIN then works.
    let t = after_prelude(
        vec![auth(
            "p1 AUTHENTICATE PLAIN",
            &[("+ ", "AHUxAHdyb25n")],
            "p1 NO bad credentials",
        )],
        vec![ex("a1 SELECT INBOX", &SELECT_OK)],
    );
    let (v, cov) = judge_oracle("srv", &t, Profile::Rfc2060);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped, None);
}

/// A case file's login by AUTHENTICATE is redacted: judged again from the file, it is
/// a login by someone, not an initial response that is not base64.
#[test]
fn a_redacted_authenticate_login_is_a_login() {
    let mut t = session(vec![ex("a1 SELECT INBOX", &SELECT_OK)]);
    t.setup[0] = ex("s1 AUTHENTICATE PLAIN <redacted>", &["s1 OK in"]);
    let (v, cov) = judge_oracle("srv", &t, Profile::Rfc2060);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.judged, cov.total);
    t.setup[0] = auth(
        "s1 AUTHENTICATE LOGIN",
        &[("+ x", "<redacted>"), ("+ y", "<redacted>")],
        "s1 OK in",
    );
    let (v, cov) = judge_oracle("srv", &t, Profile::Rfc2060);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.judged, cov.total);
}

#[test]
fn a_cancel_in_the_script_is_judged_at_its_step() {
    let t = session(vec![auth(
        "a1 AUTHENTICATE LOGIN",
        &[("+ VXNlcm5hbWU6", "*")],
        "a1 NO whatever",
    )]);
    let v = judge(&t, Profile::Rfc2060);
    assert_eq!(rules(&v), vec![rule::CANCEL_BAD], "{v:#?}");
    assert_eq!(v[0].step, Some(0));
    // Refused at once in the authenticated state: no cancel was needed.
    let t = session(vec![ex("a1 AUTHENTICATE PLAIN", &["a1 BAD wrong state"])]);
    assert!(judge(&t, Profile::Rfc2060).is_empty());
}
