use super::commands::to_non_sync;
use super::*;
use crate::wire::Fragment;

fn creds(u: &str, p: &str) -> Credentials {
    Credentials {
        user: u.into(),
        password: p.into(),
    }
}

#[test]
fn login_uses_atoms_quoted_strings_and_literals_as_needed() {
    assert_eq!(
        login_command("s1", &creds("u1", "pw1")).to_bytes(),
        b"s1 LOGIN u1 pw1\r\n"
    );
    assert_eq!(
        login_command("s1", &creds("a b", "q\"\\")).to_bytes(),
        b"s1 LOGIN \"a b\" \"q\\\"\\\\\"\r\n"
    );
    let m = login_command("s1", &creds("u", "p\u{e9}"));
    assert_eq!(m.fragments.len(), 3);
    assert_eq!(m.to_bytes(), "s1 LOGIN u {3}\r\np\u{e9}\r\n".as_bytes());
}

#[test]
fn literal_plus_rewrite_and_back() {
    assert_eq!(to_non_sync(b"a APPEND x {12}\r\n"), b"a APPEND x {12+}\r\n");
    assert_eq!(to_sync(b"a APPEND x {12+}\r\n"), b"a APPEND x {12}\r\n");
    assert_eq!(to_sync(b"a NOOP\r\n"), b"a NOOP\r\n");
}

#[test]
fn capabilities_from_untagged_and_code() {
    assert_eq!(
        capabilities_in(b"* CAPABILITY IMAP4rev1 LITERAL+ IDLE").unwrap(),
        vec!["IMAP4rev1", "LITERAL+", "IDLE"]
    );
    assert_eq!(
        capabilities_in(b"* OK [CAPABILITY IMAP4rev1 SASL-IR] Dovecot ready.").unwrap(),
        vec!["IMAP4rev1", "SASL-IR"]
    );
    assert!(capabilities_in(b"* OK ready").is_none());
}

/// A spawned peer running `script` in `sh`, with `timeout_ms` (the driver's tests and
/// the re-check's share it).
pub(super) fn shell_target(script: &str, timeout_ms: u64) -> Target {
    Target {
        name: "peer".into(),
        spawn: Some(vec!["sh".into(), "-c".into(), script.into()]),
        timeout_ms: Some(timeout_ms),
        ..Target::default()
    }
}

pub(super) const PREAUTH: &str = "printf '* PREAUTH [CAPABILITY IMAP4rev1] hi\\r\\n'; read x; ";

fn run(target: &Target, opts: &DriveOptions) -> Result<Transcript, DriveError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run_session(target, None, &[Message::line("a1 NOOP")], opts))
}

#[test]
fn the_timeout_is_per_command_so_a_trickle_of_responses_cannot_hold_a_session() {
    // Each line comes well within the timeout, but the command never completes.
    let t = shell_target(
        &format!("{PREAUTH}while :; do printf '* OK still working\\r\\n'; sleep 0.1; done"),
        700,
    );
    let start = std::time::Instant::now();
    let once = DriveOptions {
        recheck_timeouts: false,
        ..DriveOptions::default()
    };
    let tr = run(&t, &once).unwrap();
    let took = start.elapsed();
    assert!(matches!(tr.end, End::Timeout(_)), "{:?}", tr.end);
    assert!(took < Duration::from_millis(700 + 800), "took {took:?}");
    assert!(
        tr.script[0].responses().count() >= 3,
        "the trickle was recorded until the deadline"
    );
}

#[test]
fn a_flood_stops_at_max_responses_or_max_session_bytes() {
    let flood = format!("{PREAUTH}yes '* OK flood flood flood flood'");
    let t = Target {
        max_responses: Some(50),
        ..shell_target(&flood, 5000)
    };
    let tr = run(&t, &DriveOptions::default()).unwrap();
    assert_eq!(
        tr.end,
        End::Limit("the responses to one command exceeded 50 (max_responses)".into())
    );
    assert_eq!(tr.script[0].responses().count(), 50);

    let t = Target {
        max_session_bytes: Some(64 * 1024),
        ..shell_target(&flood, 5000)
    };
    let tr = run(&t, &DriveOptions::default()).unwrap();
    assert_eq!(
        tr.end,
        End::Limit("the session's record exceeded 65536 bytes (max_session_bytes)".into())
    );
    // Each message counts its bytes and MESSAGE_OVERHEAD: the greeting (37 bytes),
    // then flood lines of 29 bytes up to the first one past the limit.
    let greeting = 37 + MESSAGE_OVERHEAD;
    let line = 29 + MESSAGE_OVERHEAD;
    let n = tr.script[0].responses().count();
    assert_eq!(n, (65536 - greeting) / line + 1);
}

#[test]
fn endless_continuation_requests_stop_the_session_at_a_limit_not_as_a_crash() {
    let t = shell_target(
        "printf '* PREAUTH hi\\r\\n'; while read x; do printf '+ more\\r\\n'; done",
        2000,
    );
    let tr = run(&t, &DriveOptions::default()).unwrap();
    assert_eq!(
        tr.end,
        End::Limit(
            "the server asked for continuation data more than 3 times with nothing left to send"
                .into()
        )
    );
}

#[test]
fn a_target_s_limits_override_the_defaults_and_a_message_fits_the_session() {
    let t = Target {
        max_line: Some(2048),
        max_literal: Some(4096),
        max_responses: Some(7),
        max_session_bytes: Some(8192),
        ..shell_target("true", 100)
    };
    let o = DriveOptions::default().for_target(&t);
    assert_eq!(o.limits.max_line, 2048);
    assert_eq!(o.limits.max_literal, 4096);
    assert_eq!(o.limits.max_message, 8192);
    assert_eq!(o.max_responses_per_command, 7);
    assert_eq!(o.max_session_bytes, 8192);
    let d = DriveOptions::default().for_target(&shell_target("true", 100));
    assert_eq!(d.limits, FrameLimits::default());
    assert_eq!(d.max_session_bytes, DEFAULT_MAX_SESSION_BYTES);
}

#[test]
fn a_bye_greeting_is_a_refused_session_not_a_completed_one() {
    let t = shell_target("printf '* BYE too many connections\\r\\n'", 1000);
    let err = run(&t, &DriveOptions::default()).unwrap_err();
    assert_eq!(
        err,
        DriveError::Refused("* BYE too many connections".into())
    );
    assert!(err.to_string().contains("RFC 2060 §7.1.5"), "{err}");
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// RFC 2060 §6.2.1: an answer is sent when the server asks with `+`, and not at all
/// when the server completes the command first.
#[test]
fn continuation_answers_wait_for_the_request_and_are_dropped_after_the_completion() {
    let t = shell_target(
        "printf '* PREAUTH [CAPABILITY IMAP4rev1] hi\\r\\n'; \
         read a; printf '+ VXNlcm5hbWU6\\r\\n'; read b; \
         case \"$b\" in dTE=*) printf 'a1 NO nope\\r\\n';; *) printf 'a1 BAD wrong\\r\\n';; esac; \
         read c; printf 'a2 BAD refused\\r\\n'; \
         read d; case \"$d\" in 'a3 NOOP'*) printf 'a3 OK\\r\\n';; *) printf 'a3 BAD got\\r\\n';; esac; \
         read e",
        3000,
    );
    let two = |a: &str, b: &str| Message {
        fragments: vec![
            Fragment::Line(format!("{a}\r\n").into_bytes()),
            Fragment::Line(format!("{b}\r\n").into_bytes()),
        ],
    };
    let script = [
        two("a1 AUTHENTICATE LOGIN", "dTE="),
        two("a2 AUTHENTICATE PLAIN", "*"),
        Message::line("a3 NOOP"),
    ];
    let tr = rt()
        .block_on(run_session(&t, None, &script, &DriveOptions::default()))
        .unwrap();
    assert_eq!(tr.script[0].status().as_deref(), Some("NO"), "{tr:?}");
    assert_eq!(
        tr.script[0].events.len(),
        4,
        "command, +, answer, completion"
    );
    assert_eq!(tr.script[1].status().as_deref(), Some("BAD"));
    assert_eq!(tr.script[1].events.len(), 2, "the answer was not sent");
    assert_eq!(tr.script[2].status().as_deref(), Some("OK"), "{tr:?}");
}

#[test]
fn a_mechanism_the_server_does_not_advertise_is_a_setup_error() {
    let t = Target {
        auth: crate::targets::AuthMethod::SaslLogin,
        ..shell_target(
            "printf '* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hi\\r\\n'; read x",
            2000,
        )
    };
    let c = creds("u1", "pw");
    let err = rt()
        .block_on(run_session(&t, Some(&c), &[], &DriveOptions::default()))
        .unwrap_err();
    // The server answered: a setup problem that restarting it would not mend.
    let DriveError::Unsupported(why) = err else {
        panic!("{err:?}")
    };
    assert!(
        why.contains("AUTH=LOGIN") && why.contains("sasl-login"),
        "{why}"
    );
}

#[test]
fn logout_is_recognised_case_insensitively() {
    assert!(is_logout(&Message::line("a9 logout")));
    assert!(!is_logout(&Message::line("a9 LOGOUTX")));
}
