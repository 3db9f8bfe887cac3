//! berth as a systemd unit's main process, with the protocols driven for
//! real and no systemd: the test is the service manager. It listens on a
//! datagram socket as NOTIFY_SOCKET (READY, MAINPID, WATCHDOG from berth or
//! relayed from the container), passes sockets as LISTEN_FDS, signals
//! berth as systemd stops a unit, and reads --cidfile/--pidfile (issue 12).

use crate::util::payload::compile_static;
use crate::util::{TestEnv, assert_fails_125, assert_ok, berth_bin, has_id_range, wait_for_entry};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram, UnixListener};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The service manager's side of NOTIFY_SOCKET: a datagram socket on an
/// abstract address (a path in the test's temp dir can be longer than a
/// socket address may be), read as messages come (as systemd does; a queue
/// nobody reads fills after ten).
struct Manager {
    /// NOTIFY_SOCKET's value: `@name`.
    path: String,
    addr: SocketAddr,
    reader: std::thread::JoinHandle<Vec<String>>,
}

/// What the test sends itself to end the reading.
const END: &str = "TEST-END";

/// An abstract socket address no other test uses.
pub fn abstract_name(what: &str) -> String {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("berth-test-{}-{what}-{n}", std::process::id())
}

impl Manager {
    fn new(_env: &TestEnv, what: &str) -> Manager {
        let name = abstract_name(what);
        let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let sock = UnixDatagram::bind_addr(&addr).unwrap();
        Manager {
            path: format!("@{name}"),
            addr,
            reader: std::thread::spawn(move || read_until_end(&sock)),
        }
    }

    /// Every message that arrived.
    fn messages(self) -> Vec<String> {
        UnixDatagram::unbound()
            .unwrap()
            .send_to_addr(END.as_bytes(), &self.addr)
            .unwrap();
        self.reader.join().unwrap()
    }
}

fn read_until_end(sock: &UnixDatagram) -> Vec<String> {
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = sock.recv(&mut buf).unwrap();
        let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
        if msg == END {
            return all;
        }
        all.push(msg);
    }
}

const RUN: &[&str] = &["run", "--rm", "--network", "none"];

berthtest!(sdnotify_conmon_reports_berth_as_main_pid_and_ready, |env| {
    env.import_busybox();
    for mode in [Some("--sdnotify=conmon"), None] {
        let manager = Manager::new(&env, &format!("notify-{}.sock", mode.is_some()));
        let mut args = RUN.to_vec();
        args.extend(mode);
        args.extend(["busybox", "sh", "-c", "echo ${NOTIFY_SOCKET:-unset}"]);
        let run = env.berth(&args).env("NOTIFY_SOCKET", &manager.path).spawn();
        let pid = run.pid();
        let out = run.wait();
        assert_ok(&out);
        // The socket is berth's business: the container never sees it.
        assert_eq!(out.stdout(), "unset\n", "{mode:?}");
        assert_eq!(
            manager.messages(),
            [format!("MAINPID={pid}\nREADY=1")],
            "{mode:?} (conmon is the default under NOTIFY_SOCKET, as podman)"
        );
    }
    let manager = Manager::new(&env, "ignored.sock");
    let mut args = RUN.to_vec();
    args.extend(["--sdnotify=ignore", "busybox", "true"]);
    assert_ok(&env.berth(&args).env("NOTIFY_SOCKET", &manager.path).run());
    assert_eq!(
        manager.messages(),
        Vec::<String>::new(),
        "ignore sent something"
    );
});

berthtest!(
    sdnotify_conmon_on_an_abstract_socket_and_with_run_d,
    |env| {
        env.import_busybox();
        let name = format!("berth-test-notify-{}", std::process::id());
        use std::os::linux::net::SocketAddrExt;
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let sock = UnixDatagram::bind_addr(&addr).unwrap();
        sock.set_nonblocking(true).unwrap();
        let id = env
            .berth(&["run", "-d", "--network", "none", "busybox", "sleep", "100"])
            .env("NOTIFY_SOCKET", format!("@{name}"))
            .ok();
        let rec = env.record(id.trim());
        // Detached, the unit's main process is the container's monitor, which
        // outlives `berth run` (podman names conmon).
        let monitor = rec["monitor"]["pid"].as_u64().unwrap();
        // Sent before `run -d` returned.
        sock.set_nonblocking(true).unwrap();
        let mut buf = [0u8; 256];
        let n = sock.recv(&mut buf).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&buf[..n]),
            format!("MAINPID={monitor}\nREADY=1")
        );
        assert!(sock.recv(&mut buf).is_err(), "more than one message");
        env.berth(&["rm", "-f", id.trim()]).ok();
    }
);

/// A service in the container that notifies systemd itself, as
/// `systemd-notify --ready --status=…` would (busybox has no such applet).
const NOTIFIER: &str = r#"
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
int main(void) {
    const char *path = getenv("NOTIFY_SOCKET");
    if (!path) return 2;
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    strncpy(a.sun_path, path, sizeof a.sun_path - 1);
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    const char *msg = "READY=1\nSTATUS=serving\nMAINPID=1";
    if (sendto(s, msg, strlen(msg), 0, (struct sockaddr *)&a, sizeof a) < 0) return 3;
    return 0;
}
"#;

berthtest!(
    sdnotify_container_relays_the_containers_ready_with_berths_pid,
    |env| {
        env.import_busybox();
        let helper = compile_static(env.dir(), "notifier", NOTIFIER, false);
        let vol = format!("{}:/notifier:ro", helper.display());
        // Any user of the container may notify (another uid needs an id range).
        let users: &[&str] = if has_id_range() {
            &["0", "65534"]
        } else {
            &["0"]
        };
        for user in users {
            let manager = Manager::new(&env, &format!("notify-{user}.sock"));
            let mut args = RUN.to_vec();
            args.extend([
                "--sdnotify=container",
                "-u",
                user,
                "-v",
                &vol,
                "busybox",
                "/notifier",
            ]);
            let run = env.berth(&args).env("NOTIFY_SOCKET", &manager.path).spawn();
            let pid = run.pid();
            assert_ok(&run.wait());
            // berth names itself the main process; READY=1 is the container's.
            assert_eq!(
                manager.messages(),
                [
                    format!("MAINPID={pid}"),
                    format!("MAINPID={pid}\nREADY=1\nSTATUS=serving")
                ],
                "as user {user}"
            );
        }
    }
);

berthtest!(watchdog_pings_arrive_while_the_container_runs, |env| {
    env.import_busybox();
    let manager = Manager::new(&env, "watched.sock");
    let mut args = RUN.to_vec();
    args.extend(["busybox", "sleep", "1"]);
    // 0.1 s: a ping every 50 ms while it sleeps a second.
    let out = env
        .berth(&args)
        .env("NOTIFY_SOCKET", &manager.path)
        .env("WATCHDOG_USEC", "100000")
        .run();
    assert_ok(&out);
    let got = manager.messages();
    let pings = got.iter().filter(|m| *m == "WATCHDOG=1").count();
    assert!(pings >= 2, "{got:?}");
    // WATCHDOG_PID naming another process: the watchdog is not berth's.
    let manager = Manager::new(&env, "not-watched.sock");
    let out = env
        .berth(&args)
        .env("NOTIFY_SOCKET", &manager.path)
        .env("WATCHDOG_USEC", "100000")
        .env("WATCHDOG_PID", "1")
        .run();
    assert_ok(&out);
    let got = manager.messages();
    assert!(!got.iter().any(|m| m.contains("WATCHDOG")), "{got:?}");
});

/// A socket-activated server: accepts one connection on fd 3 and answers
/// with what it was given, and the first other fd it has (-1: none).
const SERVER: &str = r#"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
int main(void) {
    int c = accept(3, 0, 0);
    if (c < 0) return 3;
    const char *pid = getenv("LISTEN_PID");
    int leaked = -1;
    for (int fd = 4; fd < 1024 && leaked < 0; fd++)
        if (fd != c && fcntl(fd, F_GETFD) >= 0) leaked = fd;
    char buf[512];
    int n = snprintf(buf, sizeof buf, "fds=%s names=%s pid-is-mine=%s other-fd=%d\n",
        getenv("LISTEN_FDS"), getenv("LISTEN_FDNAMES"),
        pid && atoi(pid) == getpid() ? "yes" : "no", leaked);
    write(c, buf, n);
    return 0;
}
"#;

berthtest!(
    socket_activation_hands_the_listening_socket_to_the_container,
    |env| {
        use std::io::Read;
        use std::os::fd::AsRawFd;
        env.import_busybox();
        let server = compile_static(env.dir(), "server", SERVER, false);
        let vol = format!("{}:/server:ro", server.display());
        for init in [false, true] {
            let addr = SocketAddr::from_abstract_name(abstract_name("web").as_bytes()).unwrap();
            let listener = UnixListener::bind_addr(&addr).unwrap();
            let mut cmd = Command::new("sh");
            // LISTEN_PID names berth: the shell's pid, which it execs into.
            cmd.args(["-c", "LISTEN_PID=$$ exec \"$0\" \"$@\""])
                .arg(berth_bin())
                .arg("--root")
                .arg(&env.root)
                .args(RUN)
                .args(if init { &["--init"][..] } else { &[] })
                .args(["-v", &vol, "busybox", "/server"])
                .env("LISTEN_FDS", "1")
                .env("LISTEN_FDNAMES", "web")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            let fd = listener.as_raw_fd();
            // SAFETY: dup2 and fcntl are async-signal-safe and only touch the
            // child's fd table between fork and exec.
            #[allow(unsafe_code)]
            unsafe {
                cmd.pre_exec(move || {
                    if fd != 3 && libc::dup2(fd, 3) < 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    libc::fcntl(3, libc::F_SETFD, 0);
                    Ok(())
                });
            }
            let child = cmd.spawn().unwrap();
            // The test keeps listening too: the connection is queued until the
            // container's server accepts it.
            let mut conn = std::os::unix::net::UnixStream::connect_addr(&addr).unwrap();
            let mut answer = String::new();
            conn.read_to_string(&mut answer).unwrap();
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(
                answer, "fds=1 names=web pid-is-mine=yes other-fd=-1\n",
                "--init {init}"
            );
        }
    }
);

berthtest!(cidfile_pidfile_and_replace, |env| {
    env.import_busybox();
    let cid = env.path("cid");
    let pidfile = env.path("pid");
    let (c, p) = (cid.to_str().unwrap(), pidfile.to_str().unwrap());
    let run_d = ["run", "-d", "--network", "none", "--stop-timeout", "0"];
    let mut args = run_d.to_vec();
    args.extend([
        "--name",
        "web",
        "--cidfile",
        c,
        "--pidfile",
        p,
        "busybox",
        "sleep",
        "100",
    ]);
    let id = env.berth(&args).ok().trim().to_string();
    assert_eq!(std::fs::read_to_string(&cid).unwrap(), id);
    let rec = env.record(&id);
    assert_eq!(
        std::fs::read_to_string(&pidfile).unwrap(),
        format!("{}\n", rec["pid"])
    );
    // As podman: a cidfile is never written over.
    let mut again = run_d.to_vec();
    again.extend(["--cidfile", c, "busybox", "true"]);
    assert_fails_125(&env.berth(&again).run(), "exists");
    assert_eq!(std::fs::read_to_string(&cid).unwrap(), id);
    // --replace: the old `web` is stopped and removed, a new one runs.
    let mut replace = run_d.to_vec();
    replace.extend(["--replace", "--name", "web", "busybox", "sleep", "100"]);
    let new = env.berth(&replace).ok().trim().to_string();
    assert_ne!(new, id);
    assert_eq!(env.berth(&["ps", "-aq", "--no-trunc"]).ok().trim(), new);
    assert!(
        !cid.exists(),
        "the replaced container's cidfile is gone with it"
    );
    env.berth(&["rm", "-f", "web"]).ok();
    // rm takes a container's cidfile, unless it names another one by now.
    let mut args = run_d.to_vec();
    args.extend(["--cidfile", c, "busybox", "sleep", "100"]);
    let id = env.berth(&args).ok().trim().to_string();
    env.berth(&["rm", "-f", &id]).ok();
    assert!(!cid.exists(), "rm -f left the cidfile");
    let id = env.berth(&args).ok().trim().to_string();
    std::fs::write(&cid, "someone-else").unwrap();
    env.berth(&["rm", "-f", &id]).ok();
    assert_eq!(std::fs::read_to_string(&cid).unwrap(), "someone-else");
    std::fs::remove_file(&cid).unwrap();
    // -d --rm: its monitor removes the container and the cidfile.
    let mut args = run_d.to_vec();
    args.extend(["--rm", "--cidfile", c, "busybox", "sleep", "100"]);
    let id = env.berth(&args).ok().trim().to_string();
    assert_eq!(std::fs::read_to_string(&cid).unwrap(), id);
    env.berth(&["stop", &id]).ok();
    assert!(!cid.exists(), "-d --rm left the cidfile");
    // --rm takes its cidfile with it.
    let cid2 = env.path("cid2");
    let mut args = RUN.to_vec();
    args.extend(["--cidfile", cid2.to_str().unwrap(), "busybox", "true"]);
    assert_ok(&env.berth(&args).run());
    assert!(!cid2.exists());
});

berthtest!(
    sigterm_to_berth_run_stops_the_container_with_its_stop_signal,
    |env| {
        env.import_busybox();
        let out_dir = env.path("out");
        std::fs::create_dir(&out_dir).unwrap();
        let vol = format!("{}:/out", out_dir.display());
        let script = "trap 'exit 7' USR1; touch /out/up; while :; do sleep 1; done";
        let mut args = RUN.to_vec();
        args.extend([
            "--stop-signal",
            "USR1",
            "-v",
            &vol,
            "busybox",
            "sh",
            "-c",
            script,
        ]);
        let run = env.berth(&args).spawn();
        assert!(wait_for_entry(&out_dir, "up", Duration::from_secs(60)));
        kill_term(run.pid());
        let out = run.wait();
        assert_eq!(out.code(), Some(7), "{}", out.stderr());

        // pid 1 without a handler ignores SIGTERM: killed after the timeout,
        // berth exits as the container did (128+9).
        let mut args = RUN.to_vec();
        args.extend(["--stop-timeout", "1", "-v", &vol, "busybox", "sh", "-c"]);
        args.push("touch /out/up2; exec sleep 100");
        let run = env.berth(&args).spawn();
        assert!(wait_for_entry(&out_dir, "up2", Duration::from_secs(60)));
        kill_term(run.pid());
        let out = run.wait();
        assert_eq!(out.code(), Some(137), "{}", out.stderr());
    }
);

fn kill_term(pid: u32) {
    let ok = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

berthtest!(
    a_detached_monitor_pings_the_watchdog_and_relays_the_containers_ready,
    |env| {
        env.import_busybox();
        let helper = compile_static(env.dir(), "notifier", NOTIFIER, false);
        let vol = format!("{}:/notifier:ro", helper.display());
        let manager = Manager::new(&env, "detached.sock");
        // It notifies, then lives a second: pings every 50 ms meanwhile,
        // from the monitor, the main process once `run -d` has returned.
        let id = env
            .berth(&[
                "run",
                "-d",
                "--network",
                "none",
                "--sdnotify=container",
                "-v",
                &vol,
                "busybox",
                "sh",
                "-c",
                "/notifier && sleep 1",
            ])
            .env("NOTIFY_SOCKET", &manager.path)
            .env("WATCHDOG_USEC", "100000")
            .ok();
        let id = id.trim();
        let rec = env.record(id);
        let monitor = rec["monitor"]["pid"].as_u64().unwrap();
        assert_eq!(env.berth(&["wait", id]).ok().trim(), "0");
        let got = manager.messages();
        assert_eq!(got[0], format!("MAINPID={monitor}"), "{got:?}");
        assert!(
            got.contains(&format!("MAINPID={monitor}\nREADY=1\nSTATUS=serving")),
            "the container's READY=1, relayed by the monitor: {got:?}"
        );
        let pings = got.iter().filter(|m| *m == "WATCHDOG=1").count();
        assert!(pings >= 2, "{got:?}");
        env.berth(&["rm", id]).ok();
    }
);

berthtest!(
    a_detached_healthy_container_is_ready_once_its_check_passes,
    |env| {
        env.import_busybox();
        let manager = Manager::new(&env, "healthy.sock");
        let id = env
            .berth(&[
                "run",
                "-d",
                "--network",
                "none",
                "--sdnotify=healthy",
                "--health-cmd",
                "test -e /tmp/up",
                "--health-interval",
                "1s",
                "busybox",
                "sh",
                "-c",
                "touch /tmp/up; sleep 3",
            ])
            .env("NOTIFY_SOCKET", &manager.path)
            .ok();
        let id = id.trim();
        assert_eq!(env.berth(&["wait", id]).ok().trim(), "0");
        let got = manager.messages();
        let rec = env.record(id);
        let monitor = rec["monitor"]["pid"].as_u64().unwrap();
        assert_eq!(
            got,
            [
                format!("MAINPID={monitor}"),
                format!("MAINPID={monitor}\nREADY=1")
            ],
            "READY=1 from the monitor once healthy"
        );
        env.berth(&["rm", id]).ok();
    }
);

berthtest!(
    start_attach_under_notify_socket_reports_ready_as_run_does,
    |env| {
        env.import_busybox();
        env.berth(&[
            "create",
            "--name",
            "unit",
            "--network",
            "none",
            "busybox",
            "true",
        ])
        .ok();
        let manager = Manager::new(&env, "start-a");
        let start = env
            .berth(&["start", "-a", "unit"])
            .env("NOTIFY_SOCKET", &manager.path)
            .spawn();
        let pid = start.pid();
        assert_ok(&start.wait());
        // berth is the unit's main process, ready once the command runs.
        assert_eq!(manager.messages(), [format!("MAINPID={pid}\nREADY=1")]);
    }
);
