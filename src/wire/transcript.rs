//! What one session sent and received, in order.

use super::Message;

/// One side's message, in the order it crossed the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Bytes the client sent. A command with synchronizing literals appears as several
    /// client events, with the server's continuation requests between them.
    Client(Message),
    /// A complete (or, at the end of a stream, partial) server message.
    Server(Message),
}

/// One command and everything the server sent until its tagged completion (or until the
/// session ended).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exchange {
    pub events: Vec<Event>,
}

impl Exchange {
    /// A command of one line and its answers, one line each (CRLF added): how tests and
    /// benchmarks write exchanges.
    pub fn from_lines(command: &str, responses: &[&str]) -> Exchange {
        let mut events = vec![Event::Client(Message::line(command))];
        events.extend(responses.iter().map(|r| Event::Server(Message::line(r))));
        Exchange { events }
    }

    /// The command as a single message (all client fragments, in order).
    pub fn command(&self) -> Message {
        let mut m = Message::default();
        for e in &self.events {
            if let Event::Client(c) = e {
                m.fragments.extend(c.fragments.iter().cloned());
            }
        }
        m
    }

    /// The server's messages, in order.
    pub fn responses(&self) -> impl Iterator<Item = &Message> {
        self.events.iter().filter_map(|e| match e {
            Event::Server(m) => Some(m),
            Event::Client(_) => None,
        })
    }

    /// The status word of the tagged completion, upper-cased (`OK`, `NO`, `BAD`), if the
    /// command got one.
    pub fn status(&self) -> Option<String> {
        let done = self.completion()?;
        let word = done.first_line().split(|&b| b == b' ').nth(1)?;
        Some(String::from_utf8_lossy(word).to_ascii_uppercase())
    }

    /// The tagged completion: the response whose tag is the command's tag.
    pub fn completion(&self) -> Option<&Message> {
        let cmd = self.command();
        let tag = cmd.tag();
        if tag.is_empty() {
            return None;
        }
        self.responses().find(|m| m.tag() == tag)
    }

    /// The server's messages after the tagged completion, in order (none without one).
    pub fn after_completion(&self) -> Vec<&Message> {
        let tag = self.command().tag().to_vec();
        self.responses()
            .skip_while(|m| tag.is_empty() || m.tag() != tag.as_slice())
            .skip(1)
            .collect()
    }
}

/// How a session ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum End {
    /// Every command got its tagged completion (or the session logged out).
    Completed,
    /// The server closed the connection (or the process exited).
    Closed,
    /// The server did not answer within the timeout; the text says what we waited for.
    Timeout(String),
    /// The stream could not be read any further (I/O error, a spawned server's exit).
    Broken(String),
    /// The driver stopped reading at one of its own limits (`max_line`, `max_literal`,
    /// `max_responses`, `max_session_bytes`): the text names the limit. The RFC sets no
    /// such limits, so this is not by itself a fault of the server.
    Limit(String),
    /// The last wait ran past the timeout, but when the session was run again from fresh
    /// state (up to and including that wait) with a longer deadline, the answer came:
    /// this is that second run, ending with the late answer. Not a fault: the RFC sets
    /// no time limit.
    Slow(Late),
}

/// How late an answer came ([`End::Slow`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Late {
    /// How long the answer took, in milliseconds.
    pub after_ms: u64,
    /// The timeout it ran past.
    pub timeout_ms: u64,
    /// The longer deadline it was asked again with.
    pub deadline_ms: u64,
}

impl Late {
    /// `answered after 5021 ms (timeout 5000 ms; asked again with a 30000 ms deadline)`.
    pub fn to_text(self) -> String {
        format!(
            "answered after {} ms (timeout {} ms; asked again with a {} ms deadline)",
            self.after_ms, self.timeout_ms, self.deadline_ms
        )
    }

    /// Reads [`Late::to_text`] back: its three numbers, in order.
    pub fn from_text(s: &str) -> Option<Late> {
        let mut numbers = s
            .split(|c: char| !c.is_ascii_digit())
            .filter(|w| !w.is_empty())
            .map(|w| w.parse::<u64>());
        let mut next = || numbers.next()?.ok();
        let late = Late {
            after_ms: next()?,
            timeout_ms: next()?,
            deadline_ms: next()?,
        };
        (late.to_text() == s.trim()).then_some(late)
    }
}

impl End {
    /// The one-line form used in case files: `completed`, `closed`, `timeout: ...`,
    /// `broken: ...`, `limit: ...`, `slow: ...` ([`Late::to_text`]).
    pub fn to_line(&self) -> String {
        match self {
            End::Completed => "completed".into(),
            End::Closed => "closed".into(),
            End::Timeout(s) => format!("timeout: {s}"),
            End::Broken(s) => format!("broken: {s}"),
            End::Limit(s) => format!("limit: {s}"),
            End::Slow(l) => format!("slow: {}", l.to_text()),
        }
    }

    pub fn from_line(s: &str) -> Option<End> {
        let s = s.trim();
        match s {
            "completed" => Some(End::Completed),
            "closed" => Some(End::Closed),
            _ => {
                if let Some(r) = s.strip_prefix("timeout:") {
                    Some(End::Timeout(r.trim().into()))
                } else if let Some(r) = s.strip_prefix("limit:") {
                    Some(End::Limit(r.trim().into()))
                } else if let Some(r) = s.strip_prefix("slow:") {
                    Late::from_text(r).map(End::Slow)
                } else {
                    s.strip_prefix("broken:")
                        .map(|r| End::Broken(r.trim().into()))
                }
            }
        }
    }
}

/// Everything one session exchanged with one target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transcript {
    /// The server greeting (RFC 2060 §7.1: OK, PREAUTH or BYE), if one arrived.
    pub greeting: Option<Message>,
    /// Commands the driver sent to reach the authenticated state (LOGIN), target-specific
    /// and never compared across targets.
    pub setup: Vec<Exchange>,
    /// The generated commands, in order; the same on every target.
    pub script: Vec<Exchange>,
    pub end: End,
}

impl Transcript {
    /// Every exchange in order, with its step: `None` for the setup, the index in the
    /// script otherwise (what findings call `step`).
    pub fn steps(&self) -> impl Iterator<Item = (Option<usize>, &Exchange)> {
        self.setup
            .iter()
            .map(|e| (None, e))
            .chain(self.script.iter().enumerate().map(|(i, e)| (Some(i), e)))
    }
}

impl Default for Transcript {
    fn default() -> Self {
        Transcript {
            greeting: None,
            setup: Vec::new(),
            script: Vec::new(),
            end: End::Completed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_completion_is_what_the_server_sent_after_the_commands_own_tag() {
        let e = Exchange::from_lines(
            "a1 NOOP",
            &["* 1 EXISTS", "a1 OK done", "* BYE idle", "a1z OK late"],
        );
        let after: Vec<&[u8]> = e
            .after_completion()
            .iter()
            .map(|m| m.first_line())
            .collect();
        assert_eq!(after, vec![&b"* BYE idle"[..], &b"a1z OK late"[..]]);
        let none = Exchange::from_lines("a1 NOOP", &["* 1 EXISTS"]);
        assert!(none.after_completion().is_empty());
    }

    #[test]
    fn a_slow_end_prints_and_reads_back() {
        let e = End::Slow(Late {
            after_ms: 5021,
            timeout_ms: 5000,
            deadline_ms: 30000,
        });
        let line = e.to_line();
        assert_eq!(
            line,
            "slow: answered after 5021 ms (timeout 5000 ms; asked again with a 30000 ms deadline)"
        );
        assert_eq!(End::from_line(&line), Some(e));
        assert_eq!(End::from_line("slow: 1 2"), None);
        assert_eq!(End::from_line("slow: answered after 1 ms, 2, 3"), None);
    }
}
