//! The reference server against its own judges: random generated sessions never make the
//! model panic, and every answer it gives passes the strict syntax check and the oracle,
//! and no two of its answers to the same question asked two ways disagree.

use imapconform::gen::{self, CommandMix, GenConfig};
use imapconform::judge::{judge_metamorphic, judge_oracle_in, judge_syntax, World};
use imapconform::model::Profile;
use imapconform::serve::loopback::run_script;
use imapconform::wire::Message;

fn users() -> Vec<(String, String)> {
    vec![("u1".into(), "pw-u1".into())]
}

/// The campaign's setup: LOGIN, then `LIST "" *` so that the oracle knows every mailbox.
fn setup() -> Vec<Message> {
    vec![
        Message::line("s1 LOGIN u1 pw-u1"),
        Message::line("s3 LIST \"\" *"),
    ]
}

fn check_sessions(profile: Profile, seeds: std::ops::Range<u64>, sessions: u64) -> (usize, usize) {
    let cfg = GenConfig::default();
    let (mut judged, mut total) = (0, 0);
    let mut stops: std::collections::BTreeMap<String, usize> = Default::default();
    for seed in seeds {
        for index in 0..sessions {
            let script = gen::generate(seed, index, &cfg);
            let mut cmds: Vec<Message> =
                script.commands.iter().map(|c| c.message.clone()).collect();
            cmds.push(Message::line("zz LOGOUT"));
            let t = run_script(&users(), profile, &setup(), &cmds);
            let syntax = judge_syntax("reference", &t);
            assert!(
                syntax.is_empty(),
                "seed {seed} session {index}: the reference server broke the grammar: {syntax:#?}"
            );
            let twins = judge_metamorphic("reference", &t);
            assert!(
                twins.is_empty(),
                "seed {seed} session {index}: the reference server contradicts itself: {twins:#?}"
            );
            // A fresh server per session, which nothing else touches: a closed world.
            let (verdicts, coverage) = judge_oracle_in("reference", &t, profile, World::Closed);
            assert!(
                verdicts.is_empty(),
                "seed {seed} session {index}: the oracle disagrees with the reference server: {verdicts:#?}"
            );
            judged += coverage.judged;
            total += coverage.total;
            if let Some(why) = coverage.stopped {
                *stops.entry(why.to_string()).or_default() += 1;
            }
        }
    }
    eprintln!("where the oracle stopped following: {stops:#?}");
    (judged, total)
}

#[test]
fn generated_sessions_pass_syntax_and_oracle_rfc2060() {
    let (judged, total) = check_sessions(Profile::Rfc2060, 1..4, 100);
    eprintln!("oracle followed {judged} of {total} exchanges");
    assert!(total > 1000);
    assert!(
        judged * 2 > total,
        "the oracle followed only {judged} of {total} exchanges"
    );
}

#[test]
fn generated_sessions_pass_syntax_and_oracle_rfc3501() {
    let (judged, total) = check_sessions(Profile::Rfc3501, 7..9, 100);
    assert!(
        judged * 2 > total,
        "the oracle followed only {judged} of {total} exchanges"
    );
}

/// Twin questions (the same question asked two ways in a row) drawn ten times as often as
/// usual: the model's answers never contradict each other, under either profile.
#[test]
fn the_model_answers_twin_questions_consistently() {
    let cfg = GenConfig {
        mix: CommandMix::parse("TWIN=10").unwrap(),
        ..GenConfig::default()
    };
    let mut twins = 0;
    for profile in [Profile::Rfc2060, Profile::Rfc3501] {
        for index in 0..200 {
            let script = gen::generate(11, index, &cfg);
            let mut cmds: Vec<Message> =
                script.commands.iter().map(|c| c.message.clone()).collect();
            twins += cmds
                .iter()
                .map(|m| m.to_bytes())
                .filter(|b| {
                    b.ends_with(b" UID FETCH 1:* (FLAGS)\r\n")
                        || b.ends_with(b"(BODY.PEEK[HEADER] BODY.PEEK[TEXT] RFC822.SIZE)\r\n")
                })
                .count();
            cmds.push(Message::line("zz LOGOUT"));
            let t = run_script(&users(), profile, &setup(), &cmds);
            let v = judge_metamorphic("reference", &t);
            assert!(
                v.is_empty(),
                "{profile:?} session {index}: the reference server contradicts itself: {v:#?}"
            );
        }
    }
    eprintln!("{twins} twin questions of two kinds");
    assert!(twins > 50, "only {twins} twin questions");
}
