//! The reference server in process: runs a script through a [`Connection`] and records
//! the session as a [`Transcript`], the same shape the driver records from real servers.
//! Tests, benchmarks and fuzz targets use it to hold the model to its own oracle.

use std::sync::Mutex;

use crate::model::session::Store;
use crate::model::Profile;
use crate::wire::framing::{FrameLimits, Framer};
use crate::wire::{End, Event, Exchange, Message, Transcript};

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
        let mut events = vec![Event::Client(cmd.clone())];
        let out = conn.feed(store, &cmd.to_bytes());
        framer.push(&out.bytes);
        while let Ok(Some(m)) = framer.next_message() {
            events.push(Event::Server(m));
        }
        closed = out.close;
        let e = Exchange { events };
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
