//! The generator against the model: at least 90% of generated commands are valid in the
//! session's state and name things that exist, which the executable RFC 2060 model shows
//! by carrying them out; the rest are deliberate mistakes, each labelled with its reason.

use imapconform::gen::session::Deliberate;
use imapconform::gen::GenConfig;
use imapconform::model::Profile;
use imapconform::validity::measure;

#[test]
fn at_least_90_percent_of_generated_commands_are_carried_out_by_the_model() {
    for seed in [1, 2] {
        let v = measure(seed, 600, &GenConfig::default(), Profile::Rfc2060);
        eprintln!("seed {seed}:\n{}", v.summary());
        assert!(v.all.total() > 5000, "too few commands: {}", v.all.total());
        assert!(
            v.valid_rate() >= 0.90,
            "seed {seed}: only {:.1}% of commands valid",
            100.0 * v.valid_rate()
        );
    }
}

#[test]
fn commands_meant_to_succeed_do_and_mistakes_are_deliberate_and_few() {
    let v = measure(3, 1000, &GenConfig::default(), Profile::Rfc2060);
    // The generator's belief about the account is right: what it means to succeed, the
    // model carries out (a rare exception: a mailbox renamed away while selected).
    assert!(
        v.intended_valid_rate() >= 0.995,
        "the generator's belief was wrong for {} of {} commands",
        v.intended_valid.total() - v.intended_valid.ok,
        v.intended_valid.total()
    );
    let share = v.deliberate_share();
    assert!((0.02..=0.10).contains(&share), "deliberate share {share}");
    for why in [
        Deliberate::WrongState,
        Deliberate::MissingMailbox,
        Deliberate::ExistingMailbox,
        Deliberate::DeleteInbox,
        Deliberate::OutOfRange,
        Deliberate::ReadOnly,
        Deliberate::ReversedRange,
        Deliberate::UnknownCharset,
    ] {
        let t = v.deliberate.get(&why).copied().unwrap_or_default();
        assert!(t.total() > 0, "{why:?} never generated");
    }
    // Mistakes the RFC makes errors are refused by the model every time.
    for why in [
        Deliberate::WrongState,
        Deliberate::ExistingMailbox,
        Deliberate::DeleteInbox,
        Deliberate::UnknownCharset,
    ] {
        let t = v.deliberate[&why];
        assert_eq!(t.ok, 0, "{why:?}: the model carried out {t:?}");
    }
}

#[test]
fn the_rfc_3501_profile_sees_the_same_validity() {
    let v = measure(4, 400, &GenConfig::default(), Profile::Rfc3501);
    assert!(v.valid_rate() >= 0.90, "{}", v.summary());
}
