//! The targets-file loader the CLI uses (`TargetsFile::load`, then `select`) on arbitrary
//! bytes: it errors and never panics, and what it accepts is valid as the rest of the tool
//! relies on (every target has an endpoint, a TCP target has a login, `reset` and
//! `restart` name a program, timeouts are above zero, names are unique), serialises and
//! loads back the same, and selects by name.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use imapconform::targets::{Endpoint, TargetsFile};
use libfuzzer_sys::fuzz_target;

/// One file per fuzzing process, rewritten for every input: in memory (`/dev/shm`) where
/// there is one, since a disk-backed temporary directory can cost milliseconds a write.
fn path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let shm = std::path::Path::new("/dev/shm");
        let dir = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        dir.join(format!(
            "imapconform-fuzz-targets-{}.toml",
            std::process::id()
        ))
    })
}

fuzz_target!(|data: &[u8]| {
    std::fs::write(path(), data).expect("writing the fuzz input");
    let loaded = TargetsFile::load(path());
    let parsed = std::str::from_utf8(data)
        .map_err(|e| e.to_string())
        .and_then(TargetsFile::parse);
    let file = match (loaded, parsed) {
        (Ok(l), Ok(p)) => {
            assert_eq!(l, p);
            l
        }
        (Err(e), Err(_)) => {
            assert!(
                e.to_string().starts_with("targets file ") || e.to_string().starts_with("reading")
            );
            return;
        }
        (l, p) => panic!("load and parse disagree: {l:?} / {p:?}"),
    };
    assert!(!file.targets.is_empty());
    let mut names = std::collections::HashSet::new();
    for t in &file.targets {
        assert!(names.insert(t.name.clone()), "name {:?} twice", t.name);
        match t.endpoint() {
            Endpoint::Tcp(a) => {
                assert!(a.rsplit_once(':').is_some());
                assert!(!t.pool().is_empty(), "a TCP target without a login");
            }
            Endpoint::Spawn(argv) => assert!(!argv.is_empty() && !argv[0].is_empty()),
        }
        assert!(!t.timeout().is_zero());
        for hook in [&t.reset, &t.restart].into_iter().flatten() {
            assert!(
                !hook.is_empty() && !hook[0].is_empty(),
                "a hook names no program"
            );
            let creds = t.pool().into_iter().next();
            let dir = std::path::Path::new("/tmp/s");
            assert_eq!(
                imapconform::targets::expand(hook, creds.as_ref(), dir).len(),
                hook.len()
            );
        }
    }
    let again = TargetsFile::parse(&file.to_toml()).expect("a printed targets file loads");
    assert_eq!(again, file);
    let first = vec![file.targets[0].name.clone()];
    let one = file
        .clone()
        .select(&first)
        .expect("selecting a name it has");
    assert_eq!(one.targets, file.targets[..1]);
    assert!(file.select(&["no such target".into()]).is_err());
});
