//! TLS for targets: the client configuration of a target, the handshake, and what its
//! failures mean in one line.
//!
//! A target secures its connection with `tls = "implicit"` (TLS from the first byte,
//! RFC 8314 §3.3: "the client ... MUST start the TLS negotiation immediately after
//! connecting") or `tls = "starttls"` (RFC 3501 §6.2.1: "A [TLS] negotiation begins
//! immediately after the CRLF at the end of the tagged OK response from the server").
//! The server's certificate is checked against the CA certificates of the target's
//! `ca_file`, or Mozilla's roots (webpki-roots) where it has none, for the name in
//! `server_name` or the host of `address` (an IP address too). `insecure = true` accepts
//! any certificate ([`AcceptAnyCertificate`]).
//!
//! A failed handshake is a problem of the setup, never a finding: [`TlsClient::handshake`]
//! says in one line what went wrong and what to change in the targets file.
//!
//! While the handshake runs, the server's bytes are watched ([`Sniff`]): a server that
//! answers the ClientHello with plaintext (a plaintext port on an implicit-TLS target),
//! or that sends plaintext after its STARTTLS OK (RFC 3501 §6.2.1: the negotiation
//! begins right after that CRLF, so nothing may come between), is caught and its bytes
//! are kept, never read as responses.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};
use tokio_rustls::client::TlsStream;

use crate::targets::{Target, TlsMode};
use crate::wire::escape;

/// How one target's connections are secured: its rustls configuration, built once per
/// target and shared by its sessions ([`TlsClient::for_target`]), and the name its
/// certificate must carry.
pub struct TlsClient {
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
    /// `name` as written in the targets file (or the host of `address`), for messages.
    name_text: String,
    /// `host:port`, for messages.
    address: String,
    insecure: bool,
}

impl std::fmt::Debug for TlsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsClient")
            .field("address", &self.address)
            .field("name", &self.name_text)
            .field("insecure", &self.insecure)
            .finish()
    }
}

/// What makes two targets' TLS configurations the same.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    address: String,
    server_name: Option<String>,
    ca_file: Option<PathBuf>,
    insecure: bool,
}

impl TlsClient {
    /// The TLS client of `target`, `None` for a target with `tls = "none"`. Built on
    /// first use and then shared: a campaign reads a target's `ca_file` once, not once
    /// per session.
    pub fn for_target(target: &Target) -> Result<Option<Arc<TlsClient>>, String> {
        if target.tls == TlsMode::None {
            return Ok(None);
        }
        let Some(address) = &target.address else {
            return Err(format!(
                "target {:?}: `tls` needs an `address` (a `spawn` target speaks on stdin/stdout)",
                target.name
            ));
        };
        let key = Key {
            address: address.clone(),
            server_name: target.server_name.clone(),
            ca_file: target.ca_file.clone(),
            insecure: target.insecure,
        };
        static CACHE: OnceLock<Mutex<HashMap<Key, Arc<TlsClient>>>> = OnceLock::new();
        let cache = CACHE.get_or_init(Default::default);
        if let Some(c) = cache.lock().expect("tls cache").get(&key) {
            return Ok(Some(c.clone()));
        }
        let client = Arc::new(TlsClient::new(
            address,
            target.server_name.as_deref(),
            target.ca_file.as_deref(),
            target.insecure,
        )?);
        cache.lock().expect("tls cache").insert(key, client.clone());
        Ok(Some(client))
    }

    /// A client for `address` (`host:port`) that checks the certificate for
    /// `server_name` (default: the host of `address`) against the CA certificates in
    /// `ca_file` (default: Mozilla's roots), or accepts any certificate if `insecure`.
    pub fn new(
        address: &str,
        server_name: Option<&str>,
        ca_file: Option<&Path>,
        insecure: bool,
    ) -> Result<TlsClient, String> {
        let name_text = match server_name {
            Some(n) => n.to_string(),
            None => host_of(address).to_string(),
        };
        let name = parse_server_name(&name_text)?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS configuration: {e}"))?;
        let config = if insecure {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate { provider }))
                .with_no_client_auth()
        } else {
            let mut roots = RootCertStore::empty();
            match ca_file {
                Some(path) => {
                    for cert in load_ca_file(path)? {
                        roots.add(cert).map_err(|e| {
                            format!(
                                "`ca_file` {}: a certificate in it is unusable: {e}",
                                path.display()
                            )
                        })?;
                    }
                }
                None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        };
        Ok(TlsClient {
            config: Arc::new(config),
            name,
            name_text,
            address: address.to_string(),
            insecure,
        })
    }

    /// The name the server's certificate must carry.
    pub fn server_name(&self) -> &str {
        &self.name_text
    }

    /// Runs the TLS handshake on `stream` before `deadline`. `plaintext` says what the
    /// server may send before its first TLS record: for an implicit-TLS connection
    /// nothing ([`Plaintext::Refuse`]: a plaintext line is the clear error "the server
    /// did not start TLS"), after STARTTLS lines that are kept ([`Plaintext::Keep`]) and
    /// returned with the stream, for the caller to record.
    pub async fn handshake(
        &self,
        stream: TcpStream,
        plaintext: Plaintext,
        deadline: Instant,
    ) -> Result<(TlsStream<Sniff<TcpStream>>, Vec<u8>), String> {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sniff = Sniff {
            inner: stream,
            pending: Vec::new(),
            done: false,
            plaintext,
            seen: seen.clone(),
        };
        let connector = tokio_rustls::TlsConnector::from(self.config.clone());
        let result = timeout_at(deadline, connector.connect(self.name.clone(), sniff)).await;
        let seen = std::mem::take(&mut *seen.lock().expect("sniffed bytes"));
        match result {
            Ok(Ok(tls)) => Ok((tls, seen)),
            Ok(Err(e)) => Err(self.explain(Failure::Io(&e), plaintext, &seen)),
            Err(_) => Err(self.explain(Failure::Timeout, plaintext, &seen)),
        }
    }

    /// One line saying why the handshake failed and what to change.
    fn explain(&self, failure: Failure<'_>, plaintext: Plaintext, seen: &[u8]) -> String {
        let at = &self.address;
        if !seen.is_empty() {
            let shown = shown(seen);
            return match plaintext {
                Plaintext::Refuse => format!(
                    "TLS handshake with {at} failed: the server did not start TLS: it sent plaintext (`{shown}`); is this a plaintext port? use tls = \"starttls\" or \"none\""
                ),
                Plaintext::Keep(_) => format!(
                    "TLS handshake with {at} after STARTTLS failed: {}; the server sent plaintext instead (`{shown}`)",
                    self.reason(failure)
                ),
            };
        }
        let after = match plaintext {
            Plaintext::Refuse => "",
            Plaintext::Keep(_) => " after STARTTLS",
        };
        format!(
            "TLS handshake with {at}{after} failed: {}",
            self.reason(failure)
        )
    }

    fn reason(&self, failure: Failure<'_>) -> String {
        let e = match failure {
            Failure::Timeout => {
                return "no answer to the TLS ClientHello within the target's timeout".into()
            }
            Failure::Io(e) => e,
        };
        let Some(tls) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) else {
            return match e.kind() {
                io::ErrorKind::UnexpectedEof => {
                    "the server closed the connection during the handshake".into()
                }
                _ => crate::input::one_line(&e.to_string()),
            };
        };
        self.rustls_reason(tls)
    }

    fn rustls_reason(&self, e: &rustls::Error) -> String {
        let name = &self.name_text;
        match e {
            rustls::Error::InvalidCertificate(c) => match c {
                CertificateError::UnknownIssuer => "certificate not trusted (unknown issuer); give the CA in `ca_file`, or `insecure = true` for a throwaway test server".into(),
                CertificateError::NotValidForName => format!(
                    "the certificate is not valid for the name {name:?}; set `server_name` to a name it carries"
                ),
                CertificateError::NotValidForNameContext { presented, .. } => format!(
                    "the certificate is not valid for the name {name:?} (it names {}); set `server_name` to one of those",
                    presented.join(", ")
                ),
                CertificateError::Expired => "the certificate has expired".into(),
                CertificateError::ExpiredContext { time, not_after } => format!(
                    "the certificate has expired ({} days ago)",
                    time.as_secs().saturating_sub(not_after.as_secs()) / 86_400
                ),
                CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                    "the certificate is not valid yet (check the clocks)".into()
                }
                CertificateError::BadSignature => {
                    "the certificate's signature does not verify".into()
                }
                other => format!("the certificate was refused: {}", rustls::Error::InvalidCertificate(other.clone())),
            },
            rustls::Error::AlertReceived(alert) => format!("the server sent the TLS alert {alert:?}"),
            rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
                format!("the server's answer is not TLS ({e})")
            }
            other => crate::input::one_line(&other.to_string()),
        }
    }
}

enum Failure<'a> {
    Io(&'a io::Error),
    Timeout,
}

/// The first line of `bytes`, escaped and cut to 80 characters, for a message.
fn shown(bytes: &[u8]) -> String {
    let line = bytes.split(|&b| b == b'\n').next().unwrap_or(bytes);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let text = escape(line);
    if text.chars().count() > 80 {
        text.chars().take(77).collect::<String>() + "..."
    } else {
        text
    }
}

/// The host of `host:port`, without the brackets of an IPv6 address.
pub fn host_of(address: &str) -> &str {
    let host = address.rsplit_once(':').map_or(address, |(h, _)| h);
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// A DNS name or an IP address the certificate must carry.
pub fn parse_server_name(name: &str) -> Result<ServerName<'static>, String> {
    ServerName::try_from(name.to_string())
        .map_err(|_| format!("{name:?} is neither a DNS name nor an IP address"))
}

/// The CA certificates in the PEM file `path`: an error names the file when it cannot
/// be read, is not PEM, or holds no certificate.
pub fn load_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let text = crate::input::read_text(path, "`ca_file`", crate::input::CONFIG_LIMIT)?;
    let mut certs = Vec::new();
    for cert in CertificateDer::pem_slice_iter(text.as_bytes()) {
        certs.push(cert.map_err(|e| {
            format!(
                "`ca_file` {}: not a PEM certificate file: {e}",
                path.display()
            )
        })?);
    }
    if certs.is_empty() {
        return Err(format!(
            "`ca_file` {}: holds no certificate (expected PEM `-----BEGIN CERTIFICATE-----` blocks)",
            path.display()
        ));
    }
    Ok(certs)
}

/// The verifier of `insecure = true`: accepts any certificate chain, for any name.
///
/// It exists for throwaway test servers with a self-signed certificate that nobody
/// bothered to give a CA file for; it must never be the default, since it makes the
/// connection open to anyone in the middle. It still checks the handshake signatures
/// (the server proves it holds the key of the certificate it sent), so a broken TLS
/// stack on the server is still caught.
#[derive(Debug)]
pub struct AcceptAnyCertificate {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// What the server may send before its first TLS record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plaintext {
    /// Nothing (implicit TLS): a plaintext line ends the handshake with an error.
    Refuse,
    /// Lines of plaintext, up to this many bytes in all, are kept aside (after
    /// STARTTLS: response injection, for the transcript) and the handshake goes on.
    Keep(usize),
}

/// The server's side of a connection while the TLS handshake runs: bytes up to the
/// first TLS record are taken out a line at a time and kept in `seen`, so that rustls
/// only sees TLS and the caller learns what plaintext came. After the first TLS record
/// it passes everything through.
pub struct Sniff<S> {
    inner: S,
    /// Bytes read from `inner` and not yet handed on.
    pending: Vec<u8>,
    /// The first TLS record has started: pass through.
    done: bool,
    plaintext: Plaintext,
    seen: Arc<Mutex<Vec<u8>>>,
}

/// A TLS record starts with its content type (RFC 8446 §5.1): change_cipher_spec (20),
/// alert (21), handshake (22) or application_data (23).
fn starts_tls_record(b: u8) -> bool {
    (20..=23).contains(&b)
}

impl<S> Sniff<S> {
    /// Takes the plaintext lines off the front of `pending`; `Err` when plaintext is
    /// refused or too long.
    fn sift(&mut self) -> io::Result<()> {
        while !self.done && !self.pending.is_empty() {
            if starts_tls_record(self.pending[0]) {
                self.done = true;
                break;
            }
            let Some(lf) = self.pending.iter().position(|&b| b == b'\n') else {
                break;
            };
            let line: Vec<u8> = self.pending.drain(..=lf).collect();
            let mut seen = self.seen.lock().expect("sniffed bytes");
            seen.extend_from_slice(&line);
            match self.plaintext {
                Plaintext::Refuse => return Err(plaintext_error()),
                Plaintext::Keep(limit) if seen.len() > limit => return Err(plaintext_error()),
                Plaintext::Keep(_) => {}
            }
        }
        let limit = match self.plaintext {
            Plaintext::Refuse => 16 * 1024,
            Plaintext::Keep(limit) => limit,
        };
        if !self.done && self.pending.len() > limit {
            let rest = std::mem::take(&mut self.pending);
            self.seen
                .lock()
                .expect("sniffed bytes")
                .extend_from_slice(&rest);
            return Err(plaintext_error());
        }
        Ok(())
    }
}

fn plaintext_error() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "plaintext instead of TLS")
}

impl<S: AsyncRead + Unpin> AsyncRead for Sniff<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.done {
                if !this.pending.is_empty() {
                    let n = this.pending.len().min(buf.remaining());
                    buf.put_slice(&this.pending[..n]);
                    this.pending.drain(..n);
                    return Poll::Ready(Ok(()));
                }
                return Pin::new(&mut this.inner).poll_read(cx, buf);
            }
            if let Err(e) = this.sift() {
                return Poll::Ready(Err(e));
            }
            if this.done {
                continue;
            }
            let mut chunk = [0u8; 4096];
            let mut rb = ReadBuf::new(&mut chunk);
            match Pin::new(&mut this.inner).poll_read(cx, &mut rb) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) if rb.filled().is_empty() => {
                    // The end of the stream: an unfinished plaintext line is kept too.
                    let rest = std::mem::take(&mut this.pending);
                    this.seen
                        .lock()
                        .expect("sniffed bytes")
                        .extend_from_slice(&rest);
                    this.done = true;
                    return Poll::Ready(Ok(()));
                }
                Poll::Ready(Ok(())) => this.pending.extend_from_slice(rb.filled()),
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Sniff<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[test]
    fn the_server_name_is_the_host_of_the_address_unless_given() {
        assert_eq!(host_of("127.0.0.1:993"), "127.0.0.1");
        assert_eq!(host_of("[::1]:993"), "::1");
        assert_eq!(host_of("imap.example.org:993"), "imap.example.org");
        let c = TlsClient::new("[::1]:993", None, None, false).unwrap();
        assert_eq!(c.server_name(), "::1");
        assert!(matches!(c.name, ServerName::IpAddress(_)));
        let c = TlsClient::new("127.0.0.1:993", Some("imap.test"), None, true).unwrap();
        assert_eq!(c.server_name(), "imap.test");
        assert!(matches!(c.name, ServerName::DnsName(_)));
        let e = parse_server_name("bad name!").unwrap_err();
        assert!(e.contains("neither a DNS name nor an IP address"), "{e}");
    }

    #[test]
    fn a_ca_file_must_hold_certificates() {
        let dir = std::env::temp_dir().join(format!("imapconform-tls-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "just text\n").unwrap();
        let e = load_ca_file(&empty).unwrap_err();
        assert!(
            e.contains("empty.pem") && e.contains("holds no certificate"),
            "{e}"
        );
        let e = load_ca_file(&dir.join("missing.pem")).unwrap_err();
        assert!(e.contains("missing.pem") && !e.contains('\n'), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn sniffed(input: &[u8], plaintext: Plaintext) -> (io::Result<Vec<u8>>, Vec<u8>) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let mut s = Sniff {
            inner: input,
            pending: Vec::new(),
            done: false,
            plaintext,
            seen: seen.clone(),
        };
        let mut out = Vec::new();
        let r = rt.block_on(s.read_to_end(&mut out)).map(|_| out);
        let seen = seen.lock().unwrap().clone();
        (r, seen)
    }

    #[test]
    fn plaintext_before_the_first_tls_record_is_taken_aside() {
        let (r, seen) = sniffed(
            b"* OK injected\r\n* 1 EXISTS\r\n\x16\x03\x03rest",
            Plaintext::Keep(1024),
        );
        assert_eq!(r.unwrap(), b"\x16\x03\x03rest");
        assert_eq!(seen, b"* OK injected\r\n* 1 EXISTS\r\n");
        // TLS from the first byte: nothing is taken.
        let (r, seen) = sniffed(b"\x16\x03\x01\n\n", Plaintext::Refuse);
        assert_eq!(r.unwrap(), b"\x16\x03\x01\n\n");
        assert!(seen.is_empty());
    }

    #[test]
    fn refused_or_endless_plaintext_is_an_error_with_the_bytes_kept() {
        let (r, seen) = sniffed(b"* OK plain server\r\n", Plaintext::Refuse);
        assert_eq!(r.unwrap_err().kind(), io::ErrorKind::InvalidData);
        assert_eq!(seen, b"* OK plain server\r\n");
        let (r, seen) = sniffed(&[b'x'; 100], Plaintext::Keep(50));
        assert!(r.is_err());
        assert_eq!(seen.len(), 100);
    }

    #[test]
    fn messages_name_the_address_and_the_remedy() {
        let c = TlsClient::new("127.0.0.1:14310", None, None, false).unwrap();
        let unknown = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
        );
        assert_eq!(
            c.explain(Failure::Io(&unknown), Plaintext::Refuse, b""),
            "TLS handshake with 127.0.0.1:14310 failed: certificate not trusted (unknown issuer); give the CA in `ca_file`, or `insecure = true` for a throwaway test server"
        );
        let plain = io::Error::new(io::ErrorKind::InvalidData, "plaintext instead of TLS");
        assert_eq!(
            c.explain(Failure::Io(&plain), Plaintext::Refuse, b"* OK [CAPABILITY IMAP4rev1] hi\r\n"),
            "TLS handshake with 127.0.0.1:14310 failed: the server did not start TLS: it sent plaintext (`* OK [CAPABILITY IMAP4rev1] hi`); is this a plaintext port? use tls = \"starttls\" or \"none\""
        );
        let name = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(CertificateError::NotValidForName),
        );
        let m = c.explain(Failure::Io(&name), Plaintext::Keep(10), b"");
        assert!(
            m.contains("after STARTTLS") && m.contains("\"127.0.0.1\""),
            "{m}"
        );
        let m = c.explain(Failure::Timeout, Plaintext::Refuse, b"");
        assert!(m.contains("no answer to the TLS ClientHello"), "{m}");
    }
}
