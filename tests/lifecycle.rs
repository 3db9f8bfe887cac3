//! Containers that outlive the command: `create`, `start`, `run -d`, `stop`,
//! `kill`, `wait`, `restart`, `rename`, `rm -f`, restart policies, and what
//! a killed monitor leaves (issue 11).

use crate::util::{self, TestEnv, assert_fails_125, assert_fails_with, assert_ok};
use std::time::Duration;

/// Every container's record, by name.
fn records(env: &TestEnv) -> Vec<serde_json::Value> {
    util::list_dir(&env.root.join("containers"))
        .iter()
        .map(|id| env.record(id))
        .collect()
}

fn pid_of(v: &serde_json::Value, key: &str) -> (u64, u64) {
    let p = &v[key];
    match (p["pid"].as_u64(), p["start"].as_u64()) {
        (Some(pid), Some(start)) => (pid, start),
        _ => (v["pid"].as_u64().unwrap(), v["pid_start"].as_u64().unwrap()),
    }
}

/// Whether pid `pid` started at `start` still runs (not gone, not a zombie).
fn running((pid, start): (u64, u64)) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    let f: Vec<&str> = stat[stat.rfind(')').unwrap() + 1..]
        .split_ascii_whitespace()
        .collect();
    !matches!(f[0], "Z" | "X") && f[19].parse::<u64>().ok() == Some(start)
}

fn run_d(env: &TestEnv, args: &[&str]) -> String {
    let mut all = vec!["run", "-d", "--network", "none"];
    all.extend_from_slice(args);
    let id = env.berth(&all).ok().trim().to_string();
    assert!(
        id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "run -d printed {id:?}"
    );
    id
}

berthtest!(run_d_prints_the_full_id_and_the_container_runs_on, |env| {
    env.import_busybox();
    let id = run_d(&env, &["--name", "bg", "busybox", "sleep", "100"]);
    let rec = env.record(&id);
    assert_eq!(rec["state"], "running", "{rec:#}");
    assert!(running(pid_of(&rec, "")), "the container's pid 1 is gone");
    assert!(running(pid_of(&rec, "monitor")), "its monitor is gone");
    let ps = env.berth(&["ps"]).ok();
    assert!(ps.contains(" bg") && !ps.contains("Exited"), "{ps}");
    env.berth(&["rm", "-f", "bg"]).ok();
    assert!(
        !running(pid_of(&rec, "")),
        "rm -f left the container running"
    );
    assert!(!running(pid_of(&rec, "monitor")), "rm -f left its monitor");
    assert_eq!(env.berth(&["ps", "-aq"]).ok(), "");
});

berthtest!(stop_sends_the_stop_signal_and_waits_for_the_end, |env| {
    env.import_busybox();
    // pid 1 with a handler for USR1 (a pid namespace's init gets only the
    // signals it handles): exits 5 on it.
    let script = "trap 'exit 5' USR1; while :; do sleep 1; done";
    let id = run_d(
        &env,
        &["--stop-signal", "USR1", "busybox", "sh", "-c", script],
    );
    env.berth(&["stop", &id[..12]]).ok();
    let rec = env.record(&id);
    assert_eq!(
        (rec["state"].as_str(), rec["exit_code"].as_i64()),
        (Some("exited"), Some(5)),
        "{rec:#}"
    );
    assert_eq!(env.berth(&["wait", &id]).ok().trim(), "5");
});

berthtest!(
    stop_kills_a_container_that_ignores_its_signal_after_the_timeout,
    |env| {
        env.import_busybox();
        // A pid namespace's init without a handler ignores SIGTERM.
        let id = run_d(&env, &["busybox", "sleep", "100"]);
        env.berth(&["stop", "-t", "1", &id]).ok();
        assert_eq!(env.record(&id)["exit_code"].as_i64(), Some(137));
        // A stopped container stops again without complaint, as podman's.
        env.berth(&["stop", &id]).ok();
    }
);

berthtest!(wait_prints_the_exit_code, |env| {
    env.import_busybox();
    let id = run_d(&env, &["busybox", "sh", "-c", "sleep 0.2; exit 3"]);
    assert_eq!(env.berth(&["wait", &id]).ok().trim(), "3");
    assert_eq!(env.berth(&["wait", &id]).ok().trim(), "3");
});

berthtest!(
    start_runs_an_exited_container_again_with_its_writable_layer,
    |env| {
        env.import_busybox();
        let script = "echo run >> /runs; cat /runs";
        let out = env
            .berth(&["run", "--name", "again", "busybox", "sh", "-c", script])
            .ok();
        assert_eq!(out, "run\n");
        assert_eq!(env.berth(&["start", "-a", "again"]).ok(), "run\nrun\n");
        // Detached, then waited for.
        env.berth(&["start", "again"]).ok();
        assert_eq!(env.berth(&["wait", "again"]).ok().trim(), "0");
        assert_eq!(
            env.berth(&["start", "-a", "again"]).ok(),
            "run\nrun\nrun\nrun\n"
        );
    }
);

berthtest!(create_makes_a_container_that_start_runs, |env| {
    env.import_busybox();
    let id = env
        .berth(&["create", "--name", "made", "busybox", "echo", "hello"])
        .ok();
    assert_eq!(id.trim().len(), 64, "{id}");
    let ps = env.berth(&["ps", "-a"]).ok();
    assert!(ps.contains("Created") && ps.contains(" made"), "{ps}");
    assert_eq!(env.berth(&["start", "-a", "made"]).ok(), "hello\n");
    let out = env.berth(&["start", "-a", "nosuch"]).run();
    assert_fails_125(&out, "no such container");
    // Created and never started: removed without -f.
    env.berth(&["create", "--name", "idle", "busybox", "true"])
        .ok();
    env.berth(&["rm", "idle"]).ok();
});

berthtest!(restart_on_failure_2_restarts_exactly_twice, |env| {
    env.import_busybox();
    let out_dir = env.path("out");
    std::fs::create_dir(&out_dir).unwrap();
    let vol = format!("{}:/out", out_dir.display());
    let id = run_d(
        &env,
        &[
            "--restart",
            "on-failure:2",
            "-v",
            &vol,
            "busybox",
            "sh",
            "-c",
            "echo run >> /out/runs; exit 1",
        ],
    );
    assert_eq!(env.berth(&["wait", &id]).ok().trim(), "1");
    let runs = std::fs::read_to_string(out_dir.join("runs")).unwrap();
    assert_eq!(runs, "run\nrun\nrun\n", "one run and two restarts");
    assert_eq!(env.record(&id)["restart_count"].as_u64(), Some(2));
});

berthtest!(a_stopped_container_is_not_restarted_by_its_policy, |env| {
    env.import_busybox();
    let id = run_d(&env, &["--restart", "always", "busybox", "sleep", "100"]);
    env.berth(&["kill", &id]).ok();
    assert_eq!(env.berth(&["wait", &id]).ok().trim(), "137");
    let rec = env.record(&id);
    assert_eq!(
        (rec["state"].as_str(), rec["restart_count"].as_u64()),
        (Some("exited"), Some(0))
    );
});

berthtest!(stop_ends_a_container_its_policy_keeps_restarting, |env| {
    env.import_busybox();
    // It exits at once, so its monitor is nearly always between two runs
    // when `stop` comes: the stop must still hold, and the monitor end.
    let id = run_d(
        &env,
        &["--restart", "always", "busybox", "sh", "-c", "exit 1"],
    );
    env.berth(&["stop", "-t", "1", &id]).ok();
    // `wait` returns only once the monitor is gone (nothing restarts it).
    let waited = crate::util::Cmd::new("timeout")
        .arg("60")
        .arg(crate::util::berth_bin())
        .arg("--root")
        .arg(&env.root)
        .args(&["wait", &id])
        .run();
    assert_eq!(
        waited.code(),
        Some(0),
        "wait hung: the monitor restarts it on"
    );
    let rec = env.record(&id);
    assert_eq!(rec["state"], "exited", "{rec:#}");
    assert_eq!(rec["stopped_by_user"], true, "{rec:#}");
});

berthtest!(run_d_of_a_missing_command_says_so_and_exits_127, |env| {
    env.import_busybox();
    let out = env
        .berth(&["run", "-d", "busybox", "no-such-command"])
        .run();
    assert_fails_with(&out, 127, "no-such-command");
    assert_eq!(out.stdout(), "", "no id for a container that did not start");
});

berthtest!(names_are_unique_and_generated_when_not_given, |env| {
    env.import_busybox();
    env.berth(&["create", "--name", "one", "busybox", "true"])
        .ok();
    let out = env
        .berth(&["create", "--name", "one", "busybox", "true"])
        .run();
    assert_fails_125(&out, "already in use");
    let id = env.berth(&["create", "busybox", "true"]).ok();
    let name = env.record(id.trim())["name"].as_str().unwrap().to_string();
    let (adjective, noun) = name.split_once('_').expect("adjective_noun");
    assert!(
        !adjective.is_empty() && noun.chars().all(|c| c.is_ascii_lowercase()),
        "{name}"
    );
    env.berth(&["rename", "one", "two"]).ok();
    let out = env.berth(&["rename", "two", &name]).run();
    assert_fails_125(&out, "already in use");
    assert!(env.berth(&["ps", "-a"]).ok().contains(" two"));
});

berthtest!(twenty_parallel_run_d_all_start_with_unique_names, |env| {
    env.import_busybox();
    let started: Vec<_> = (0..20)
        .map(|_| {
            env.berth(&["run", "-d", "--network", "none", "busybox", "sleep", "100"])
                .spawn()
        })
        .collect();
    let ids: Vec<String> = started
        .into_iter()
        .map(|r| {
            let out = r.wait();
            assert_ok(&out);
            out.stdout().trim().to_string()
        })
        .collect();
    let recs = records(&env);
    assert_eq!(recs.len(), 20);
    let names: std::collections::HashSet<&str> =
        recs.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 20, "names: {names:?}");
    let procs: Vec<_> = recs.iter().map(|r| pid_of(r, "")).collect();
    assert!(recs.iter().all(|r| r["state"] == "running"), "{recs:#?}");
    env.berth(&["rm", "-f", "-a"]).ok();
    assert!(
        procs.iter().all(|p| !running(*p)),
        "rm -f -a left processes"
    );
    assert_eq!(util::list_dir(&env.root.join("containers")).len(), 0);
    drop(ids);
});

berthtest!(
    a_monitor_killed_with_9_leaves_an_exited_container_rm_cleans,
    |env| {
        env.import_busybox();
        let id = run_d(&env, &["--name", "m", "busybox", "sleep", "100"]);
        let rec = env.record(&id);
        let (monitor, container) = (pid_of(&rec, "monitor"), pid_of(&rec, ""));
        std::process::Command::new("kill")
            .args(["-KILL", &monitor.0.to_string()])
            .status()
            .unwrap();
        assert!(util::wait_exit(monitor.0 as u32, Duration::from_secs(30)));
        // Its parent-death signal ends the container as the kernel gets to it.
        assert!(
            util::wait_exit(container.0 as u32, Duration::from_secs(30)),
            "the container outlived its monitor"
        );
        assert!(!running(container));
        let ps = env.berth(&["ps", "-a"]).ok();
        assert!(ps.contains("Exited") && ps.contains(" m"), "{ps}");
        // Its record is still whole: it starts again, and rm removes it.
        env.berth(&["start", "m"]).ok();
        assert!(env.berth(&["ps"]).ok().contains(" m"));
        env.berth(&["rm", "-f", "m"]).ok();
        assert_eq!(env.berth(&["ps", "-aq"]).ok(), "");
    }
);

berthtest!(concurrent_stop_and_rm_of_one_container_one_wins, |env| {
    env.import_busybox();
    let id = run_d(&env, &["busybox", "sleep", "100"]);
    let rec = env.record(&id);
    let stop = env.berth(&["stop", "-t", "0", &id]).spawn();
    let rm = env.berth(&["rm", "-f", &id]).spawn();
    let (stop, rm) = (stop.wait(), rm.wait());
    for out in [&stop, &rm] {
        if out.code() != Some(0) {
            assert_fails_125(out, "no such container");
        }
    }
    assert_ok(&rm);
    assert!(!running(pid_of(&rec, "")));
    assert_eq!(util::list_dir(&env.root.join("containers")).len(), 0);
});

berthtest!(
    attach_follows_a_running_container_to_its_end_and_exit_code,
    |env| {
        env.import_busybox();
        let sync = env.path("sync");
        std::fs::create_dir(&sync).unwrap();
        let fifo = sync.join("go");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o666)).unwrap();
        let vol = format!("{}:/s", sync.display());
        let id = run_d(
            &env,
            &[
                "-v",
                &vol,
                "busybox",
                "sh",
                "-c",
                "read x < /s/go; echo got-$x; exit 4",
            ],
        );
        let attach = env.berth(&["attach", &id]).spawn();
        // Attached once it watches the log (an inotify fd): only then is the
        // container let go, so what it prints comes after the attach began.
        let fds = format!("/proc/{}/fd", attach.pid());
        let watching = || {
            std::fs::read_dir(&fds)
                .into_iter()
                .flatten()
                .flatten()
                .any(|e| {
                    std::fs::read_link(e.path())
                        .is_ok_and(|l| l.to_string_lossy().contains("inotify"))
                })
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while !watching() && std::time::Instant::now() < deadline {
            // A bounded wait for another process's state, not a timing assert.
            std::thread::sleep(Duration::from_millis(5));
        }
        std::fs::write(&fifo, "x\n").unwrap();
        let out = attach.wait();
        assert_eq!(out.code(), Some(4), "{}", out.stderr());
        assert_eq!(out.stdout(), "got-x\n");
        let out = env.berth(&["attach", &id]).run();
        assert_fails_125(&out, "only attach to running containers");
    }
);

berthtest!(wait_for_running_returns_once_a_start_runs_it, |env| {
    env.import_busybox();
    env.berth(&["create", "--name", "w", "busybox", "sleep", "100"])
        .ok();
    let waiting = env.berth(&["wait", "--condition", "running", "w"]).spawn();
    env.berth(&["start", "w"]).ok();
    let out = waiting.wait();
    assert_ok(&out);
    assert_eq!(out.stdout().trim(), "-1");
    env.berth(&["rm", "-f", "w"]).ok();
});

berthtest!(
    an_rm_container_skips_the_sync_at_exit_unless_its_policy_mounts_it_again,
    |env| {
        env.import_busybox();
        let root_mount = "grep ' / overlay ' /proc/mounts";
        // `--rm`, never started again: overlayfs' `volatile` (podman does the same).
        let rm = env
            .berth(&["run", "--rm", "busybox", "sh", "-c", root_mount])
            .ok();
        assert!(rm.contains("volatile"), "{rm}");
        // A container that stays: every sync, as before.
        let kept = env
            .berth(&["run", "--name", "kept", "busybox", "sh", "-c", root_mount])
            .ok();
        assert!(
            kept.starts_with("overlay / overlay") && !kept.contains("volatile"),
            "{kept}"
        );
        // `--rm` with a restart policy is mounted again on each restart, which
        // overlayfs refuses after a volatile mount: not volatile, and all three runs happen.
        let out_dir = env.path("out");
        std::fs::create_dir(&out_dir).unwrap();
        let vol = format!("{}:/out", out_dir.display());
        let script = format!("{root_mount} >> /out/mounts; exit 1");
        let id = run_d(
            &env,
            &[
                "--rm",
                "--restart",
                "on-failure:2",
                "-v",
                &vol,
                "busybox",
                "sh",
                "-c",
                &script,
            ],
        );
        let _ = env.berth(&["wait", &id]).run();
        let mounts = std::fs::read_to_string(out_dir.join("mounts")).unwrap();
        assert_eq!(mounts.lines().count(), 3, "{mounts}");
        assert!(!mounts.contains("volatile"), "{mounts}");
    }
);
