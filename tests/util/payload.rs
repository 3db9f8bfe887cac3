//! Small static programs compiled by the test that uses them (`gcc -static`):
//! attack payloads and probes that busybox cannot be (they make raw syscalls
//! such as prctl, or run as another binary's ELF interpreter).

use std::path::{Path, PathBuf};
use std::process::Command;

/// Compiles the C source `src` into a static executable `dir/name` and
/// returns its path. `freestanding` builds with `-nostdlib` (the source
/// brings its own `_start` and syscalls): needed for a program that the
/// kernel runs as another binary's interpreter, where libc's start-up code
/// would read the other binary's auxiliary vector.
pub fn compile_static(dir: &Path, name: &str, src: &str, freestanding: bool) -> PathBuf {
    let c = dir.join(format!("{name}.c"));
    let out = dir.join(name);
    std::fs::write(&c, src).unwrap();
    let mut cmd = Command::new("gcc");
    cmd.args(["-static", "-O1", "-o"]).arg(&out).arg(&c);
    if freestanding {
        cmd.args([
            "-nostdlib",
            "-fno-stack-protector",
            "-fno-builtin",
            "-no-pie",
        ]);
    }
    let r = cmd
        .output()
        .unwrap_or_else(|e| panic!("gcc: {e} (the tests need build-essential)"));
    assert!(
        r.status.success(),
        "gcc {name}.c failed:\n{}",
        String::from_utf8_lossy(&r.stderr)
    );
    out
}

/// Raw x86_64 syscalls and a `_start` that calls `int cmain(long argc, char
/// **argv, char **envp)` and exits with its value: the prelude of a
/// freestanding payload.
pub const FREESTANDING_PRELUDE: &str = r#"
static long sc(long n, long a, long b, long c, long d) {
    long r;
    register long r10 __asm__("r10") = d;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
    return r;
}
static long slen(const char *s) { long n = 0; while (s[n]) n++; return n; }
static int seq(const char *a, const char *b) { while (*a && *a == *b) { a++; b++; } return *a == *b; }
static void say(const char *s) { sc(1, 1, (long)s, slen(s), 0); }
int cmain(long argc, char **argv, char **envp);
void cstart(long *sp) {
    long argc = sp[0];
    char **argv = (char **)(sp + 1);
    sc(60, cmain(argc, argv, argv + argc + 1), 0, 0, 0);
}
__asm__(".global _start\n_start:\n xor %rbp, %rbp\n mov %rsp, %rdi\n and $-16, %rsp\n call cstart\n hlt\n");
"#;
