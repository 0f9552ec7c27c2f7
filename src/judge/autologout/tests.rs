use super::*;
use crate::wire::{End, Event, Exchange, Transcript};

fn login_then(server_after: &[&str]) -> Transcript {
    let mut events = vec![
        Event::Client(Message::line("s1 LOGIN u1 pw")),
        Event::Server(Message::line("s1 OK LOGIN completed")),
    ];
    events.extend(server_after.iter().map(|l| Event::Server(Message::line(l))));
    Transcript {
        greeting: Some(Message::line("* OK ready")),
        setup: vec![Exchange { events }],
        script: Vec::new(),
        end: End::Closed,
    }
}

fn closed_after(secs: f64, server_after: &[&str]) -> IdleRecord {
    IdleRecord {
        transcript: login_then(server_after),
        idle: Duration::from_secs_f64(secs),
        end: IdleEnd::Closed { how: None },
        window: MINIMUM + Duration::from_secs(60),
    }
}

fn open_after(secs: f64, noop: NoopAnswer) -> IdleRecord {
    IdleRecord {
        transcript: login_then(&[]),
        idle: Duration::from_secs_f64(secs),
        end: IdleEnd::Open { noop },
        window: Duration::from_secs_f64(secs),
    }
}

#[test]
fn a_server_that_closes_idle_connections_after_ten_minutes_breaks_the_30_minute_minimum_rfc2060_5_4(
) {
    let first = closed_after(600.0, &["* BYE Autologout; idle for too long"]);
    let again = closed_after(600.4, &["* BYE Autologout; idle for too long"]);
    let v = judge_autologout("srv", &first, Some(&again));
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].kind, Kind::Violation);
    assert_eq!(v[0].rule.as_deref(), Some(RULE));
    assert_eq!(v[0].targets, vec!["srv".to_string()]);
    assert!(v[0].summary.contains("10 min 0.0 s"), "{}", v[0].summary);
    assert!(v[0].summary.contains("10 min 0.4 s"), "{}", v[0].summary);
    assert!(
        v[0].observed
            .contains("* BYE Autologout; idle for too long\\r\\n"),
        "the BYE's bytes are the evidence: {}",
        v[0].observed
    );
    assert!(v[0].observed.contains("600000 ms"), "{}", v[0].observed);
    assert!(v[0].expected.contains("at least 30 minutes"));
}

#[test]
fn a_close_without_bye_before_30_minutes_is_a_violation_too_rfc2060_5_4() {
    let first = closed_after(3.0, &[]);
    let again = closed_after(3.1, &[]);
    let v = judge_autologout("srv", &first, Some(&again));
    assert_eq!(v.len(), 1);
    assert!(v[0].observed.contains("the server sent nothing and closed"));
}

#[test]
fn a_close_after_30_minutes_is_no_finding_rfc2060_5_4() {
    for secs in [1800.0, 1801.0, 3600.0] {
        let r = closed_after(secs, &["* BYE Autologout"]);
        assert!(!closed_too_soon(&r), "{secs}");
        assert!(judge_autologout("srv", &r, Some(&r)).is_empty(), "{secs}");
        assert_eq!(
            conclude(&r, None),
            Conclusion::ClosedAfterMinimum {
                idle: Duration::from_secs_f64(secs)
            }
        );
    }
}

#[test]
fn a_close_within_the_clocks_slack_of_30_minutes_is_no_finding() {
    // 29:59.9 on the client's clock: the server's timer may well be 30 minutes.
    let r = closed_after(1799.9, &["* BYE Autologout"]);
    assert!(!closed_too_soon(&r));
    assert!(judge_autologout("srv", &r, Some(&r)).is_empty());
    // Two seconds earlier is clearly too soon.
    let r = closed_after(1798.0, &[]);
    assert!(closed_too_soon(&r));
    assert_eq!(judge_autologout("srv", &r, Some(&r)).len(), 1);
}

#[test]
fn one_early_close_not_seen_again_is_no_finding() {
    let first = closed_after(42.0, &[]);
    let again = open_after(1900.0, NoopAnswer::Completed("OK".into()));
    assert!(judge_autologout("srv", &first, Some(&again)).is_empty());
    assert!(judge_autologout("srv", &first, None).is_empty());
    assert!(matches!(
        conclude(&first, Some(&again)),
        Conclusion::Inconclusive(_)
    ));
}

#[test]
fn open_after_30_minutes_with_noop_answered_keeps_the_must_rfc2060_5_4() {
    let r = open_after(1860.0, NoopAnswer::Completed("OK".into()));
    assert!(judge_autologout("srv", &r, None).is_empty());
    assert_eq!(
        conclude(&r, None),
        Conclusion::Kept {
            idle: Duration::from_secs(1860)
        }
    );
}

#[test]
fn open_after_a_window_shorter_than_30_minutes_concludes_nothing() {
    let r = open_after(3.0, NoopAnswer::Completed("OK".into()));
    assert!(judge_autologout("srv", &r, None).is_empty());
    let c = conclude(&r, None);
    assert!(matches!(c, Conclusion::Inconclusive(_)), "{c:?}");
    assert!(!c.describe().contains("kept"), "{}", c.describe());
}

#[test]
fn an_unanswered_noop_or_an_interruption_concludes_nothing() {
    for r in [
        open_after(1900.0, NoopAnswer::NoAnswer),
        open_after(1900.0, NoopAnswer::Closed),
        IdleRecord {
            end: IdleEnd::Interrupted,
            ..open_after(5.0, NoopAnswer::NoAnswer)
        },
    ] {
        assert!(judge_autologout("srv", &r, None).is_empty());
        assert!(matches!(conclude(&r, None), Conclusion::Inconclusive(_)));
    }
}

#[test]
fn only_what_came_after_the_logins_completion_is_idle_evidence() {
    let r = closed_after(5.0, &["* 1 EXISTS", "* BYE bye"]);
    let said: Vec<Vec<u8>> = idle_messages(&r).iter().map(|m| m.to_bytes()).collect();
    assert_eq!(
        said,
        vec![b"* 1 EXISTS\r\n".to_vec(), b"* BYE bye\r\n".to_vec()]
    );
}

#[test]
fn idle_times_read_as_a_person_would_say_them() {
    assert_eq!(human(Duration::from_millis(4012)), "4.012 s");
    assert_eq!(human(Duration::from_millis(1_798_100)), "29 min 58.1 s");
}

#[test]
fn the_catalogue_checks_the_30_minute_minimum_with_the_opt_in_probe() {
    let r = crate::catalogue::catalogue().get(RULE).unwrap();
    assert_eq!(r.check.as_deref(), Some("autologout"));
    assert_eq!(r.unchecked(), None);
    assert!(
        r.status().contains("imapconform probe autologout"),
        "{}",
        r.status()
    );
    assert_eq!(requirement_kind(RULE), Some(Kind::Violation));
}
