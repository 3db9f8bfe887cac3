//! `berth events`: the append-only event log the commands write, read back
//! in order with filters and formats, and followed with `-f` (issue 12).

use crate::util::{TestEnv, assert_ok};
use std::io::BufRead;
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
