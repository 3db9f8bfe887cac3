//! The smaller lifecycle verbs and flags (issue 11): published ports in
//! `ps`, `inspect` and `port`; `-P`; `top`; `stats`; `pause`; resource
//! limits refused where no cgroup enforces them; `container prune`.

use crate::util::{self, TestEnv, assert_fails_125, assert_ok};
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

/// A port on 127.0.0.1 that was free a moment ago.
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().unwrap().port()
}

/// `berth run -d ARGS…`, checked; returns the id.
fn run_d(env: &TestEnv, args: &[&str]) -> String {
    let mut all = vec!["run", "-d"];
    all.extend_from_slice(args);
    env.berth(&all).ok().trim().to_string()
}

berthtest!(published_ports_show_in_ps_inspect_and_port, |env| {
    if !util::tool_or_skip("pasta") {
        return;
    }
    env.import_busybox();
    let port = free_port();
    let publish = format!("127.0.0.1:{port}:80");
    run_d(
        &env,
        &[
            "--name",
            "web",
            "-p",
            &publish,
            "-p",
            "5353:53/udp",
            "busybox",
            "sleep",
            "100",
        ],
    );
    let ps = env.berth(&["ps", "--format", "{{.Names}} {{.Ports}}"]).ok();
    assert_eq!(
        ps,
        format!("web 0.0.0.0:5353->53/udp, 127.0.0.1:{port}->80/tcp\n")
    );
    let json = env.berth(&["ps", "--format", "json"]).run().json();
    assert_eq!(
        json[0]["Ports"][0],
        serde_json::json!({"host_ip": "127.0.0.1", "container_port": 80,
                           "host_port": port, "range": 1, "protocol": "tcp"})
    );
    let i = &env.berth(&["inspect", "web"]).run().json()[0];
    let bindings = serde_json::json!({
        "80/tcp": [{"HostIp": "127.0.0.1", "HostPort": port.to_string()}],
        "53/udp": [{"HostIp": "", "HostPort": "5353"}],
    });
    assert_eq!(i["NetworkSettings"]["Ports"], bindings);
    assert_eq!(i["HostConfig"]["PortBindings"], bindings);
    assert_eq!(i["HostConfig"]["NetworkMode"], "pasta");
    assert_eq!(
        env.berth(&["port", "web"]).ok(),
        format!("80/tcp -> 127.0.0.1:{port}\n53/udp -> 0.0.0.0:5353\n")
    );
    assert_eq!(
        env.berth(&["port", "web", "80"]).ok(),
        format!("127.0.0.1:{port}\n")
    );
    assert_eq!(env.berth(&["port", "web", "53/udp"]).ok(), "0.0.0.0:5353\n");
    let e = assert_fails_125(&env.berth(&["port", "web", "99/tcp"]).run(), "99/tcp");
    assert!(e.contains("failed to find published port"), "{e}");
    env.berth(&["rm", "-f", "web"]).ok();
});

berthtest!(
    inspect_shows_the_network_mode_and_the_images_entrypoint,
    |env| {
        env.import_busybox();
        let ctx = env.write(
            "ctx/Dockerfile",
            "FROM busybox\nENTRYPOINT [\"/bin/sh\", \"-c\"]\nCMD [\"exit 3\"]\n",
        );
        let ctx = ctx.parent().unwrap().display().to_string();
        env.berth(&["build", "-q", "-t", "ep", &ctx]).ok();
        env.berth(&["create", "--name", "c", "--network", "none", "ep"])
            .ok();
        let i = &env.berth(&["inspect", "c"]).run().json()[0];
        assert_eq!(i["Config"]["Entrypoint"], "/bin/sh -c");
        assert_eq!(i["Config"]["Cmd"], serde_json::json!(["exit 3"]));
        assert_eq!(i["HostConfig"]["NetworkMode"], "none");
        assert_eq!(i["NetworkSettings"]["Ports"], serde_json::json!({}));
        env.berth(&[
            "create",
            "--name",
            "h",
            "--network",
            "host",
            "--entrypoint",
            "echo",
            "ep",
            "hi",
        ])
        .ok();
        let i = &env.berth(&["inspect", "h"]).run().json()[0];
        assert_eq!(i["Config"]["Entrypoint"], "echo");
        assert_eq!(i["Config"]["Cmd"], serde_json::json!(["hi"]));
        assert_eq!(i["HostConfig"]["NetworkMode"], "host");
    }
);

berthtest!(publish_all_reaches_an_exposed_port_from_the_host, |env| {
    if !util::tool_or_skip("pasta") {
        return;
    }
    env.import_busybox();
    let ctx = env.write("ctx/Dockerfile", "FROM busybox\nEXPOSE 8080\n");
    let ctx = ctx.parent().unwrap().display().to_string();
    env.berth(&["build", "-q", "-t", "served", &ctx]).ok();
    // As in network.rs: the server says when it listens (8080 = 1F90).
    let server = "nc -l -p 8080 -e echo hi & \
                  until grep -qsE ':1F90 [0-9A-F]+:0000 0A' /proc/net/tcp6 /proc/net/tcp; \
                  do :; done; echo listening; wait";
    let mut child = Command::new(util::berth_bin())
        .arg("--root")
        .arg(&env.root)
        .args(["run", "--rm", "--name", "web", "--network", "pasta", "-P"])
        .args(["--expose", "9090/udp", "served", "sh", "-c", server])
        .current_dir(env.dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn berth run");
    let mut line = String::new();
    // Kept open to the end: a reader that goes away ends the container, as
    // it would end a writer in a shell pipeline.
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut line).unwrap();
    if line.trim() != "listening" {
        let _ = child.kill();
        let mut err = String::new();
        let _ = child.stderr.take().unwrap().read_to_string(&mut err);
        panic!("expected `listening`, got {line:?}; stderr: {err}");
    }
    let ports = env.berth(&["port", "web"]).ok();
    let lines: Vec<&str> = ports.lines().collect();
    assert_eq!(lines.len(), 2, "{ports}");
    assert!(lines[0].starts_with("8080/tcp -> 0.0.0.0:"), "{ports}");
    assert!(lines[1].starts_with("9090/udp -> 0.0.0.0:"), "{ports}");
    let host = env.berth(&["port", "web", "8080/tcp"]).ok();
    let host_port: u16 = host.trim().rsplit(':').next().unwrap().parse().unwrap();
    assert_ne!(host_port, 8080);
    let ps = env.berth(&["ps", "--format", "{{.Ports}}"]).ok();
    assert!(
        ps.contains(&format!("0.0.0.0:{host_port}->8080/tcp")),
        "{ps}"
    );
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", host_port))
        .unwrap_or_else(|e| panic!("connect 127.0.0.1:{host_port}: {e}"));
    let mut got = String::new();
    conn.read_to_string(&mut got).unwrap();
    assert_eq!(got, "hi\n");
    let status = child.wait().unwrap();
    drop(stdout);
    assert!(status.success(), "berth run: {status}");
});

berthtest!(publish_all_without_pasta_network_fails_125, |env| {
    env.import_busybox();
    let out = env
        .berth(&[
            "create",
            "--network",
            "none",
            "-P",
            "--expose",
            "80",
            "busybox",
        ])
        .run();
    assert_fails_125(&out, "--publish-all");
    // Nothing exposed: nothing to publish, nothing refused.
    assert_ok(
        &env.berth(&["create", "--network", "none", "-P", "busybox", "true"])
            .run(),
    );
    assert_fails_125(
        &env.berth(&["create", "--expose", "80/sctp", "busybox"])
            .run(),
        "unknown protocol `sctp`",
    );
});

berthtest!(
    resource_limits_are_refused_where_no_cgroup_enforces_them,
    |env| {
        env.import_busybox();
        // This machine: cgroup v1 (hybrid), nothing delegated.
        if std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
            eprintln!("skipped: cgroup v2 here; the refusal is for cgroup v1 hosts");
            assert!(
                std::env::var_os("BERTH_TEST_STRICT").is_none(),
                "skipped under strict"
            );
            return;
        }
        for (flag, value) in [
            ("--memory", "64m"),
            ("--cpus", "0.5"),
            ("--pids-limit", "100"),
        ] {
            for verb in ["run", "create"] {
                let out = env
                    .berth(&[verb, "--network", "none", flag, value, "busybox", "true"])
                    .run();
                let e = assert_fails_125(&out, &format!("{flag} cannot be enforced here"));
                assert!(e.contains("cgroups here are v1"), "{e}");
            }
        }
        assert_fails_125(
            &env.berth(&["run", "-m", "lots", "busybox", "true"]).run(),
            "--memory `lots`",
        );
        assert_eq!(
            env.berth(&["ps", "-aq"]).ok(),
            "",
            "a refused container was made"
        );
    }
);

/// A detached container whose pid 1 (`sh`) has started two children and
/// then said so by creating `ready` in a shared directory. Returns its id.
fn with_children(env: &TestEnv, name: &str, script_tail: &str) -> String {
    let dir = env.path(&format!("sync-{name}"));
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let script = format!("sleep 1000 & sleep 1001 & touch /s/ready; {script_tail}wait");
    let volume = format!("{}:/s", dir.display());
    let id = run_d(
        env,
        &[
            "--name",
            name,
            "--network",
            "none",
            "-v",
            &volume,
            "busybox",
            "sh",
            "-c",
            &script,
        ],
    );
    assert!(
        util::wait_for_entry(&dir, "ready", std::time::Duration::from_secs(60)),
        "the container never became ready"
    );
    id
}

berthtest!(top_lists_the_containers_processes_as_it_sees_them, |env| {
    env.import_busybox();
    // An escape in the command line must reach the terminal written out.
    let id = with_children(&env, "t", ": \x1b[2J; ");
    let top = env.berth(&["top", "t"]).ok();
    let lines: Vec<&str> = top.lines().collect();
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        header,
        [
            "USER", "PID", "PPID", "%CPU", "ELAPSED", "TTY", "TIME", "COMMAND"
        ]
    );
    assert_eq!(lines.len(), 4, "{top}");
    let first: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(&first[..3], ["root", "1", "0"], "{top}");
    assert_eq!(first[5], "?", "{top}");
    assert!(lines[1].contains("sh -c sleep 1000 &"), "{top}");
    assert!(
        lines[1].contains(r"\x1b[2J") && !top.contains('\x1b'),
        "{top}"
    );
    for l in &lines[2..] {
        let f: Vec<&str> = l.split_whitespace().collect();
        assert_eq!(f[2], "1", "a child of pid 1: {top}");
    }
    // Descriptors choose the columns; host pids are the record's.
    let rec = env
        .berth(&["inspect", "--format", "{{.State.Pid}}", "t"])
        .ok();
    let cols = env.berth(&["top", &id, "pid,hpid", "comm"]).ok();
    let first = cols.lines().nth(1).unwrap();
    assert_eq!(
        first.split_whitespace().collect::<Vec<_>>(),
        ["1", rec.trim(), "sh"]
    );
    assert_eq!(
        cols.lines()
            .next()
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["PID", "HPID", "COMMAND"]
    );
    assert_fails_125(
        &env.berth(&["top", "t", "bogus"]).run(),
        "unknown descriptor `bogus`",
    );
    env.berth(&["rm", "-f", "t"]).ok();
    env.berth(&["create", "--name", "idle", "busybox", "true"])
        .ok();
    assert_fails_125(&env.berth(&["top", "idle"]).run(), "not running");
});

berthtest!(stats_no_stream_sums_the_containers_processes, |env| {
    env.import_busybox();
    with_children(&env, "s", "");
    let out = env.berth(&["stats", "--no-stream"]).ok();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    for h in [
        "ID",
        "NAME",
        "CPU %",
        "MEM USAGE / LIMIT",
        "MEM %",
        "NET IO",
        "BLOCK IO",
        "PIDS",
    ] {
        assert!(lines[0].contains(h), "{h}: {out}");
    }
    assert!(
        lines[1].contains(" s ") && lines[1].ends_with(" 3"),
        "{out}"
    );
    let json = env
        .berth(&["stats", "--no-stream", "--format", "json", "s"])
        .run()
        .json();
    let s = &json[0];
    assert_eq!(s["name"], "s");
    assert_eq!(s["pids"], "3");
    assert!(s.get("ID").is_none(), "podman's JSON names only: {s}");
    let mem = s["mem_usage"].as_str().unwrap();
    assert!(
        !mem.starts_with("0B"),
        "three processes use some memory: {mem}"
    );
    assert!(s["cpu_percent"].as_str().unwrap().ends_with('%'));
    let t = env
        .berth(&[
            "stats",
            "--no-stream",
            "--format",
            "{{.Name}}:{{.PIDs}}",
            "s",
        ])
        .ok();
    assert_eq!(t, "s:3\n");
    env.berth(&["rm", "-f", "s"]).ok();
    assert_fails_125(
        &env.berth(&["stats", "--no-stream", "s"]).run(),
        "no such container",
    );
});

berthtest!(
    pause_says_why_it_cannot_freeze_and_leaves_the_container_running,
    |env| {
        env.import_busybox();
        run_d(
            &env,
            &[
                "--name",
                "p",
                "--network",
                "none",
                "busybox",
                "sleep",
                "100",
            ],
        );
        let e = assert_fails_125(
            &env.berth(&["pause", "p"]).run(),
            "cannot freeze container p",
        );
        assert!(e.contains("cgroup"), "{e}");
        assert_fails_125(&env.berth(&["unpause", "p"]).run(), "is not paused");
        let state = env
            .berth(&["inspect", "--format", "{{.State.Status}}", "p"])
            .ok();
        assert_eq!(state, "running\n");
        env.berth(&["rm", "-f", "p"]).ok();
        assert_fails_125(&env.berth(&["pause", "p"]).run(), "no such container");
    }
);

berthtest!(container_prune_removes_exited_containers_only, |env| {
    env.import_busybox();
    let done = env
        .berth(&[
            "create",
            "--name",
            "done",
            "--network",
            "none",
            "busybox",
            "true",
        ])
        .ok();
    env.berth(&["start", "-a", "done"]).run();
    let up = run_d(
        &env,
        &[
            "--name",
            "up",
            "--network",
            "none",
            "busybox",
            "sleep",
            "100",
        ],
    );
    let created = env
        .berth(&[
            "create",
            "--name",
            "fresh",
            "--network",
            "none",
            "busybox",
            "true",
        ])
        .ok();
    // Without -f it asks, and a no keeps everything.
    env.berth(&["container", "prune"]).stdin("n\n").ok();
    assert_eq!(env.berth(&["ps", "-aq"]).ok().lines().count(), 3);
    let out = env.berth(&["container", "prune", "-f"]).ok();
    assert_eq!(out, done);
    let mut left: Vec<String> = env
        .berth(&["container", "ls", "-a", "--no-trunc", "-q"])
        .ok()
        .lines()
        .map(String::from)
        .collect();
    left.sort();
    let mut want = vec![up.clone(), created.trim().to_string()];
    want.sort();
    assert_eq!(left, want);
    // The group takes the verbs by their podman names.
    assert_eq!(
        env.berth(&["container", "inspect", "--format", "{{.Name}}", "up"])
            .ok(),
        "up\n"
    );
    env.berth(&["container", "stop", "-t", "0", "up"]).ok();
    env.berth(&["container", "rm", "-f", "up", "fresh"]).ok();
    assert_eq!(env.berth(&["container", "list", "-aq"]).ok(), "");
});

berthtest!(
    device_binds_a_node_the_user_can_open_and_refuses_others,
    |env| {
        env.import_busybox();
        let out = env
            .berth(&[
                "run",
                "--rm",
                "--network",
                "none",
                "--device",
                "/dev/full:/dev/disk0",
                "busybox",
                "sh",
                "-c",
                "test -c /dev/disk0 && echo x > /dev/disk0 || echo full",
            ])
            .run();
        assert_ok(&out);
        // /dev/full refuses writes with ENOSPC: the host's node, not a copy.
        assert_eq!(out.stdout(), "full\n");
        assert!(out.stderr().contains("No space left"), "{}", out.stderr());
        // A node only root may open (0600 root here), a file that is no node,
        // and read-only access, which nothing would enforce.
        assert_fails_125(
            &env.berth(&["run", "--device", "/dev/loop-control", "busybox", "true"])
                .run(),
            "device `/dev/loop-control`: you may not open it",
        );
        assert_fails_125(
            &env.berth(&["create", "--device", "/etc/hostname", "busybox", "true"])
                .run(),
            "not a device node",
        );
        assert_fails_125(
            &env.berth(&["create", "--device", "/dev/null:r", "busybox", "true"])
                .run(),
            "cannot be enforced",
        );
        assert_eq!(env.berth(&["ps", "-aq"]).ok(), "");
    }
);

berthtest!(two_prunes_at_once_leave_nothing_behind, |env| {
    env.import_busybox();
    // Containers whose writable layers take a while to empty, so the two
    // prunes meet on the same ones.
    for n in ["a", "b", "c"] {
        env.berth(&[
            "run",
            "--name",
            n,
            "--network",
            "none",
            "busybox",
            "sh",
            "-c",
            "mkdir /m && cd /m && seq 4000 | xargs touch",
        ])
        .ok();
    }
    let one = env.berth(&["container", "prune", "-f"]).spawn();
    let two = env.berth(&["container", "prune", "-f"]).spawn();
    let mut pruned = Vec::new();
    for running in [one, two] {
        let out = running.wait();
        assert_ok(&out);
        let stderr = out.stderr();
        assert!(
            stderr.lines().all(|l| l.starts_with("berth: warning: ")),
            "{stderr}"
        );
        pruned.extend(out.stdout().lines().map(String::from));
    }
    pruned.sort();
    assert_eq!(pruned.len(), 3, "each container pruned once: {pruned:?}");
    pruned.dedup();
    assert_eq!(pruned.len(), 3, "each container pruned once: {pruned:?}");
    let left: Vec<String> = util::list_dir(&env.root.join("containers"))
        .into_iter()
        .filter(|n| n.len() == 64 || n.starts_with(".removing-"))
        .collect();
    assert_eq!(left, Vec::<String>::new(), "container directories left");
    assert_eq!(env.berth(&["ps", "-aq"]).ok(), "");
});

berthtest!(a_relative_root_is_taken_from_the_working_directory, |env| {
    let tar = util::busybox_tar();
    let rel = |args: &[&str]| {
        let mut c = util::Cmd::new(util::berth_bin());
        c.args(&["--root", "rel-root"])
            .args(args)
            .current_dir(env.dir());
        c
    };
    rel(&["import", &tar.display().to_string(), "busybox"]).ok();
    let out = rel(&["run", "--rm", "--network", "none", "busybox", "echo", "ran"]).run();
    assert_ok(&out);
    assert_eq!(out.stdout(), "ran\n");
    assert!(env.dir().join("rel-root/store").is_dir());
    // Spelled through a directory that then goes away: the records name
    // the root itself, not the way there.
    std::fs::create_dir(env.dir().join("sub")).unwrap();
    let mut c = util::Cmd::new(util::berth_bin());
    c.args(&["--root", "../rel-root", "create", "--name", "c"])
        .args(&["--network", "none", "busybox", "echo", "again"])
        .current_dir(env.dir().join("sub"));
    c.ok();
    std::fs::remove_dir(env.dir().join("sub")).unwrap();
    assert_eq!(rel(&["start", "-a", "c"]).ok(), "again\n");
    // A relative XDG_DATA_HOME is no base directory (the XDG spec): the
    // default under HOME is used.
    let home = env.dir().join("home");
    std::fs::create_dir(&home).unwrap();
    let mut x = util::Cmd::new(util::berth_bin());
    x.args(&["import", &tar.display().to_string(), "busybox"])
        .env("BERTH_ROOT", "")
        .env("XDG_DATA_HOME", "xdg")
        .env("HOME", &home)
        .current_dir(env.dir());
    x.ok();
    assert!(home.join(".local/share/berth/store").is_dir());
    assert!(!env.dir().join("xdg").exists());
});
