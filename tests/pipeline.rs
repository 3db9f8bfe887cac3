//! berth in shell pipelines and scripts (issue 12): a reader that goes away
//! ends the container at once and quietly, stdin's EOF reaches it, bytes
//! pass through unchanged both ways, exit codes survive `set -o pipefail`,
//! and `-a` picks the streams the caller sees.

use crate::util::{self, Cmd, TestEnv, assert_ok};

/// `bash -c SCRIPT` with `$B` running this test's berth (`--root` set).
fn shell(env: &TestEnv, script: &str) -> Cmd {
    let mut cmd = Cmd::new("bash");
    cmd.arg("-c")
        .arg(format!(
            "set -o pipefail; B() {{ \"$BERTH\" --root \"$ROOT\" \"$@\"; }}; {script}"
        ))
        .env("BERTH", util::berth_bin())
        .env("ROOT", &env.root)
        .current_dir(env.dir());
    cmd
}

/// stderr without berth's degraded-mode warnings (no subuid range).
fn said(out: &util::Run) -> String {
    out.stderr()
        .lines()
        .filter(|l| !l.starts_with("berth: warning: "))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn no_containers_left(env: &TestEnv) {
    assert_eq!(env.berth(&["ps", "-aq"]).ok(), "", "a container was left");
}

berthtest!(
    yes_into_head_ends_at_once_with_sigpipes_status_and_no_message,
    |env| {
        env.import_busybox();
        let out = shell(
            &env,
            "B run --rm --network none busybox yes | head -1; echo \"status ${PIPESTATUS[0]}\"",
        )
        .run();
        assert_ok(&out);
        assert_eq!(out.stdout(), "y\nstatus 141\n");
        assert_eq!(said(&out), "", "nothing about a broken pipe");
        no_containers_left(&env);
    }
);

berthtest!(a_reader_gone_from_stderr_ends_the_container_too, |env| {
    env.import_busybox();
    let out = shell(
        &env,
        // grep: berth's own warnings (no subuid range) share the pipe.
        "B run --rm --network none busybox sh -c 'yes >&2' 2>&1 | grep -v '^berth: warning' | head -2; \
         echo \"status ${PIPESTATUS[0]}\"",
    )
    .run();
    assert_ok(&out);
    assert_eq!(out.stdout(), "y\ny\nstatus 141\n");
    no_containers_left(&env);
});

berthtest!(a_tar_streams_in_and_out_unchanged, |env| {
    env.import_busybox();
    // 3 MiB that do not compress, in a tar the host's tar wrote.
    let data: Vec<u8> = (0u32..3 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    env.write("in/blob", &data);
    let tar = std::process::Command::new("tar")
        .args(["-c", "-C"])
        .arg(env.path("in"))
        .arg("blob")
        .output()
        .unwrap();
    assert!(tar.status.success());
    let out = env
        .berth(&[
            "run",
            "-i",
            "--rm",
            "--network",
            "none",
            "busybox",
            "sh",
            "-c",
            "mkdir /x && tar -x -C /x && sha256sum /x/blob >&2 && tar -c -C /x blob",
        ])
        .stdin(tar.stdout)
        .run();
    assert_ok(&out);
    let back = util::tar_file(&out.stdout, "blob").expect("blob in the tar that came out");
    assert_eq!(util::sha256_hex(&back), util::sha256_hex(&data));
    assert!(
        said(&out).starts_with(&util::sha256_hex(&data)),
        "the container saw other bytes: {}",
        said(&out)
    );
});

berthtest!(exit_codes_survive_pipefail_from_either_end, |env| {
    env.import_busybox();
    let out = shell(
        &env,
        "B run --rm --network none busybox sh -c 'echo x; exit 3' | cat >/dev/null; echo $?; \
         echo in | B run -i --rm --network none busybox sh -c 'cat >/dev/null; exit 4' | cat; echo $?; \
         B run --rm --network none busybox true | cat; echo $?",
    )
    .run();
    assert_ok(&out);
    assert_eq!(out.stdout(), "3\n4\n0\n");
});

berthtest!(
    a_closed_or_empty_stdin_is_eof_for_an_interactive_container,
    |env| {
        env.import_busybox();
        let out = shell(
            &env,
            "B run -i --rm --network none busybox wc -c <&-; \
         B run -i --rm --network none busybox wc -c </dev/null",
        )
        .run();
        assert_ok(&out);
        assert_eq!(
            out.stdout().split_whitespace().collect::<Vec<_>>(),
            ["0", "0"]
        );
        no_containers_left(&env);
    }
);

berthtest!(
    a_closed_stdout_leaves_the_container_running_to_its_end,
    |env| {
        env.import_busybox();
        let out = shell(
        &env,
        "B run --rm --network none busybox sh -c 'echo lost; echo kept >&2; exit 5' >&-; echo \"status $?\" >&2",
    )
    .run();
        assert_ok(&out);
        assert_eq!(out.stdout(), "");
        assert_eq!(said(&out), "kept\nstatus 5\n");
        no_containers_left(&env);
    }
);

berthtest!(attach_shows_only_the_streams_asked_for, |env| {
    env.import_busybox();
    let script = "echo out; echo err >&2";
    let run = |attach: &[&str]| {
        let mut args = vec!["run", "--rm", "--network", "none"];
        args.extend_from_slice(attach);
        args.extend_from_slice(&["busybox", "sh", "-c", script]);
        let out = env.berth(&args).run();
        assert_ok(&out);
        (out.stdout().to_string(), said(&out))
    };
    assert_eq!(run(&[]), ("out\n".into(), "err\n".into()));
    assert_eq!(run(&["-a", "stdout"]), ("out\n".into(), "".into()));
    assert_eq!(run(&["-a", "stderr"]), ("".into(), "err\n".into()));
    assert_eq!(
        run(&["-a", "stdout", "--attach", "stderr"]),
        ("out\n".into(), "err\n".into())
    );
    // Neither output stream: the caller gets the id, as from docker.
    let (id, err) = run(&["-a", "stdin"]);
    assert_eq!(err, "");
    assert!(
        id.trim().len() == 64 && id.trim().bytes().all(|b| b.is_ascii_hexdigit()),
        "{id:?}"
    );
    // Logged (k8s-file), the streams not attached are still in the log.
    let out = env
        .berth(&[
            "run",
            "--name",
            "logged",
            "--log-driver",
            "k8s-file",
            "-a",
            "stderr",
            "--network",
            "none",
            "busybox",
            "sh",
            "-c",
            script,
        ])
        .run();
    assert_ok(&out);
    assert_eq!((out.stdout(), said(&out).as_str()), ("", "err\n"));
    let logs = env.berth(&["logs", "logged"]).run();
    assert_eq!(logs.stdout(), "out\n");
});

berthtest!(attach_refuses_detach_and_unknown_streams, |env| {
    // clap's errors: the first line names the problem, its help may follow.
    for (args, needle) in [
        (
            &["run", "-d", "-a", "stdout", "busybox"][..],
            "cannot be used with",
        ),
        (&["run", "-a", "stdlog", "busybox"][..], "stdlog"),
    ] {
        let out = env.berth(args).run();
        assert_eq!(out.code(), Some(125), "{}", out.stderr());
        let err = out.stderr();
        assert!(
            err.starts_with("berth: ") && err.lines().next().unwrap().contains(needle),
            "{err}"
        );
    }
});

berthtest!(
    a_caller_whose_stdout_pipe_is_non_blocking_gets_every_byte,
    |env| {
        env.import_busybox();
        // The reader takes 4 KiB at a time, so berth finds the pipe full
        // (EAGAIN on a non-blocking end) many times over.
        let out = shell(
            &env,
            r#"timeout 120 python3 -c '
import fcntl, os, subprocess, sys
r, w = os.pipe()
fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)
p = subprocess.Popen(sys.argv[1:], stdout=w)
os.close(w)
n = 0
while True:
    b = os.read(r, 4096)
    if not b:
        break
    n += len(b)
print(n, p.wait())
' "$BERTH" --root "$ROOT" run --rm --network none busybox head -c 8000000 /dev/zero"#,
        )
        .run();
        assert_ok(&out);
        assert_eq!(out.stdout(), "8000000 0\n", "stderr: {}", out.stderr());
        no_containers_left(&env);
    }
);

berthtest!(
    the_pipes_berth_passes_bytes_through_grow_to_a_mebibyte,
    |env| {
        env.import_busybox();
        // A shell's 64 KiB pipes make the container and its neighbours in
        // the pipeline wake each other every few pages; see `PIPE_BYTES`.
        // Set back once the container is gone.
        let out = shell(
            &env,
            r#"timeout 120 python3 -c '
import fcntl, subprocess, sys
p = subprocess.Popen(sys.argv[1:], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
p.stdin.write(b"ping\n")
p.stdin.flush()
echoed = p.stdout.readline()
sizes = [fcntl.fcntl(f, fcntl.F_GETPIPE_SZ) for f in (p.stdin, p.stdout)]
p.stdin.close()
print(echoed, p.stdout.read(), sizes, p.wait(), fcntl.fcntl(p.stdout, fcntl.F_GETPIPE_SZ))
' "$BERTH" --root "$ROOT" run -i --rm --network none busybox cat"#,
        )
        .run();
        assert_ok(&out);
        assert_eq!(
            out.stdout(),
            "b'ping\\n' b'' [1048576, 1048576] 0 65536\n",
            "stderr: {}",
            out.stderr()
        );
        no_containers_left(&env);
    }
);
