//! Small static programs compiled by the test itself (`gcc -static`), for what
//! busybox cannot do (prctl, raw syscalls). Each source is compiled once per
//! user and test binary into the per-user temp dir, under a name taken from
//! its hash, written under a temp name and renamed, so parallel tests share it.

use super::{my_uid, sha256_hex};
use std::path::PathBuf;
use std::process::Command;

/// Compiles the C program `src` statically and returns the executable's path.
pub fn compile_static(src: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("berth-tests-{}", my_uid()));
    std::fs::create_dir_all(&dir).unwrap();
    let _ = std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700));
    let out = dir.join(format!("payload-{}", &sha256_hex(src.as_bytes())[..16]));
    if out.exists() {
        return out;
    }
    let work = tempfile::tempdir_in(&dir).unwrap();
    let c = work.path().join("payload.c");
    std::fs::write(&c, src).unwrap();
    let exe = work.path().join("payload");
    let result = Command::new("gcc")
        .args(["-static", "-O2", "-o"])
        .arg(&exe)
        .arg(&c)
        .output()
        .unwrap_or_else(|e| {
            panic!("running gcc: {e}: the tests need gcc and a static libc (apt-get install gcc libc6-dev)")
        });
    assert!(
        result.status.success(),
        "gcc -static failed:\n{}",
        String::from_utf8_lossy(&result.stderr)
    );
    std::fs::rename(&exe, &out).unwrap();
    out
}
