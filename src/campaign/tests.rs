use super::*;

#[test]
fn dates_are_rfc3339_utc() {
    assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    assert_eq!(rfc3339(1_795_651_200 + 3661), "2026-11-26T01:01:01Z");
}

#[test]
fn an_endless_stream_of_bad_responses_makes_a_bounded_number_of_findings() {
    use crate::wire::{End, Exchange};
    let garbage: Vec<String> = (0..1000).map(|i| format!("\u{1}garbage {i}")).collect();
    let lines: Vec<&str> = garbage.iter().map(String::as_str).collect();
    let t = Transcript {
        greeting: Some(Message::line("* PREAUTH hi")),
        setup: vec![],
        script: vec![Exchange::from_lines("a1 NOOP", &lines)],
        end: End::Timeout("no complete answer within 100 ms".into()),
    };
    let (v, _) = judge_session(&["h"], &[&t], None, &[true], &[], &[]);
    let syntax = v.iter().filter(|v| v.kind == Kind::Syntax).count();
    assert_eq!(syntax, MAX_FINDINGS_PER_JUDGE);
    assert!(v.iter().any(|v| v.summary.contains("and 900 more like it")));
    // The ending is judged whatever the cap.
    assert_eq!(v.iter().filter(|v| v.kind == Kind::Timeout).count(), 1);
}

#[test]
fn every_script_ends_with_logout() {
    for i in 0..50 {
        let s = session_script(9, i, &GenConfig::default());
        let last = s.last().unwrap().first_line().to_ascii_uppercase();
        assert!(
            last.ends_with(b" LOGOUT"),
            "{}",
            String::from_utf8_lossy(&last)
        );
    }
}
