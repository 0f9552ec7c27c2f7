//! The race case parser and the race judge on arbitrary text: neither panics, and whatever
//! the parser accepts prints back to text that parses to the same scenario.
#![no_main]

use imapconform::case::race::RaceCase;
use imapconform::judge::race::judge_race;
use imapconform::model::Profile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(case) = RaceCase::parse(text) {
        let again = RaceCase::parse(&case.to_text()).expect("a printed race case parses");
        assert_eq!(again.transcript, case.transcript);
        for profile in [Profile::Rfc2060, Profile::Rfc3501] {
            let (_, coverage) = judge_race("fuzz", &case.transcript, profile);
            assert!(coverage.judged <= coverage.steps);
        }
    }
});
