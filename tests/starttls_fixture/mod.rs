//! A STARTTLS test server with the faults the STARTTLS checks look for: a test fixture
//! for imapconform's own checks, never a lab target and never a stand-in for a real
//! server (the real servers' STARTTLS is tested against the lab).
//!
//! [`Fixture::start`] listens on 127.0.0.1 with a throwaway CA and a certificate for
//! `localhost` (rcgen), and serves every connection with one [`Fault`] (or none). It
//! speaks just enough IMAP for the probes and the driver's setup: CAPABILITY, NOOP,
//! STARTTLS, LOGIN, SELECT, LOGOUT; everything else is answered BAD.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// What the fixture does wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Nothing: a correct server (it throws pipelined data after STARTTLS away).
    None,
    /// Keeps the plaintext it had read after STARTTLS and executes it after the
    /// handshake (the CERT VU#555316 command injection).
    CommandInjection,
    /// Sends `* OK injected` in plaintext after its tagged OK to STARTTLS.
    PlaintextAfterOk,
    /// Answers OK to STARTTLS on a connection that is already TLS (and then closes).
    StarttlsTwice,
    /// Answers OK to STARTTLS after LOGIN.
    StarttlsAfterLogin,
    /// Advertises LOGINDISABLED before TLS and still accepts LOGIN there.
    IgnoresLoginDisabled,
}

/// A running fixture; it stops with the test process.
pub struct Fixture {
    pub addr: SocketAddr,
    /// PEM of the CA that signed its certificate (for the target's `ca_file`).
    pub ca_file: PathBuf,
}

impl Fixture {
    /// Starts a listener on a free port of 127.0.0.1, served on its own thread; the CA
    /// is written to `dir/ca.pem`.
    pub fn start(fault: Fault, dir: &Path) -> Fixture {
        let (config, ca_pem) = tls_config();
        std::fs::create_dir_all(dir).expect("fixture dir");
        let ca_file = dir.join("ca.pem");
        std::fs::write(&ca_file, ca_pem).expect("write ca.pem");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
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
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    tokio::spawn(serve(stream, acceptor.clone(), fault));
                }
            });
        });
        Fixture { addr, ca_file }
    }
}

/// A throwaway CA and a server certificate for `localhost` and 127.0.0.1 signed by it.
fn tls_config() -> (rustls::ServerConfig, String) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "imapconform STARTTLS fixture CA");
    let ca = ca_params.self_signed(&ca_key).expect("CA certificate");
    let ca_pem = ca.pem();
    let ca_der = ca.der().clone();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().expect("server key");
    let params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .expect("server params");
    let cert = params.signed_by(&key, &issuer).expect("server certificate");
    let chain = vec![cert.der().clone(), ca_der];
    let key_der = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).expect("key");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(chain, key_der)
        .expect("server config");
    (config, ca_pem)
}

/// The connection's state as the fixture keeps it.
struct State {
    fault: Fault,
    tls: bool,
    authenticated: bool,
}

impl State {
    fn capabilities(&self) -> String {
        let mut caps = String::from("IMAP4rev1");
        if !self.tls {
            caps.push_str(" STARTTLS");
            if self.fault == Fault::IgnoresLoginDisabled {
                caps.push_str(" LOGINDISABLED");
            }
        }
        caps
    }
}

/// What a command asks of the connection beyond its answer.
enum Next {
    Go,
    Close,
    /// Start TLS after the answer.
    StartTls,
}

/// Answers one command line (without CRLF).
fn answer(line: &str, st: &mut State) -> (String, Next) {
    let mut words = line.splitn(3, ' ');
    let tag = words.next().unwrap_or("*");
    let verb = words.next().unwrap_or("").to_ascii_uppercase();
    match verb.as_str() {
        "CAPABILITY" => (
            format!("* CAPABILITY {}\r\n{tag} OK done\r\n", st.capabilities()),
            Next::Go,
        ),
        "NOOP" => (format!("{tag} OK NOOP completed\r\n"), Next::Go),
        "LOGOUT" => (format!("* BYE bye\r\n{tag} OK bye\r\n"), Next::Close),
        "LOGIN" => {
            // Any credentials; with `IgnoresLoginDisabled` even while LOGINDISABLED is
            // advertised (which is the fault).
            st.authenticated = true;
            (format!("{tag} OK logged in\r\n"), Next::Go)
        }
        "SELECT" | "EXAMINE" if st.authenticated => (
            format!(
                "* 0 EXISTS\r\n* 0 RECENT\r\n* FLAGS (\\Seen)\r\n{tag} OK [READ-WRITE] done\r\n"
            ),
            Next::Go,
        ),
        "STARTTLS" => {
            let accept = if st.tls {
                st.fault == Fault::StarttlsTwice
            } else if st.authenticated {
                st.fault == Fault::StarttlsAfterLogin
            } else {
                true
            };
            if !accept {
                return (format!("{tag} BAD not now\r\n"), Next::Go);
            }
            if st.tls {
                // Accepted, but no second handshake is served: the probe closes.
                return (format!("{tag} OK begin TLS again\r\n"), Next::Close);
            }
            (format!("{tag} OK begin TLS\r\n"), Next::StartTls)
        }
        "" => ("* BAD empty line\r\n".to_string(), Next::Go),
        _ => (format!("{tag} BAD unknown or not now\r\n"), Next::Go),
    }
}

/// Reads and answers lines until `Next::Close`, or returns the buffered bytes left after
/// a STARTTLS OK (`Some`), with the stream.
async fn lines<S: AsyncRead + AsyncWrite + Unpin>(
    mut reader: BufReader<S>,
    st: &mut State,
    mut pending: Vec<String>,
) -> Option<(BufReader<S>, Vec<u8>)> {
    loop {
        let line = if pending.is_empty() {
            let mut l = String::new();
            match reader.read_line(&mut l).await {
                Ok(0) | Err(_) => return None,
                Ok(_) => l,
            }
        } else {
            pending.remove(0)
        };
        let line = line.trim_end_matches(['\r', '\n']).to_string();
        let (text, next) = answer(&line, st);
        if reader.get_mut().write_all(text.as_bytes()).await.is_err() {
            return None;
        }
        match next {
            Next::Go => {}
            Next::Close => {
                let _ = reader.get_mut().shutdown().await;
                return None;
            }
            Next::StartTls => {
                let buffered = reader.buffer().to_vec();
                return Some((reader, buffered));
            }
        }
    }
}

async fn serve(stream: tokio::net::TcpStream, acceptor: tokio_rustls::TlsAcceptor, fault: Fault) {
    let mut st = State {
        fault,
        tls: false,
        authenticated: false,
    };
    let mut reader = BufReader::new(stream);
    let greeting = format!("* OK [CAPABILITY {}] fixture ready\r\n", st.capabilities());
    if reader
        .get_mut()
        .write_all(greeting.as_bytes())
        .await
        .is_err()
    {
        return;
    }
    let Some((mut reader, buffered)) = lines(reader, &mut st, Vec::new()).await else {
        return;
    };
    if fault == Fault::PlaintextAfterOk {
        let _ = reader.get_mut().write_all(b"* OK injected\r\n").await;
    }
    // A correct server throws the buffered plaintext away (RFC 9051 §6.2.1 option 2);
    // the faulty one keeps it and runs it after the handshake.
    let pending: Vec<String> = if fault == Fault::CommandInjection {
        String::from_utf8_lossy(&buffered)
            .split_inclusive('\n')
            .map(str::to_string)
            .collect()
    } else {
        Vec::new()
    };
    let tcp = reader.into_inner();
    let Ok(tls) = acceptor.accept(tcp).await else {
        return;
    };
    st.tls = true;
    let _ = lines(BufReader::new(tls), &mut st, pending).await;
}
