//! What the end-to-end tests against the real lab share: bringing the lab up once per
//! test binary, and taking turns with its users.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard, OnceLock};

pub const BIN: &str = env!("CARGO_BIN_EXE_imapconform");

/// The lab's targets file, after bringing the lab up (`imapconform lab up`, which
/// installs what is missing) once for this test binary. Fails, never skips, when the lab
/// cannot start.
pub fn lab_targets() -> &'static Path {
    static TARGETS: OnceLock<PathBuf> = OnceLock::new();
    TARGETS.get_or_init(|| {
        let out = Command::new(BIN)
            .args(["lab", "up"])
            .output()
            .expect("run imapconform lab up");
        assert!(
            out.status.success(),
            "`imapconform lab up` failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let path = PathBuf::from("/dev/shm/imapconform-lab/targets.toml");
        assert!(
            path.exists(),
            "lab up wrote no targets file at {}",
            path.display()
        );
        path
    })
}

/// Tests that use the lab's users run one at a time, so that no two share a mailbox.
pub fn lab_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}
