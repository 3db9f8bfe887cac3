//! `berth run`: exit codes, stdio, signals, mounts, users, environment,
//! confinement, image ownership, cleanup, terminals and networking (issue 4).
//!
//! Every run goes through [`run`] (or checks [`assert_nothing_left`] itself):
//! after it, no mount under the test's root is in our /proc/self/mountinfo
//! and no process mentions the test's dir or the run's marker.

use crate::util::{
    self, Cmd, Run, TestEnv, assert_fails_125, assert_fails_with, assert_ok, berth_bin,
    busybox_tar, list_dir, tool_or_skip,
};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// `berth run ARGS…`, then the leftovers check.
fn run(env: &TestEnv, args: &[&str]) -> Run {
    let out = berth_run(env, args).run();
    assert_nothing_left(env, None);
    out
}

/// `berth run ARGS…` with `bytes` on stdin, then the leftovers check.
fn run_stdin(env: &TestEnv, args: &[&str], bytes: Vec<u8>) -> Run {
    let out = berth_run(env, args).stdin(bytes).run();
    assert_nothing_left(env, None);
    out
}

fn berth_run(env: &TestEnv, args: &[&str]) -> Cmd {
    let mut full = vec!["run"];
    full.extend_from_slice(args);
    env.berth(&full)
}

/// `berth run --rm OPTS… busybox sh -c SCRIPT MARKER`: the marker is `$0`, so
/// the shell's cmdline names it and a stray shell would be found.
fn sh(env: &TestEnv, opts: &[&str], script: &str) -> Run {
    let marker = marker();
    let mut args = vec!["--rm"];
    args.extend_from_slice(opts);
    args.extend_from_slice(&["busybox", "sh", "-c", script, &marker]);
    let out = berth_run(env, &args).run();
    assert_nothing_left(env, Some(&marker));
    out
}

/// A word no other process on the machine has in its cmdline: `berth-` and
/// a number that is also a valid `sleep` duration.
fn marker() -> String {
    format!("berth-{}", unique_number())
}

fn unique_number() -> u64 {
    static N: AtomicU32 = AtomicU32::new(0);
    900_000_000 + u64::from(std::process::id()) * 1000 + u64::from(N.fetch_add(1, Ordering::SeqCst))
}

/// stderr without berth's degraded-mode warnings (no subuid range, no
/// network helper): what the container itself wrote.
fn container_stderr(out: &Run) -> String {
    out.stderr()
        .lines()
        .filter(|l| !l.starts_with("berth: warning: "))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// No mount under the test's root in our mount namespace, and no process
/// whose cmdline names the test's dir or `marker`. A pid namespace dies with
/// its init, but the kernel kills the rest asynchronously: each gets 2 s to
/// exit, waited for on its pidfd.
#[track_caller]
fn assert_nothing_left(env: &TestEnv, marker: Option<&str>) {
    let root = env.root.to_str().unwrap();
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let mounts: Vec<&str> = mountinfo.lines().filter(|l| l.contains(root)).collect();
    assert!(
        mounts.is_empty(),
        "mounts of the container remain in /proc/self/mountinfo:\n{}",
        mounts.join("\n")
    );
    let dir = env.dir().to_str().unwrap().to_string();
    for (pid, _) in processes_mentioning(&dir, marker) {
        util::wait_exit(pid, Duration::from_secs(2));
    }
    let left: Vec<String> = processes_mentioning(&dir, marker)
        .into_iter()
        .map(|(pid, cmdline)| format!("{pid}: {cmdline}"))
        .collect();
    assert!(
        left.is_empty(),
        "processes of the container remain:\n{}",
        left.join("\n")
    );
}

/// `(pid, cmdline)` of every live process (but us) whose cmdline contains
/// `dir` or `marker` (a zombie's cmdline is empty).
fn processes_mentioning(dir: &str, marker: Option<&str>) -> Vec<(u32, String)> {
    let me = std::process::id();
    let mut found = Vec::new();
    for pid in list_dir(Path::new("/proc")) {
        let Ok(pid) = pid.parse::<u32>() else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(raw) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&raw).replace('\0', " ");
        if cmdline.contains(dir) || marker.is_some_and(|m| cmdline.contains(m)) {
            found.push((pid, cmdline));
        }
    }
    found
}

/// `berth run ARGS` started with its stdout piped, and the first line the
/// container writes: blocks on the pipe until it does (or berth exits: an
/// empty line). The stdout reader comes back so the pipe stays open.
fn run_until_first_line(
    env: &TestEnv,
    args: &[&str],
) -> (
    std::process::Child,
    BufReader<std::process::ChildStdout>,
    String,
) {
    let mut berth = Command::new(berth_bin())
        .arg("--root")
        .arg(&env.root)
        .arg("run")
        .args(args)
        .current_dir(env.dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(berth.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    (berth, stdout, line)
}

/// berth running `sh -c 'echo ready; exec sleep N' N` in busybox, once the
/// container has said `ready`: `pid` is the container's process (the shell,
/// or the `sleep` it became: one pid), found by its argv, so not the berth
/// whose argv merely ends so.
struct Sleeper {
    berth: std::process::Child,
    pid: u32,
    n: String,
    /// Held open so the container's stdout stays a live pipe.
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Sleeper {
    fn start(env: &TestEnv) -> Sleeper {
        let n = unique_number().to_string();
        let script = format!("echo ready; exec sleep {n}");
        let (mut berth, stdout, line) =
            run_until_first_line(env, &["--rm", "busybox", "sh", "-c", &script, &n]);
        if line != "ready\n" {
            let mut err = String::new();
            let _ = berth.stderr.take().unwrap().read_to_string(&mut err);
            panic!("expected `ready`, got {line:?}; stderr:\n{err}");
        }
        let argvs = [vec!["sleep", &n], vec!["sh", "-c", &script, &n]];
        // The shell execs `sleep` right after `ready`: for the instant of
        // that exec its cmdline reads empty, and one scan of /proc can miss
        // it (seen once in CI). A few scans cannot all land in that instant.
        let pid = (0..100)
            .find_map(|_| process_with_argv(&argvs))
            .unwrap_or_else(|| panic!("the container that said `ready` has no process"));
        Sleeper {
            berth,
            pid,
            n,
            _stdout: stdout,
        }
    }

    /// berth's exit code and stderr.
    fn wait(mut self) -> (Option<i32>, String) {
        let mut err = String::new();
        let _ = self.berth.stderr.take().unwrap().read_to_string(&mut err);
        (self.berth.wait().unwrap().code(), err)
    }
}

/// The pid of the process whose argv is exactly one of `argvs`.
fn process_with_argv(argvs: &[Vec<&str>]) -> Option<u32> {
    let wants: Vec<Vec<u8>> = argvs
        .iter()
        .map(|argv| {
            argv.iter()
                .flat_map(|a| [a.as_bytes(), b"\0"].concat())
                .collect()
        })
        .collect();
    list_dir(Path::new("/proc")).into_iter().find_map(|pid| {
        let pid = pid.parse::<u32>().ok()?;
        let c = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        wants.contains(&c).then_some(pid)
    })
}

/// Container dirs under `<root>/containers` (no temp files).
fn containers(env: &TestEnv) -> Vec<String> {
    list_dir(&env.root.join("containers"))
        .into_iter()
        .filter(|n| !n.starts_with('.') && env.root.join("containers").join(n).is_dir())
        .collect()
}

use crate::util::has_id_range;

// --- Exit codes -------------------------------------------------------------

berthtest!(run_exit_code_is_the_containers, |env| {
    env.import_busybox();
    for code in [0, 1, 42] {
        let out = sh(&env, &[], &format!("exit {code}"));
        assert_eq!(out.code(), Some(code), "stderr: {}", out.stderr());
    }
});

berthtest!(run_true_prints_nothing, |env| {
    env.import_busybox();
    let out = run(&env, &["--rm", "busybox", "true"]);
    assert_ok(&out);
    assert_eq!(out.stdout(), "");
    assert_eq!(container_stderr(&out), "");
});

berthtest!(run_unknown_image_fails_125, |env| {
    env.import_busybox();
    let out = run(&env, &["--rm", "localhost/no-such-image:v9", "true"]);
    assert_fails_125(&out, "no-such-image");
    assert_eq!(containers(&env), Vec::<String>::new());
});

berthtest!(run_non_executable_command_exits_126, |env| {
    env.import_busybox();
    let out = run(&env, &["--rm", "busybox", "/etc/passwd"]);
    assert_fails_with(&out, 126, "/etc/passwd");
});

berthtest!(run_missing_command_exits_127, |env| {
    env.import_busybox();
    let out = run(&env, &["--rm", "busybox", "no-such-command"]);
    assert_fails_with(&out, 127, "no-such-command");
    let out = run(&env, &["--rm", "busybox", "/bin/no-such-file"]);
    assert_fails_with(&out, 127, "/bin/no-such-file");
});

// A process that is pid 1 of its namespace cannot SIGKILL itself (the kernel
// drops signals to a namespace's init from inside it, as under Docker without
// --init), so the container kills itself under `--init`, where sh is pid 2.
berthtest!(run_killed_by_its_own_sigkill_exits_137, |env| {
    env.import_busybox();
    let out = sh(&env, &["--init"], "kill -9 $$");
    assert_eq!(out.code(), Some(137), "stderr: {}", out.stderr());
});

berthtest!(run_killed_by_sigkill_from_the_host_exits_137, |env| {
    env.import_busybox();
    let sleeper = Sleeper::start(&env);
    let pid = sleeper.pid.to_string();
    let n = sleeper.n.clone();
    let kill = Command::new("kill").args(["-KILL", &pid]).status().unwrap();
    assert!(kill.success(), "kill -KILL {pid}");
    let (code, stderr) = sleeper.wait();
    assert_eq!(code, Some(137), "stderr: {stderr}");
    assert_nothing_left(&env, Some(&n));
});

// berth is the container's monitor: when it dies, even by SIGKILL, the
// container must not live on as an orphan of the host's init.
berthtest!(run_container_dies_with_berth, |env| {
    env.import_busybox();
    let mut sleeper = Sleeper::start(&env);
    let (pid, n) = (sleeper.pid, sleeper.n.clone());
    let kill = Command::new("kill")
        .args(["-KILL", &sleeper.berth.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    // Not `wait()`: the container, if it outlived berth, holds the stderr pipe.
    let _ = sleeper.berth.wait();
    // Dead means gone or a zombie: once orphaned, reaping is the host
    // init's business, and some inits are slow at it. The pidfd says which.
    let orphan = !util::wait_exit(pid, Duration::from_secs(5));
    if orphan {
        // Ours to clean up, by its pid, before failing.
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
    assert!(
        !orphan,
        "the container's `sleep {n}` outlived berth (pid {pid})"
    );
    assert_nothing_left(&env, Some(&n));
});

berthtest!(run_init_passes_the_exit_code, |env| {
    env.import_busybox();
    let out = sh(&env, &["--init"], "exit 42");
    assert_eq!(out.code(), Some(42), "stderr: {}", out.stderr());
});

// --- Stdio and signals --------------------------------------------------------

berthtest!(run_keeps_stdout_and_stderr_apart, |env| {
    env.import_busybox();
    let out = sh(&env, &[], "echo to-out; echo to-err >&2; echo more-out");
    assert_ok(&out);
    eqnice!("to-out\nmore-out\n", out.stdout());
    eqnice!("to-err\n", container_stderr(&out));
});

berthtest!(run_pipes_100mb_of_stdin_through, |env| {
    env.import_busybox();
    // xorshift bytes: incompressible, reproducible.
    let mut bytes = vec![0u8; 100 << 20];
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for chunk in bytes.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
    let mut host = Cmd::new("sha256sum");
    host.stdin(bytes.clone());
    let expected = host.ok();
    let out = run_stdin(
        &env,
        &[
            "--rm",
            "-i",
            "busybox",
            "sh",
            "-c",
            "tee /tmp/in | sha256sum; wc -c < /tmp/in",
        ],
        bytes,
    );
    assert_ok(&out);
    let got: Vec<&str> = out.stdout().split_whitespace().collect();
    assert_eq!(
        got,
        vec![
            expected.split_whitespace().next().unwrap(),
            "-",
            "104857600"
        ],
        "sha256 and size of what the container read"
    );
});

berthtest!(run_without_i_gives_no_stdin, |env| {
    env.import_busybox();
    let out = run_stdin(
        &env,
        &["--rm", "busybox", "wc", "-c"],
        b"should not arrive".to_vec(),
    );
    assert_ok(&out);
    assert_eq!(out.stdout().trim(), "0");
});

berthtest!(run_forwards_sigterm_to_the_container, |env| {
    env.import_busybox();
    let marker = marker();
    let mut child = Command::new(berth_bin())
        .arg("--root")
        .arg(&env.root)
        .args(["run", "--rm", "busybox", "sh", "-c"])
        .arg(r#"trap "echo got; exit 3" TERM; echo ready; while :; do sleep 0.1; done"#)
        .arg(&marker)
        .current_dir(env.dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    let stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let err_thread = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let first = rx.recv_timeout(Duration::from_secs(60));
    if first.as_deref() != Ok("ready") {
        let _ = Command::new("kill").args(["-KILL", &pid]).status();
        let _ = child.wait();
        panic!(
            "expected `ready` first, got {first:?}; stderr:\n{}",
            err_thread.join().unwrap()
        );
    }
    let kill = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(kill.success(), "kill -TERM {pid}");
    if !util::wait_exit(child.id(), Duration::from_secs(30)) {
        let _ = Command::new("kill").args(["-KILL", &pid]).status();
        let _ = child.wait();
        panic!(
            "berth did not exit within 30 s of SIGTERM; stderr:\n{}",
            err_thread.join().unwrap()
        );
    }
    let status = child.wait().unwrap();
    let rest: Vec<String> = rx.iter().collect();
    let stderr = err_thread.join().unwrap();
    assert_eq!(rest, vec!["got"], "stdout after ready; stderr:\n{stderr}");
    assert_eq!(status.code(), Some(3), "stderr:\n{stderr}");
    assert_nothing_left(&env, Some(&marker));
});

// --- Mounts ---------------------------------------------------------------------

berthtest!(run_bind_mount_writes_reach_the_host, |env| {
    env.import_busybox();
    let vol = env.path("vol");
    std::fs::create_dir(&vol).unwrap();
    std::fs::write(vol.join("in"), "from-host\n").unwrap();
    let v = format!("{}:/data", vol.display());
    let out = sh(
        &env,
        &["-v", &v],
        "cat /data/in; echo from-container > /data/out",
    );
    assert_ok(&out);
    assert_eq!(out.stdout(), "from-host\n");
    assert_eq!(
        std::fs::read_to_string(vol.join("out")).unwrap(),
        "from-container\n"
    );
});

berthtest!(run_read_only_bind_mount_refuses_writes, |env| {
    env.import_busybox();
    let vol = env.path("vol");
    std::fs::create_dir(&vol).unwrap();
    std::fs::write(vol.join("in"), "from-host\n").unwrap();
    let v = format!("{}:/data:ro", vol.display());
    let out = sh(&env, &["-v", &v], "cat /data/in; touch /data/out");
    assert_eq!(out.code(), Some(1), "touch fails\n{}", out.stderr());
    assert_eq!(out.stdout(), "from-host\n");
    assert!(
        container_stderr(&out).contains("Read-only file system"),
        "stderr: {}",
        out.stderr()
    );
    assert!(!vol.join("out").exists(), "nothing written on the host");
});

berthtest!(run_missing_volume_source_fails_125, |env| {
    env.import_busybox();
    let missing = env.path("no-such-dir");
    let v = format!("{}:/data", missing.display());
    let out = run(&env, &["--rm", "-v", &v, "busybox", "true"]);
    assert_fails_125(&out, missing.to_str().unwrap());
    assert_eq!(containers(&env), Vec::<String>::new());
});

berthtest!(run_read_only_root_refuses_writes, |env| {
    env.import_busybox();
    let out = sh(&env, &["--read-only"], "touch /x");
    assert_eq!(out.code(), Some(1), "touch fails\n{}", out.stderr());
    assert!(
        container_stderr(&out).contains("Read-only file system"),
        "stderr: {}",
        out.stderr()
    );
});

berthtest!(run_tmpfs_mount_is_writable, |env| {
    env.import_busybox();
    let out = sh(
        &env,
        &["--tmpfs", "/scratch"],
        "echo hi > /scratch/f && cat /scratch/f && grep -c ' /scratch tmpfs ' /proc/mounts",
    );
    assert_ok(&out);
    assert_eq!(out.stdout(), "hi\n1\n");
});

berthtest!(run_tmpfs_is_writable_under_read_only_root, |env| {
    env.import_busybox();
    let out = sh(
        &env,
        &["--read-only", "--tmpfs", "/scratch"],
        "echo hi > /scratch/f && cat /scratch/f",
    );
    assert_ok(&out);
    assert_eq!(out.stdout(), "hi\n");
});

berthtest!(run_workdir_is_created_and_used, |env| {
    env.import_busybox();
    let out = run(&env, &["--rm", "-w", "/some/new/dir", "busybox", "pwd"]);
    assert_ok(&out);
    assert_eq!(out.stdout(), "/some/new/dir\n");
});

// --- Users --------------------------------------------------------------------

berthtest!(run_numeric_user_and_group, |env| {
    env.import_busybox();
    let out = sh(&env, &["-u", "1000:1000"], "id -u; id -g");
    assert_ok(&out);
    assert_eq!(out.stdout(), "1000\n1000\n");
});

berthtest!(run_user_by_name_from_image_passwd, |env| {
    env.import_busybox();
    let out = sh(&env, &["-u", "nobody"], "id -u; id -g");
    assert_ok(&out);
    assert_eq!(out.stdout(), "65534\n65534\n");
});

berthtest!(run_unknown_user_fails_125, |env| {
    env.import_busybox();
    let out = run(&env, &["--rm", "-u", "foo", "busybox", "true"]);
    assert_fails_125(&out, "`foo`");
});

// --- Environment ------------------------------------------------------------------

// (Debian's busybox-static has no `printenv`: the shell echoes.)
berthtest!(run_env_flag_sets_a_variable, |env| {
    env.import_busybox();
    let out = sh(&env, &["-e", "K=V w"], r#"echo "$K""#);
    assert_ok(&out);
    assert_eq!(out.stdout(), "V w\n");
});

berthtest!(run_env_flag_without_value_takes_berths, |env| {
    env.import_busybox();
    let out = berth_run(
        &env,
        &[
            "--rm",
            "-e",
            "BERTH_TEST_VAR",
            "busybox",
            "sh",
            "-c",
            r#"echo "$BERTH_TEST_VAR""#,
        ],
    )
    .env("BERTH_TEST_VAR", "from-the-host")
    .run();
    assert_nothing_left(&env, None);
    assert_ok(&out);
    assert_eq!(out.stdout(), "from-the-host\n");
});

berthtest!(run_env_comes_from_the_image, |env| {
    env.import(
        &busybox_tar(),
        "localhost/withenv",
        &["--change", "ENV FOO=bar"],
    );
    let echo = ["sh", "-c", r#"echo "$FOO""#];
    let out = run(&env, &[&["--rm", "localhost/withenv"][..], &echo].concat());
    assert_ok(&out);
    assert_eq!(out.stdout(), "bar\n");
    let out = run(
        &env,
        &[&["--rm", "-e", "FOO=baz", "localhost/withenv"][..], &echo].concat(),
    );
    assert_ok(&out);
    assert_eq!(out.stdout(), "baz\n", "-e overrides the image");
});

// --- Confinement ---------------------------------------------------------------------

berthtest!(run_default_caps_seccomp_and_no_new_privs, |env| {
    env.import_busybox();
    let out = run(
        &env,
        &[
            "--rm",
            "busybox",
            "grep",
            "-E",
            "^(CapEff|Seccomp|NoNewPrivs):",
            "/proc/self/status",
        ],
    );
    assert_ok(&out);
    eqnice!(
        "CapEff:\t00000000a80425fb\nNoNewPrivs:\t1\nSeccomp:\t2\n",
        out.stdout()
    );
});

// The default profile is compiled once and kept under the root: a run that
// reads it back refuses what the profile refuses (a new user namespace
// needs no capability, so only the filter stops it), and a damaged file is
// compiled again, never installed.
berthtest!(
    a_kept_default_profile_refuses_what_the_compiled_one_does,
    |env| {
        env.import_busybox();
        let unshare = || run(&env, &["--rm", "busybox", "unshare", "-U", "true"]);
        for round in ["compiled", "read back"] {
            let out = unshare();
            assert_ne!(out.code(), Some(0), "{round}: unshare -U ran");
            assert!(out.code() != Some(125), "{round}: {}", out.stderr());
        }
        let kept: Vec<_> = std::fs::read_dir(env.root.join("seccomp"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(kept.len(), 1, "{kept:?}");
        std::fs::write(&kept[0], b"\x01\x00\x00\x00garbage").unwrap();
        let out = unshare();
        assert_ne!(out.code(), Some(0), "damaged: unshare -U ran");
        assert!(out.code() != Some(125), "damaged: {}", out.stderr());
        assert_ok(&run(
            &env,
            &[
                "--rm",
                "--security-opt",
                "seccomp=unconfined",
                "busybox",
                "unshare",
                "-U",
                "true",
            ],
        ));
    }
);

berthtest!(run_privileged_has_no_seccomp, |env| {
    env.import_busybox();
    let out = run(
        &env,
        &[
            "--rm",
            "--privileged",
            "busybox",
            "grep",
            "^Seccomp:",
            "/proc/self/status",
        ],
    );
    assert_ok(&out);
    assert_eq!(out.stdout(), "Seccomp:\t0\n");
});

berthtest!(run_masked_paths_are_unreadable, |env| {
    env.import_busybox();
    let out = sh(
        &env,
        &[],
        "echo kcore=$(cat /proc/kcore 2>/dev/null | wc -c); \
         echo keys=$(cat /proc/keys 2>/dev/null | wc -c); \
         echo timer_list=$(cat /proc/timer_list 2>/dev/null | wc -c); \
         echo firmware=$(ls -A /sys/firmware | wc -l)",
    );
    assert_ok(&out);
    eqnice!("kcore=0\nkeys=0\ntimer_list=0\nfirmware=0\n", out.stdout());
});

berthtest!(run_seccomp_file_that_is_not_json_fails_125, |env| {
    env.import_busybox();
    let file = env.write("profile.json", "this is not json\n");
    let opt = format!("seccomp={}", file.display());
    let out = run(&env, &["--rm", "--security-opt", &opt, "busybox", "true"]);
    assert_fails_125(&out, file.to_str().unwrap());
});

// --- Image ownership ------------------------------------------------------------

/// The busybox tar plus `/owned/file`, both owned by 1000:1000.
fn busybox_with_owned_file() -> Vec<u8> {
    let mut b = util::busybox_tar_builder();
    let mut h = tar::Header::new_ustar();
    h.set_uid(1000);
    h.set_gid(1000);
    h.set_mtime(util::FIXED_MTIME);
    h.set_entry_type(tar::EntryType::Directory);
    h.set_mode(0o755);
    h.set_size(0);
    b.append_data(&mut h, "owned/", std::io::empty()).unwrap();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_mode(0o644);
    h.set_size(3);
    b.append_data(&mut h, "owned/file", &b"hi\n"[..]).unwrap();
    b.into_inner().unwrap()
}

// With an id range (root, or a subuid user) the layer keeps uid 1000. Without
// one, container root is the user alone and every file shows as 0: the
// documented degraded mode (berth warns about it).
berthtest!(run_image_file_owned_by_1000_keeps_its_owner, |env| {
    let tar = env.write("owned.tar", busybox_with_owned_file());
    env.import(&tar, "localhost/owned", &[]);
    let out = run(
        &env,
        &[
            "--rm",
            "localhost/owned",
            "stat",
            "-c",
            "%u:%g",
            "/owned",
            "/owned/file",
        ],
    );
    assert_ok(&out);
    if has_id_range() {
        assert_eq!(out.stdout(), "1000:1000\n1000:1000\n");
    } else {
        assert_eq!(
            out.stdout(),
            "0:0\n0:0\n",
            "no id range: ownership squashed"
        );
        assert!(
            out.stderr().contains("berth: warning: "),
            "the degraded mode warns: {}",
            out.stderr()
        );
    }
});

// --- Cleanup -------------------------------------------------------------------------

berthtest!(run_rm_leaves_no_container_dir, |env| {
    env.import_busybox();
    assert_ok(&run(&env, &["--rm", "busybox", "true"]));
    assert_eq!(sh(&env, &[], "exit 3").code(), Some(3));
    assert_eq!(
        run(&env, &["--rm", "busybox", "no-such-command"]).code(),
        Some(127)
    );
    assert_eq!(containers(&env), Vec::<String>::new());
});

// A foreground `run --rm` frees the name and removes the record before
// it returns.
berthtest!(run_rm_frees_its_name_before_it_returns, |env| {
    env.import_busybox();
    for _ in 0..3 {
        assert_ok(&run(&env, &["--rm", "--name", "again", "busybox", "true"]));
        assert_eq!(env.berth(&["ps", "-aq"]).ok(), "");
    }
});

berthtest!(
    a_reset_right_after_run_rm_of_many_files_leaves_nothing,
    |env| {
        env.import_busybox();
        // Thousands of entries in the upper dir: all removed with the
        // container, and the reset after it leaves nothing either.
        let out = run(
            &env,
            &[
                "--rm",
                "busybox",
                "sh",
                "-c",
                "mkdir /d && cd /d && i=0; while [ $i -lt 4000 ]; do : >f$i; i=$((i+1)); done",
            ],
        );
        assert_ok(&out);
        assert_eq!(containers(&env), Vec::<String>::new());
        let reset = env.berth(&["system", "reset", "-f"]).run();
        assert_ok(&reset);
        assert!(!env.root.exists(), "left: {:?}", list_dir(&env.root));
    }
);

// Trees deeper than the 64 levels a removal holds open: each removal moves
// subtrees up into its own top directory, which the other (the reset, whose
// top is the root) listed before they came.
berthtest!(
    a_reset_while_a_detached_rm_container_is_removed_leaves_nothing,
    |env| {
        env.import_busybox();
        let id = env
            .berth(&[
                "run",
                "-d",
                "--rm",
                "--network",
                "none",
                "busybox",
                "sh",
                "-c",
                "for k in 1 2 3 4 5 6; do d=/tmp/t$k; i=0; \
                 while [ $i -lt 400 ]; do d=$d/d; i=$((i+1)); done; mkdir -p $d; done",
            ])
            .ok();
        // Its monitor removes it once it has exited ("no such container"
        // when that is already done).
        env.berth(&["wait", id.trim()]).run();
        let reset = env.berth(&["system", "reset", "-f"]).run();
        assert_ok(&reset);
        assert!(!env.root.exists(), "left: {:?}", list_dir(&env.root));
    }
);

berthtest!(run_without_rm_keeps_a_record_that_rm_removes, |env| {
    env.import_busybox();
    assert_ok(&run(&env, &["busybox", "true"]));
    let left = containers(&env);
    assert_eq!(left.len(), 1, "one container record: {left:?}");
    let out = env.berth(&["rm", &left[0]]).run();
    assert_ok(&out);
    assert_eq!(containers(&env), Vec::<String>::new());
});

berthtest!(run_leaves_no_process_behind, |env| {
    env.import_busybox();
    let n = unique_number().to_string();
    let out = sh(&env, &[], &format!("sleep {n} & echo started"));
    assert_ok(&out);
    assert_eq!(out.stdout(), "started\n");
    assert_nothing_left(&env, Some(&n));
});

berthtest!(run_with_mounts_leaves_no_mount_behind, |env| {
    env.import_busybox();
    let vol = env.path("vol");
    std::fs::create_dir(&vol).unwrap();
    let v = format!("{}:/data", vol.display());
    let out = sh(
        &env,
        &["-v", &v, "--read-only"],
        "grep -c . /proc/self/mountinfo",
    );
    assert_ok(&out);
    assert_nothing_left(&env, None);
});

// --- Terminal ------------------------------------------------------------------------

berthtest!(run_tty_gives_the_container_a_pty, |env| {
    if !tool_or_skip("script") {
        return;
    }
    env.import_busybox();
    let command = format!(
        "{} --root {} run -t --rm busybox tty",
        berth_bin().display(),
        env.root.display()
    );
    let mut script = Cmd::new("script");
    script.args(&["-qec", &command, "/dev/null"]);
    let out = script.run();
    assert_nothing_left(&env, None);
    assert_ok(&out);
    let lines: Vec<&str> = out
        .stdout()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("berth: warning: "))
        .collect();
    assert_eq!(lines, vec!["/dev/pts/0"], "stdout: {:?}", out.stdout());
});

// --- Network -------------------------------------------------------------------------

/// Interface names in the container's netns, from /proc/net/dev.
fn interfaces(out: &Run) -> Vec<String> {
    out.stdout()
        .lines()
        .skip(2)
        .filter_map(|l| l.split(':').next())
        .map(|s| s.trim().to_string())
        .collect()
}

berthtest!(run_network_none_has_only_lo, |env| {
    env.import_busybox();
    let out = run(
        &env,
        &[
            "--rm",
            "--network",
            "none",
            "busybox",
            "cat",
            "/proc/net/dev",
        ],
    );
    assert_ok(&out);
    assert_eq!(interfaces(&out), vec!["lo"]);
});

berthtest!(run_publish_is_reachable_on_localhost, |env| {
    env.import_busybox();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let publish = format!("127.0.0.1:{port}:8080");
    // Until nc listens, the forwarder may accept a connection and close it
    // at once; so the container says `listening` once the kernel lists
    // nc's socket as listening on 8080 (0x1F90, state 0A), and the test
    // connects once, then.
    let script = "echo hello-from-the-container | nc -l -p 8080 & \
        until grep -qE ':1F90 [0-9A-F]+:0000 0A' /proc/net/tcp /proc/net/tcp6 2>/dev/null; do :; done; \
        echo listening; wait";
    let (mut berth, _stdout, line) = run_until_first_line(
        &env,
        &["--rm", "-p", &publish, "busybox", "sh", "-c", script],
    );
    let got = (line == "listening\n").then(|| -> std::io::Result<String> {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        s.write_all(b"\n")?;
        let mut got = String::new();
        s.read_to_string(&mut got)?;
        Ok(got)
    });
    if !matches!(got, Some(Ok(_))) {
        // nc may still be listening: end the run (berth takes the
        // container with it) before reading its stderr to the end.
        let _ = berth.kill();
    }
    let mut stderr = String::new();
    let _ = berth.stderr.take().unwrap().read_to_string(&mut stderr);
    let status = berth.wait().unwrap();
    assert_nothing_left(&env, None);
    assert_eq!(line, "listening\n", "stderr: {stderr}");
    let got = got
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}; stderr: {stderr}"));
    assert_eq!(got, "hello-from-the-container\n", "stderr: {stderr}");
    assert!(status.success(), "{status}; stderr: {stderr}");
});

// BERTH_TRACE_PHASES=1: where a run's time goes, on berth's stderr, from
// both sides of the clone — and none of it in what the container writes,
// even once the child has pointed its stderr at the container's log.
berthtest!(
    a_traced_run_says_where_its_time_went_and_the_container_sees_none_of_it,
    |env| {
        env.import_busybox();
        let out = berth_run(
            &env,
            &[
                "--name",
                "traced",
                "--log-driver",
                "k8s-file",
                "busybox",
                "sh",
                "-c",
                "echo out; echo err >&2",
            ],
        )
        .env("BERTH_TRACE_PHASES", "1")
        .run();
        assert_nothing_left(&env, None);
        assert_ok(&out);
        eqnice!("out\n", out.stdout());
        let stderr = out.stderr();
        let (phases, rest): (Vec<&str>, Vec<&str>) =
            stderr.lines().partition(|l| l.starts_with("phase "));
        // The container's stderr, after berth's own warnings (no subuid range).
        let theirs: Vec<&str> = rest
            .into_iter()
            .filter(|l| !l.starts_with("berth: "))
            .collect();
        eqnice!("err", theirs.join("\n"));
        let names: Vec<&str> = phases
            .iter()
            .map(|l| {
                let (name, ms) = l["phase ".len()..].split_once(" +").expect(l);
                let ms = ms.strip_suffix(" ms").expect(l);
                assert!(ms.parse::<f64>().is_ok_and(|t| t >= 0.0), "{l}");
                name
            })
            .collect();
        for want in [
            "args",
            "image",
            "prepare",
            "create.bundle",
            "start.bundle",
            "monitor.clone",
            "monitor.idmap",
            "child.go",
            "child.mounts",
            "child.seccomp",
            "monitor.execd",
            "monitor.exited",
            "start.finish",
        ] {
            assert!(names.contains(&want), "no phase {want} in:\n{stderr}");
        }
        let logs = env.berth(&["logs", "traced"]).run();
        assert_ok(&logs);
        let logged = format!("{}{}", logs.stdout(), logs.stderr());
        assert!(
            !logged.contains("phase"),
            "the log has berth's trace:\n{logged}"
        );
        assert!(logged.contains("out") && logged.contains("err"), "{logged}");
    }
);

// --- /etc mount points ------------------------------------------------------------

/// The busybox tar with its /etc moved to /usr/etc and /etc a symlink to it.
fn busybox_with_symlinked_etc() -> Vec<u8> {
    let bytes = std::fs::read(busybox_tar()).unwrap();
    let mut ar = tar::Archive::new(&bytes[..]);
    let mut b = tar::Builder::new(Vec::new());
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let mut h = e.header().clone();
        let path = e.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        match path.strip_prefix("etc/") {
            Some("") => continue,
            Some(rest) => b.append_data(&mut h, format!("usr/etc/{rest}"), &data[..]),
            None => b.append(&h, &data[..]),
        }
        .unwrap();
    }
    let mut h = tar::Header::new_ustar();
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(util::FIXED_MTIME);
    h.set_entry_type(tar::EntryType::Directory);
    h.set_mode(0o755);
    h.set_size(0);
    for dir in ["usr/", "usr/etc/"] {
        b.append_data(&mut h.clone(), dir, std::io::empty())
            .unwrap();
    }
    h.set_entry_type(tar::EntryType::Symlink);
    h.set_mode(0o777);
    b.append_link(&mut h, "etc", "usr/etc").unwrap();
    b.into_inner().unwrap()
}

// berth's /etc/hostname, hosts and resolv.conf are bound over mount points
// from a layer shared by all containers: a run that writes nothing leaves
// its writable layer empty (nothing to copy up, nothing to remove, nothing
// for `diff`), and /etc is the image's, mode and time.
berthtest!(
    berths_etc_files_leave_a_containers_writable_layer_untouched,
    |env| {
        env.import_busybox();
        for name in ["c1", "c2"] {
            let out = run(
                &env,
                &[
                    "--name",
                    name,
                    "--hostname",
                    "etc-test",
                    "busybox",
                    "sh",
                    "-c",
                    "cat /etc/hostname; grep -c localhost /etc/hosts; stat -c '%a %Y' /etc",
                ],
            );
            assert_ok(&out);
            eqnice!(
                format!("etc-test\n2\n755 {}\n", util::FIXED_MTIME),
                out.stdout()
            );
            let id = env.berth(&["inspect", "--format", "{{.Id}}", name]).ok();
            let upper = env.root.join("containers").join(id.trim()).join("upper");
            assert_eq!(
                util::list_dir(&upper),
                Vec::<String>::new(),
                "{name}'s upper"
            );
            eqnice!("", env.berth(&["diff", name]).ok());
        }
        // One layer for both.
        assert_eq!(util::list_dir(&env.root.join("mountpoints")).len(), 1);
    }
);

// An image whose /etc is a symlink keeps it: the shared layer's /etc
// directory would hide it, so its files are made through the link, as before.
berthtest!(an_image_whose_etc_is_a_symlink_keeps_the_symlink, |env| {
    let tar = env.write("symetc.tar", busybox_with_symlinked_etc());
    env.import(&tar, "localhost/symetc", &[]);
    let out = run(
        &env,
        &[
            "--rm",
            "--hostname",
            "sym",
            "localhost/symetc",
            "sh",
            "-c",
            "readlink /etc; cat /etc/hostname; head -1 /etc/passwd",
        ],
    );
    assert_ok(&out);
    eqnice!(
        "usr/etc\nsym\nroot:x:0:0:root:/root:/bin/sh\n",
        out.stdout()
    );
});

// A berth killed between the clone and its "go" (here: while a pasta that
// never gets ready is awaited) leaves no container process behind: the
// child must not hold the write end of its own "go" pipe, or it waits for
// ever (helper-61 found five such after `rm -af`).
berthtest!(a_berth_killed_before_go_leaves_no_waiting_child, |env| {
    env.import_busybox();
    let bin = env.path("fakebin");
    std::fs::create_dir_all(&bin).unwrap();
    let started = env.path("pasta-started");
    std::fs::create_dir_all(&started).unwrap();
    env.write(
        "fakebin/pasta",
        format!(
            "#!/bin/sh\necho $$ > {0}/.pid && mv {0}/.pid {0}/pid\nexec sleep 600\n",
            started.display()
        ),
    );
    std::fs::set_permissions(
        bin.join("pasta"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let marker = marker();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let berth = env
        .berth(&[
            "run",
            "--rm",
            "--name",
            &marker,
            "--network",
            "pasta",
            "busybox",
            "true",
        ])
        .env("PATH", path)
        .spawn();
    assert!(
        util::wait_for_entry(&started, "pid", Duration::from_secs(20)),
        "the fake pasta never ran"
    );
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(berth.pid() as i32),
        nix::sys::signal::SIGKILL,
    )
    .unwrap();
    // Not `wait()`: a child left waiting would hold berth's stdout open.
    assert!(util::wait_exit(berth.pid(), Duration::from_secs(10)));
    drop(berth);
    let sleeper: i32 = std::fs::read_to_string(started.join("pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(sleeper),
        nix::sys::signal::SIGKILL,
    );
    assert_nothing_left(&env, Some(&marker));
});

/// The busybox tar plus an /etc/hosts of its own.
fn busybox_with_hosts() -> Vec<u8> {
    let mut b = util::busybox_tar_builder();
    let mut h = tar::Header::new_ustar();
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(util::FIXED_MTIME);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_mode(0o644);
    let hosts = b"10.9.8.7\tdb\n";
    h.set_size(hosts.len() as u64);
    b.append_data(&mut h, "etc/hosts", &hosts[..]).unwrap();
    b.into_inner().unwrap()
}

// The shared layer holds only what the image lacks: an image's own
// /etc/hosts is what `export` and `cp` of the container read (berth's
// bind is over it only while the container runs).
berthtest!(
    an_images_own_etc_hosts_is_not_hidden_from_export_or_cp,
    |env| {
        let tar = env.write("hosts.tar", busybox_with_hosts());
        env.import(&tar, "localhost/hosts", &[]);
        assert_ok(&run(&env, &["--name", "c", "localhost/hosts", "true"]));
        let exported = env.berth(&["export", "c"]).run();
        assert_ok(&exported);
        let hosts = util::tar_file(&exported.stdout, "etc/hosts");
        assert_eq!(hosts.as_deref(), Some(&b"10.9.8.7\tdb\n"[..]));
        let copied = env.berth(&["cp", "c:/etc/hosts", "-"]).run();
        assert_ok(&copied);
        let hosts = util::tar_file(&copied.stdout, "hosts");
        assert_eq!(hosts.as_deref(), Some(&b"10.9.8.7\tdb\n"[..]));
    }
);

// A commit puts the container on its committed layer; the shared /etc layer
// must not stay above it, or the container's own /etc (here its mode) would
// be hidden by the image's when it runs again.
berthtest!(after_a_commit_the_container_sees_its_own_etc, |env| {
    env.import_busybox();
    let script = "[ -e /etc/done ] && { stat -c %a /etc; exit; }; chmod 700 /etc; touch /etc/done";
    assert_ok(&run(&env, &["--name", "c", "busybox", "sh", "-c", script]));
    env.berth(&["commit", "c", "committed"]).ok();
    let again = env.berth(&["start", "-a", "c"]).run();
    assert_ok(&again);
    assert_eq!(again.stdout(), "700\n");
});

// A root whose path has `:` and `,` (overlayfs' separators) is escaped in
// the mount data: the container runs on overlayfs (no fallback to a copy
// of the layers), and cp in and out of it stopped mounts its layers too.
berthtest!(a_root_named_with_overlayfs_separators_still_mounts, |env| {
    let root = env.path("r:o,ot");
    let berth = |args: &[&str]| {
        let mut cmd = Cmd::new(berth_bin());
        cmd.arg("--root")
            .arg(&root)
            .args(args)
            .current_dir(env.dir());
        cmd.run()
    };
    assert_ok(&berth(&[
        "import",
        busybox_tar().to_str().unwrap(),
        "busybox",
    ]));
    let out = berth(&["run", "--name", "c", "busybox", "sh", "-c", "echo hi > /f"]);
    assert_ok(&out);
    assert!(
        !out.stderr().contains("overlayfs refused"),
        "{}",
        out.stderr()
    );
    let into = env.write("in.txt", "in\n");
    assert_ok(&berth(&["cp", into.to_str().unwrap(), "c:/in.txt"]));
    for (path, want) in [("c:/f", "hi\n"), ("c:/in.txt", "in\n")] {
        let out = berth(&["cp", path, "-"]);
        assert_ok(&out);
        let name = path.rsplit('/').next().unwrap();
        assert_eq!(
            util::tar_file(&out.stdout, name).as_deref(),
            Some(want.as_bytes())
        );
    }
});
