//! The RFC 2060 §6 commands the generator issues, and how often.

/// One IMAP4rev1 command (RFC 2060 §6), with the four UID forms (§6.4.8) apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Capability,
    Noop,
    Logout,
    Authenticate,
    Login,
    Select,
    Examine,
    Create,
    Delete,
    Rename,
    Subscribe,
    Unsubscribe,
    List,
    Lsub,
    Status,
    Append,
    Check,
    Close,
    Expunge,
    Search,
    Fetch,
    Store,
    Copy,
    UidFetch,
    UidStore,
    UidCopy,
    UidSearch,
    /// Not a command of its own: a twin question, two or three consecutive commands that
    /// change nothing and ask one question two ways (`session::twin`), e.g. FETCH FLAGS
    /// and UID FETCH FLAGS. Its commands are named by their own kinds.
    Twin,
}

/// What the session believes about the account, as far as choosing a command goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Situation {
    /// A mailbox is selected (RFC 2060 §3.3).
    pub selected: bool,
    /// The selected mailbox, or the whole account, is believed empty.
    pub needs_messages: bool,
    /// The session has created a mailbox besides INBOX (that it has not deleted).
    pub has_own_mailboxes: bool,
    /// The selected mailbox is believed empty, so no sequence number is in range.
    pub selected_is_empty: bool,
    /// The selected mailbox was selected with EXAMINE (RFC 2060 §6.3.2).
    pub read_only: bool,
}

impl Kind {
    /// Every command, in RFC 2060 §6 order, then [`Kind::Twin`].
    pub const ALL: [Kind; 28] = [
        Kind::Capability,
        Kind::Noop,
        Kind::Logout,
        Kind::Authenticate,
        Kind::Login,
        Kind::Select,
        Kind::Examine,
        Kind::Create,
        Kind::Delete,
        Kind::Rename,
        Kind::Subscribe,
        Kind::Unsubscribe,
        Kind::List,
        Kind::Lsub,
        Kind::Status,
        Kind::Append,
        Kind::Check,
        Kind::Close,
        Kind::Expunge,
        Kind::Search,
        Kind::Fetch,
        Kind::Store,
        Kind::Copy,
        Kind::UidFetch,
        Kind::UidStore,
        Kind::UidCopy,
        Kind::UidSearch,
        Kind::Twin,
    ];

    /// The command name as it appears on the wire (`UID FETCH` for the UID forms); `TWIN`
    /// for twin questions (the name `--mix` knows them by).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Capability => "CAPABILITY",
            Kind::Noop => "NOOP",
            Kind::Logout => "LOGOUT",
            Kind::Authenticate => "AUTHENTICATE",
            Kind::Login => "LOGIN",
            Kind::Select => "SELECT",
            Kind::Examine => "EXAMINE",
            Kind::Create => "CREATE",
            Kind::Delete => "DELETE",
            Kind::Rename => "RENAME",
            Kind::Subscribe => "SUBSCRIBE",
            Kind::Unsubscribe => "UNSUBSCRIBE",
            Kind::List => "LIST",
            Kind::Lsub => "LSUB",
            Kind::Status => "STATUS",
            Kind::Append => "APPEND",
            Kind::Check => "CHECK",
            Kind::Close => "CLOSE",
            Kind::Expunge => "EXPUNGE",
            Kind::Search => "SEARCH",
            Kind::Fetch => "FETCH",
            Kind::Store => "STORE",
            Kind::Copy => "COPY",
            Kind::UidFetch => "UID FETCH",
            Kind::UidStore => "UID STORE",
            Kind::UidCopy => "UID COPY",
            Kind::UidSearch => "UID SEARCH",
            Kind::Twin => "TWIN",
        }
    }

    /// RFC 2060 §6.4: commands valid only in the selected state.
    pub fn needs_selection(self) -> bool {
        matches!(
            self,
            Kind::Check
                | Kind::Close
                | Kind::Expunge
                | Kind::Search
                | Kind::Fetch
                | Kind::Store
                | Kind::Copy
                | Kind::UidFetch
                | Kind::UidStore
                | Kind::UidCopy
                | Kind::UidSearch
        )
    }

    /// The weight in the table for `situation`. Commands that could only fail in the
    /// situation keep a weight of 1 (deliberate mistakes stay, rarely), so that at least
    /// 90% of commands are valid (`validity` measures it against the model).
    fn weight(self, situation: Situation) -> u32 {
        let base = if situation.selected {
            self.weight_when_selected()
        } else {
            self.weight_when_authenticated()
        };
        match self {
            // Most sessions should have messages to fetch, search and store.
            Kind::Append if situation.needs_messages => base * 3,
            // With no mailbox of its own, DELETE and RENAME could only fail.
            Kind::Delete | Kind::Rename if !situation.has_own_mailboxes => 1,
            // No sequence number is in range in an empty mailbox.
            Kind::Fetch | Kind::Store | Kind::Copy if situation.selected_is_empty => 1,
            // RFC 2060 §6.3.2: nothing may change a mailbox selected with EXAMINE.
            Kind::Store | Kind::UidStore | Kind::Expunge if situation.read_only => 1,
            _ => base,
        }
    }

    /// How often the command is drawn when a mailbox is selected. LOGOUT is never drawn
    /// here: it only ends a session.
    fn weight_when_selected(self) -> u32 {
        match self {
            Kind::Logout => 0,
            Kind::Capability | Kind::Noop | Kind::Check => 8,
            // RFC 2060 §6.2 commands, which the server must refuse once authenticated.
            Kind::Authenticate | Kind::Login => 1,
            Kind::Select => 16,
            Kind::Examine => 10,
            Kind::Create => 20,
            Kind::Delete | Kind::Rename => 12,
            Kind::Subscribe | Kind::Unsubscribe | Kind::Lsub => 8,
            Kind::List | Kind::Status => 16,
            Kind::Append => 40,
            Kind::Close | Kind::Expunge => 12,
            Kind::Search => 32,
            Kind::Fetch => 56,
            Kind::Store => 32,
            Kind::Copy => 16,
            Kind::UidFetch => 24,
            Kind::UidStore | Kind::UidSearch => 16,
            Kind::UidCopy => 8,
            // Twin questions: modest, so that they do not swamp the mix.
            Kind::Twin => 12,
        }
    }

    /// How often the command is drawn in the authenticated state: SELECT and EXAMINE are
    /// favoured and selected-state commands are rare (they must be refused, RFC 2060 §3).
    fn weight_when_authenticated(self) -> u32 {
        match self {
            Kind::Select => 64,
            Kind::Examine => 16,
            Kind::Twin => 4,
            // Refused with no mailbox selected (RFC 2060 §3).
            k if k.needs_selection() => 1,
            k => k.weight_when_selected(),
        }
    }

    /// The weighted table for the situation; the most ordinary command comes first,
    /// so an exhausted byte source keeps choosing it.
    pub fn table(situation: Situation) -> Vec<(Kind, u32)> {
        let mut table: Vec<(Kind, u32)> = Kind::ALL
            .iter()
            .map(|&k| (k, k.weight(situation)))
            .collect();
        let first = if situation.selected {
            Kind::Fetch
        } else {
            Kind::Select
        };
        let at = table.iter().position(|&(k, _)| k == first).unwrap_or(0);
        table.swap(0, at);
        table
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_every_command_can_be_drawn_or_ends_a_session() {
        let mut names: Vec<_> = Kind::ALL.iter().map(|k| k.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Kind::ALL.len());
        for k in Kind::ALL {
            let selected = Situation {
                selected: true,
                ..Situation::default()
            };
            let drawable = Kind::table(selected)
                .iter()
                .chain(Kind::table(Situation::default()).iter())
                .any(|&(t, w)| t == k && w > 0);
            assert!(drawable || k == Kind::Logout, "{k:?} can never be drawn");
        }
    }
}
