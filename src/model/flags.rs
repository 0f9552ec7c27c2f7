//! RFC 2060 §2.3.2: the flags message attribute.

use std::collections::BTreeMap;

/// RFC 2060 §2.3.2: "A system flag is a flag name that is pre-defined in this specification.
/// All system flags begin with "\"." The five a client may store; `\Recent` is the sixth and
/// is set by the server only.
pub const SYSTEM_FLAGS: [&str; 5] = ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"];

/// RFC 2060 §2.3.2: `\Recent`, "Message is "recently" arrived in this mailbox."
pub const RECENT: &str = "\\Recent";

/// A set of flags. Flag names compare case-insensitively (RFC 2060 §9: "flag" is made of
/// atoms, which are case-insensitive like every atom the grammar does not say otherwise of);
/// the first spelling seen is kept for display, system flags in the RFC's spelling.
/// Two sets are equal when they hold the same flags in any spelling (`$forwarded` equals
/// `$Forwarded`).
#[derive(Clone, Debug, Default)]
pub struct FlagSet(BTreeMap<String, String>);

/// RFC 2060 §9: "flag_keyword ::= atom", and an atom is matched without regard to case
/// like the system flags (RFC 3501 §2.3.2 lists `\Seen` etc. and keywords alike as
/// flags): equality compares the case-folded names, not their display spellings.
impl PartialEq for FlagSet {
    fn eq(&self, other: &FlagSet) -> bool {
        self.0.len() == other.0.len() && self.0.keys().eq(other.0.keys())
    }
}

impl Eq for FlagSet {}

impl FlagSet {
    pub fn new() -> FlagSet {
        FlagSet::default()
    }

    fn key(flag: &str) -> String {
        flag.to_ascii_lowercase()
    }

    /// The RFC's spelling of a system flag, or the flag as given.
    pub fn spelling(flag: &str) -> String {
        SYSTEM_FLAGS
            .iter()
            .chain(std::iter::once(&RECENT))
            .find(|s| s.eq_ignore_ascii_case(flag))
            .map(|s| s.to_string())
            .unwrap_or_else(|| flag.to_string())
    }

    pub fn insert(&mut self, flag: &str) -> bool {
        let key = Self::key(flag);
        if self.0.contains_key(&key) {
            return false;
        }
        self.0.insert(key, Self::spelling(flag));
        true
    }

    pub fn remove(&mut self, flag: &str) -> bool {
        self.0.remove(&Self::key(flag)).is_some()
    }

    pub fn contains(&self, flag: &str) -> bool {
        self.0.contains_key(&Self::key(flag))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Flags in display spelling, system flags first in the RFC's order, then keywords by name.
    pub fn names(&self) -> Vec<String> {
        let mut out: Vec<String> = SYSTEM_FLAGS
            .iter()
            .chain(std::iter::once(&RECENT))
            .filter(|f| self.contains(f))
            .map(|f| f.to_string())
            .collect();
        out.extend(
            self.0
                .values()
                .filter(|v| !v.starts_with('\\'))
                .cloned()
                .collect::<Vec<_>>(),
        );
        out.extend(
            self.0
                .values()
                .filter(|v| v.starts_with('\\') && !is_system(v))
                .cloned(),
        );
        out
    }

    /// The same set without `\Recent` (for comparisons where `\Recent` is undecided).
    pub fn without_recent(&self) -> FlagSet {
        let mut s = self.clone();
        s.remove(RECENT);
        s
    }
}

/// Whether `flag` is one of the six system flags (including `\Recent`).
pub fn is_system(flag: &str) -> bool {
    SYSTEM_FLAGS.iter().any(|s| s.eq_ignore_ascii_case(flag)) || flag.eq_ignore_ascii_case(RECENT)
}

impl<'a> FromIterator<&'a str> for FlagSet {
    fn from_iter<I: IntoIterator<Item = &'a str>>(iter: I) -> Self {
        let mut s = FlagSet::new();
        for f in iter {
            s.insert(f);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_names_compare_case_insensitively_and_keep_the_rfc_spelling() {
        let mut s = FlagSet::new();
        assert!(s.insert("\\SEEN"));
        assert!(!s.insert("\\seen"));
        assert!(s.insert("Junk"));
        assert!(s.contains("junk"));
        assert_eq!(s.names(), vec!["\\Seen".to_string(), "Junk".to_string()]);
        assert!(s.remove("JUNK"));
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn keywords_that_differ_only_in_case_are_the_same_flag_rfc2060_9() {
        let lower: FlagSet = ["$forwarded", "\\seen"].into_iter().collect();
        let upper: FlagSet = ["$Forwarded", "\\SEEN"].into_iter().collect();
        assert_eq!(lower, upper);
        // The model echoes the spelling the client gave first.
        assert_eq!(lower.names(), vec!["\\Seen", "$forwarded"]);
        assert_eq!(upper.names(), vec!["\\Seen", "$Forwarded"]);
        let other: FlagSet = ["$Forwarded", "$Junk"].into_iter().collect();
        assert_ne!(upper, other);
    }

    #[test]
    fn system_flags_come_first_in_rfc_order() {
        let s: FlagSet = ["zz", "\\Draft", "\\Answered", "\\Recent"]
            .into_iter()
            .collect();
        assert_eq!(s.names(), vec!["\\Answered", "\\Draft", "\\Recent", "zz"]);
        assert!(!s.without_recent().contains("\\recent"));
    }
}
