//! Getting the servers onto the machine without breaking it.
//!
//! lab-notes: `cyrus-imapd` and `courier-imap` declare `Conflicts: imap-server`, so
//! `apt-get install cyrus-imapd` silently removes `dovecot-imapd` (and so on in a circle).
//! We therefore apt-install only the co-installable packages ([`APT_PACKAGES`]) and
//! `apt-get download` + `dpkg-deb -x` the two conflicting ones ([`PRIVATE_PACKAGES`]) into
//! a private prefix under the lab's state dir; their binaries link against libraries of
//! the co-installable packages. apt starts no service here (policy-rc.d), and the lab
//! never uses system services or their /etc configuration.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use super::process::run;

/// Packages installed with apt when missing. `--no-install-recommends` keeps apt from
/// pulling in a conflicting `imap-server` through a Recommends; `libsasl2-modules`
/// (PLAIN/LOGIN for Cyrus) is otherwise only a Recommends.
pub const APT_PACKAGES: &[&str] = &[
    "dovecot-imapd",
    "mailutils-imap4d",
    "cyrus-common",
    "sasl2-bin",
    "libsasl2-modules",
    "courier-base",
    "courier-authdaemon",
    "courier-authlib-userdb",
    "gamin",
    "perl-base",
];

/// Packages that conflict with each other and with Dovecot: unpacked, never installed.
pub const PRIVATE_PACKAGES: &[&str] = &["cyrus-imapd", "courier-imap"];

/// The one unprivileged account every lab server runs its mail processes as.
/// lab-notes: Dovecot refuses uid 0; Courier needs a uid with a passwd entry (else every
/// LOGIN stalls 5 s in gamin).
pub const LAB_USER: &str = "imapconform";

/// The lab account's ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LabUser {
    pub uid: u32,
    pub gid: u32,
}

/// The installed version of `pkg` (empty if unknown).
pub fn version(pkg: &str) -> String {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Version}", pkg])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn apt_lists_present() -> bool {
    fs::read_dir("/var/lib/apt/lists")
        .map(|d| {
            d.flatten()
                .any(|e| e.file_name().to_string_lossy().ends_with("_Packages"))
        })
        .unwrap_or(false)
}

fn apt_update() -> Result<()> {
    eprintln!("lab: apt-get update");
    run(Command::new("apt-get").args(["update", "-q"]))?;
    Ok(())
}

/// Which of `pkgs` dpkg does not have fully installed (one dpkg-query for all).
pub fn missing_packages<'a>(pkgs: &[&'a str]) -> Vec<&'a str> {
    let out = Command::new("dpkg-query")
        .arg("-W")
        .arg("-f=${Package} ${Status}\n")
        .args(pkgs)
        .output();
    // dpkg-query exits 1 when some package is unknown but still lists the others.
    let text = out
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    pkgs.iter()
        .copied()
        .filter(|p| {
            !text
                .lines()
                .any(|l| l.split_whitespace().next() == Some(p) && l.ends_with(" installed"))
        })
        .collect()
}

/// Installs whatever of [`APT_PACKAGES`] is missing (running `apt-get update` first when
/// there are no package lists, and once more if the install fails).
pub fn ensure_apt_packages() -> Result<()> {
    let missing = missing_packages(APT_PACKAGES);
    if missing.is_empty() {
        return Ok(());
    }
    apt_install(&missing)
}

/// `apt-get install --no-install-recommends` of `pkgs` (never a conflicting server:
/// callers only pass [`APT_PACKAGES`] and libraries).
fn apt_install(pkgs: &[&str]) -> Result<()> {
    if unsafe { libc::geteuid() } != 0 {
        bail!("packages {pkgs:?} are missing and installing them needs root");
    }
    if !apt_lists_present() {
        apt_update()?;
    }
    let install = || {
        eprintln!("lab: apt-get install {}", pkgs.join(" "));
        run(Command::new("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(pkgs))
    };
    if install().is_err() {
        apt_update()?;
        install().context("installing the lab's packages")?;
    }
    let still = missing_packages(pkgs);
    if !still.is_empty() {
        bail!("packages {still:?} still not installed after apt-get install");
    }
    Ok(())
}

/// The installed package a private package belongs with (it pins it with `(= version)`
/// and supplies its tools and libraries).
pub fn companion(pkg: &str) -> &'static str {
    match pkg {
        "cyrus-imapd" => "cyrus-common",
        _ => "courier-base",
    }
}

/// What to unpack: the version of `pkg` that pins `companion` at `companion_version`
/// (so the unpacked binaries match the installed libraries and tools), else the first
/// (candidate) one; and the `lib*` packages it depends on.
pub fn plan_private(
    show: &str,
    companion: &str,
    companion_version: &str,
) -> Option<(String, Vec<String>)> {
    let pin = format!("{companion} (= {companion_version})");
    let records: Vec<(String, String)> = show
        .split("\n\n")
        .filter_map(|rec| {
            let field = |name: &str| {
                rec.lines()
                    .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
                    .map(str::to_string)
            };
            Some((field("Version")?, field("Depends").unwrap_or_default()))
        })
        .collect();
    let (version, depends) = records
        .iter()
        .find(|(_, d)| d.split(", ").any(|x| x == pin))
        .or(records.first())?;
    let libs = depends
        .split(',')
        .filter_map(|alt| {
            let first = alt.split('|').next()?.trim();
            let name = first.split_whitespace().next()?;
            name.starts_with("lib").then(|| name.to_string())
        })
        .collect();
    Some((version.clone(), libs))
}

/// Unpacks `pkg` (one of [`PRIVATE_PACKAGES`]) into `pkg_root/<pkg>` unless the version
/// there already belongs with the installed companion, and returns that prefix. Libraries
/// it needs are apt-installed when missing. Its version is kept in `<prefix>/VERSION`.
pub fn ensure_private_package(pkg_root: &Path, pkg: &str) -> Result<PathBuf> {
    let prefix = pkg_root.join(pkg);
    let comp = companion(pkg);
    let comp_version = version(comp);
    let comp_stamp = prefix.join("COMPANION");
    if prefix.join("VERSION").exists()
        && fs::read_to_string(&comp_stamp).ok().as_deref() == Some(comp_version.as_str())
    {
        return Ok(prefix);
    }
    let show = || run(Command::new("apt-cache").args(["show", pkg]));
    let show = match show() {
        Ok(s) => s,
        Err(_) => {
            apt_update()?;
            show()?
        }
    };
    let (ver, libs) = plan_private(&show, comp, &comp_version)
        .with_context(|| format!("apt-cache show {pkg} lists no version"))?;
    let libs: Vec<&str> = libs.iter().map(String::as_str).collect();
    let missing = missing_packages(&libs);
    if !missing.is_empty() {
        apt_install(&missing)?;
    }
    let debs = pkg_root.join("debs");
    fs::create_dir_all(&debs)?;
    let deb_name = |v: &str| {
        // apt names the file pkg_VERSION_arch.deb with ':' (epoch) escaped as %3a.
        format!("{pkg}_{}_", v.replace(':', "%3a"))
    };
    let find_deb = || -> Option<PathBuf> {
        fs::read_dir(&debs)
            .ok()?
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&deb_name(&ver)) && n.ends_with(".deb"))
            })
    };
    if find_deb().is_none() {
        eprintln!("lab: apt-get download {pkg}={ver}");
        let spec = format!("{pkg}={ver}");
        let dl = || {
            run(Command::new("apt-get")
                .current_dir(&debs)
                .args(["download", "-q", &spec]))
        };
        if dl().is_err() {
            apt_update()?;
            dl().with_context(|| format!("downloading {spec}"))?;
        }
    }
    let deb = find_deb().with_context(|| format!("no {pkg}_{ver}_*.deb in {}", debs.display()))?;
    let tmp = pkg_root.join(format!(".{pkg}.tmp"));
    let _ = fs::remove_dir_all(&tmp);
    fs::create_dir_all(&tmp)?;
    run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&tmp))?;
    fs::write(tmp.join("VERSION"), &ver)?;
    fs::write(tmp.join("COMPANION"), &comp_version)?;
    let _ = fs::remove_dir_all(&prefix);
    fs::rename(&tmp, &prefix)?;
    Ok(prefix)
}

/// The version recorded when a private package was unpacked.
pub fn private_version(prefix: &Path) -> String {
    fs::read_to_string(prefix.join("VERSION"))
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// Looks `name` up in /etc/passwd.
pub fn passwd_entry(name: &str) -> Option<LabUser> {
    let text = fs::read_to_string("/etc/passwd").ok()?;
    parse_passwd(&text, name)
}

fn parse_passwd(text: &str, name: &str) -> Option<LabUser> {
    text.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        if f.len() < 4 || f[0] != name {
            return None;
        }
        Some(LabUser {
            uid: f[2].parse().ok()?,
            gid: f[3].parse().ok()?,
        })
    })
}

/// Creates the lab account (a system user with its own group, no home, no shell) if
/// it does not exist, and returns its ids.
pub fn ensure_lab_user() -> Result<LabUser> {
    if let Some(u) = passwd_entry(LAB_USER) {
        return Ok(u);
    }
    run(Command::new("useradd").args([
        "--system",
        "--user-group",
        "--home-dir",
        "/nonexistent",
        "--no-create-home",
        "--shell",
        "/usr/sbin/nologin",
        LAB_USER,
    ]))?;
    passwd_entry(LAB_USER).context("lab user missing from /etc/passwd after useradd")
}

/// SHA-512 crypt(3) hashes of `passwords` (for Courier's userdb and Mailutils'
/// virtdomain files), made by perl's `crypt` (perl-base is always there), one process
/// for all of them. The fixed salt keeps rendered files identical run to run.
pub fn crypt_sha512(passwords: &[&str]) -> Result<Vec<String>> {
    let out = run(Command::new("perl")
        .arg("-e")
        .arg(r#"print crypt($_, '$6$imapconformlab$'), "\n" for @ARGV"#)
        .args(passwords))?;
    let hashes: Vec<String> = out.lines().map(str::to_string).collect();
    if hashes.len() != passwords.len() || hashes.iter().any(|h| !h.starts_with("$6$")) {
        bail!("crypt via perl gave unexpected output: {out:?}");
    }
    Ok(hashes)
}

/// chown -R to the lab user.
pub fn chown_tree(path: &Path, user: LabUser) -> Result<()> {
    std::os::unix::fs::lchown(path, Some(user.uid), Some(user.gid))
        .with_context(|| format!("chown {}", path.display()))?;
    if path.is_dir() && !path.is_symlink() {
        for e in fs::read_dir(path)? {
            chown_tree(&e?.path(), user)?;
        }
    }
    Ok(())
}

/// Creates `dir` and the parents it needs, each new one owned by the lab user, mode 0700.
pub fn mkdir_owned(dir: &Path, user: LabUser) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        mkdir_owned(parent, user)?;
    }
    fs::DirBuilder::new()
        .mode(0o700)
        .create(dir)
        .or_else(|e| if dir.is_dir() { Ok(()) } else { Err(e) })
        .with_context(|| format!("mkdir {}", dir.display()))?;
    std::os::unix::fs::chown(dir, Some(user.uid), Some(user.gid))
        .with_context(|| format!("chown {}", dir.display()))?;
    Ok(())
}

/// Creates an empty maildir (`cur`, `new`, `tmp`) at `dir`, owned by the lab user.
pub fn make_maildir(dir: &Path, user: LabUser) -> Result<()> {
    for sub in ["cur", "new", "tmp"] {
        mkdir_owned(&dir.join(sub), user)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_passwd_entry() {
        let text = "root:x:0:0:root:/root:/bin/bash\nimapconform:x:999:995::/nonexistent:/usr/sbin/nologin\n";
        assert_eq!(
            parse_passwd(text, "imapconform"),
            Some(LabUser { uid: 999, gid: 995 })
        );
        assert_eq!(parse_passwd(text, "imapconf"), None);
    }

    #[test]
    fn dpkg_query_finds_installed_and_missing_packages() {
        let missing = missing_packages(&["dpkg", "no-such-package-imapconform"]);
        assert_eq!(missing, vec!["no-such-package-imapconform"]);
    }

    #[test]
    fn plans_the_version_that_pins_the_installed_companion() {
        let show = "Package: cyrus-imapd\nVersion: 3.6.1-4+deb12u5\nDepends: cyrus-common (= 3.6.1-4+deb12u5), libc6 (>= 2.34), libwrap0 (>= 7.6-4~)\n\n\
Package: cyrus-imapd\nVersion: 3.6.1-4+deb12u4\nDepends: cyrus-common (= 3.6.1-4+deb12u4), libc6 (>= 2.34), libgamin0 | libfam0, default-mta | mta\n";
        let (v, libs) = plan_private(show, "cyrus-common", "3.6.1-4+deb12u4").unwrap();
        assert_eq!(v, "3.6.1-4+deb12u4");
        assert_eq!(libs, vec!["libc6", "libgamin0"]);
        let (v, _) = plan_private(show, "cyrus-common", "9").unwrap();
        assert_eq!(v, "3.6.1-4+deb12u5");
        assert_eq!(plan_private("", "x", "1"), None);
    }

    #[test]
    fn private_packages_are_never_apt_installed() {
        for p in PRIVATE_PACKAGES {
            assert!(!APT_PACKAGES.contains(p));
        }
    }
}
