//! The driver against misbehaving peers.
//!
//! These fixture servers test the tool's own fault handling only; they never stand in for
//! a real IMAP server. Each one reads whatever the client sends and answers with a fixed
//! script of bytes.

use std::time::{Duration, Instant};

use imapconform::drive::{run_session, DriveError, DriveOptions};
use imapconform::targets::Target;
use imapconform::wire::{End, Event, Fragment, FrameLimits, Message};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the fixture does after accepting a connection.
#[derive(Clone)]
enum Act {
    Send(&'static [u8]),
    /// Wait for the client to send something containing this.
    Await(&'static [u8]),
    Sleep(Duration),
    Close,
}

async fn fixture(acts: Vec<Act>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut seen = Vec::new();
        for act in acts {
            match act {
                Act::Send(b) => {
                    if s.write_all(b).await.is_err() {
                        return;
                    }
                }
                Act::Await(needle) => {
                    let mut buf = [0u8; 4096];
                    while !seen.windows(needle.len()).any(|w| w == needle) {
                        match s.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => seen.extend_from_slice(&buf[..n]),
                        }
                    }
                }
                Act::Sleep(d) => tokio::time::sleep(d).await,
                Act::Close => return,
            }
        }
        // Keep the connection open and silent until the client goes away.
        let mut buf = [0u8; 4096];
        while let Ok(n) = s.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    });
    addr
}

/// `TAG APPEND INBOX {5}` with the literal `hello`, as the generator frames it.
fn append_hello(tag: &str) -> Message {
    Message {
        fragments: vec![
            Fragment::Line(format!("{tag} APPEND INBOX {{5}}\r\n").into_bytes()),
            Fragment::Literal(b"hello".to_vec()),
            Fragment::Line(b"\r\n".to_vec()),
        ],
    }
}

/// A pre-authenticated session whose one command, `a1 FETCH 1 BODY[]`, the fixture
/// answers with `reply`.
async fn fetch_answered_with(reply: &[Act]) -> imapconform::wire::Transcript {
    let mut acts = vec![
        Act::Send(b"* PREAUTH [CAPABILITY IMAP4rev1] hi\r\n"),
        Act::Await(b"a1 FETCH"),
    ];
    acts.extend_from_slice(reply);
    let addr = fixture(acts).await;
    run_session(
        &target(&addr, 1000),
        None,
        &[Message::line("a1 FETCH 1 BODY[]")],
        &DriveOptions::default(),
    )
    .await
    .unwrap()
}

fn target(addr: &str, timeout_ms: u64) -> Target {
    Target {
        name: "fixture".into(),
        address: Some(addr.into()),
        user: Some("u".into()),
        password: Some("p".into()),
        timeout_ms: Some(timeout_ms),
        ..Target::default()
    }
}

#[tokio::test]
async fn a_server_that_never_answers_ends_in_a_timeout_within_the_limit() {
    let addr = fixture(vec![Act::Send(b"* OK hi\r\n"), Act::Await(b"s1 LOGIN")]).await;
    // Without credentials the session cannot log in: a setup error, not a hang.
    let start = Instant::now();
    let err = run_session(&target(&addr, 300), None, &[], &DriveOptions::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no user"), "{err}");
    assert!(start.elapsed() < Duration::from_secs(2));

    let addr = fixture(vec![Act::Send(b"* OK hi\r\n"), Act::Await(b"s1 LOGIN")]).await;
    let tg = Target {
        auth_timeout_ms: Some(300),
        ..target(&addr, 300)
    };
    let creds = tg.pool().into_iter().next();
    let start = Instant::now();
    let t = run_session(&tg, creds.as_ref(), &[], &DriveOptions::default())
        .await
        .unwrap();
    assert!(matches!(t.end, End::Timeout(_)), "{:?}", t.end);
    // The LOGIN's timeout, then at most the second run's longer deadline for it.
    assert!(start.elapsed() < Duration::from_millis(300 * 7 + 1000));
    assert_eq!(t.setup.len(), 1, "the unanswered LOGIN is recorded");
}

#[tokio::test]
async fn a_bye_greeting_refuses_the_session_before_any_command() {
    // RFC 2060 §7.1.5 allows it: no finding, but no session either (a setup error).
    let addr = fixture(vec![Act::Send(b"* BYE too busy\r\n"), Act::Close]).await;
    let err = run_session(
        &target(&addr, 1000),
        None,
        &[Message::line("a1 NOOP")],
        &DriveOptions::default(),
    )
    .await
    .unwrap_err();
    assert_eq!(err, DriveError::Refused("* BYE too busy".into()));
}

#[tokio::test]
async fn a_connection_closed_inside_a_literal_keeps_the_bytes_that_came() {
    let t = fetch_answered_with(&[
        Act::Send(b"* 1 FETCH (BODY[] {100}\r\nonly this"),
        Act::Close,
    ])
    .await;
    assert_eq!(t.end, End::Closed);
    let last = t.script[0].responses().last().unwrap().clone();
    assert_eq!(last.fragments[1], Fragment::Literal(b"only this".to_vec()));
}

#[tokio::test]
async fn a_huge_literal_announcement_is_refused_not_buffered() {
    let t = fetch_answered_with(&[Act::Send(b"* 1 FETCH (BODY[] {4294967295}\r\n")]).await;
    match &t.end {
        End::Limit(why) => assert!(why.contains("4294967295"), "{why}"),
        other => panic!("expected a stop at the literal limit, got {other:?}"),
    }
}

#[tokio::test]
async fn a_synchronizing_literal_waits_for_the_continuation_request() {
    let addr = fixture(vec![
        Act::Send(b"* PREAUTH [CAPABILITY IMAP4rev1] hi\r\n"),
        Act::Await(b"a1 CAPABILITY"),
        Act::Send(b"* CAPABILITY IMAP4rev1\r\na1 OK\r\n"),
        Act::Await(b"{5}\r\n"),
        Act::Sleep(Duration::from_millis(50)),
        Act::Send(b"+ go\r\n"),
        Act::Await(b"hello\r\n"),
        Act::Send(b"a2 OK stored\r\n"),
    ])
    .await;
    let cmd = append_hello("a2");
    let t = run_session(
        &target(&addr, 2000),
        None,
        &[Message::line("a1 CAPABILITY"), cmd],
        &DriveOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(t.end, End::Completed, "{t:?}");
    let kinds: Vec<&str> = t.script[1]
        .events
        .iter()
        .map(|e| match e {
            Event::Client(_) => "C",
            Event::Server(_) => "S",
        })
        .collect();
    assert_eq!(kinds, ["C", "S", "C", "S"]);
}

#[tokio::test]
async fn literal_plus_is_used_where_advertised() {
    let addr = fixture(vec![
        Act::Send(b"* PREAUTH [CAPABILITY IMAP4rev1 LITERAL+] hi\r\n"),
        Act::Await(b"hello\r\n"),
        Act::Send(b"a1 OK stored\r\n"),
    ])
    .await;
    let cmd = append_hello("a1");
    let t = run_session(&target(&addr, 2000), None, &[cmd], &DriveOptions::default())
        .await
        .unwrap();
    assert_eq!(t.end, End::Completed);
    assert_eq!(
        t.script[0].command().to_bytes(),
        b"a1 APPEND INBOX {5+}\r\nhello\r\n"
    );
}

#[tokio::test]
async fn an_endless_line_is_cut_at_the_limit() {
    static LONG: [u8; 100_000] = [b'x'; 100_000];
    let addr = fixture(vec![
        Act::Send(b"* PREAUTH [CAPABILITY IMAP4rev1] hi\r\n"),
        Act::Send(&LONG),
    ])
    .await;
    let opts = DriveOptions {
        limits: FrameLimits {
            max_line: 10_000,
            ..FrameLimits::default()
        },
        ..DriveOptions::default()
    };
    let t = run_session(
        &target(&addr, 1000),
        None,
        &[Message::line("a1 NOOP")],
        &opts,
    )
    .await
    .unwrap();
    assert!(
        matches!(&t.end, End::Limit(w) if w.contains("10000")),
        "{:?}",
        t.end
    );
}

#[tokio::test]
async fn a_refused_login_is_a_setup_error_naming_the_answer() {
    let addr = fixture(vec![
        Act::Send(b"* OK hi\r\n"),
        Act::Await(b"s1 LOGIN"),
        Act::Send(b"s1 NO [AUTHENTICATIONFAILED] wrong\r\n"),
    ])
    .await;
    let tg = target(&addr, 1000);
    let creds = tg.pool().into_iter().next();
    let err = run_session(&tg, creds.as_ref(), &[], &DriveOptions::default())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("s1 NO [AUTHENTICATIONFAILED]"),
        "{err}"
    );
}

#[tokio::test]
async fn a_spawned_server_killed_by_a_signal_is_reported_as_such() {
    let t = Target {
        name: "dies".into(),
        spawn: Some(vec![
            "sh".into(),
            "-c".into(),
            "printf '* PREAUTH [CAPABILITY IMAP4rev1] hi\\r\\n'; read x; kill -SEGV $$".into(),
        ]),
        timeout_ms: Some(2000),
        ..Target::default()
    };
    let tr = run_session(
        &t,
        None,
        &[Message::line("a1 NOOP")],
        &DriveOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        tr.end,
        End::Broken("server process killed by signal 11".into())
    );
}
