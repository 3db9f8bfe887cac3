//! `berth events`: the append-only event log the commands write, read back
//! in order with filters and formats, and followed with `-f` (issue 12).

use crate::util::{TestEnv, assert_ok};
use std::io::BufRead;
use std::os::linux::net::SocketAddrExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long a follower waits for one line before the test fails: a bound
/// on a blocking read, not a timing assertion.
const LINE_LIMIT: Duration = Duration::from_secs(120);

/// `berth events -f --format json ARGS…` running as the test's child; its
/// lines arrive on a channel.
pub struct Follower {
    child: Child,
    lines: mpsc::Receiver<serde_json::Value>,
}

impl Follower {
    pub fn start(env: &TestEnv, args: &[&str]) -> Follower {
        let mut child = Command::new(crate::util::berth_bin())
            .arg("--root")
            .arg(&env.root)
            .args(["events", "-f", "--format", "json"])
            .args(args)
            .current_dir(env.dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start berth events -f");
        let out = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines() {
                let Ok(line) = line else { return };
                let v = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("events printed {line:?}: {e}"));
                if tx.send(v).is_err() {
                    return;
                }
            }
        });
        Follower { child, lines }
    }

    /// The next event line (fails the test when none comes in [`LINE_LIMIT`]).
    pub fn next(&self) -> serde_json::Value {
        self.lines
            .recv_timeout(LINE_LIMIT)
            .expect("berth events -f printed no further event")
    }

    /// Reads events until one has `Status` `status` (and, when given,
    /// `health_status` `health`); returns it.
    pub fn until(&self, status: &str, health: Option<&str>) -> serde_json::Value {
        loop {
            let e = self.next();
            if e["Status"] == status && health.is_none_or(|h| e["health_status"] == h) {
                return e;
            }
        }
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn statuses(env: &TestEnv, filter: &str) -> Vec<serde_json::Value> {
    env.berth(&["events", "--format", "json", "--filter", filter])
        .ok()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

berthtest!(
    events_show_a_containers_life_in_order_with_its_exit_code,
    |env| {
        env.import_busybox();
        let out = env
            .berth(&[
                "run",
                "--name",
                "ev",
                "--network",
                "none",
                "busybox",
                "sh",
                "-c",
                "exit 3",
            ])
            .run();
        assert_eq!(out.code(), Some(3), "{}", out.stderr());
        env.berth(&["rm", "ev"]).ok();
        let got = statuses(&env, "container=ev");
        let names: Vec<&str> = got.iter().map(|e| e["Status"].as_str().unwrap()).collect();
        assert_eq!(names, ["create", "start", "died", "remove"], "{got:#?}");
        assert_eq!(got[2]["ContainerExitCode"], 3, "{:#}", got[2]);
        assert!(
            got.iter()
                .all(|e| e["Type"] == "container" && e["Name"] == "ev")
        );
        // Times only grow.
        let times: Vec<i64> = got.iter().map(|e| e["Time"].as_i64().unwrap()).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
        // podman's line by default.
        let text = env.berth(&["events", "--filter", "event=died"]).ok();
        assert!(
            text.contains("container died")
                && text.contains("name=ev")
                && text.contains("containerExitCode=3"),
            "{text}"
        );
    }
);

berthtest!(image_events_are_recorded_and_filtered_by_type, |env| {
    env.import_busybox();
    env.berth(&["tag", "busybox", "other:1"]).ok();
    env.berth(&["untag", "other:1", "other:1"]).ok();
    let got = statuses(&env, "type=image");
    let names: Vec<&str> = got.iter().map(|e| e["Status"].as_str().unwrap()).collect();
    assert_eq!(names, ["import", "tag", "untag"], "{got:#?}");
    assert!(
        got[1]["Name"].as_str().unwrap().ends_with("other:1"),
        "{:#}",
        got[1]
    );
    let tmpl = env
        .berth(&[
            "events",
            "--filter",
            "event=tag",
            "--format",
            "{{.Type}} {{.Status}}",
        ])
        .ok();
    assert_eq!(tmpl, "image tag\n");
});

berthtest!(import_and_load_are_image_events_too, |env| {
    let id = env.import_busybox();
    env.berth(&["save", "-o", "bb.tar", "busybox"]).ok();
    env.berth(&["load", "-q", "-i", "bb.tar"]).ok();
    let got = statuses(&env, "type=image");
    let seen: Vec<(&str, &str)> = got
        .iter()
        .map(|e| (e["Status"].as_str().unwrap(), e["Name"].as_str().unwrap()))
        .collect();
    assert_eq!(
        seen,
        [
            ("import", "docker.io/library/busybox:latest"),
            ("load", "docker.io/library/busybox:latest")
        ],
        "{got:#?}"
    );
    assert!(got.iter().all(|e| e["ID"] == id.as_str()), "{got:#?}");
    // `import -q` prints the id (a new one: the created time differs), as
    // it would without.
    let quiet = env
        .berth(&[
            "import",
            "-q",
            &crate::util::busybox_tar().display().to_string(),
        ])
        .ok();
    crate::util::assert_image_id(quiet.trim());
});

berthtest!(events_follow_prints_what_happens_after_it_started, |env| {
    env.import_busybox();
    let f = Follower::start(&env, &["--filter", "type=container"]);
    let out = env
        .berth(&[
            "run",
            "--rm",
            "--name",
            "live",
            "--network",
            "none",
            "busybox",
            "true",
        ])
        .run();
    assert_ok(&out);
    let create = f.until("create", None);
    assert_eq!(create["Name"], "live");
    assert_eq!(f.next()["Status"], "start");
    let died = f.next();
    assert_eq!(
        (died["Status"].as_str(), died["ContainerExitCode"].as_i64()),
        (Some("died"), Some(0))
    );
    assert_eq!(f.next()["Status"], "remove");
});

berthtest!(until_in_the_past_ends_following_at_once, |env| {
    env.import_busybox();
    env.berth(&["tag", "busybox", "x:1"]).ok();
    let out = env.berth(&["events", "-f", "--until", "1"]).run();
    assert_ok(&out);
    assert_eq!(out.stdout(), "");
    let bad = env.berth(&["events", "--filter", "colour=red"]).run();
    crate::util::assert_fails_125(&bad, "invalid --filter");
});

/// A real systemd-journald of the test's own: started in a new user and
/// mount namespace with fresh tmpfs over /run/systemd, /run/log and
/// /var/log/journal, so it needs no root and touches nothing of the host's
/// (the CI machine has no systemd as PID 1, so no journald of its own).
/// berth and journalctl join its namespaces with nsenter and find it where
/// they would on any systemd host, at /run/systemd/journal/socket.
struct Journald {
    child: Child,
}

/// Mounts the private directories, then becomes `$0` (`sh -c` keeps the
/// pid: the namespaces are the child's).
const PRIVATE_JOURNAL_DIRS: &str = "mount -t tmpfs none /run/systemd && \
     mount -t tmpfs none /run/log && mount -t tmpfs none /var/log/journal && exec \"$@\"";

impl Journald {
    /// `run` set to false mounts the directories but starts no journald:
    /// a host with no journal listening.
    fn start(run: bool) -> Journald {
        let journald = "/lib/systemd/systemd-journald";
        assert!(
            std::path::Path::new(journald).exists(),
            "{journald} is missing: install Debian's systemd package (.ci/lib.sh lists it)"
        );
        let mut cmd = Command::new("unshare");
        cmd.args(["-Urm", "sh", "-c", PRIVATE_JOURNAL_DIRS, "sh"]);
        // journald says READY=1 on NOTIFY_SOCKET once its sockets listen;
        // the stand-in says `ready` on its stdout once the mounts are made.
        let name = crate::systemd::abstract_name("journald");
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let notify = std::os::unix::net::UnixDatagram::bind_addr(&addr).unwrap();
        notify.set_read_timeout(Some(LINE_LIMIT)).unwrap();
        if run {
            cmd.arg(journald).stdout(Stdio::null());
        } else {
            cmd.args(["sh", "-c", "echo ready && exec sleep infinity"])
                .stdout(Stdio::piped());
        }
        let mut child = cmd
            .env("NOTIFY_SOCKET", format!("@{name}"))
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start unshare");
        if run {
            let mut buf = [0u8; 4096];
            loop {
                let n = notify
                    .recv(&mut buf)
                    .expect("systemd-journald said nothing on NOTIFY_SOCKET");
                if buf[..n].split(|b| *b == b'\n').any(|l| l == b"READY=1") {
                    break;
                }
            }
        } else {
            let mut line = String::new();
            std::io::BufReader::new(child.stdout.take().unwrap())
                .read_line(&mut line)
                .unwrap();
            assert_eq!(line, "ready\n", "the private directories were not mounted");
        }
        Journald { child }
    }

    /// `nsenter …` into its namespaces, as the test's own user (who is
    /// root there, mapped to itself).
    fn nsenter(&self) -> [String; 5] {
        [
            "-t".into(),
            self.child.id().to_string(),
            "-U".into(),
            "-m".into(),
            "--preserve-credentials".into(),
        ]
    }

    /// `PROGRAM ARGS…` in the journal's namespaces.
    fn cmd(&self, program: impl AsRef<std::ffi::OsStr>) -> crate::util::Cmd {
        let mut c = crate::util::Cmd::new("nsenter");
        c.args(&self.nsenter()).arg(program);
        c
    }

    /// `berth --root ROOT --events-backend journald ARGS…` beside it.
    fn berth(&self, env: &TestEnv, args: &[&str]) -> crate::util::Cmd {
        let mut c = self.cmd(crate::util::berth_bin());
        c.arg("--root")
            .arg(&env.root)
            .args(&["--events-backend", "journald"])
            .args(args)
            .current_dir(env.dir());
        c
    }

    /// `berth run -d` of a journald-logged busybox container `name`
    /// running `script` beside it.
    fn run_logged(&self, env: &TestEnv, name: &str, script: &str) {
        let args = ["run", "-d", "--network", "none", "--log-driver", "journald"];
        self.berth(env, &args)
            .args(&["--name", name, "busybox", "sh", "-c", script])
            .ok();
    }

    /// `berth ARGS…` beside it as the test's child, its stdout piped.
    fn spawn(&self, env: &TestEnv, args: &[&str]) -> Child {
        Command::new("nsenter")
            .args(self.nsenter())
            .arg(crate::util::berth_bin())
            .arg("--root")
            .arg(&env.root)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    }

    /// The test's busybox image, imported beside it.
    fn import_busybox(&self, env: &TestEnv) {
        let tar = crate::util::busybox_tar();
        self.berth(env, &["import", &tar.display().to_string(), "busybox"])
            .ok();
    }

    /// `berth events --format json` (after `journalctl --sync`: what was
    /// sent is stored).
    fn events(&self, env: &TestEnv, backend: &str, filter: &str) -> Vec<serde_json::Value> {
        self.cmd("journalctl").arg("--sync").ok();
        let mut c = self.cmd(crate::util::berth_bin());
        c.arg("--root")
            .arg(&env.root)
            .args(&["--events-backend", backend, "events", "--format", "json"])
            .args(&["--filter", filter]);
        c.ok()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

/// The lines a child prints on `out`, as they come, on a channel.
fn lines_of(out: std::process::ChildStdout) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// What is left on a [`lines_of`] channel, to the end of the output (fails
/// the test when it has not ended in [`LINE_LIMIT`]). The child's exit does
/// not mean its last lines have been read: the reader thread may not have
/// run since they were written.
fn rest_of(rx: &mpsc::Receiver<String>) -> Vec<String> {
    let mut lines = Vec::new();
    loop {
        match rx.recv_timeout(LINE_LIMIT) {
            Ok(line) => lines.push(line),
            Err(mpsc::RecvTimeoutError::Disconnected) => return lines,
            Err(mpsc::RecvTimeoutError::Timeout) => panic!("the output never ended: {lines:?}"),
        }
    }
}

impl Drop for Journald {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

berthtest!(
    events_backend_journald_sends_to_the_journal_and_reads_back,
    |env| {
        let j = Journald::start(true);
        j.import_busybox(&env);
        // A container's life, its start and exit recorded by the detached
        // monitor, which must have been told the backend.
        j.berth(
            &env,
            &[
                "run",
                "-d",
                "--name",
                "jc",
                "--network",
                "none",
                "busybox",
                "sh",
                "-c",
                "exit 4",
            ],
        )
        .ok();
        assert_eq!(j.berth(&env, &["wait", "jc"]).ok().trim(), "4");
        let got = j.events(&env, "journald", "container=jc");
        let names: Vec<&str> = got.iter().map(|e| e["Status"].as_str().unwrap()).collect();
        assert_eq!(names, ["create", "start", "died"], "{got:#?}");
        assert_eq!(got[2]["ContainerExitCode"], 4, "{:#}", got[2]);
        // None of it went to the file log.
        assert_eq!(
            j.events(&env, "file", "container=jc"),
            Vec::<serde_json::Value>::new()
        );
        // The journal holds it as berth's, with the human line as MESSAGE.
        let raw = j
            .cmd("journalctl")
            .args(&[
                "--output=json",
                "--no-pager",
                "SYSLOG_IDENTIFIER=berth",
                "BERTH_EVENT=died",
            ])
            .ok();
        let entry: serde_json::Value = serde_json::from_str(raw.lines().last().unwrap()).unwrap();
        assert_eq!(entry["BERTH_NAME"], "jc", "{entry:#}");
        assert_eq!(entry["BERTH_EXIT_CODE"], "4", "{entry:#}");
        assert_eq!(
            entry["BERTH_ROOT"],
            env.root.display().to_string(),
            "{entry:#}"
        );
        assert!(
            entry["MESSAGE"]
                .as_str()
                .unwrap()
                .contains("container died"),
            "{entry:#}"
        );
        // Another store's events are its own, as with files.
        let other = TestEnv::new("journald-other");
        assert_eq!(
            j.events(&other, "journald", "type=image"),
            Vec::<serde_json::Value>::new()
        );
    }
);

berthtest!(events_backend_journald_follows_with_journalctl, |env| {
    let j = Journald::start(true);
    j.import_busybox(&env);
    j.berth(&env, &["tag", "busybox", "first:1"]).ok();
    let mut child = Command::new("nsenter")
        .args(j.nsenter())
        .arg(crate::util::berth_bin())
        .arg("--root")
        .arg(&env.root)
        .args([
            "--events-backend",
            "journald",
            "events",
            "-f",
            "--format",
            "json",
        ])
        .args(["--filter", "event=tag"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = lines_of(child.stdout.take().unwrap());
    let next = || -> serde_json::Value {
        let line = rx
            .recv_timeout(LINE_LIMIT)
            .expect("berth events -f printed no further event");
        serde_json::from_str(&line).unwrap()
    };
    // What was recorded before, then what is recorded while it follows.
    let first = next();
    assert!(
        first["Name"].as_str().unwrap().ends_with("first:1"),
        "{first:#}"
    );
    j.berth(&env, &["tag", "busybox", "later:1"]).ok();
    let later = next();
    assert_eq!(later["Status"], "tag", "{later:#}");
    assert!(
        later["Name"].as_str().unwrap().ends_with("later:1"),
        "{later:#}"
    );
    let _ = child.kill();
    let _ = child.wait();
});

berthtest!(
    events_backend_journald_without_a_journal_names_the_socket,
    |env| {
        let j = Journald::start(false);
        let out = j.berth(&env, &["images"]).run();
        crate::util::assert_fails_125(&out, "/run/systemd/journal/socket does not exist");
        let bad = env.berth(&["--events-backend", "syslog", "images"]).run();
        crate::util::assert_fails_125(&bad, "use file, journald or none");
        // containers.conf (podman's too) naming journald on a host with no
        // journal: the file is used, as podman falls back, and nothing fails.
        let conf = env.write(
            "containers.conf",
            b"[engine]\nevents_logger = \"journald\"\n",
        );
        let mut run = j.cmd(crate::util::berth_bin());
        run.env("CONTAINERS_CONF", &conf)
            .arg("--root")
            .arg(&env.root)
            .args(&["import", crate::util::busybox_tar().to_str().unwrap(), "bb"])
            .current_dir(env.dir());
        assert_ok(&run.run());
        let got = env.berth(&["events", "--format", "json"]).ok();
        assert!(got.contains("\"import\""), "{got}");
    }
);

berthtest!(
    log_driver_journald_sends_each_line_with_conmons_fields,
    |env| {
        let j = Journald::start(true);
        j.import_busybox(&env);
        let out = j
            .berth(
                &env,
                &[
                    "run",
                    "--rm",
                    "--network",
                    "none",
                    "--log-driver",
                    "journald",
                    "--name",
                    "jlog",
                    "busybox",
                    "sh",
                    "-c",
                    "echo out-line; echo err-line >&2; printf 'no end'",
                ],
            )
            .run();
        assert_ok(&out);
        // Logged and still shown to the caller, as a foreground run does.
        assert_eq!(out.stdout(), "out-line\nno end");
        j.cmd("journalctl").arg("--sync").ok();
        let entries: Vec<serde_json::Value> = j
            .cmd("journalctl")
            .args(&["--output=json", "CONTAINER_NAME=jlog"])
            .ok()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let field = |e: &serde_json::Value, k: &str| e[k].as_str().unwrap_or("").to_string();
        // After its lines, the run's end: an entry without MESSAGE (which
        // journalctl's text output skips) that `logs -f` reads up to.
        let (ends, entries): (Vec<_>, Vec<_>) = entries
            .into_iter()
            .partition(|e| e.get("MESSAGE").is_none());
        assert_eq!(ends.len(), 1, "{ends:#?}");
        assert_eq!(field(&ends[0], "BERTH_LOG_END"), "1", "{:#}", ends[0]);
        let mut seen: Vec<(String, String, String)> = entries
            .iter()
            .map(|e| {
                (
                    field(e, "MESSAGE"),
                    field(e, "PRIORITY"),
                    field(e, "CONTAINER_PARTIAL_MESSAGE"),
                )
            })
            .collect();
        seen.sort();
        let s = |a: &str| a.to_string();
        assert_eq!(
            seen,
            [
                (s("err-line"), s("3"), s("")),
                (s("no end"), s("6"), s("true")),
                (s("out-line"), s("6"), s("")),
            ],
            "{entries:#?}"
        );
        for e in &entries {
            let full = field(e, "CONTAINER_ID_FULL");
            assert_eq!(full.len(), 64, "{e:#}");
            assert_eq!(field(e, "CONTAINER_ID"), full[..12], "{e:#}");
            assert_eq!(field(e, "SYSLOG_IDENTIFIER"), "jlog", "{e:#}");
        }
    }
);

berthtest!(logs_reads_a_journald_container_back_and_follows_it, |env| {
    let j = Journald::start(true);
    let b = |args: &[&str]| j.berth(&env, args);
    j.import_busybox(&env);
    j.run_logged(
        &env,
        "jf",
        "mkfifo /go; echo one; echo two >&2; read x </go; echo three; exec sleep 1000",
    );
    // -f shows what is stored, then what comes, until the container ends.
    let mut follow = j.spawn(&env, &["logs", "-f", "jf"]);
    let rx = lines_of(follow.stdout.take().unwrap());
    let next = || {
        rx.recv_timeout(LINE_LIMIT)
            .expect("berth logs -f printed no further line")
    };
    assert_eq!(next(), "one");
    b(&["exec", "jf", "sh", "-c", "echo >/go"]).ok();
    assert_eq!(next(), "three");
    b(&["kill", "jf"]).ok();
    let status = follow.wait().unwrap();
    assert!(status.success(), "logs -f: {status}");

    // Without -f: each stream to its own, as the k8s-file log is read.
    j.cmd("journalctl").arg("--sync").ok();
    let all = b(&["logs", "jf"]).run();
    assert_ok(&all);
    assert_eq!(all.stdout(), "one\nthree\n");
    assert_eq!(all.stderr(), "two\n");
    let last = b(&["logs", "--tail", "1", "jf"]).run();
    assert_ok(&last);
    assert_eq!(last.stdout(), "three\n");
    assert_eq!(last.stderr(), "");
});

berthtest!(
    attach_follows_a_journald_container_to_its_last_line,
    |env| {
        let j = Journald::start(true);
        let b = |args: &[&str]| j.berth(&env, args);
        j.import_busybox(&env);
        j.run_logged(
            &env,
            "ja",
            "mkfifo /go; echo before; read x </go; echo after; echo last; exit 3",
        );
        // "before" is stored before the attach starts, so it is not shown:
        // read back by `logs -f` (`run -d` returns once the shell runs, not
        // once it has written).
        let mut logs = j.spawn(&env, &["logs", "-f", "ja"]);
        let first = lines_of(logs.stdout.take().unwrap()).recv_timeout(LINE_LIMIT);
        logs.kill().unwrap();
        logs.wait().unwrap();
        assert_eq!(first.as_deref(), Ok("before"));
        let mut attach = j.spawn(&env, &["attach", "ja"]);
        let rx = lines_of(attach.stdout.take().unwrap());
        // Released once attach follows the journal (its `journalctl
        // --follow` runs): what comes after that is what it must show.
        let follows = || {
            let children = format!("/proc/{0}/task/{0}/children", attach.id());
            std::fs::read_to_string(children)
                .unwrap_or_default()
                .split_whitespace()
                .any(|c| {
                    std::fs::read(format!("/proc/{c}/cmdline"))
                        .is_ok_and(|l| l.split(|b| *b == 0).any(|a| a == b"--follow"))
                })
        };
        let deadline = std::time::Instant::now() + LINE_LIMIT;
        while !follows() {
            assert!(
                std::time::Instant::now() < deadline,
                "attach never followed"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        // The writer may be killed with the container as it ends (exit 137):
        // what matters is that it wrote.
        b(&["exec", "ja", "sh", "-c", "echo >/go"]).run();
        let status = attach.wait().unwrap();
        let lines = rest_of(&rx);
        // The container's last lines, sent just before it ended, are there.
        assert_eq!(lines, ["after", "last"]);
        assert_eq!(
            status.code(),
            Some(3),
            "attach exits with the container's code"
        );
    }
);
