//! The baseline file (issue 5 §4) on arbitrary text: errors, never panics; what it
//! accepts prints and parses back to the same text.
#![no_main]

use imapconform::baseline::Baseline;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(b) = Baseline::parse(text, "fuzz.toml") {
        let again = Baseline::parse(&b.to_toml(), "fuzz.toml").expect("a printed baseline parses");
        // Printing sorts the entries by server: compare what is printed.
        assert_eq!(again.to_toml(), b.to_toml());
    }
});
