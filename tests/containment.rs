//! Containment (issue 8): nothing a container does reaches the host. Each
//! test performs an attack from the review, or a flood the review did not
//! try, and checks the host side afterwards.

use crate::util::payload::{FREESTANDING_PRELUDE, compile_static};
use crate::util::{TestEnv, assert_ok, berth_bin};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The bound on a command that, unfixed, would hang: it is killed and the
/// test fails instead of waiting for the harness's much longer limit.
const HANG: Duration = Duration::from_secs(60);

/// Runs `f` (which waits on berth, process `pid`, one way or another) and
/// returns what it returns; after [`HANG`], kills berth and fails the test.
fn within<T: Send + 'static>(pid: u32, what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(HANG).unwrap_or_else(|_| {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
        panic!("{what}: berth did not end within {HANG:?}");
    })
}

/// Builds `tag` FROM busybox with `files` (host path → image path) copied in
/// and the given ENTRYPOINT (JSON form).
fn image_with(env: &TestEnv, tag: &str, files: &[(&Path, &str)], entrypoint: &str) {
    env.import_busybox();
    let ctx = env.path(&format!("ctx-{tag}"));
    std::fs::create_dir_all(&ctx).unwrap();
    let mut dockerfile = String::from("FROM busybox\n");
    for (i, (src, dest)) in files.iter().enumerate() {
        std::fs::copy(src, ctx.join(format!("f{i}"))).unwrap();
        dockerfile += &format!("COPY --chmod=755 f{i} {dest}\n");
    }
    dockerfile += &format!("ENTRYPOINT {entrypoint}\n");
    std::fs::write(ctx.join("Dockerfile"), dockerfile).unwrap();
    let out = env
        .berth(&["build", "-q", "-t", tag, ctx.to_str().unwrap()])
        .run();
    assert_ok(&out);
}

/// A copy of the berth binary that the test user owns and may write: the
/// attacks below are worth something exactly when the binary is writable by
/// the user the container's root maps to (root's berth, `cargo install`).
fn own_berth(env: &TestEnv) -> PathBuf {
    let p = env.path("berth");
    // Copied by `cp`, not std::fs::copy: a write fd of ours, inherited by a
    // child another test thread forks meanwhile, would make exec fail with
    // ETXTBSY.
    let ok = Command::new("cp")
        .arg(berth_bin())
        .arg(&p)
        .status()
        .unwrap();
    assert!(ok.success());
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

/// The first bytes of a file: where the payload below writes.
fn head_of(p: &Path) -> Vec<u8> {
    let mut b = vec![0u8; 64];
    std::fs::File::open(p).unwrap().read_exact(&mut b).unwrap();
    b
}

/// The CVE-2019-5736 payload. Run by the kernel as the ELF interpreter of
/// the host's berth binary (the image's `/lib64/ld-linux-x86-64.so.2`), it
/// keeps an O_PATH fd to that binary (`/proc/self/exe`), clears its
/// parent-death signal, says "ready", waits for stdin to close (the test
/// kills berth first), then re-executes itself as `/pwn stage2`, which
/// reopens the fd for writing — possible once no process maps the binary —
/// and overwrites its first bytes.
const CVE_2019_5736: &str = r#"
int cmain(long argc, char **argv, char **envp) {
    if (argc > 1 && seq(argv[1], "stage1")) {
        long fd = sc(2, (long)"/proc/self/exe", 010000000 /* O_PATH */, 0, 0);
        if (fd != 3) { say("no fd 3\n"); return 1; }
        sc(157, 1 /* PR_SET_PDEATHSIG */, 0, 0, 0);
        say("ready\n");
        char c;
        while (sc(0, 0, (long)&c, 1, 0) > 0) {}
        char *args[] = {"/pwn", "stage2", 0};
        sc(59, (long)"/pwn", (long)args, (long)envp, 0);
        say("exec failed\n");
        return 1;
    }
    if (argc > 1 && seq(argv[1], "stage2")) {
        long fd = sc(2, (long)"/proc/self/fd/3", 01 /* O_WRONLY */, 0, 0);
        if (fd < 0) { say("reopen refused\n"); return 1; }
        if (sc(18, fd, (long)"PWNED", 5, 0) != 5) { say("write refused\n"); return 1; }
        say("overwrote the binary\n");
        return 0;
    }
    say("payload: no stage\n");
    return 1;
}
"#;

/// Runs `berth run -i IMAGE` with the test's own berth copy, plays the
/// payload's protocol (kill -9 berth after "ready", then close stdin) and
/// returns what the container and berth said.
/// Plays the attack with the user's own berth copy twice, with Landlock
/// and with the sealed-copy fallback; checks the binary survived each time
/// and returns (sealed, what was said) for further checks.
fn attack_both_ways(env: &TestEnv, image: &str) -> Vec<(bool, String)> {
    let berth = own_berth(env);
    [false, true]
        .into_iter()
        .map(|sealed| {
            let before = head_of(&berth);
            let said = run_cve_2019_5736(env, &berth, image, sealed);
            assert_eq!(
                before,
                head_of(&berth),
                "the container overwrote the host's berth binary (sealed: {sealed}):\n{said}"
            );
            (sealed, said)
        })
        .collect()
}

/// With `sealed`, berth behaves as on a kernel without Landlock and runs
/// from a sealed memfd copy of itself instead.
fn run_cve_2019_5736(env: &TestEnv, berth: &Path, image: &str, sealed: bool) -> String {
    let mut child = Command::new(berth)
        .env("BERTH_TEST_NO_LANDLOCK", if sealed { "1" } else { "0" })
        .args(["--root", env.root.to_str().unwrap()])
        .args(["run", "--rm", "-i", "--network", "none", image])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut stderr = child.stderr.take().unwrap();
    let pid = child.id();
    let first = within(pid, "the CVE-2019-5736 container", move || {
        let mut first = String::new();
        let _ = stdout.read_line(&mut first);
        (first, stdout)
    });
    let (first, mut stdout) = first;
    if first == "ready\n" {
        // The payload runs; berth dies as a CI timeout or the OOM killer
        // would end it.
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
    let _ = child.wait();
    drop(stdin);
    within(pid, "the payload after berth", move || {
        let mut said = first;
        let _ = stdout.read_to_string(&mut said);
        let _ = stderr.read_to_string(&mut said);
        said
    })
}

berthtest!(
    cve_2019_5736_entrypoint_proc_self_exe_cannot_overwrite_berth,
    |env| {
        let payload = compile_static(
            env.dir(),
            "pwn",
            &format!("{FREESTANDING_PRELUDE}{CVE_2019_5736}"),
            true,
        );
        image_with(
            &env,
            "exe",
            &[
                (&payload, "/pwn"),
                (&payload, "/lib64/ld-linux-x86-64.so.2"),
            ],
            r#"["/proc/self/exe", "stage1"]"#,
        );
        for (_, said) in attack_both_ways(&env, "exe") {
            assert!(
                said.contains("magic link"),
                "berth did not say why it refused:\n{said}"
            );
        }
    }
);

berthtest!(
    cve_2019_5736_script_interpreter_proc_self_exe_cannot_overwrite_berth,
    |env| {
        let payload = compile_static(
            env.dir(),
            "pwn",
            &format!("{FREESTANDING_PRELUDE}{CVE_2019_5736}"),
            true,
        );
        let script = env.write("s.sh", "#!/proc/self/exe stage1\n");
        image_with(
            &env,
            "script",
            &[
                (&payload, "/pwn"),
                (&payload, "/lib64/ld-linux-x86-64.so.2"),
                (&script, "/s.sh"),
            ],
            r#"["/s.sh"]"#,
        );
        for (sealed, said) in attack_both_ways(&env, "script") {
            // With Landlock the kernel refuses the interpreter; the sealed
            // copy does run, and cannot be written.
            assert!(
                sealed || !said.contains("ready"),
                "berth's binary ran in the container:\n{said}"
            );
        }
    }
);

berthtest!(a_symlink_to_proc_self_exe_is_refused_with_126, |env| {
    env.import_busybox();
    let out = env
        .berth(&[
            "run",
            "--rm",
            "--network",
            "none",
            "busybox",
            "sh",
            "-c",
            "ln -s /proc/self/exe /bin/me && exec /bin/me",
        ])
        .run();
    // The shell's own exec is the kernel's business (Landlock refuses it);
    // berth's first exec is checked by berth.
    assert_ne!(out.code(), Some(0), "{}", out.stderr());
    let out = env
        .berth(&[
            "run",
            "--rm",
            "--network",
            "none",
            "--entrypoint",
            "/proc/self/exe",
            "busybox",
        ])
        .run();
    assert_eq!(out.code(), Some(126), "{}", out.stderr());
    assert!(out.stderr().contains("magic link"), "{}", out.stderr());
});

berthtest!(
    init_reaper_is_not_dumpable_and_hides_the_callers_environment,
    |env| {
        env.import_busybox();
        let out = env
        .berth(&["run", "--rm", "--init", "--network", "none", "busybox", "sh", "-c",
            "cat /proc/1/cmdline; echo; cat /proc/1/environ; (exec 3</proc/1/mem) && echo MEM-OPENED; readlink /proc/1/exe && echo EXE-READ; ls /proc/1/fd/ && echo FDS-LISTED; true"])
        .env("AWS_SECRET_ACCESS_KEY", "berth-test-secret-2f9a")
        .run();
        assert_ok(&out);
        let all = format!("{}{}", out.stdout(), out.stderr());
        assert!(out.stdout().starts_with("berth-init"), "{all}");
        for leak in [
            "berth-test-secret-2f9a",
            "MEM-OPENED",
            "EXE-READ",
            "FDS-LISTED",
            "--root",
        ] {
            assert!(!all.contains(leak), "`{leak}` from berth's pid 1:\n{all}");
        }
    }
);

berthtest!(keep_id_init_hides_the_callers_environment, |env| {
    env.import_busybox();
    let out = env
        .berth(&[
            "run",
            "--rm",
            "--init",
            "--userns",
            "keep-id",
            "--network",
            "none",
            "busybox",
            "sh",
            "-c",
            "cat /proc/1/environ; true",
        ])
        .env("AWS_SECRET_ACCESS_KEY", "berth-test-secret-77c1")
        .run();
    assert_ok(&out);
    assert!(
        !out.stdout().contains("berth-test-secret-77c1"),
        "{}",
        out.stdout()
    );
});

/// Starts `berth ARGS` whose container prints "ready" when it may be
/// signalled; sends SIGTERM to berth; returns berth's exit code.
fn sigterm_after_ready(env: &TestEnv, args: &[&str]) -> Option<i32> {
    let mut child = Command::new(berth_bin())
        .args(["--root", env.root.to_str().unwrap()])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    // Read to the end: a reader that goes away ends the container (as a
    // shell pipeline ends its writer), which is not what this tests.
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line, "ready\n");
    let pid = child.id();
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    within(pid, "SIGTERM to berth under --init", move || {
        let mut rest = String::new();
        let _ = stdout.read_to_string(&mut rest);
        child.wait().unwrap().code()
    })
}

berthtest!(init_forwards_signals_to_the_command, |env| {
    env.import_busybox();
    let code = sigterm_after_ready(
        &env,
        &[
            "run",
            "--rm",
            "--init",
            "--network",
            "none",
            "busybox",
            "sh",
            "-c",
            "trap 'exit 3' TERM; echo ready; sleep 1000 & wait",
        ],
    );
    assert_eq!(code, Some(3));
});

/// Runs berth with an extra fd open at `fd` (not close-on-exec).
/// The parent's copy closes when the command is dropped.
fn with_fd(mut cmd: Command, fd: i32, file: std::fs::File) -> Command {
    use std::os::fd::AsRawFd;
    // SAFETY: dup2 and fcntl are async-signal-safe and only touch the
    // child's fd table between fork and exec.
    #[allow(unsafe_code)]
    unsafe {
        cmd.pre_exec(move || {
            let raw = file.as_raw_fd();
            if raw != fd && libc::dup2(raw, fd) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            libc::fcntl(fd, libc::F_SETFD, 0);
            Ok(())
        });
    }
    cmd
}

fn berth_cmd(env: &TestEnv, args: &[&str]) -> Command {
    let mut c = Command::new(berth_bin());
    c.args(["--root", env.root.to_str().unwrap()]).args(args);
    c
}

berthtest!(
    cve_2024_21626_inherited_directory_fd_does_not_reach_the_container,
    |env| {
        env.import_busybox();
        env.write("host/secret-marker", "host file");
        let dir = std::fs::File::open(env.path("host")).unwrap();
        let cmd = berth_cmd(
            &env,
            &[
                "run",
                "--rm",
                "--network",
                "none",
                "busybox",
                "sh",
                "-c",
                "ls /proc/self/fd/7/; echo hacked > /proc/self/fd/7/written; true",
            ],
        );
        let out = with_fd(cmd, 7, dir).output().unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{all}");
        assert!(
            !all.contains("secret-marker"),
            "the container listed a host dir:\n{all}"
        );
        assert!(
            !env.path("host/written").exists(),
            "the container wrote into a host dir"
        );
    }
);

berthtest!(preserve_fds_passes_the_callers_fds_and_no_others, |env| {
    env.import_busybox();
    let (r, w) = std::io::pipe().unwrap();
    let w: std::fs::File = std::os::fd::OwnedFd::from(w).into();
    let dir = std::fs::File::open(env.dir()).unwrap();
    let cmd = berth_cmd(
        &env,
        &[
            "run",
            "--rm",
            "--network",
            "none",
            "--preserve-fds",
            "1",
            "busybox",
            "sh",
            "-c",
            "echo through-fd-3 >&3; ls /proc/self/fd/4/ 2>/dev/null && echo FD4-OPEN; true",
        ],
    );
    let mut cmd = with_fd(with_fd(cmd, 3, w), 4, dir);
    cmd.stdout(Stdio::piped());
    let child = cmd.spawn().unwrap();
    drop(cmd);
    let mut got = String::new();
    let mut r = r;
    let out = child.wait_with_output().unwrap();
    r.read_to_string(&mut got).unwrap();
    assert!(out.status.success());
    assert_eq!(got, "through-fd-3\n");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("FD4-OPEN"));
});

berthtest!(preserve_fds_refuses_a_closed_fd, |env| {
    env.import_busybox();
    let out = env
        .berth(&[
            "run",
            "--rm",
            "--network",
            "none",
            "--preserve-fds",
            "40",
            "busybox",
            "true",
        ])
        .run();
    crate::util::assert_fails_125(&out, "is not open");
});

const SIG_STATE: &str = "grep -E '^Sig(Ign|Blk)' /proc/self/status";

fn assert_default_signals(out: &str) {
    eqnice!(
        "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n",
        out
    );
}

berthtest!(container_starts_with_default_signal_dispositions, |env| {
    env.import_busybox();
    let script = format!("exec {SIG_STATE}");
    for extra in [&[][..], &["--init"][..]] {
        let mut args = vec!["run", "--rm", "--network", "none"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["busybox", "sh", "-c", &script]);
        assert_default_signals(&env.berth(&args).ok());
    }
});

berthtest!(
    signals_the_caller_ignored_are_not_ignored_in_the_container,
    |env| {
        env.import_busybox();
        let mut cmd = berth_cmd(
            &env,
            &[
                "run",
                "--rm",
                "--network",
                "none",
                "busybox",
                "sh",
                "-c",
                &format!("exec {SIG_STATE}"),
            ],
        );
        // SAFETY: signal() is async-signal-safe; between fork and exec.
        #[allow(unsafe_code)]
        unsafe {
            cmd.pre_exec(|| {
                libc::signal(libc::SIGINT, libc::SIG_IGN);
                libc::signal(libc::SIGQUIT, libc::SIG_IGN);
                libc::signal(libc::SIGHUP, libc::SIG_IGN);
                Ok(())
            });
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success());
        assert_default_signals(&String::from_utf8_lossy(&out.stdout));
    }
);

berthtest!(a_pipe_closed_by_its_reader_ends_the_writer, |env| {
    env.import_busybox();
    // With SIGPIPE ignored the loop would never end (and `yes` would print
    // "Broken pipe"): `timeout` makes that a failure, not a hang.
    let out = env
        .berth(&[
            "run",
            "--rm",
            "--network",
            "none",
            "busybox",
            "timeout",
            "20",
            "sh",
            "-c",
            "while :; do echo y; done | head -1; yes | head -1",
        ])
        .run();
    assert_ok(&out);
    eqnice!("y\ny\n", out.stdout());
    assert!(!out.stderr().contains("Broken pipe"), "{}", out.stderr());
});

berthtest!(
    build_run_steps_start_with_default_signal_dispositions,
    |env| {
        env.import_busybox();
        let ctx = env.path("ctx");
        std::fs::create_dir_all(&ctx).unwrap();
        std::fs::write(
            ctx.join("Dockerfile"),
            format!("FROM busybox\nRUN {SIG_STATE} > /sig && ls /proc/self/fd > /fds\n"),
        )
        .unwrap();
        let dir = std::fs::File::open(env.dir()).unwrap();
        let cmd = berth_cmd(&env, &["build", "-q", "-t", "sig", ctx.to_str().unwrap()]);
        let out = with_fd(cmd, 9, dir).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_default_signals(
            &env.berth(&["run", "--rm", "--network", "none", "sig", "cat", "/sig"])
                .ok(),
        );
        // The build's caller left fd 9 open; the step saw only its stdio (and
        // ls's own directory fd).
        eqnice!(
            "0\n1\n2\n3\n",
            env.berth(&["run", "--rm", "--network", "none", "sig", "cat", "/fds"])
                .ok()
        );
    }
);

/// Whether any process on the machine still has `marker` in its command line.
fn survivors(marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if let Ok(cmdline) = std::fs::read(e.path().join("cmdline"))
            && String::from_utf8_lossy(&cmdline).contains(marker)
        {
            found.push(name);
        }
    }
    found
}

berthtest!(
    fork_bomb_under_nproc_ulimit_ends_with_berth_and_leaves_nothing,
    |env| {
        env.import_busybox();
        let marker = format!("forkbomb-{}", std::process::id());
        let script = format!(
            "b() {{ b | b & }}; b; i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo {marker}-done"
        );
        let out = env
            .berth(&[
                "run",
                "--rm",
                "--network",
                "none",
                "--ulimit",
                "nproc=64",
                "busybox",
                "sh",
                "-c",
                &script,
            ])
            .run();
        assert!(
            out.stdout().contains(&format!("{marker}-done")),
            "{}",
            out.stderr()
        );
        assert_eq!(
            survivors(&marker),
            Vec::<String>::new(),
            "processes outlived the container"
        );
    }
);

berthtest!(memory_flood_under_data_ulimit_ends_with_berth, |env| {
    env.import_busybox();
    let marker = format!("memflood-{}", std::process::id());
    let out = env
        .berth(&[
            "run",
            "--rm",
            "--network",
            "none",
            "--ulimit",
            "data=268435456",
            "busybox",
            "sh",
            "-c",
            &format!("x={marker}; while :; do x=$x$x; done"),
        ])
        .run();
    assert_ne!(out.code(), Some(0));
    assert_ne!(out.code(), Some(125), "{}", out.stderr());
    assert_eq!(
        survivors(&marker),
        Vec::<String>::new(),
        "processes outlived the container"
    );
});

/// Peak resident memory of process `pid` in KiB (VmHWM).
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

berthtest!(output_flood_passes_through_in_bounded_memory, |env| {
    env.import_busybox();
    const FLOOD: u64 = 200 << 20;
    for tty in [false, true] {
        let mut args = vec!["run", "--rm", "-i", "--network", "none"];
        if tty {
            args.push("-t");
        }
        let script =
            format!("head -c {FLOOD} /dev/zero | tr '\\0' x; echo; echo FLOOD-END; read x");
        args.extend_from_slice(&["busybox", "sh", "-c", &script]);
        let mut child = berth_cmd(&env, &args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut out = BufReader::with_capacity(1 << 16, child.stdout.take().unwrap());
        let mut total = 0u64;
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = out.read_until(b'\n', &mut line).unwrap();
            assert_ne!(n, 0, "berth ended before the flood did");
            total += n as u64;
            if line.starts_with(b"FLOOD-END") {
                break;
            }
        }
        assert!(total > FLOOD, "tty={tty}: {total} bytes");
        let peak = peak_rss_kib(child.id());
        let _ = stdin.write_all(b"\n");
        drop(stdin);
        let status = child.wait().unwrap();
        assert!(status.success(), "tty={tty}");
        assert!(
            peak < 64 * 1024,
            "tty={tty}: berth's peak RSS {peak} KiB for a {FLOOD}-byte flood"
        );
    }
});

/// Runs `cmd` to completion, failing the test if it takes longer than
/// [`HANG`] (for commands that, unfixed, never end).
fn output_bounded(mut cmd: Command, what: &str) -> std::process::Output {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    within(child.id(), what, move || child.wait_with_output().unwrap())
}

berthtest!(init_with_a_terminal_relays_the_output, |env| {
    env.import_busybox();
    let out = output_bounded(
        berth_cmd(
            &env,
            &[
                "run",
                "--rm",
                "--init",
                "-t",
                "--network",
                "none",
                "busybox",
                "echo",
                "through-the-pty",
            ],
        ),
        "--init -t",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("through-the-pty"));
});

/// Asks the kernel to type a character into the terminal on stdout
/// (TIOCSTI), and says whether it could.
const TIOCSTI_PROBE: &str = r#"
#include <stdio.h>
#include <sys/ioctl.h>
int main(void) {
    char c = 'X';
    puts(ioctl(1, TIOCSTI, &c) == 0 ? "sti-accepted" : "sti-refused");
    return 0;
}
"#;

berthtest!(a_container_cannot_type_into_the_callers_terminal, |env| {
    let probe = compile_static(env.dir(), "sti", TIOCSTI_PROBE, false);
    image_with(&env, "sti", &[(&probe, "/sti")], r#"["/sti"]"#);
    // berth in a session whose controlling terminal is a pty, with the pty
    // on stdio, as in an interactive shell.
    let pty = nix::pty::openpty(None, None).unwrap();
    let slave = std::fs::File::from(pty.slave);
    let mut cmd = berth_cmd(&env, &["run", "--rm", "--network", "none", "sti"]);
    cmd.stdin(slave.try_clone().unwrap())
        .stdout(slave.try_clone().unwrap())
        .stderr(slave.try_clone().unwrap());
    // SAFETY: setsid and ioctl are async-signal-safe; between fork and exec.
    #[allow(unsafe_code)]
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = output_bounded_with(cmd, std::fs::File::from(pty.master), slave);
    assert!(out.contains("sti-refused"), "{out}");
});

/// Like [`output_bounded`] for a command on a terminal: returns what it
/// wrote to the pty `master` (the test's copy of the slave is dropped once
/// the command runs, so the read ends when it does).
fn output_bounded_with(
    mut cmd: Command,
    mut master: std::fs::File,
    slave: std::fs::File,
) -> String {
    let mut child = cmd.spawn().unwrap();
    drop(cmd);
    drop(slave);
    within(child.id(), "berth on a terminal", move || {
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        // EIO once no one holds the slave.
        while let Ok(n) = master.read(&mut buf) {
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        let _ = child.wait();
        String::from_utf8_lossy(&out).into_owned()
    })
}

berthtest!(
    volume_seeding_does_not_follow_an_image_symlink_into_proc,
    |env| {
        env.import_busybox();
        let ctx = env.path("ctx");
        std::fs::create_dir_all(&ctx).unwrap();
        std::fs::write(
            ctx.join("Dockerfile"),
            "FROM busybox\nRUN ln -s /proc/self/fd/3 /data && ln -s /proc/self/fd /fds\n",
        )
        .unwrap();
        assert_ok(
            &env.berth(&["build", "-q", "-t", "links", ctx.to_str().unwrap()])
                .run(),
        );
        env.write("host/secret-marker", "host file");
        for (vol, dest) in [("v1", "/data"), ("v2", "/fds")] {
            let dir = std::fs::File::open(env.path("host")).unwrap();
            let volume = format!("{vol}:{dest}");
            let cmd = berth_cmd(
                &env,
                &[
                    "run",
                    "--rm",
                    "--network",
                    "none",
                    "-v",
                    &volume,
                    "links",
                    "true",
                ],
            );
            // Whether berth then mounts the volume there or refuses is its
            // business; what it copied into the volume is the host's.
            let _ = with_fd(cmd, 3, dir).output().unwrap();
            let listing = env
                .berth(&[
                    "run",
                    "--rm",
                    "--network",
                    "none",
                    "-v",
                    &format!("{vol}:/v"),
                    "busybox",
                    "ls",
                    "-a",
                    "/v",
                ])
                .ok();
            assert!(!listing.contains("secret-marker"), "{dest}: {listing}");
            assert!(!listing.contains("host"), "{dest}: {listing}");
        }
    }
);
