//! An `exclusive = true` target end to end: the campaign judges it in a closed world, its
//! case files say so (so that a minimisation or replay judges them the same way), and the
//! reference server, which starts every session with an empty store and no other client,
//! has no findings there.

use std::path::Path;
use std::process::Command;

use imapconform::case::Case;

const BIN: &str = env!("CARGO_BIN_EXE_imapconform");

#[test]
fn an_exclusive_reference_target_is_judged_in_a_closed_world_without_findings() {
    let dir = std::env::temp_dir().join(format!("imapconform-closed-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let targets = dir.join("targets.toml");
    std::fs::write(
        &targets,
        format!(
            "[[target]]\nname = \"reference\"\nspawn = [\"{BIN}\", \"serve\", \"--stdio\"]\n\
             users = [ {{ user = \"u1\", password = \"pw-u1\" }} ]\nmodel = true\nexclusive = true\n"
        ),
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["run", "--targets"])
        .arg(&targets)
        .args([
            "--seed",
            "7",
            "--sessions",
            "20",
            "--quiet",
            "--no-minimize",
            "--all-cases",
        ])
        .arg("--out")
        .arg(dir.join("out"))
        .output()
        .expect("run imapconform");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let findings = std::fs::read_to_string(dir.join("out/findings.jsonl")).unwrap();
    assert!(findings.trim().is_empty(), "{findings}");
    let cases = dir.join("out/cases");
    let mut n = 0;
    for e in std::fs::read_dir(&cases).unwrap() {
        let path = e.unwrap().path();
        let case = Case::parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert!(
            case.exclusive(),
            "{}: no `# exclusive: true`",
            path.display()
        );
        n += 1;
    }
    assert_eq!(
        n,
        20,
        "one case per session in {}",
        Path::new(&cases).display()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
