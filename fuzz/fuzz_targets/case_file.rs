//! The case-file parser on arbitrary text: it never panics, and whatever it accepts
//! prints back to text that parses to the same case.
#![no_main]

use imapconform::case::Case;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(case) = Case::parse(text) {
        let printed = case.to_text();
        let again = Case::parse(&printed).expect("a printed case parses");
        assert_eq!(again.transcript, case.transcript);
    }
});
