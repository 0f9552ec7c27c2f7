//! The case-file parser (`Case::parse`, what `replay` and `minimize` read) on arbitrary
//! text: it errors (naming a line of the text) and never panics, and whatever it accepts
//! prints back to text that parses to the same transcript and prints the same again.
#![no_main]

use imapconform::case::Case;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Case::parse(text) {
        Ok(case) => {
            let printed = case.to_text();
            let again = Case::parse(&printed).expect("a printed case parses");
            assert_eq!(again.transcript, case.transcript);
            assert_eq!(again.to_text(), printed, "printing is not stable");
        }
        Err(e) => {
            assert!(
                e.line >= 1 && e.line <= text.lines().count() + 1,
                "{e} names no line"
            );
            assert!(!e.message.is_empty());
        }
    }
});
