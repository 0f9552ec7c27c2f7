//! RFC 2060 §6.3.9 LSUB with `%`: levels of hierarchy above subscribed names.

use super::{ok, T};

#[test]
fn lsub_percent_returns_an_unsubscribed_parent_flagged_noselect_rfc3501_6_3_9() {
    // RFC 3501 §6.3.9: "if "foo/bar" ... is subscribed but "foo" is not.  A "%" wildcard
    // to LSUB must return foo, not foo/bar, in the LSUB response, and it MUST be flagged
    // with the \Noselect attribute." RFC 2060 §6.3.8, whose argument form LSUB shares: "If
    // the "%" wildcard is the last character of a mailbox name argument, matching levels
    // of hierarchy are also returned."
    let mut t = T::authed();
    ok(&t.run("CREATE foo.bar"));
    ok(&t.run("SUBSCRIBE foo.bar"));
    let l = t.list("LSUB \"\" %");
    assert_eq!(l, [(vec!["\\Noselect".to_string()], "foo".to_string())]);
    let l = t.list("LSUB \"\" foo.%");
    assert_eq!(l, [(vec![], "foo.bar".to_string())]);
    // `*` matches the subscribed name itself, and no level that is not subscribed.
    let l = t.list("LSUB \"\" *");
    assert_eq!(l, [(vec![], "foo.bar".to_string())]);
}

#[test]
fn lsub_percent_lists_a_subscribed_parent_once_without_noselect_rfc2060_6_3_9() {
    let mut t = T::authed();
    ok(&t.run("CREATE foo.bar"));
    ok(&t.run("SUBSCRIBE foo"));
    ok(&t.run("SUBSCRIBE foo.bar"));
    let l = t.list("LSUB \"\" %");
    assert_eq!(l, [(vec![], "foo".to_string())]);
}

#[test]
fn lsub_percent_returns_the_level_of_a_deeper_subscription_rfc3501_6_3_9() {
    let mut t = T::authed();
    ok(&t.run("SUBSCRIBE a.b.c"));
    assert_eq!(
        t.list("LSUB \"\" %"),
        [(vec!["\\Noselect".to_string()], "a".to_string())]
    );
    assert_eq!(
        t.list("LSUB a. %"),
        [(vec!["\\Noselect".to_string()], "a.b".to_string())]
    );
    assert_eq!(
        t.list("LSUB \"\" a.b.%"),
        [(vec!["\\Noselect".to_string()], "a.b.c".to_string())]
    );
}
