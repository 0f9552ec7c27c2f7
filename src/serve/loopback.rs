//! The reference server in process: runs a script through a [`Connection`] and records
//! the session as a [`Transcript`], the same shape the driver records from real servers.
//! Tests, benchmarks and fuzz targets use it to hold the model to its own oracle.

use std::sync::Mutex;

use crate::drive::waits_for_continuation;
use crate::model::session::Store;
use crate::model::Profile;
use crate::wire::framing::{FrameLimits, Framer};
use crate::wire::{End, Event, Exchange, Fragment, Message, Transcript};

use super::{now, Connection, Limits};

/// Runs `setup` then `script` (each a complete command, literals included) against a
/// fresh reference server with the given users.
pub fn run_script(
    users: &[(String, String)],
    profile: Profile,
    setup: &[Message],
    script: &[Message],
) -> Transcript {
    run_script_with_delimiter(b'.', users, profile, setup, script)
}

/// [`run_script`] with another hierarchy delimiter (RFC 2060 §6.3.8 examples use both `/`
/// and `.`).
pub fn run_script_with_delimiter(
    delimiter: u8,
    users: &[(String, String)],
    profile: Profile,
    setup: &[Message],
    script: &[Message],
) -> Transcript {
    let store = Mutex::new(Store::with_users(delimiter, users));
    run_script_on(&store, profile, setup, script)
}

/// [`run_script`] as one more connection to an existing store (which earlier connections
/// may have prepared).
pub fn run_script_on(
    store: &Mutex<Store>,
    profile: Profile,
    setup: &[Message],
    script: &[Message],
) -> Transcript {
    let (mut conn, greeting) = Connection::open(profile, now(), Limits::default());
    let mut framer = Framer::new(FrameLimits::default());
    framer.push(&greeting);
    let greeting = framer.next_message().ok().flatten();
    let mut t = Transcript {
        greeting,
        ..Transcript::default()
    };
    let mut closed = false;
    for (i, cmd) in setup.iter().chain(script).enumerate() {
        if closed {
            break;
        }
        let e = exchange(&mut conn, &mut framer, store, cmd, &mut closed);
        if i < setup.len() {
            t.setup.push(e);
        } else {
            t.script.push(e);
        }
    }
    // A LOGOUT closes the connection after its completion: that is a completed session.
    t.end = if closed && t.script.len() + t.setup.len() < setup.len() + script.len() {
        End::Closed
    } else {
        End::Completed
    };
    t
}

/// One command as the driver sends it: each answer to a server challenge (a line after a
/// complete line, RFC 2060 §6.2.1) only after the server asked with a continuation
/// request, and nothing more once the command is complete; a continuation request with
/// nothing left to send is answered with `*`, as the driver does. (Synchronizing
/// literals go with their line: the server buffers them until it has asked.)
fn exchange(
    conn: &mut Connection,
    framer: &mut Framer,
    store: &Mutex<Store>,
    cmd: &Message,
    closed: &mut bool,
) -> Exchange {
    let tag = cmd.tag().to_vec();
    // The command in parts, split before each answer line.
    let mut parts: Vec<Vec<Fragment>> = vec![Vec::new()];
    for (i, f) in cmd.fragments.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| &cmd.fragments[p]);
        if matches!((prev, f), (Some(p @ Fragment::Line(_)), Fragment::Line(_)) if waits_for_continuation(p, f))
        {
            parts.push(Vec::new());
        }
        parts.last_mut().expect("one part").push(f.clone());
    }
    let mut events = Vec::new();
    let mut feed = |m: Message, events: &mut Vec<Event>, closed: &mut bool| {
        let out = conn.feed(store, &m.to_bytes());
        events.push(Event::Client(m));
        framer.push(&out.bytes);
        let (mut cont, mut complete) = (false, false);
        while let Ok(Some(m)) = framer.next_message() {
            cont |= m.is_continuation();
            complete |= m.tag() == tag.as_slice();
            events.push(Event::Server(m));
        }
        *closed |= out.close;
        cont && !complete && !*closed
    };
    let mut asked = false;
    for (i, part) in parts.into_iter().enumerate() {
        if i > 0 && !asked {
            return Exchange { events };
        }
        asked = feed(Message { fragments: part }, &mut events, closed);
    }
    let mut cancels = 0;
    while asked && cancels < 3 {
        cancels += 1;
        asked = feed(Message::line("*"), &mut events, closed);
    }
    Exchange { events }
}
