//! One command's exchange: sending it (synchronizing literals after the server's
//! continuation request, RFC 2060 §4.3 and §7.5, or non-synchronizing where LITERAL+ is
//! advertised, RFC 2088), reading and recording every server message until its tagged
//! completion (RFC 2060 §2.2.2) within the command's deadline and the session's limits,
//! and after LOGOUT reading until the server closes.

use std::time::Duration;

use tokio::time::Instant;

use super::commands::{
    capabilities_in, is_authenticate, is_login, to_non_sync, waits_for_continuation,
};
use super::conn::Stop;
use super::recheck::Wait;
use super::{Session, MAX_CANCELS};
use crate::wire::{literal_announcement, Event, Exchange, Fragment, Message};

impl Session<'_> {
    /// Reads until the server closes; anything it still sends is recorded.
    pub(super) async fn expect_close(&mut self) -> Result<(), Stop> {
        self.start_clock(Wait::Close, false);
        loop {
            match self.conn.next_message(self.deadline).await {
                Ok(m) => {
                    let counted = self.count(&m);
                    self.record_late(m);
                    counted?;
                }
                Err(Stop::Closed) => return self.answered(Wait::Close),
                Err(other) => return Err(other),
            }
        }
    }

    pub(super) fn record_late(&mut self, m: Message) {
        let list = if self.t.script.is_empty() {
            &mut self.t.setup
        } else {
            &mut self.t.script
        };
        match list.last_mut() {
            Some(e) => e.events.push(Event::Server(m)),
            None => list.push(Exchange {
                events: vec![Event::Server(m)],
            }),
        }
    }

    /// Sends one command and reads until its tagged completion. The exchange is recorded
    /// in the transcript even when the session stops half-way through it.
    pub(super) async fn exchange(&mut self, cmd: &Message, setup: bool) -> Result<&Exchange, Stop> {
        let list = if setup {
            &mut self.t.setup
        } else {
            &mut self.t.script
        };
        list.push(Exchange::default());
        let idx = list.len() - 1;
        let wait = if setup {
            Wait::Setup(idx)
        } else {
            Wait::Script(idx)
        };
        // One deadline for the whole command: sending it, its continuation requests, and
        // every response up to its tagged completion.
        self.start_clock(wait, is_authenticate(cmd) || is_login(cmd));
        self.exchange_into(cmd, setup, idx).await?;
        self.answered(wait)?;
        let list = if setup { &self.t.setup } else { &self.t.script };
        Ok(&list[idx])
    }

    async fn exchange_into(&mut self, cmd: &Message, setup: bool, idx: usize) -> Result<(), Stop> {
        let tag = cmd.tag().to_vec();
        let fragments = self.prepare(cmd);
        let mut chunk: Vec<Fragment> = Vec::new();
        for (i, f) in fragments.iter().enumerate() {
            if i > 0 && waits_for_continuation(&fragments[i - 1], f) {
                self.push_event(
                    setup,
                    idx,
                    Event::Client(Message {
                        fragments: std::mem::take(&mut chunk),
                    }),
                );
                // RFC 2060 §7.5: wait for the continuation request before a synchronizing
                // literal, and (§6.2.1) before each answer of an AUTHENTICATE exchange.
                let mut count = 0;
                loop {
                    let (cont, done) = self.receive(setup, idx, &tag).await?;
                    if done {
                        // The server completed the command first (it refused the literal,
                        // or ended the exchange): the rest must not be sent.
                        return Ok(());
                    }
                    if cont {
                        break;
                    }
                    count += 1;
                    if count >= self.max_responses {
                        return Err(self.too_many_responses());
                    }
                }
            }
            self.send(f.bytes()).await?;
            chunk.push(f.clone());
        }
        if !chunk.is_empty() {
            self.push_event(setup, idx, Event::Client(Message { fragments: chunk }));
        }
        let mut cancels = 0;
        let mut count = 0;
        loop {
            let (cont, done) = self.receive(setup, idx, &tag).await?;
            count += 1;
            if done {
                return self.literal_read_as_command(cmd, setup, idx).await;
            }
            if cont {
                // A continuation request with nothing left to send (AUTHENTICATE):
                // RFC 2060 §6.2.1 "If the client wishes to cancel an authentication
                // exchange, it issues a line with a single '*'."
                // After three, the driver stops: its own limit, not a broken
                // connection (the server may be sending anything, e.g. garbage lines
                // that start with "+").
                if cancels >= MAX_CANCELS {
                    return Err(Stop::Limit(format!(
                        "the server asked for continuation data more than {MAX_CANCELS} times with nothing left to send"
                    )));
                }
                cancels += 1;
                self.send(b"*\r\n").await?;
                self.push_event(
                    setup,
                    idx,
                    Event::Client(Message {
                        fragments: vec![Fragment::Line(b"*\r\n".to_vec())],
                    }),
                );
            }
            if count >= self.max_responses {
                return Err(self.too_many_responses());
            }
        }
    }

    /// A non-synchronizing literal (RFC 2088 `{n+}`) sent to a server that did not
    /// advertise LITERAL+ may have been read as a command line of its own (the mutation
    /// `literal-plus-unadvertised` makes it one): its tagged answer, if one comes within a
    /// second, belongs to this exchange, not to the next.
    async fn literal_read_as_command(
        &mut self,
        cmd: &Message,
        setup: bool,
        idx: usize,
    ) -> Result<(), Stop> {
        if self.literal_plus {
            return Ok(());
        }
        let inner_tag = crate::wire::non_sync_literal_tag(cmd);
        let Some(inner_tag) = inner_tag else {
            return Ok(());
        };
        let deadline = Instant::now() + self.timeout.min(Duration::from_secs(1));
        self.deadline = self.deadline.min(deadline);
        let mut count = 0;
        loop {
            match self.conn.next_message(self.deadline).await {
                Ok(m) => {
                    let done = m.tag() == inner_tag.as_slice();
                    let counted = self.count(&m);
                    self.push_event(setup, idx, Event::Server(m));
                    counted?;
                    count += 1;
                    if count >= self.max_responses {
                        return Err(self.too_many_responses());
                    }
                    if done {
                        return Ok(());
                    }
                }
                Err(Stop::Timeout) => return Ok(()),
                Err(other) => return Err(other),
            }
        }
    }

    pub(super) fn too_many_responses(&self) -> Stop {
        Stop::Limit(format!(
            "the responses to one command exceeded {} (max_responses)",
            self.max_responses
        ))
    }

    /// Reads and records one server message before the command's deadline; says whether
    /// it is a continuation request and whether it completes the command tagged `tag`.
    pub(super) async fn receive(
        &mut self,
        setup: bool,
        idx: usize,
        tag: &[u8],
    ) -> Result<(bool, bool), Stop> {
        let m = self.conn.next_message(self.deadline).await?;
        let counted = self.count(&m);
        let cont = m.is_continuation();
        let done = m.tag() == tag;
        self.learn_capabilities(&m);
        self.push_event(setup, idx, Event::Server(m));
        counted?;
        Ok((cont, done))
    }

    pub(super) fn push_event(&mut self, setup: bool, idx: usize, ev: Event) {
        let list = if setup {
            &mut self.t.setup
        } else {
            &mut self.t.script
        };
        list[idx].events.push(ev);
    }

    /// Sends bytes of the command in progress, within its deadline.
    pub(super) async fn send(&mut self, bytes: &[u8]) -> Result<(), Stop> {
        self.conn.send(bytes, self.deadline).await
    }

    /// The fragments to send: synchronizing literals become non-synchronizing where the
    /// server advertised LITERAL+ (RFC 2088 §4).
    fn prepare(&self, cmd: &Message) -> Vec<Fragment> {
        if !self.literal_plus {
            return cmd.fragments.clone();
        }
        cmd.fragments
            .iter()
            .map(|f| match f {
                Fragment::Line(l) => match literal_announcement(l) {
                    Some((_, true)) => Fragment::Line(to_non_sync(l)),
                    _ => f.clone(),
                },
                lit => lit.clone(),
            })
            .collect()
    }

    /// Notes the capabilities a response carries (RFC 2060 §7.2.1 `* CAPABILITY`, RFC
    /// 3501 §7.1 `[CAPABILITY ...]` response code).
    pub(super) fn learn_capabilities(&mut self, m: &Message) {
        if let Some(caps) = capabilities_in(m.first_line()) {
            self.idle = caps.iter().any(|c| c.eq_ignore_ascii_case("IDLE"));
            self.literal_plus =
                self.opts.literal_plus && caps.iter().any(|c| c.eq_ignore_ascii_case("LITERAL+"));
            self.capabilities = Some(caps);
        }
    }
}
