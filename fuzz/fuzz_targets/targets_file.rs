//! The targets-file loader on arbitrary text: errors, never panics; what it accepts
//! serialises and loads back the same.
#![no_main]

use imapconform::targets::TargetsFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(file) = TargetsFile::parse(text) {
        let again = TargetsFile::parse(&file.to_toml()).expect("a printed targets file loads");
        assert_eq!(again, file);
    }
});
