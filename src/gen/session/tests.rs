use super::fetch::draw_section;
use super::*;
use crate::gen::message::PartKind;
use crate::gen::message::WORDS;

#[test]
fn words_are_atoms_and_spaced_words_are_not() {
    for w in MAILBOX_WORDS.iter().chain(KEYWORDS).chain(WORDS) {
        assert!(super::super::syntax::is_atom(w), "{w}");
    }
    for w in SPACED_WORDS {
        assert!(!super::super::syntax::is_atom(w), "{w}");
    }
}

/// RFC 2060 §6.4.5 on a message with a nested message/rfc822: part numbers that
/// exist resolve in the model with the specifier drawn; MIME only on body parts of a
/// multipart; HEADER and TEXT after a number only on message/rfc822 parts; about one
/// part number in six does not exist.
#[test]
fn sections_follow_the_message_structure() {
    use crate::gen::entropy::SplitMix64;
    use crate::gen::seeds::SEEDS;
    use crate::model::message::{Message, SectionText};
    let seed = SEEDS
        .iter()
        .find(|s| s.name == "forwarded-multipart.eml")
        .unwrap();
    let facts = seed.message().facts;
    let parsed = Message::parse(seed.bytes.to_vec());
    let mut bytes = vec![0u8; 1 << 16];
    SplitMix64::for_session(8, 8).fill(&mut bytes);
    let u = &mut Unstructured::new(&bytes);
    let (mut existing, mut missing, mut message_texts) = (0, 0, 0);
    for _ in 0..2000 {
        let section = draw_section(u, Some(&facts));
        let numbers: Vec<u32> = section.split('.').map_while(|p| p.parse().ok()).collect();
        if numbers.is_empty() {
            continue;
        }
        let rest = section.split('.').skip(numbers.len()).collect::<Vec<_>>();
        let rest = rest.join(".");
        match facts.parts.iter().find(|p| p.path == numbers) {
            None => {
                missing += 1;
                assert!(parsed.section(&numbers, None).is_none(), "{section}");
            }
            Some(p) => {
                existing += 1;
                let text = match rest.as_str() {
                    "" => None,
                    "MIME" => {
                        assert!(p.has_mime_header, "{section}");
                        Some(SectionText::Mime)
                    }
                    "TEXT" => Some(SectionText::Text),
                    _ => Some(SectionText::Header),
                };
                if text.is_some() && rest != "MIME" {
                    assert_eq!(p.kind, PartKind::Message, "{section}");
                    message_texts += 1;
                }
                assert!(
                    parsed.section(&numbers, text.as_ref()).is_some(),
                    "{section}"
                );
            }
        }
    }
    let share = missing as f64 / (missing + existing) as f64;
    assert!(
        (0.1..0.25).contains(&share),
        "{missing} missing, {existing} existing"
    );
    assert!(message_texts > 20, "{message_texts}");
}
