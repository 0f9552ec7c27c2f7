//! A hostile IMAP server: a test fixture for imapconform's own fault handling, never a lab
//! target and never a stand-in for a real server.
//!
//! [`Hostile::start`] listens on 127.0.0.1 and serves every connection with one
//! [`Behaviour`]. Behaviours that need a logged-in session greet with
//! `* OK [CAPABILITY IMAP4rev1]`, answer LOGIN with OK (AUTHENTICATE with NO), and
//! misbehave on the first other command (in a campaign with the oracle, the driver's
//! `s3 LIST "" *`), or at LOGIN already ([`Behaviour::Silent`]); [`Behaviour::Delayed`]
//! answers every command after LOGIN, late.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How the fixture misbehaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Random bytes from a seeded generator (seed: the connection's number), without end,
    /// from the first byte on: there is no greeting.
    Garbage,
    /// `* 1 FETCH (BODY[] {4294967295}` and then nothing.
    HugeLiteral,
    /// `* OK ` and then `x` without end, never a line ending.
    EndlessLine,
    /// `* OK still here` lines, one byte per second, without end.
    OneBytePerSecond,
    /// `* 1 FETCH (BODY[] {100}`, 9 of the 100 bytes, and the connection closed.
    CloseInLiteral,
    /// The greeting, then nothing at all (LOGIN is never answered).
    Silent,
    /// `* OK flood` without end, as fast as the connection takes it.
    Flood,
    /// LIST responses whose quoted names hold bytes 0xFF 0xFE (not UTF-8, not 7-bit) and
    /// NUL, the tagged OK, then BYE and close.
    BadQuoted,
    /// `zz9 OK done` (a tag never sent), then the tagged OK, then BYE and close.
    UnknownTag,
    /// `* BYE not accepting connections` as the greeting, and close.
    ByeGreeting,
    /// Answers every command after LOGIN with OK, and every LIST with `* NAMESPACE`
    /// (not advertised), a continuation request LIST does not wait for, its OK, and a
    /// second OK under the same tag.
    Unaccounted,
    /// Answers every command after LOGIN correctly, but only after this many
    /// milliseconds (a LIST gets `* LIST () "/" INBOX` first): a slow server, not a hung
    /// one.
    Delayed(u64),
}

/// A running fixture; it stops with the test process.
pub struct Hostile {
    pub addr: SocketAddr,
}

impl Hostile {
    /// Starts a listener on a free port of 127.0.0.1, served on its own thread.
    pub fn start(behaviour: Behaviour) -> Hostile {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind fixture");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let addr = std_listener.local_addr().expect("local addr");
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("fixture runtime");
            rt.block_on(async move {
                let listener = TcpListener::from_std(std_listener).expect("tokio listener");
                let mut n = 0u64;
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    n += 1;
                    tokio::spawn(serve(stream, behaviour, n));
                }
            });
        });
        Hostile { addr }
    }
}

/// SplitMix64: the garbage is the same for the same connection number.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

/// Reads the client's commands one at a time: a line, and the literals it announces
/// (answering a synchronizing one with a continuation request).
struct Commands {
    buf: Vec<u8>,
}

impl Commands {
    /// The next command's first line (without its literals), or None when the client
    /// is gone.
    async fn next(&mut self, s: &mut TcpStream) -> Option<Vec<u8>> {
        let mut first: Option<Vec<u8>> = None;
        loop {
            let line = self.line(s).await?;
            let first_line = first.get_or_insert_with(|| line.clone()).clone();
            match announced(&line) {
                None => return Some(first_line),
                Some((n, sync)) => {
                    if sync && s.write_all(b"+ go on\r\n").await.is_err() {
                        return None;
                    }
                    self.skip(s, n).await?;
                }
            }
        }
    }

    async fn fill(&mut self, s: &mut TcpStream) -> Option<()> {
        let mut chunk = [0u8; 4096];
        match s.read(&mut chunk).await {
            Ok(0) | Err(_) => None,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Some(())
            }
        }
    }

    async fn line(&mut self, s: &mut TcpStream) -> Option<Vec<u8>> {
        loop {
            if let Some(p) = self.buf.iter().position(|&b| b == b'\n') {
                return Some(self.buf.drain(..=p).collect());
            }
            self.fill(s).await?;
        }
    }

    async fn skip(&mut self, s: &mut TcpStream, n: usize) -> Option<()> {
        while self.buf.len() < n {
            self.fill(s).await?;
        }
        self.buf.drain(..n);
        Some(())
    }
}

/// `{n}` or `{n+}` at the end of a line.
fn announced(line: &[u8]) -> Option<(usize, bool)> {
    let l = line.strip_suffix(b"\n")?;
    let l = l.strip_suffix(b"\r").unwrap_or(l);
    let l = l.strip_suffix(b"}")?;
    let (l, sync) = match l.strip_suffix(b"+") {
        Some(l) => (l, false),
        None => (l, true),
    };
    let open = l.iter().rposition(|&b| b == b'{')?;
    let n = std::str::from_utf8(&l[open + 1..]).ok()?.parse().ok()?;
    Some((n, sync))
}

/// Closes the connection the way a server does after its last words: FIN, then whatever
/// the client still sends is read and dropped (closing with unread data would reset the
/// connection, which could discard what was sent before).
async fn close(s: &mut TcpStream) {
    let _ = s.shutdown().await;
    let mut buf = [0u8; 4096];
    let drain = async { while matches!(s.read(&mut buf).await, Ok(n) if n > 0) {} };
    let _ = tokio::time::timeout(Duration::from_secs(10), drain).await;
}

fn word(line: &[u8], i: usize) -> String {
    String::from_utf8_lossy(line.split(|&b| b == b' ').nth(i).unwrap_or_default())
        .trim()
        .to_ascii_uppercase()
}

async fn serve(mut s: TcpStream, behaviour: Behaviour, n: u64) {
    let _ = s.set_nodelay(true);
    match behaviour {
        Behaviour::Garbage => {
            let mut rng = Rng(n);
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                rng.fill(&mut buf);
                if s.write_all(&buf).await.is_err() {
                    return;
                }
            }
        }
        Behaviour::ByeGreeting => {
            let _ = s.write_all(b"* BYE not accepting connections\r\n").await;
            close(&mut s).await;
            return;
        }
        _ => {}
    }
    if s.write_all(b"* OK [CAPABILITY IMAP4rev1] hostile fixture\r\n")
        .await
        .is_err()
    {
        return;
    }
    let mut cmds = Commands { buf: Vec::new() };
    if behaviour == Behaviour::Silent {
        while cmds.next(&mut s).await.is_some() {}
        return;
    }
    loop {
        let Some(line) = cmds.next(&mut s).await else {
            return;
        };
        let tag = String::from_utf8_lossy(line.split(|&b| b == b' ').next().unwrap_or_default())
            .into_owned();
        let answer = match (word(&line, 1).as_str(), behaviour) {
            ("LOGIN", _) => format!("{tag} OK logged in\r\n"),
            ("AUTHENTICATE", _) => format!("{tag} NO not supported here\r\n"),
            ("LOGOUT", _) => {
                let _ = s
                    .write_all(format!("* BYE bye\r\n{tag} OK done\r\n").as_bytes())
                    .await;
                close(&mut s).await;
                return;
            }
            ("LIST", Behaviour::Unaccounted) => format!(
                "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n+ ready\r\n{tag} OK done\r\n{tag} OK again\r\n"
            ),
            (_, Behaviour::Unaccounted) => format!("{tag} OK done\r\n"),
            (verb, Behaviour::Delayed(ms)) => {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                let data = if verb == "LIST" {
                    "* LIST () \"/\" INBOX\r\n"
                } else {
                    ""
                };
                format!("{data}{tag} OK done\r\n")
            }
            _ => {
                misbehave(&mut s, &mut cmds, behaviour, &tag).await;
                return;
            }
        };
        if s.write_all(answer.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// The answer to the first command after LOGIN.
async fn misbehave(s: &mut TcpStream, cmds: &mut Commands, behaviour: Behaviour, tag: &str) {
    match behaviour {
        Behaviour::HugeLiteral => {
            if s.write_all(b"* 1 FETCH (BODY[] {4294967295}\r\n")
                .await
                .is_ok()
            {
                while cmds.next(s).await.is_some() {}
            }
        }
        Behaviour::EndlessLine => {
            let xs = vec![b'x'; 16 * 1024];
            if s.write_all(b"* OK ").await.is_err() {
                return;
            }
            while s.write_all(&xs).await.is_ok() {}
        }
        Behaviour::OneBytePerSecond => loop {
            for b in b"* OK still here\r\n" {
                if s.write_all(&[*b]).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        },
        Behaviour::CloseInLiteral => {
            let _ = s.write_all(b"* 1 FETCH (BODY[] {100}\r\nonly this").await;
            close(s).await;
        }
        Behaviour::Flood => {
            let flood = b"* OK flood\r\n".repeat(1024);
            while s.write_all(&flood).await.is_ok() {}
        }
        Behaviour::BadQuoted => {
            let mut answer = Vec::new();
            answer.extend_from_slice(b"* LIST () \"/\" \"bad\xff\xfename\"\r\n");
            answer.extend_from_slice(b"* LIST () \"/\" \"nul\x00name\"\r\n");
            answer.extend_from_slice(format!("{tag} OK done\r\n* BYE bye\r\n").as_bytes());
            let _ = s.write_all(&answer).await;
            close(s).await;
        }
        Behaviour::UnknownTag => {
            let answer = format!("zz9 OK done\r\n{tag} OK done\r\n* BYE bye\r\n");
            let _ = s.write_all(answer.as_bytes()).await;
            close(s).await;
        }
        Behaviour::Garbage | Behaviour::Silent | Behaviour::ByeGreeting => {
            unreachable!("handled before the login")
        }
        Behaviour::Delayed(_) | Behaviour::Unaccounted => unreachable!("answered in `serve`"),
    }
}
