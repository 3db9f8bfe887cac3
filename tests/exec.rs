//! `berth exec`: a command in a running container, in its namespaces and
//! under its confinement.

use crate::util::{
    Run, TestEnv, assert_fails_125, assert_fails_with, assert_ok, berth_bin, has_id_range,
};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// A busybox container named `c`, run by a background `berth run`, whose
/// pid 1 reads paths from the fifo /tmp/f and prints those files: what the
/// container itself sees. Killed (with its berth) when dropped.
///
/// The loop never ends on an empty read: pid 1 may reopen the fifo while
/// the last writer still holds it, and then reads only its close. Ending
/// there would end pid 1, and the kernel would kill the writer (137).
struct Container {
    berth: std::process::Child,
    stdout: BufReader<std::process::ChildStdout>,
}

const SCRIPT: &str = "echo from-ctr > /tmp/ctr; mkfifo /tmp/f; echo ready; \
                      while :; do read p < /tmp/f && cat \"$p\"; done";

impl Container {
    fn start(env: &TestEnv, extra: &[&str]) -> Container {
        Container::named(env, "c", extra)
    }

    fn named(env: &TestEnv, name: &str, extra: &[&str]) -> Container {
        env.import_busybox();
        let mut berth = Command::new(berth_bin())
            .arg("--root")
            .arg(&env.root)
            .args(["run", "--name", name])
            .args(extra)
            .args(["busybox", "sh", "-c", SCRIPT])
            .current_dir(env.dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut c = Container {
            stdout: BufReader::new(berth.stdout.take().unwrap()),
            berth,
        };
        assert_eq!(c.line(), "ready");
        c
    }

    /// The next line pid 1 prints.
    fn line(&mut self) -> String {
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        line.trim_end().to_string()
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        // The container dies with its berth (parent-death signal).
        let _ = self.berth.kill();
        let _ = self.berth.wait();
    }
}

fn exec(env: &TestEnv, args: &[&str]) -> Run {
    let mut all = vec!["exec"];
    all.extend_from_slice(args);
    env.berth(&all).run()
}

berthtest!(exec_shares_the_containers_pid_namespace_and_files, |env| {
    let mut c = Container::start(&env, &[]);
    let out = exec(&env, &["c", "cat", "/proc/1/cmdline"]);
    assert_ok(&out);
    assert_eq!(out.stdout(), format!("sh\0-c\0{SCRIPT}\0"));
    let out = exec(&env, &["c", "cat", "/tmp/ctr"]);
    assert_ok(&out);
    assert_eq!(out.stdout(), "from-ctr\n", "a file the container wrote");
    let out = exec(
        &env,
        &[
            "c",
            "sh",
            "-c",
            "echo from-exec > /tmp/x; echo /tmp/x > /tmp/f",
        ],
    );
    assert_ok(&out);
    assert_eq!(c.line(), "from-exec", "the container reads what exec wrote");
});

berthtest!(exec_returns_the_commands_exit_code, |env| {
    let _c = Container::start(&env, &[]);
    let out = exec(&env, &["c", "sh", "-c", "exit 7"]);
    assert_eq!(out.code(), Some(7), "{}", out.stderr());
    let out = exec(&env, &["c", "no-such-command"]);
    assert_fails_with(&out, 127, "no-such-command");
    let out = exec(&env, &["c", "/tmp"]);
    assert_fails_with(&out, 126, "/tmp");
    // The host's berth binary, through a magic link (CVE-2019-5736).
    let out = exec(&env, &["c", "/proc/self/exe"]);
    assert_fails_with(&out, 126, "magic link");
});

berthtest!(
    exec_runs_under_the_containers_seccomp_and_capabilities,
    |env| {
        let _c = Container::start(&env, &[]);
        let mine = exec(
            &env,
            &[
                "c",
                "grep",
                "-E",
                "^(CapBnd|CapEff|NoNewPrivs|Seccomp):",
                "/proc/self/status",
            ],
        );
        assert_ok(&mine);
        let pid1 = exec(
            &env,
            &[
                "c",
                "grep",
                "-E",
                "^(CapBnd|CapEff|NoNewPrivs|Seccomp):",
                "/proc/1/status",
            ],
        );
        assert_ok(&pid1);
        eqnice!(
            pid1.stdout(),
            mine.stdout(),
            "exec's confinement is pid 1's"
        );
        assert!(mine.stdout().contains("CapEff:\t00000000a80425fb\n"));
        // A new user namespace needs no capability; the default profile refuses
        // it, in exec as in the container, and only the profile does.
        let out = exec(&env, &["c", "unshare", "-U", "true"]);
        assert_ne!(out.code(), Some(0), "unshare -U ran: {}", out.stderr());
        let _u = Container::named(&env, "u", &["--security-opt", "seccomp=unconfined"]);
        assert_ok(&exec(&env, &["u", "unshare", "-U", "true"]));
        // --privileged: every capability, as in podman.
        let out = exec(
            &env,
            &["--privileged", "c", "grep", "^CapEff:", "/proc/self/status"],
        );
        assert_ok(&out);
        assert_ne!(out.stdout(), "CapEff:\t00000000a80425fb\n");
    }
);

berthtest!(exec_user_env_and_workdir, |env| {
    let _c = Container::start(&env, &["-e", "FROM_RUN=1"]);
    let out = exec(
        &env,
        &["-e", "A=b", "c", "sh", "-c", "echo $A $FROM_RUN $HOME; pwd"],
    );
    assert_ok(&out);
    assert_eq!(out.stdout(), "b 1 /root\n/\n");
    let out = exec(&env, &["-w", "/tmp", "c", "pwd"]);
    assert_ok(&out);
    assert_eq!(out.stdout(), "/tmp\n");
    let out = exec(&env, &["-u", "root", "c", "sh", "-c", "id -u; id -g"]);
    assert_ok(&out);
    assert_eq!(out.stdout(), "0\n0\n");
    let out = exec(
        &env,
        &["-u", "nobody", "c", "sh", "-c", "id -u; echo $HOME"],
    );
    if has_id_range() {
        assert_ok(&out);
        assert_eq!(out.stdout(), "65534\n/nonexistent\n");
    } else {
        // One id mapped: the container has no uid 65534 to run as.
        assert_fails_125(&out, "65534");
    }
    let out = exec(&env, &["-u", "nosuchuser", "c", "true"]);
    assert_fails_125(&out, "nosuchuser");
});

berthtest!(exec_into_a_stopped_or_missing_container_fails, |env| {
    env.import_busybox();
    env.berth(&["run", "--name", "done", "busybox", "true"])
        .ok();
    let out = exec(&env, &["done", "true"]);
    assert_fails_125(&out, "is not running (it is exited)");
    env.berth(&["create", "--name", "new", "busybox", "true"])
        .ok();
    let out = exec(&env, &["new", "true"]);
    assert_fails_125(&out, "is not running (it is created)");
    let out = exec(&env, &["nosuch", "true"]);
    assert_fails_125(&out, "nosuch");
});

berthtest!(exec_leaks_no_fd_and_no_host_directory, |env| {
    let _c = Container::start(&env, &[]);
    // The caller leaves fd 7 open on the host's root (CVE-2024-21626), and
    // fd 3 on /dev/null.
    let via_shell = |args: &[&str]| -> Run {
        let mut cmd = crate::util::Cmd::new("sh");
        cmd.arg("-c")
            .arg("exec 3</dev/null 7</ && exec \"$0\" \"$@\"")
            .arg(berth_bin())
            .arg("--root")
            .arg(&env.root)
            .arg("exec");
        for a in args {
            cmd.arg(a);
        }
        cmd.current_dir(env.dir());
        cmd.run()
    };
    let out = via_shell(&["c", "sh", "-c", "ls /proc/$$/fd; readlink /proc/$$/cwd"]);
    assert_ok(&out);
    assert_eq!(out.stdout(), "0\n1\n2\n/\n");
    let out = via_shell(&[
        "--preserve-fds",
        "1",
        "c",
        "sh",
        "-c",
        "ls /proc/$$/fd; true",
    ]);
    assert_ok(&out);
    assert_eq!(
        out.stdout(),
        "0\n1\n2\n3\n",
        "--preserve-fds 1 passes fd 3 only"
    );
    let out = via_shell(&["-w", "/proc/self/fd/7", "c", "ls"]);
    assert_fails_125(&out, "/proc/self/fd/7");
    let out = via_shell(&["-w", "/proc/1/cwd", "c", "ls"]);
    assert_fails_125(&out, "/proc/1/cwd");
});

berthtest!(exec_detach_starts_the_command_and_returns, |env| {
    let mut c = Container::start(&env, &[]);
    let out = exec(
        &env,
        &[
            "-d",
            "c",
            "sh",
            "-c",
            "echo detached > /tmp/d; echo /tmp/d > /tmp/f",
        ],
    );
    assert_ok(&out);
    assert_eq!(out.stdout(), "");
    assert_eq!(c.line(), "detached");
});

berthtest!(exec_tty_and_stdin, |env| {
    let _c = Container::start(&env, &[]);
    let out = exec(&env, &["-t", "c", "tty"]);
    assert_ok(&out);
    assert!(out.stdout().starts_with("/dev/pts/"), "{}", out.stdout());
    let out = env.berth(&["exec", "-i", "c", "cat"]).stdin("to-cat").run();
    assert_ok(&out);
    assert_eq!(out.stdout(), "to-cat");
    let out = env.berth(&["exec", "c", "cat"]).stdin("dropped").run();
    assert_ok(&out);
    assert_eq!(out.stdout(), "", "without -i stdin is /dev/null");
});

berthtest!(exec_into_an_init_container, |env| {
    let mut c = Container::start(&env, &["--init"]);
    let out = exec(&env, &["c", "cat", "/proc/1/cmdline"]);
    assert_ok(&out);
    // The reaper's wiped command line: its name, then zeros.
    assert_eq!(out.stdout().trim_end_matches('\0'), "berth-init");
    let out = exec(
        &env,
        &[
            "c",
            "sh",
            "-c",
            "echo via-init > /tmp/i; echo /tmp/i > /tmp/f",
        ],
    );
    assert_ok(&out);
    assert_eq!(c.line(), "via-init");
});

berthtest!(exec_into_a_detached_container, |env| {
    env.import_busybox();
    env.berth(&["run", "-d", "--name", "d", "busybox", "sleep", "1000001"])
        .ok();
    let out = exec(&env, &["d", "cat", "/proc/1/cmdline"]);
    env.berth(&["kill", "d"]).ok();
    assert_ok(&out);
    assert_eq!(out.stdout(), "sleep\u{0}1000001\u{0}");
    env.berth(&["wait", "d"]).ok();
    let out = exec(&env, &["d", "true"]);
    assert_fails_125(&out, "is not running (it is exited)");
});
