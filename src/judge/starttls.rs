//! STARTTLS and LOGINDISABLED: the probes' records ([`crate::drive::starttls`]) and the
//! STARTTLS the driver sends itself before logging in to a `tls = "starttls"` target.
//!
//! | what is seen | requirement | kind |
//! |--------------|-------------|------|
//! | plaintext after the tagged OK to STARTTLS, before the handshake (response injection) | RFC 3501 §6.2.1 `3501-6.2.1-tls-begins-after-ok` | violation |
//! | a command sent in the STARTTLS packet answered after the handshake (command injection, CERT VU#555316) | the same (RFC 9051 §6.2.1 spells it out: `9051-6.2.1-extra-data-after-starttls`) | violation |
//! | `SELECT` succeeds right after STARTTLS | RFC 3501 §6.2.1 `3501-6.2.1-remains-not-authenticated` | violation |
//! | STARTTLS accepted after LOGIN | RFC 3501 §6.2 `3501-6.2-starttls-not-authenticated-only` (§3: BAD or NO) | violation |
//! | LOGIN accepted while LOGINDISABLED is advertised | RFC 3501 §7.2.1 `3501-7.2.1-logindisabled-no` | violation (BAD instead of NO: warning) |
//! | STARTTLS on a TLS connection not answered BAD | RFC 9051 §6.2.1 `9051-6.2.1-bad-after-tls`, `9051-6.2.1-bad-on-implicit-tls` | violation for an IMAP4rev2 server; for IMAP4rev1 only an OK, as a warning |
//! | STARTTLS still advertised after STARTTLS | RFC 9051 §6.2.1 `9051-6.2.1-no-starttls-after-tls` (SHOULD NOT) | warning |
//!
//! RFC 3501 leaves open what a server does with a STARTTLS on a connection that is
//! already TLS (its result list has only "BAD - command unknown or arguments invalid");
//! RFC 9051 requires BAD. A server that does not advertise IMAP4rev2 is not held to RFC
//! 9051: a refusal (NO) is no finding, an OK is reported as a warning that says why.
//! A handshake that fails after a STARTTLS sent together with another command is allowed
//! (RFC 9051 §6.2.1 option 1: the extra data is read as the start of the handshake).

use super::{requirement_kind, Kind, Verdict};
use crate::drive::capabilities_in;
use crate::drive::starttls::{Probe, ProbeRecord};
use crate::wire::{escape, Exchange, Message, Transcript};

pub mod rule {
    pub const TLS_BEGINS_AFTER_OK: &str = "3501-6.2.1-tls-begins-after-ok";
    pub const EXTRA_DATA: &str = "9051-6.2.1-extra-data-after-starttls";
    pub const REMAINS_NOT_AUTHENTICATED: &str = "3501-6.2.1-remains-not-authenticated";
    pub const NOT_AUTHENTICATED_ONLY: &str = "3501-6.2-starttls-not-authenticated-only";
    pub const LOGINDISABLED_NO: &str = "3501-7.2.1-logindisabled-no";
    pub const BAD_AFTER_TLS: &str = "9051-6.2.1-bad-after-tls";
    pub const BAD_ON_IMPLICIT: &str = "9051-6.2.1-bad-on-implicit-tls";
    pub const NO_STARTTLS_AFTER_TLS: &str = "9051-6.2.1-no-starttls-after-tls";

    /// Every requirement these checks cite.
    pub const ALL: [&str; 8] = [
        TLS_BEGINS_AFTER_OK,
        EXTRA_DATA,
        REMAINS_NOT_AUTHENTICATED,
        NOT_AUTHENTICATED_ONLY,
        LOGINDISABLED_NO,
        BAD_AFTER_TLS,
        BAD_ON_IMPLICIT,
        NO_STARTTLS_AFTER_TLS,
    ];
}

/// The command injected in the probe's STARTTLS packet (`p3 NOOP`).
const INJECTED_TAG: &[u8] = b"p3";

fn verdict(
    kind: Kind,
    target: &str,
    step: Option<usize>,
    rule: &str,
    summary: String,
    observed: String,
) -> Verdict {
    let expected = crate::catalogue::catalogue()
        .cite(rule)
        .unwrap_or_else(|| rule.to_string());
    Verdict {
        kind,
        targets: vec![target.to_string()],
        step,
        rule: Some(rule.to_string()),
        summary,
        expected,
        observed,
        cause: None,
    }
}

fn verb(e: &Exchange) -> String {
    let c = e.command();
    let line = c.first_line();
    let word = line.split(|&b| b == b' ').nth(1).unwrap_or_default();
    String::from_utf8_lossy(word).to_ascii_uppercase()
}

fn has(caps: &[String], name: &str) -> bool {
    caps.iter().any(|c| c.eq_ignore_ascii_case(name))
}

/// Response injection: plaintext after the tagged OK to the STARTTLS of exchange
/// `step`. `step_out` is what the verdict names (`None` for the setup).
fn plaintext_after_ok(target: &str, e: &Exchange, step_out: Option<usize>) -> Option<Verdict> {
    if verb(e) != "STARTTLS" || e.status().as_deref() != Some("OK") {
        return None;
    }
    // What the server sent in plaintext after its OK: the driver records it there and
    // discards it.
    let late = e.after_completion();
    if late.is_empty() {
        return None;
    }
    let bytes: Vec<u8> = late.iter().flat_map(|m| m.to_bytes()).collect();
    Some(verdict(
        Kind::Violation,
        target,
        step_out,
        rule::TLS_BEGINS_AFTER_OK,
        format!(
            "{} byte(s) in plaintext after the tagged OK to STARTTLS, before the TLS handshake \
             (response injection: a client reading them would take them for responses under TLS; \
             imapconform discarded them)",
            bytes.len()
        ),
        escape(&bytes),
    ))
}

/// STARTTLS advertised by the first CAPABILITY after the handshake.
fn starttls_advertised_after<'a>(
    target: &str,
    after: impl Iterator<Item = (Option<usize>, &'a Exchange)>,
) -> Option<Verdict> {
    for (step, e) in after {
        for m in e.responses() {
            if let Some(caps) = capabilities_in(m.first_line()) {
                if !has(&caps, "STARTTLS") {
                    return None;
                }
                return Some(verdict(
                    requirement_kind(rule::NO_STARTTLS_AFTER_TLS).unwrap_or(Kind::Warning),
                    target,
                    step,
                    rule::NO_STARTTLS_AFTER_TLS,
                    "STARTTLS is still advertised after a successful STARTTLS".into(),
                    escape(&m.to_bytes()),
                ));
            }
        }
    }
    None
}

/// The STARTTLS the driver sent in a session's setup (`tls = "starttls"` targets):
/// plaintext after its OK, and STARTTLS advertised again after it.
pub fn judge_setup(target: &str, t: &Transcript) -> Vec<Verdict> {
    let mut out = Vec::new();
    let Some(i) = t
        .setup
        .iter()
        .position(|e| verb(e) == "STARTTLS" && e.status().as_deref() == Some("OK"))
    else {
        return out;
    };
    out.extend(plaintext_after_ok(target, &t.setup[i], None));
    out.extend(starttls_advertised_after(
        target,
        t.setup[i + 1..].iter().map(|e| (None, e)),
    ));
    out
}

/// The exchange of the probe whose command line is `line`.
fn find<'a>(r: &'a ProbeRecord, line: &str) -> Option<(usize, &'a Exchange)> {
    r.transcript.script.iter().enumerate().find(|(_, e)| {
        e.command()
            .first_line()
            .eq_ignore_ascii_case(line.as_bytes())
    })
}

/// Whether the server advertised IMAP4rev2 by exchange `i` (and so is bound by RFC 9051).
fn rev2(r: &ProbeRecord, i: usize) -> bool {
    r.capabilities_before(i)
        .is_some_and(|c| has(&c, "IMAP4rev2"))
}

/// A STARTTLS on a connection that is already TLS (exchange `i`): RFC 9051 wants BAD.
fn starttls_in_tls(target: &str, r: &ProbeRecord, i: usize, rule_id: &str) -> Option<Verdict> {
    let e = &r.transcript.script[i];
    let status = e.status()?;
    let observed = escape(&e.completion()?.to_bytes());
    let where_ = if r.implicit {
        "on an implicit TLS port"
    } else {
        "after a successful STARTTLS"
    };
    if rev2(r, i) {
        return (status != "BAD").then(|| {
            verdict(
                Kind::Violation,
                target,
                Some(i),
                rule_id,
                format!("STARTTLS {where_} answered {status}, not BAD (the server advertises IMAP4rev2)"),
                observed,
            )
        });
    }
    (status == "OK").then(|| {
        verdict(
            Kind::Warning,
            target,
            Some(i),
            rule_id,
            format!(
                "STARTTLS {where_} answered OK; RFC 9051 requires BAD (an IMAP4rev1 server, which RFC 3501 does not bind here)"
            ),
            observed,
        )
    })
}

/// Every finding a probe's record proves.
pub fn judge_probe(target: &str, r: &ProbeRecord) -> Vec<Verdict> {
    let mut out = Vec::new();
    let script = &r.transcript.script;
    if let Some(i) = r.tls_after {
        out.extend(plaintext_after_ok(target, &script[i], Some(i)));
        out.extend(starttls_advertised_after(
            target,
            script[i + 1..]
                .iter()
                .enumerate()
                .map(|(k, e)| (Some(i + 1 + k), e)),
        ));
    }
    match r.probe {
        Probe::CommandInjection => {
            let Some(i) = r.tls_after else {
                return out;
            };
            // Answers to the injected command under TLS: every exchange after the
            // handshake (the STARTTLS exchange's own late messages were plaintext).
            for (k, e) in script.iter().enumerate().skip(i + 1) {
                for m in e.responses() {
                    if m.tag() != INJECTED_TAG {
                        continue;
                    }
                    let id = if rev2(r, i) {
                        rule::EXTRA_DATA
                    } else {
                        rule::TLS_BEGINS_AFTER_OK
                    };
                    out.push(verdict(
                        Kind::Violation,
                        target,
                        Some(k),
                        id,
                        "STARTTLS command injection: `p3 NOOP`, sent in plaintext in the same packet as \
                         STARTTLS, was executed after the TLS handshake (CERT VU#555316; RFC 9051 §6.2.1 \
                         requires such data to be read as the handshake or thrown away)"
                            .into(),
                        escape(&m.to_bytes()),
                    ));
                    break;
                }
            }
            if let Some((k, e)) = find(r, "p6 SELECT INBOX") {
                if e.status().as_deref() == Some("OK") {
                    out.push(verdict(
                        Kind::Violation,
                        target,
                        Some(k),
                        rule::REMAINS_NOT_AUTHENTICATED,
                        "SELECT succeeded right after STARTTLS, with no login: the server left the not \
                         authenticated state"
                            .into(),
                        escape(&e.completion().map(Message::to_bytes).unwrap_or_default()),
                    ));
                }
            }
        }
        Probe::StarttlsInTls => {
            if r.implicit {
                if let Some((i, _)) = find(r, "p1 STARTTLS") {
                    out.extend(starttls_in_tls(target, r, i, rule::BAD_ON_IMPLICIT));
                }
            } else if let Some((i, _)) = find(r, "p3 STARTTLS") {
                out.extend(starttls_in_tls(target, r, i, rule::BAD_AFTER_TLS));
            }
        }
        Probe::StarttlsAfterLogin => {
            let logged_in = r
                .transcript
                .script
                .iter()
                .any(|e| verb(e) == "LOGIN" && e.status().as_deref() == Some("OK"));
            if let (true, Some((i, e))) = (logged_in, find(r, "p3 STARTTLS")) {
                if e.status().as_deref() == Some("OK") {
                    out.push(verdict(
                        Kind::Violation,
                        target,
                        Some(i),
                        rule::NOT_AUTHENTICATED_ONLY,
                        "STARTTLS accepted after LOGIN, in the authenticated state (RFC 3501 §3: a command \
                         in an inappropriate state gets BAD or NO)"
                            .into(),
                        escape(&e.completion().map(Message::to_bytes).unwrap_or_default()),
                    ));
                }
            }
        }
        Probe::LoginDisabled => {
            let login = r
                .transcript
                .script
                .iter()
                .enumerate()
                .find(|(_, e)| verb(e) == "LOGIN");
            if let Some((i, e)) = login {
                let advertised = r
                    .capabilities_before(i.saturating_sub(1))
                    .is_some_and(|c| has(&c, "LOGINDISABLED"));
                let observed = escape(&e.completion().map(Message::to_bytes).unwrap_or_default());
                match e.status().as_deref() {
                    Some("OK") if advertised => out.push(verdict(
                        Kind::Violation,
                        target,
                        Some(i),
                        rule::LOGINDISABLED_NO,
                        "LOGIN succeeded before TLS although the server advertises LOGINDISABLED".into(),
                        observed,
                    )),
                    Some("BAD") if advertised => out.push(verdict(
                        Kind::Warning,
                        target,
                        Some(i),
                        rule::LOGINDISABLED_NO,
                        "LOGIN with valid credentials was answered BAD while LOGINDISABLED is advertised; \
                         RFC 3501 §7.2.1 says the server responds with a tagged NO"
                            .into(),
                        observed,
                    )),
                    _ => {}
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{End, Event};

    fn record(
        probe: Probe,
        greeting: &str,
        script: Vec<Exchange>,
        tls_after: Option<usize>,
    ) -> ProbeRecord {
        let mut r = ProbeRecord::new(probe, false);
        r.transcript = Transcript {
            greeting: Some(Message::line(greeting)),
            script,
            end: End::Completed,
            ..Transcript::default()
        };
        r.tls_after = tls_after;
        r
    }

    fn x(cmd: &str, responses: &[&str]) -> Exchange {
        Exchange::from_lines(cmd, responses)
    }

    fn rules(v: &[Verdict]) -> Vec<(Kind, &str)> {
        v.iter()
            .map(|v| (v.kind, v.rule.as_deref().unwrap()))
            .collect()
    }

    const CAPS: &str = "* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED";

    fn injection(after_tls: Vec<Exchange>) -> ProbeRecord {
        let mut script = vec![
            x("p1 CAPABILITY", &[CAPS, "p1 OK done"]),
            x("p2 STARTTLS", &["p2 OK begin TLS"]),
        ];
        script.extend(after_tls);
        record(Probe::CommandInjection, "* OK ready", script, Some(1))
    }

    #[test]
    fn a_server_that_discards_the_injected_command_is_clean() {
        let r = injection(vec![
            x("p4 NOOP", &["p4 OK noop"]),
            x(
                "p5 CAPABILITY",
                &["* CAPABILITY IMAP4rev1 AUTH=PLAIN", "p5 OK done"],
            ),
            x("p6 SELECT INBOX", &["p6 BAD not authenticated"]),
            x("p7 LOGOUT", &["* BYE", "p7 OK bye"]),
        ]);
        assert!(judge_probe("srv", &r).is_empty());
    }

    #[test]
    fn the_injected_command_answered_under_tls_is_a_violation_rfc3501_6_2_1() {
        let r = injection(vec![
            x("p4 NOOP", &["p3 OK NOOP completed", "p4 OK noop"]),
            x("p6 SELECT INBOX", &["p6 NO login first"]),
        ]);
        let v = judge_probe("srv", &r);
        assert_eq!(
            rules(&v),
            vec![(Kind::Violation, rule::TLS_BEGINS_AFTER_OK)],
            "{v:#?}"
        );
        assert_eq!(v[0].step, Some(2));
        assert!(v[0].summary.contains("command injection"));
        assert!(v[0].expected.contains("RFC 3501 §6.2.1"));
    }

    #[test]
    fn an_imap4rev2_server_is_held_to_rfc9051s_explicit_rule() {
        let mut r = injection(vec![x("p4 NOOP", &["p3 OK NOOP completed", "p4 OK noop"])]);
        r.transcript.script[0] = x(
            "p1 CAPABILITY",
            &["* CAPABILITY IMAP4rev2 STARTTLS", "p1 OK"],
        );
        assert_eq!(
            rules(&judge_probe("srv", &r)),
            vec![(Kind::Violation, rule::EXTRA_DATA)]
        );
    }

    #[test]
    fn plaintext_after_the_starttls_ok_is_response_injection() {
        let mut r = injection(vec![x("p4 NOOP", &["p4 OK"])]);
        r.transcript.script[1]
            .events
            .push(Event::Server(Message::line(
                "* CAPABILITY IMAP4rev1 AUTH=PLAIN",
            )));
        let v = judge_probe("srv", &r);
        assert_eq!(
            rules(&v),
            vec![(Kind::Violation, rule::TLS_BEGINS_AFTER_OK)]
        );
        assert!(v[0].summary.contains("plaintext"), "{}", v[0].summary);
        assert!(v[0].observed.contains("AUTH=PLAIN"));
    }

    #[test]
    fn select_without_login_after_starttls_is_a_violation() {
        let r = injection(vec![x(
            "p6 SELECT INBOX",
            &["* 0 EXISTS", "p6 OK selected"],
        )]);
        assert_eq!(
            rules(&judge_probe("srv", &r)),
            vec![(Kind::Violation, rule::REMAINS_NOT_AUTHENTICATED)]
        );
    }

    #[test]
    fn starttls_still_advertised_after_tls_is_a_should_not_warning() {
        let r = injection(vec![x(
            "p5 CAPABILITY",
            &["* CAPABILITY IMAP4rev1 STARTTLS", "p5 OK"],
        )]);
        assert_eq!(
            rules(&judge_probe("srv", &r)),
            vec![(Kind::Warning, rule::NO_STARTTLS_AFTER_TLS)]
        );
    }

    #[test]
    fn a_failed_handshake_after_pipelining_is_allowed() {
        let mut r = injection(vec![]);
        r.tls_after = None;
        r.handshake_error = Some("received corrupt message".into());
        assert!(judge_probe("srv", &r).is_empty());
    }

    #[test]
    fn starttls_inside_tls_binds_imap4rev1_servers_only_against_ok() {
        let probe = |caps: &str, answer: &str| {
            record(
                Probe::StarttlsInTls,
                "* OK ready",
                vec![
                    x("p1 CAPABILITY", &[caps, "p1 OK"]),
                    x("p2 STARTTLS", &["p2 OK go"]),
                    x("p3 STARTTLS", &[answer]),
                ],
                Some(1),
            )
        };
        let rev1 = "* CAPABILITY IMAP4rev1 STARTTLS";
        let rev2 = "* CAPABILITY IMAP4rev2 STARTTLS";
        assert!(judge_probe("s", &probe(rev1, "p3 BAD already in TLS")).is_empty());
        assert!(judge_probe("s", &probe(rev1, "p3 NO already in TLS")).is_empty());
        assert_eq!(
            rules(&judge_probe("s", &probe(rev1, "p3 OK again"))),
            vec![(Kind::Warning, rule::BAD_AFTER_TLS)]
        );
        assert!(judge_probe("s", &probe(rev2, "p3 BAD already")).is_empty());
        assert_eq!(
            rules(&judge_probe("s", &probe(rev2, "p3 NO already"))),
            vec![(Kind::Violation, rule::BAD_AFTER_TLS)]
        );
        // On an implicit TLS port.
        let mut r = record(
            Probe::StarttlsInTls,
            "* OK [CAPABILITY IMAP4rev2] ready",
            vec![x("p1 STARTTLS", &["p1 NO no"])],
            None,
        );
        r.implicit = true;
        assert_eq!(
            rules(&judge_probe("s", &r)),
            vec![(Kind::Violation, rule::BAD_ON_IMPLICIT)]
        );
    }

    #[test]
    fn starttls_after_login_must_be_refused_rfc3501_6_2() {
        let probe = |answer: &str| {
            record(
                Probe::StarttlsAfterLogin,
                "* OK ready",
                vec![
                    x(
                        "p1 CAPABILITY",
                        &["* CAPABILITY IMAP4rev1 STARTTLS", "p1 OK"],
                    ),
                    x("p2 LOGIN u1 pw1", &["p2 OK logged in"]),
                    x("p3 STARTTLS", &[answer]),
                ],
                None,
            )
        };
        assert!(judge_probe("s", &probe("p3 BAD not now")).is_empty());
        assert!(judge_probe("s", &probe("p3 NO not now")).is_empty());
        assert_eq!(
            rules(&judge_probe("s", &probe("p3 OK begin TLS"))),
            vec![(Kind::Violation, rule::NOT_AUTHENTICATED_ONLY)]
        );
    }

    #[test]
    fn login_while_logindisabled_must_get_no_rfc3501_7_2_1() {
        let probe = |answer: &str| {
            record(
                Probe::LoginDisabled,
                "* OK ready",
                vec![
                    x("p1 CAPABILITY", &[CAPS, "p1 OK"]),
                    x("p2 LOGIN u1 pw1", &[answer]),
                ],
                None,
            )
        };
        assert!(judge_probe("s", &probe("p2 NO disabled")).is_empty());
        assert_eq!(
            rules(&judge_probe("s", &probe("p2 OK welcome"))),
            vec![(Kind::Violation, rule::LOGINDISABLED_NO)]
        );
        assert_eq!(
            rules(&judge_probe("s", &probe("p2 BAD disabled"))),
            vec![(Kind::Warning, rule::LOGINDISABLED_NO)]
        );
    }

    #[test]
    fn the_drivers_own_starttls_is_judged_in_the_setup() {
        let mut t = Transcript {
            greeting: Some(Message::line("* OK [CAPABILITY IMAP4rev1 STARTTLS] ready")),
            setup: vec![
                x("s0 STARTTLS", &["s0 OK go", "* OK injected"]),
                x(
                    "s1 CAPABILITY",
                    &["* CAPABILITY IMAP4rev1 STARTTLS", "s1 OK"],
                ),
            ],
            end: End::Completed,
            ..Transcript::default()
        };
        let v = judge_setup("srv", &t);
        assert_eq!(
            rules(&v),
            vec![
                (Kind::Violation, rule::TLS_BEGINS_AFTER_OK),
                (Kind::Warning, rule::NO_STARTTLS_AFTER_TLS)
            ]
        );
        assert!(v.iter().all(|v| v.step.is_none()));
        t.setup[0] = x("s0 STARTTLS", &["s0 OK go"]);
        t.setup[1] = x("s1 CAPABILITY", &["* CAPABILITY IMAP4rev1", "s1 OK"]);
        assert!(judge_setup("srv", &t).is_empty());
        // No STARTTLS at all: nothing to judge.
        t.setup.remove(0);
        assert!(judge_setup("srv", &t).is_empty());
    }
}
