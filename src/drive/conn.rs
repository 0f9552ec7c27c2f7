//! One connection to a target: a TCP stream (plaintext, TLS from the start, or upgraded
//! to TLS after STARTTLS), or a process speaking IMAP on stdio.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::time::{timeout_at, Instant};
use tokio_rustls::client::TlsStream;

use super::tls::{Plaintext, Sniff, TlsClient};
use crate::wire::{FrameLimits, Framer, Message};

/// Why reading a message stopped.
#[derive(Debug)]
pub enum Stop {
    /// Nothing complete arrived before the deadline.
    Timeout,
    /// The peer closed the stream (or the process exited).
    Closed,
    /// The stream cannot be read any further.
    Broken(String),
    /// One of the driver's own limits was reached (a framing limit, too many responses,
    /// too many bytes in one session): the text names it.
    Limit(String),
    /// Not a stop of the stream: the wait a second run asks again was answered, and the
    /// run ends there ([`super::recheck`]).
    Reached,
}

/// Why a connection could not be made.
#[derive(Debug)]
pub enum ConnectError {
    /// The TCP connection failed.
    Io(std::io::Error),
    /// The TLS handshake failed: one line saying why and what to change.
    Tls(String),
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnectError::Io(e) => write!(f, "{e}"),
            ConnectError::Tls(s) => f.write_str(s),
        }
    }
}

/// The byte stream under the framer.
enum Io {
    Tcp(TcpStream),
    Tls(Box<TlsStream<Sniff<TcpStream>>>),
    Process {
        reader: ChildStdout,
        writer: ChildStdin,
    },
    /// A STARTTLS upgrade failed half-way: nothing more can be read or sent.
    Gone,
}

/// A connection with framing and a recording-friendly interface.
pub struct Conn {
    io: Io,
    child: Option<Child>,
    limits: FrameLimits,
    framer: Framer,
    eof: bool,
    /// When the last bytes sent were handed to the stream in full.
    last_sent: Option<Instant>,
}

/// Connects to `host:port`, giving up after `limit`.
async fn connect_tcp(address: &str, limit: Duration) -> std::io::Result<TcpStream> {
    let stream = tokio::time::timeout(limit, TcpStream::connect(address))
        .await
        .map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("no connection within {} ms", limit.as_millis()),
            )
        })??;
    stream.set_nodelay(true)?;
    Ok(stream)
}

impl Conn {
    /// Connects to `host:port`, giving up after `limit`.
    pub async fn tcp(address: &str, limit: Duration, frame: FrameLimits) -> std::io::Result<Conn> {
        let stream = connect_tcp(address, limit).await?;
        Ok(Conn::new(Io::Tcp(stream), None, frame))
    }

    /// Connects to `host:port` and runs the TLS handshake at once (implicit TLS, RFC
    /// 8314 §3.3), each within `limit`. A server that answers in plaintext is the error
    /// "the server did not start TLS".
    pub async fn tls(
        address: &str,
        limit: Duration,
        frame: FrameLimits,
        tls: &TlsClient,
    ) -> Result<Conn, ConnectError> {
        let stream = connect_tcp(address, limit)
            .await
            .map_err(ConnectError::Io)?;
        let (stream, _) = tls
            .handshake(stream, Plaintext::Refuse, Instant::now() + limit)
            .await
            .map_err(ConnectError::Tls)?;
        Ok(Conn::new(Io::Tls(Box::new(stream)), None, frame))
    }

    /// Upgrades the connection to TLS after the server's tagged OK to STARTTLS, running
    /// the handshake before `deadline`.
    ///
    /// RFC 3501 §6.2.1: "A [TLS] negotiation begins immediately after the CRLF at the
    /// end of the tagged OK response from the server." Anything the server sent after
    /// that CRLF and before its first TLS record is plaintext that may have been
    /// injected: it is never read as a response. It is returned (what the framer had
    /// already buffered, then what came while the handshake started), for the caller to
    /// record.
    pub async fn start_tls(
        &mut self,
        tls: &TlsClient,
        deadline: Instant,
    ) -> Result<Vec<u8>, String> {
        let mut plaintext = self.framer.take_rest();
        let stream = match std::mem::replace(&mut self.io, Io::Gone) {
            Io::Tcp(s) => s,
            other => {
                self.io = other;
                return Err(if self.is_tls() {
                    "STARTTLS on a connection that is already TLS".into()
                } else {
                    "STARTTLS needs a TCP target (`address`), not a spawned process".into()
                });
            }
        };
        if self.eof {
            return Err("the server closed the connection after its OK to STARTTLS".into());
        }
        // What the server may send before TLS is bounded like one message.
        let keep = self.limits.max_message.saturating_sub(plaintext.len());
        let (stream, seen) = tls
            .handshake(stream, Plaintext::Keep(keep), deadline)
            .await?;
        plaintext.extend_from_slice(&seen);
        self.io = Io::Tls(Box::new(stream));
        self.framer = Framer::new(self.limits);
        Ok(plaintext)
    }

    /// Whether the connection is secured by TLS (from the start or after STARTTLS).
    pub fn is_tls(&self) -> bool {
        matches!(self.io, Io::Tls(_))
    }

    /// Starts `argv` with piped stdin/stdout; the process is killed when the connection
    /// is dropped.
    pub fn spawn(argv: &[String], frame: FrameLimits) -> std::io::Result<Conn> {
        let mut child = Command::new(&argv[0])
            .args(&argv[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        let writer = child.stdin.take().expect("piped");
        let reader = child.stdout.take().expect("piped");
        Ok(Conn::new(
            Io::Process { reader, writer },
            Some(child),
            frame,
        ))
    }

    fn new(io: Io, child: Option<Child>, frame: FrameLimits) -> Conn {
        Conn {
            io,
            child,
            limits: frame,
            framer: Framer::new(frame),
            eof: false,
            last_sent: None,
        }
    }

    /// The stream to read from; `None` after a failed upgrade.
    fn reader(&mut self) -> Option<&mut (dyn AsyncRead + Unpin + Send)> {
        match &mut self.io {
            Io::Tcp(s) => Some(s),
            Io::Tls(s) => Some(s),
            Io::Process { reader, .. } => Some(reader),
            Io::Gone => None,
        }
    }

    /// The stream to write to; `None` after a failed upgrade.
    fn writer(&mut self) -> Option<&mut (dyn AsyncWrite + Unpin + Send)> {
        match &mut self.io {
            Io::Tcp(s) => Some(s),
            Io::Tls(s) => Some(s),
            Io::Process { writer, .. } => Some(writer),
            Io::Gone => None,
        }
    }

    /// Sends `bytes`, giving up at `deadline`: a peer that does not read cannot hold
    /// the driver once the socket's buffers are full.
    pub async fn send(&mut self, bytes: &[u8], deadline: Instant) -> Result<(), Stop> {
        let Some(writer) = self.writer() else {
            return Err(Stop::Closed);
        };
        let write = async {
            writer.write_all(bytes).await?;
            writer.flush().await
        };
        match timeout_at(deadline, write).await {
            Err(_) => Err(Stop::Timeout),
            Ok(Ok(())) => {
                self.last_sent = Some(Instant::now());
                Ok(())
            }
            Ok(Err(_)) => Err(Stop::Closed),
        }
    }

    /// When the last [`Conn::send`] finished handing its bytes to the stream (flushed):
    /// what an idle client measures its silence from. `None` before anything was sent.
    pub fn last_sent(&self) -> Option<Instant> {
        self.last_sent
    }

    /// The next complete server message. At the end of the stream, an unfinished message
    /// is returned once as it is, then [`Stop::Closed`].
    pub async fn next_message(&mut self, deadline: Instant) -> Result<Message, Stop> {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match self.framer.next_message() {
                Ok(Some(m)) => return Ok(m),
                Ok(None) => {}
                Err(e) => return Err(Stop::Limit(e.to_string())),
            }
            if self.eof {
                return match self.framer.finish() {
                    Some(m) => Ok(m),
                    None => Err(Stop::Closed),
                };
            }
            let Some(reader) = self.reader() else {
                self.eof = true;
                continue;
            };
            match timeout_at(deadline, reader.read(&mut buf)).await {
                Err(_) => return Err(Stop::Timeout),
                Ok(Ok(0)) => self.eof = true,
                Ok(Ok(n)) => self.framer.push(&buf[..n]),
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionReset => self.eof = true,
                // A TLS peer that closes without close_notify (RFC 8446 §6.1): common
                // after LOGOUT, and the IMAP exchange says whether anything was cut.
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => self.eof = true,
                Ok(Err(e)) => return Err(Stop::Broken(format!("read error: {e}"))),
            }
        }
    }

    /// What the server sent of a message it has not finished (after a wait ran out):
    /// taken once, as it is.
    pub fn unfinished(&mut self) -> Option<Message> {
        self.framer.finish()
    }

    /// How a spawned process ended, if it has (e.g. "killed by signal 11").
    pub async fn exit_description(&mut self, wait: Duration) -> Option<String> {
        let child = self.child.as_mut()?;
        let status = tokio::time::timeout(wait, child.wait()).await.ok()?.ok()?;
        describe_exit(status)
    }
}

/// A process end that says something went wrong: a signal, or a non-zero exit code.
fn describe_exit(status: std::process::ExitStatus) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return Some(format!("server process killed by signal {sig}"));
        }
    }
    match status.code() {
        Some(0) | None => None,
        Some(c) => Some(format!("server process exited with status {c}")),
    }
}
