//! `berth logs` and `--log-driver`/`--log-opt` (issue 11): a foreground run
//! with `--log-driver k8s-file` shows its output and keeps it as podman's
//! conmon would; `logs` gives it back stream by stream, `-f` until the
//! container's berth has gone.

use crate::util::{TestEnv, assert_fails_125, assert_ok, berth_bin};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

/// stderr without berth's degraded-mode warnings: what the container wrote.
fn container_stderr(s: &str) -> String {
    s.lines()
        .filter(|l| !l.starts_with("berth: warning: "))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// `berth run --name NAME --log-driver k8s-file OPTS… busybox sh -c SCRIPT`, checked.
fn run_logged(env: &TestEnv, name: &str, opts: &[&str], script: &str) -> crate::util::Run {
    let mut args = vec!["run", "--name", name, "--log-driver", "k8s-file"];
    args.extend_from_slice(opts);
    args.extend_from_slice(&["busybox", "sh", "-c", script]);
    let out = env.berth(&args).run();
    assert_ok(&out);
    out
}

/// One k8s-file line: `2026-12-01T12:00:00.123456789+01:00 stdout F text`.
fn is_k8s_line(l: &str) -> bool {
    let b = l.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    b.len() >= 44
        && digits(0..4)
        && b[4] == b'-'
        && b[10] == b'T'
        && b[19] == b'.'
        && digits(20..29)
        && matches!(b[29], b'+' | b'-')
        && b[32] == b':'
        && b[35] == b' '
        && (l[36..].starts_with("stdout F ")
            || l[36..].starts_with("stdout P ")
            || l[36..].starts_with("stderr F ")
            || l[36..].starts_with("stderr P "))
}

berthtest!(
    a_foreground_run_shows_its_output_and_logs_it_by_stream,
    |env| {
        env.import_busybox();
        let out = run_logged(&env, "c", &[], "echo a; echo b >&2; printf c");
        // Shown as it ran, as podman's foreground run does...
        assert_eq!(out.stdout(), "a\nc");
        assert_eq!(container_stderr(&out.stderr()), "b\n");
        // ...and kept.
        let logs = env.berth(&["logs", "c"]).run();
        assert_ok(&logs);
        assert_eq!(logs.stdout(), "a\nc");
        assert_eq!(logs.stderr(), "b\n");

        // The file is what conmon writes: `printf c` left a partial entry.
        // (Two pipes: the order between the streams is the order berth read
        // them in, as with conmon.)
        let id = env.berth(&["ps", "-aq", "--no-trunc"]).ok();
        let file = env.root.join("containers").join(id.trim()).join("ctr.log");
        let text = std::fs::read_to_string(&file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines.iter().all(|l| is_k8s_line(l)), "{text}");
        assert!(text.contains(" stdout F a\n"), "{text}");
        assert!(text.contains(" stderr F b\n"), "{text}");
        assert!(text.contains(" stdout P c\n"), "{text}");
        assert!(text.find(" F a\n") < text.find(" P c\n"), "{text}");
    }
);

berthtest!(logs_tail_timestamps_since_and_until, |env| {
    env.import_busybox();
    run_logged(&env, "c", &[], "echo one; echo two; echo three");
    let logs = |args: &[&str]| {
        let mut full = vec!["logs"];
        full.extend_from_slice(args);
        full.push("c");
        env.berth(&full).ok()
    };
    assert_eq!(logs(&["--tail", "1"]), "three\n");
    assert_eq!(logs(&["--tail", "2"]), "two\nthree\n");
    assert_eq!(logs(&["--tail", "0"]), "");
    assert_eq!(logs(&["--tail", "-1"]), "one\ntwo\nthree\n");

    // `-t`: Go's RFC3339 with nine digits, then the line.
    let stamped = logs(&["-t", "--tail", "1"]);
    let (stamp, rest) = stamped.split_once(' ').unwrap();
    assert_eq!(rest, "three\n");
    assert!(stamp.len() >= 30, "{stamped}");
    assert_eq!(&stamp[19..20], ".", "{stamped}");
    assert!(stamp.ends_with('Z') || stamp[stamp.len() - 6..].starts_with(['+', '-']));

    // The line's own time bounds it on both sides.
    assert_eq!(logs(&["--since", stamp, "--tail", "1"]), "three\n");
    assert_eq!(logs(&["--until", stamp]), "one\ntwo\nthree\n");
    assert_eq!(logs(&["--since", "10m"]), "one\ntwo\nthree\n");
    assert_eq!(logs(&["--since", "2999-01-01"]), "");
    assert_eq!(logs(&["--until", "2000-01-01T00:00:00Z"]), "");
    let bad = env.berth(&["logs", "--since", "yesterday", "c"]).run();
    assert_fails_125(&bad, "--since");
});

berthtest!(logs_follow_returns_when_the_container_ends, |env| {
    env.import_busybox();
    // The container waits on its stdin, so the test decides when it goes on:
    // only once `logs -f` has shown the first line.
    let mut run = Command::new(berth_bin())
        .arg("--root")
        .arg(&env.root)
        .args(["run", "-i", "--name", "c", "--log-driver", "k8s-file"])
        .args([
            "busybox",
            "sh",
            "-c",
            "echo one; read x; echo two; echo three >&2",
        ])
        .current_dir(env.dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut run_out = BufReader::new(run.stdout.take().unwrap());
    let mut line = String::new();
    run_out.read_line(&mut line).unwrap();
    assert_eq!(line, "one\n");

    let mut follow = Command::new(berth_bin())
        .arg("--root")
        .arg(&env.root)
        .args(["logs", "-f", "c"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut follow_out = BufReader::new(follow.stdout.take().unwrap());
    let mut first = String::new();
    follow_out.read_line(&mut first).unwrap();
    assert_eq!(first, "one\n");

    let mut stdin = run.stdin.take().unwrap();
    stdin.write_all(b"go\n").unwrap();
    drop(stdin);
    assert!(run.wait().unwrap().success());

    // Ends by itself once the container's berth has exited.
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut follow_out, &mut rest).unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut follow.stderr.take().unwrap(), &mut err).unwrap();
    assert!(follow.wait().unwrap().success(), "{err}");
    assert_eq!(rest, "two\n");
    assert_eq!(err, "three\n");
});

berthtest!(max_size_keeps_the_log_under_it, |env| {
    env.import_busybox();
    run_logged(&env, "c", &["--log-opt", "max-size=200"], "seq 1 40");
    let id = env.berth(&["ps", "-aq", "--no-trunc"]).ok();
    let file = env.root.join("containers").join(id.trim()).join("ctr.log");
    let size = std::fs::metadata(&file).unwrap().len();
    assert!(size <= 200, "{size} bytes");
    // What is left is the end of the output: rotation drops the oldest.
    let shown = env.berth(&["logs", "c"]).ok();
    assert!(shown.ends_with("39\n40\n"), "{shown}");
    assert!(!shown.starts_with("1\n"), "{shown}");
});

berthtest!(
    logs_of_a_container_that_keeps_none_is_one_clear_error,
    |env| {
        env.import_busybox();
        assert_ok(&env.berth(&["run", "--name", "p", "busybox", "true"]).run());
        let out = env.berth(&["logs", "p"]).run();
        assert_fails_125(
            &out,
            "this container is using the 'passthrough' log driver, cannot read logs",
        );
        assert_ok(
            &env.berth(&[
                "run",
                "--name",
                "n",
                "--log-driver",
                "none",
                "busybox",
                "true",
            ])
            .run(),
        );
        assert_fails_125(&env.berth(&["logs", "n"]).run(), "'none' log driver");

        let bad = env
            .berth(&["run", "--log-driver", "syslog", "busybox", "true"])
            .run();
        assert_fails_125(&bad, "unknown log driver");
        if !std::path::Path::new("/run/systemd/journal/socket").exists() {
            let j = env
                .berth(&["run", "--log-driver", "journald", "busybox", "true"])
                .run();
            assert_fails_125(&j, "no journal here");
            // Refused before any record was made.
            assert_eq!(env.berth(&["ps", "-aq"]).ok().lines().count(), 2);
        }
    }
);

berthtest!(run_detached_keeps_its_output_for_logs_follow, |env| {
    env.import_busybox();
    let id = env
        .berth(&[
            "run",
            "-d",
            "--name",
            "d",
            "busybox",
            "sh",
            "-c",
            "echo 1; echo 2; echo 3 >&2",
        ])
        .ok();
    assert_eq!(id.trim().len(), 64, "{id}");
    // Returns once the container's monitor has gone, with all of it.
    let out = env.berth(&["logs", "-f", "d"]).run();
    assert_ok(&out);
    assert_eq!(out.stdout(), "1\n2\n");
    assert_eq!(out.stderr(), "3\n");
});
