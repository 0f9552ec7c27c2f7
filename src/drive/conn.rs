//! One connection to a target: a TCP stream, or a process speaking IMAP on stdio.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::process::{Child, Command};
use tokio::time::{timeout_at, Instant};

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
}

/// A connection with framing and a recording-friendly interface.
pub struct Conn {
    reader: Box<dyn AsyncRead + Unpin + Send>,
    writer: Box<dyn AsyncWrite + Unpin + Send>,
    child: Option<Child>,
    framer: Framer,
    eof: bool,
}

impl Conn {
    /// Connects to `host:port`, giving up after `limit`.
    pub async fn tcp(address: &str, limit: Duration, frame: FrameLimits) -> std::io::Result<Conn> {
        let stream = tokio::time::timeout(limit, tokio::net::TcpStream::connect(address))
            .await
            .map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("no connection within {} ms", limit.as_millis()),
                )
            })??;
        stream.set_nodelay(true)?;
        let (r, w) = stream.into_split();
        Ok(Conn::new(Box::new(r), Box::new(w), None, frame))
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
        let stdin = child.stdin.take().expect("piped");
        let stdout = child.stdout.take().expect("piped");
        Ok(Conn::new(
            Box::new(stdout),
            Box::new(stdin),
            Some(child),
            frame,
        ))
    }

    fn new(
        reader: Box<dyn AsyncRead + Unpin + Send>,
        writer: Box<dyn AsyncWrite + Unpin + Send>,
        child: Option<Child>,
        frame: FrameLimits,
    ) -> Conn {
        Conn {
            reader,
            writer,
            child,
            framer: Framer::new(frame),
            eof: false,
        }
    }

    /// Sends `bytes`, giving up at `deadline`: a peer that does not read cannot hold
    /// the driver once the socket's buffers are full.
    pub async fn send(&mut self, bytes: &[u8], deadline: Instant) -> Result<(), Stop> {
        let write = async {
            self.writer.write_all(bytes).await?;
            self.writer.flush().await
        };
        match timeout_at(deadline, write).await {
            Err(_) => Err(Stop::Timeout),
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Stop::Closed),
        }
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
            match timeout_at(deadline, self.reader.read(&mut buf)).await {
                Err(_) => return Err(Stop::Timeout),
                Ok(Ok(0)) => self.eof = true,
                Ok(Ok(n)) => self.framer.push(&buf[..n]),
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionReset => self.eof = true,
                Ok(Err(e)) => return Err(Stop::Broken(format!("read error: {e}"))),
            }
        }
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
