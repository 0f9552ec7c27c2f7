//! The lab's throwaway certificate authority and server certificate, so the servers can
//! serve real TLS (RFC 3501 §6.2.1 STARTTLS, RFC 8314 §3 implicit TLS) that a client
//! verifies against the lab's own CA instead of the system's.
//!
//! `lab up` calls [`ensure`]: when a file is missing or the certificates expire within
//! [`RENEW_BEFORE`], it makes a new CA ("imapconform lab CA", valid [`VALIDITY`]) and a
//! server certificate for DNS `localhost` and IP 127.0.0.1 (and 127.0.0.2, where Dovecot
//! listens for its LOGINDISABLED port, see [`super::dovecot`]) signed by it, and writes,
//! all under `<state_dir>/tls/` and nowhere else:
//!
//! ```text
//! ca.pem        the CA certificate: what clients trust (a target's `ca_file`)   0644
//! server.pem    the server certificate followed by the CA's (the chain)        0644
//! server.key    the server's private key (PKCS#8)                   0600 lab user
//! combined.pem  server.pem + server.key in one file (Courier's TLS_CERTFILE)
//!                                                                     0600 courier
//! not-after     when the certificates expire (Unix seconds): checked by `ensure`
//! ```
//!
//! The CA's key is never written: nothing signs with it after `ensure` returns, and a
//! renewal makes a new CA. Each key file is mode 0600 and belongs to the account that
//! reads it ([`KeyOwners`]): `server.key` to the lab's unprivileged user, as which
//! Cyrus' `imapd` reads it (Dovecot's config process and Mailutils' `imap4d` read it as
//! root, before they drop privileges); `combined.pem` to Courier's compiled-in login
//! account `courier`, as which `imaplogin` starts `couriertls` for STARTTLS. Mailutils
//! refuses a key file that its group can read, hence 0600, not 0640.
//! The system's certificates (/etc/ssl, the packages' snakeoil files) are never used.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, Context, Result};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};

use super::install::LabUser;

/// The CA's common name.
pub const CA_NAME: &str = "imapconform lab CA";
/// How long a new CA and server certificate are valid.
pub const VALIDITY: Duration = Duration::from_secs(30 * 24 * 3600);
/// Certificates that expire sooner than this are made anew.
pub const RENEW_BEFORE: Duration = Duration::from_secs(24 * 3600);
/// The DNS name the server certificate carries (a target's `server_name`).
pub const SERVER_NAME: &str = "localhost";
/// The IP addresses the server certificate carries.
pub const SERVER_IPS: [[u8; 4]; 2] = [[127, 0, 0, 1], [127, 0, 0, 2]];

/// Where the lab's TLS files are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    /// `<state_dir>/tls`.
    pub dir: PathBuf,
    /// The CA certificate (PEM).
    pub ca: PathBuf,
    /// The server certificate and the CA certificate (PEM chain).
    pub cert: PathBuf,
    /// The server's private key (PEM, PKCS#8).
    pub key: PathBuf,
    /// `cert` then `key` in one PEM file.
    pub combined: PathBuf,
    /// The certificates' expiry, Unix seconds.
    pub not_after: PathBuf,
}

impl TlsFiles {
    /// The files' paths under `<state_dir>/tls` (nothing is read or written).
    pub fn new(state_dir: &Path) -> TlsFiles {
        let dir = state_dir.join("tls");
        TlsFiles {
            ca: dir.join("ca.pem"),
            cert: dir.join("server.pem"),
            key: dir.join("server.key"),
            combined: dir.join("combined.pem"),
            not_after: dir.join("not-after"),
            dir,
        }
    }

    /// The recorded expiry, if every file is there.
    pub fn expiry(&self) -> Option<u64> {
        let all = [&self.ca, &self.cert, &self.key, &self.combined];
        if !all.iter().all(|p| p.is_file()) {
            return None;
        }
        fs::read_to_string(&self.not_after)
            .ok()?
            .trim()
            .parse()
            .ok()
    }
}

/// Who owns the private key files (None: whoever writes them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyOwners {
    /// `server.key`.
    pub key: Option<LabUser>,
    /// `combined.pem`.
    pub combined: Option<LabUser>,
}

/// A CA, and a server certificate signed by it, in PEM.
#[derive(Clone, Debug)]
pub struct Generated {
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
    /// Unix seconds.
    pub not_after: u64,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn offset_time(unix: u64) -> Result<time::OffsetDateTime> {
    time::OffsetDateTime::from_unix_timestamp(unix as i64)
        .map_err(|e| anyhow!("time {unix} out of range: {e}"))
}

/// Makes a new CA and a server certificate for [`SERVER_NAME`] and [`SERVER_IPS`],
/// valid from an hour before `now` (a little clock skew) until `now + VALIDITY`.
pub fn generate(now: u64) -> Result<Generated> {
    let not_before = offset_time(now.saturating_sub(3600))?;
    let not_after_unix = now + VALIDITY.as_secs();
    let not_after = offset_time(not_after_unix)?;

    let mut ca = CertificateParams::default();
    ca.distinguished_name = DistinguishedName::new();
    ca.distinguished_name.push(DnType::CommonName, CA_NAME);
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca.not_before = not_before;
    ca.not_after = not_after;
    let ca_key = KeyPair::generate().context("generating the CA key")?;
    let ca_cert = ca.self_signed(&ca_key).context("signing the CA")?;
    let issuer = Issuer::new(ca, ca_key);

    let mut leaf = CertificateParams::new(vec![SERVER_NAME.to_string()])
        .context("server certificate names")?;
    for ip in SERVER_IPS {
        leaf.subject_alt_names
            .push(SanType::IpAddress(std::net::IpAddr::from(ip)));
    }
    leaf.distinguished_name = DistinguishedName::new();
    leaf.distinguished_name
        .push(DnType::CommonName, SERVER_NAME);
    leaf.is_ca = IsCa::ExplicitNoCa;
    leaf.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyAgreement,
    ];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.use_authority_key_identifier_extension = true;
    leaf.not_before = not_before;
    leaf.not_after = not_after;
    let leaf_key = KeyPair::generate().context("generating the server key")?;
    let leaf_cert = leaf
        .signed_by(&leaf_key, &issuer)
        .context("signing the server certificate")?;

    let ca_pem = ca_cert.pem();
    Ok(Generated {
        cert_pem: format!("{}{}", leaf_cert.pem(), ca_pem),
        ca_pem,
        key_pem: leaf_key.serialize_pem(),
        not_after: not_after_unix,
    })
}

/// Writes `text` to `path` atomically (a temporary file in the same directory, renamed)
/// with `mode`, owned by `owner` when given.
fn write_file(path: &Path, text: &str, mode: u32, owner: Option<LabUser>) -> Result<()> {
    let tmp = path.with_extension("tmp");
    let _ = fs::remove_file(&tmp);
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&tmp)
        .with_context(|| format!("creating {}", tmp.display()))?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    drop(f);
    // The umask may have taken bits off `mode`; set it exactly.
    fs::set_permissions(&tmp, fs::Permissions::from_mode(mode))?;
    if let Some(u) = owner {
        std::os::unix::fs::chown(&tmp, Some(u.uid), Some(u.gid))
            .with_context(|| format!("chown {}", tmp.display()))?;
    }
    fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Writes `g` into `files` (see the module doc for modes). The expiry stamp is written
/// last, so an interrupted write is made anew by the next [`ensure`].
pub fn write(files: &TlsFiles, g: &Generated, owners: KeyOwners) -> Result<()> {
    fs::create_dir_all(&files.dir).with_context(|| format!("creating {}", files.dir.display()))?;
    fs::set_permissions(&files.dir, fs::Permissions::from_mode(0o755))?;
    let _ = fs::remove_file(&files.not_after);
    write_file(&files.ca, &g.ca_pem, 0o644, None)?;
    write_file(&files.cert, &g.cert_pem, 0o644, None)?;
    write_file(&files.key, &g.key_pem, 0o600, owners.key)?;
    write_file(
        &files.combined,
        &format!("{}{}", g.cert_pem, g.key_pem),
        0o600,
        owners.combined,
    )?;
    write_file(&files.not_after, &format!("{}\n", g.not_after), 0o644, None)
}

/// Whether certificates expiring at `not_after` must be made anew at `now`.
pub fn needs_renewal(not_after: Option<u64>, now: u64) -> bool {
    not_after.is_none_or(|t| t < now + RENEW_BEFORE.as_secs())
}

/// Gives the key files of valid certificates their owners and mode again (an account
/// may have been created since they were written).
fn set_key_owners(files: &TlsFiles, owners: KeyOwners) -> Result<()> {
    for (path, owner) in [(&files.key, owners.key), (&files.combined, owners.combined)] {
        fs::set_permissions(path, fs::Permissions::from_mode(0o600))?;
        if let Some(u) = owner {
            std::os::unix::fs::chown(path, Some(u.uid), Some(u.gid))
                .with_context(|| format!("chown {}", path.display()))?;
        }
    }
    Ok(())
}

/// Makes the lab's CA and server certificate under `<state_dir>/tls` when a file is
/// missing or they expire within [`RENEW_BEFORE`]; otherwise leaves them (only setting
/// the key files' owners). Returns the paths and whether new certificates were made
/// (then running servers still serve the old ones and must be restarted: `lab up` puts
/// the expiry in each server's stamp).
pub fn ensure(state_dir: &Path, owners: KeyOwners) -> Result<(TlsFiles, bool)> {
    let files = TlsFiles::new(state_dir);
    let now = unix_now();
    if !needs_renewal(files.expiry(), now) {
        set_key_owners(&files, owners)?;
        return Ok((files, false));
    }
    let g = generate(now)?;
    write(&files, &g, owners)?;
    eprintln!(
        "lab: made a new CA and server certificate in {} (valid {} days)",
        files.dir.display(),
        VALIDITY.as_secs() / 86400
    );
    Ok((files, true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};

    fn certs(pem: &str) -> Vec<CertificateDer<'static>> {
        CertificateDer::pem_slice_iter(pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .expect("PEM certificates parse")
    }

    fn tmpdir(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("imapconform-certs-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    /// Verifies `chain[0]` as a TLS server certificate for `name` against `ca`, at `at`,
    /// as a rustls client would (webpki).
    fn verify(
        ca: &CertificateDer<'_>,
        chain: &[CertificateDer<'_>],
        name: &str,
        at: u64,
    ) -> Result<(), String> {
        let anchor = webpki::anchor_from_trusted_cert(ca).map_err(|e| e.to_string())?;
        let ee = webpki::EndEntityCert::try_from(&chain[0]).map_err(|e| e.to_string())?;
        ee.verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &[anchor],
            &chain[1..],
            UnixTime::since_unix_epoch(Duration::from_secs(at)),
            webpki::KeyUsage::server_auth(),
            None,
            None,
        )
        .map_err(|e| e.to_string())?;
        let server = ServerName::try_from(name).map_err(|e| e.to_string())?;
        ee.verify_is_valid_for_subject_name(&server)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn files_parse_back_and_the_leaf_is_signed_by_the_ca_for_localhost_and_loopback() {
        let dir = tmpdir("parse");
        let (files, made) = ensure(&dir, KeyOwners::default()).unwrap();
        assert!(made);
        assert_eq!(files.dir, dir.join("tls"));
        let ca = certs(&fs::read_to_string(&files.ca).unwrap());
        assert_eq!(ca.len(), 1);
        let chain = certs(&fs::read_to_string(&files.cert).unwrap());
        assert_eq!(chain.len(), 2, "leaf + CA");
        assert_eq!(chain[1], ca[0]);
        let key_pem = fs::read_to_string(&files.key).unwrap();
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).unwrap();
        assert!(matches!(key, PrivateKeyDer::Pkcs8(_)));
        // The combined file is the chain and the key.
        let combined = fs::read_to_string(&files.combined).unwrap();
        assert_eq!(certs(&combined), chain);
        assert!(PrivateKeyDer::from_pem_slice(combined.as_bytes()).is_ok());

        let now = unix_now();
        for name in [SERVER_NAME, "127.0.0.1", "127.0.0.2"] {
            verify(&ca[0], &chain, name, now).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        // Names it does not carry, and a time past its validity, are refused.
        assert!(verify(&ca[0], &chain, "example.org", now).is_err());
        assert!(verify(&ca[0], &chain, "127.0.0.3", now).is_err());
        assert!(verify(&ca[0], &chain, SERVER_NAME, now + VALIDITY.as_secs() + 10).is_err());
        // Another CA does not vouch for it.
        let other = generate(now).unwrap();
        assert!(verify(&certs(&other.ca_pem)[0], &chain, SERVER_NAME, now).is_err());
        // The CA certificate names the lab.
        assert!(String::from_utf8_lossy(ca[0].as_ref()).contains(CA_NAME));

        // Keys are private; certificates are not.
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&files.key), 0o600);
        assert_eq!(mode(&files.combined), 0o600);
        assert_eq!(mode(&files.ca), 0o644);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn ensure_keeps_valid_files_and_renews_missing_or_expiring_ones() {
        let dir = tmpdir("renew");
        let (files, made) = ensure(&dir, KeyOwners::default()).unwrap();
        assert!(made);
        let ca = fs::read_to_string(&files.ca).unwrap();
        let (_, made) = ensure(&dir, KeyOwners::default()).unwrap();
        assert!(!made, "valid files are kept");
        assert_eq!(fs::read_to_string(&files.ca).unwrap(), ca);
        // Expiring within a day: a new CA.
        fs::write(&files.not_after, format!("{}\n", unix_now() + 3600)).unwrap();
        let (_, made) = ensure(&dir, KeyOwners::default()).unwrap();
        assert!(made);
        assert_ne!(fs::read_to_string(&files.ca).unwrap(), ca);
        // A missing key: made anew.
        fs::remove_file(&files.key).unwrap();
        let (_, made) = ensure(&dir, KeyOwners::default()).unwrap();
        assert!(made && files.key.is_file());
        // Nothing is written outside <state_dir>/tls.
        let entries: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(entries, vec![std::ffi::OsString::from("tls")]);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn renewal_window() {
        assert!(needs_renewal(None, 100));
        let day = RENEW_BEFORE.as_secs();
        assert!(needs_renewal(Some(100 + day - 1), 100));
        assert!(!needs_renewal(Some(100 + day + 1), 100));
    }
}
