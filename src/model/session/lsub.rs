//! RFC 2060 §6.3.9 LSUB: the subscribed names that match a LIST-style pattern.

use std::collections::BTreeMap;

use super::super::account::Account;
use super::super::names;
use super::super::response::Untagged;

/// The LSUB responses for `pattern` (reference and name already joined, RFC 2060 §6.3.8).
///
/// RFC 2060 §6.3.9: "The LSUB command returns a subset of names from the set of names that
/// the user has declared as being "active" or "subscribed". ... The arguments to LSUB are
/// in the same form as those for LIST." A name that does not exist (or is only a
/// hierarchy level) is flagged: "If a name does not exist, it SHOULD be flagged with the
/// \Noselect attribute in the LSUB response."
///
/// `%` last in the pattern also matches levels of hierarchy (RFC 2060 §6.3.8: "If the "%"
/// wildcard is the last character of a mailbox name argument, matching levels of
/// hierarchy are also returned"): a level above a subscribed name that is not itself
/// subscribed is returned flagged `\Noselect` (RFC 3501 §6.3.9: "if "foo/bar" ... is
/// subscribed but "foo" is not.  A "%" wildcard to LSUB must return foo, not foo/bar, in
/// the LSUB response, and it MUST be flagged with the \Noselect attribute").
pub(super) fn lsub(acc: &Account, pattern: &[u8], delimiter: u8) -> Vec<Untagged> {
    let d = Some(delimiter);
    let mut out: BTreeMap<Vec<u8>, bool> = BTreeMap::new();
    for s in &acc.subscriptions {
        if names::list_pattern_matches(pattern, s, d) {
            let selectable = acc.get(s).is_some_and(|m| m.selectable);
            out.insert(s.clone(), !selectable);
        }
    }
    if pattern.last() == Some(&b'%') {
        for s in &acc.subscriptions {
            for level in names::superiors(s, delimiter) {
                let level = Account::key(&level);
                if !acc.subscriptions.contains(&level)
                    && names::list_pattern_matches(pattern, &level, d)
                {
                    out.insert(level, true);
                }
            }
        }
    }
    out.into_iter()
        .map(|(name, noselect)| Untagged::List {
            lsub: true,
            attributes: if noselect {
                vec!["\\Noselect".into()]
            } else {
                vec![]
            },
            delimiter: d,
            name,
        })
        .collect()
}
