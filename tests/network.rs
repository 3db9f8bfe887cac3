//! `berth run` networking (issue 4): `--network none` has only a working
//! `lo`, the default private network (pasta) has an interface besides it,
//! `-p` publishes a container port on the host, and pasta is gone when the
//! container is.

use crate::util::{self, assert_fails_125, assert_ok};
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Interfaces in /proc/net/dev output (names, in order).
fn interfaces(proc_net_dev: &str) -> Vec<String> {
    proc_net_dev
        .lines()
        .filter_map(|l| l.split_once(':').map(|(name, _)| name.trim().to_string()))
        .collect()
}

/// Live processes whose command line mentions `needle` (zombies have none).
fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for pid in util::list_dir(std::path::Path::new("/proc")) {
        if !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(needle) {
            found.push(format!("{pid}: {cmdline}"));
        }
    }
    found
}

/// Kills the children of process `pid` (berth: the container's pid 1) unless
/// dropped within `limit`.
struct Watchdog(Option<mpsc::Sender<()>>);

impl Watchdog {
    fn start(pid: u32, limit: Duration) -> Watchdog {
        let (tx, rx) = mpsc::channel::<()>();
        std::thread::spawn(move || {
            if rx.recv_timeout(limit) == Err(mpsc::RecvTimeoutError::Timeout) {
                eprintln!("watchdog: killing the children of {pid} after {limit:?}");
                let _ = Command::new("pkill")
                    .args(["-KILL", "-P", &pid.to_string()])
                    .status();
            }
        });
        Watchdog(Some(tx))
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(());
        }
    }
}

/// A port on 127.0.0.1 that was free a moment ago.
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().unwrap().port()
}

berthtest!(run_network_none_has_only_lo_up, |env| {
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
            "cat /proc/net/dev; echo ---; ip link",
        ])
        .run();
    assert_ok(&out);
    let (dev, ip_link) = out.stdout().split_once("---\n").expect("marker");
    assert_eq!(interfaces(dev), vec!["lo"], "{dev}");
    let lo = ip_link
        .lines()
        .find(|l| l.contains(": lo:"))
        .unwrap_or_else(|| panic!("no lo in `ip link`: {ip_link}"));
    assert!(lo.contains("UP"), "lo is up: {lo}");
});

berthtest!(run_default_network_has_an_interface_besides_lo, |env| {
    if !util::tool_or_skip("pasta") {
        return;
    }
    env.import_busybox();
    let out = env
        .berth(&["run", "--rm", "busybox", "cat", "/proc/net/dev"])
        .run();
    assert_ok(&out);
    let ifaces = interfaces(out.stdout());
    assert!(
        ifaces.iter().any(|i| i != "lo"),
        "an interface besides lo: {ifaces:?}"
    );
    let left = processes_mentioning(&env.root.display().to_string());
    assert!(left.is_empty(), "processes left behind: {left:?}");
});

berthtest!(run_publish_reaches_container_from_host, |env| {
    if !util::tool_or_skip("pasta") {
        return;
    }
    env.import_busybox();
    let port = free_port();
    // The server says when it listens (port 8080 = 1F90 in LISTEN, 0A, in
    // /proc/net/tcp6 for busybox's dual-stack socket), so the test connects
    // once, with no retries: pasta accepts on the host port from the start
    // and would just close a connection the container refuses.
    let server = "nc -l -p 8080 -e echo hi & \
                  until grep -qsE ':1F90 [0-9A-F]+:0000 0A' /proc/net/tcp6 /proc/net/tcp; \
                  do :; done; echo listening; wait";
    let mut child = Command::new(util::berth_bin())
        .arg("--root")
        .arg(&env.root)
        .args(["run", "--rm", "-p"])
        .arg(format!("127.0.0.1:{port}:8080"))
        .args(["busybox", "sh", "-c", server])
        .current_dir(env.dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn berth run");
    // A hung container must fail the test, not hang it: SIGKILL its pid 1
    // (which ignores SIGTERM) after a while; berth then exits too.
    let watchdog = Watchdog::start(child.id(), Duration::from_secs(120));
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    if line.trim() != "listening" {
        let _ = child.kill();
        let mut err = String::new();
        let _ = child.stderr.take().unwrap().read_to_string(&mut err);
        panic!("expected `listening`, got {line:?}; stderr: {err}");
    }
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port))
        .unwrap_or_else(|e| panic!("connect 127.0.0.1:{port}: {e}"));
    let mut got = String::new();
    conn.read_to_string(&mut got).unwrap();
    assert_eq!(got, "hi\n");
    let status = child.wait().unwrap();
    let mut err = String::new();
    let _ = child.stderr.take().unwrap().read_to_string(&mut err);
    drop(watchdog);
    assert!(status.success(), "berth run: {status}; stderr: {err}");
    let left = processes_mentioning(&env.root.display().to_string());
    assert!(left.is_empty(), "processes left behind: {left:?}");
    // Once pasta is gone, so is the forwarded port.
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
});

berthtest!(run_bad_publish_fails_125, |env| {
    env.import_busybox();
    for bad in ["80", "127.0.0.1:x:80", "0:80", "80:80/sctp", "nope:80:80"] {
        let out = env
            .berth(&["run", "--rm", "-p", bad, "busybox", "true"])
            .run();
        assert_fails_125(&out, &format!("invalid port mapping `{bad}`"));
    }
});

berthtest!(run_publish_with_network_none_or_host_fails_125, |env| {
    env.import_busybox();
    for mode in ["none", "host"] {
        let out = env
            .berth(&[
                "run",
                "--rm",
                "--network",
                mode,
                "-p",
                "8080:80",
                "busybox",
                "true",
            ])
            .run();
        assert_fails_125(&out, &format!("--network {mode}"));
    }
});

// Where pasta is missing berth falls back to slirp4netns; `--network
// slirp4netns` picks it explicitly.
berthtest!(run_slirp4netns_network_configures_eth0, |env| {
    if !util::tool_or_skip("slirp4netns") {
        return;
    }
    env.import_busybox();
    let out = env
        .berth(&[
            "run",
            "--rm",
            "--network",
            "slirp4netns",
            "busybox",
            "ip",
            "-4",
            "addr",
            "show",
            "eth0",
        ])
        .run();
    assert_ok(&out);
    assert!(
        out.stdout().contains("inet 10.0.2.100/24"),
        "{}",
        out.stdout()
    );
    let bad = env
        .berth(&[
            "run",
            "--rm",
            "--network",
            "slirp4netns",
            "-p",
            "8080:80",
            "busybox",
            "true",
        ])
        .run();
    util::assert_fails_125(&bad, "only pasta's private network has ports to publish");
});
