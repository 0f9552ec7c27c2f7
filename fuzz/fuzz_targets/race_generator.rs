//! The concurrency-scenario generator on a fuzzer's bytes (the same decision code the
//! seeded campaign runs): it never panics, and every command it writes is one complete,
//! grammatical IMAP4rev1 command.
#![no_main]

use arbitrary::Unstructured;
use imap_codec::decode::Decoder;
use imap_codec::CommandCodec;
use imapconform::gen::race::race_from;
use imapconform::gen::GenConfig;
use imapconform::model::Profile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let script = race_from(&mut u, 0, 0, &GenConfig::default(), Profile::Rfc3501);
    for step in &script.steps {
        let bytes = step.command.to_bytes();
        assert!(
            matches!(CommandCodec::default().decode(&bytes), Ok((b"", _))),
            "{}",
            String::from_utf8_lossy(&bytes)
        );
    }
});
