//! Issue 8's low items: what an image wrote is printed escaped, volume names
//! cannot reach the host, new volumes seed one after another, and a kill -9'd
//! berth leaves records that the next berth reads right (exited, or orphaned
//! and killable, and `--rm` leftovers cleaned).

use crate::util::{self, Cmd, TestEnv, assert_fails_125, assert_ok};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Erases the terminal line and writes berth's prefix: a forged error line.
const FORGED: &str = "\u{1b}[2K\rberth: fake";
const FORGED_SHOWN: &str = "\\x1b[2K\\rberth: fake";

#[track_caller]
fn assert_no_controls(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    assert!(
        !bytes.iter().any(|&b| b == 0x1b || b == b'\r'),
        "{what} printed raw terminal controls:\n{text:?}"
    );
    assert!(
        text.contains(FORGED_SHOWN),
        "{what} does not show the forged text escaped:\n{text}"
    );
}

berthtest!(
    an_images_forged_berth_line_is_printed_escaped_issue_8,
    |env| {
        let bb = util::busybox_tar();
        let entrypoint = r#"ENTRYPOINT ["/\u001b[2K\rberth: fake"]"#;
        env.import(
            &bb,
            "forged",
            &["--change", entrypoint, "--message", FORGED],
        );

        // The exec error names the image's entrypoint.
        let out = env.berth(&["run", "--network", "none", "forged"]).run();
        assert_eq!(out.code(), Some(127), "{}", out.stderr());
        assert_no_controls("run's error", &out.stderr);

        let out = env.berth(&["history", "--no-trunc", "forged"]).run();
        assert_ok(&out);
        assert_no_controls("history", &out.stdout);

        let out = env.berth(&["ps", "-a", "--no-trunc"]).run();
        assert_ok(&out);
        assert_no_controls("ps", &out.stdout);

        // JSON stays JSON: serde's escapes, decoding to the image's own bytes.
        let out = env.berth(&["inspect", "forged"]).run();
        assert_ok(&out);
        assert!(!out.stdout.contains(&0x1b), "inspect printed a raw escape");
        let v = out.json();
        assert_eq!(
            v[0]["Config"]["Entrypoint"][0].as_str(),
            Some(format!("/{FORGED}").as_str())
        );
        let out = env.berth(&["ps", "-a", "--format", "json"]).run();
        assert_ok(&out);
        assert!(
            !out.stdout.contains(&0x1b),
            "ps --format json printed a raw escape"
        );
        assert_eq!(
            out.json()[0]["Command"][0].as_str(),
            Some(format!("/{FORGED}").as_str())
        );
    }
);

berthtest!(a_volume_mount_refuses_paths_as_names_issue_8, |env| {
    env.import_busybox();
    let before = env.snapshot();
    for src in ["..", ".", "./x"] {
        let mount = format!("type=volume,source={src},target=/v");
        let out = env
            .berth(&["run", "--rm", "--network", "none", "--mount", &mount])
            .args(&["busybox", "ls", "/v"])
            .run();
        assert_fails_125(&out, "invalid volume name");
        assert_eq!(
            util::list_dir(&env.root.join("containers")),
            Vec::<String>::new()
        );
        assert_eq!(
            util::list_dir(&env.root.join("volumes")),
            Vec::<String>::new()
        );
        assert!(!env.path("x").exists(), "`./x` was created on the host");
        eqnice!(before, env.snapshot(), "the store changed");
    }
});

berthtest!(two_new_named_volumes_fill_in_one_run_issue_8, |env| {
    env.import_busybox();
    let out = env
        .berth(&[
            "run",
            "--rm",
            "--network",
            "none",
            "-v",
            "a:/etc",
            "-v",
            "b:/bin",
        ])
        .args(&["busybox", "sh", "-c", "cat /etc/group && touch /bin/mark"])
        .ok();
    assert!(out.contains("root:x:0:"), "/etc was not filled: {out}");
    // Both persist, filled.
    let out = env
        .berth(&[
            "run",
            "--rm",
            "--network",
            "none",
            "-v",
            "a:/etc",
            "-v",
            "b:/bin",
        ])
        .args(&["busybox", "ls", "/bin/mark", "/etc/passwd"])
        .ok();
    assert_eq!(out.lines().count(), 2, "{out}");
});

berthtest!(
    a_host_bind_beside_a_new_volume_on_its_destination_is_refused_not_filled,
    |env| {
        // Filling a new named volume from the image once went by destination:
        // a host bind on the same destination got the image's files written
        // into it. Two mounts on one destination are refused, as by podman.
        env.import_busybox();
        let host = env.path("project");
        std::fs::create_dir(&host).unwrap();
        for spelling in ["/etc", "/etc/"] {
            let bind = format!("{}:{spelling}", host.display());
            let out = env
                .berth(&["run", "--rm", "--network", "none", "-v", &bind])
                .args(&["-v", "fresh:/etc", "busybox", "true"])
                .run();
            assert_eq!(out.code(), Some(125), "{}", out.stderr());
            assert!(
                out.stderr().contains("duplicate mount destination"),
                "{}",
                out.stderr()
            );
        }
        let written: Vec<_> = std::fs::read_dir(&host).unwrap().collect();
        assert!(
            written.is_empty(),
            "image files in the host dir: {written:?}"
        );
    }
);

/// A dir for `-v DIR:/s` holding fifos `names`, open to any container user.
fn sync_dir(env: &TestEnv, names: &[&str]) -> PathBuf {
    let dir = env.path("sync");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    for n in names {
        let st = Command::new("mkfifo")
            .args(["-m", "666"])
            .arg(dir.join(n))
            .status()
            .unwrap();
        assert!(st.success(), "mkfifo {n}");
    }
    dir
}

/// Blocks until a writer has opened and closed `fifo`: the container is set.
/// Gives up (failing the test) only after the harness's command timeout.
fn wait_ready(fifo: &Path) {
    let (tx, rx) = std::sync::mpsc::channel();
    let fifo = fifo.to_path_buf();
    std::thread::spawn(move || {
        let mut s = String::new();
        let r = std::fs::File::open(&fifo).and_then(|mut f| f.read_to_string(&mut s));
        let _ = tx.send(r);
    });
    rx.recv_timeout(Duration::from_secs(300))
        .expect("the container never became ready")
        .expect("reading the ready fifo");
}

/// `kill -KILL PID`.
fn kill9(pid: u32) {
    let st = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(st.success(), "kill -KILL {pid}");
}

/// From /proc/PID/stat: state (field 3), flags (9) and start time (22).
fn stat(pid: u64) -> Option<(String, u64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let f: Vec<&str> = stat[stat.rfind(')')? + 1..]
        .split_ascii_whitespace()
        .collect();
    Some((f[0].to_string(), f[6].parse().ok()?, f[19].parse().ok()?))
}

/// Whether pid `pid`, started at `start`, still runs user code (not gone, not
/// a zombie, not exiting: PF_EXITING in its flags).
fn running(pid: u64, start: Option<u64>) -> bool {
    stat(pid).is_some_and(|(state, flags, started)| {
        !matches!(state.as_str(), "Z" | "X")
            && flags & 0x4 == 0
            && start.is_none_or(|s| s == started)
    })
}

/// The record (meta.json) of the one container: the pids berth recorded,
/// which `ps` shows only while the container runs.
fn only_container(env: &TestEnv) -> serde_json::Value {
    let ids = util::list_dir(&env.root.join("containers"));
    assert_eq!(ids.len(), 1, "{ids:?}");
    let meta = std::fs::read(env.root.join("containers").join(&ids[0]).join("meta.json")).unwrap();
    serde_json::from_slice(&meta).unwrap()
}

/// Starts `berth run --network none -v SYNC:/s ARGS…` whose container opens
/// /s/ready for writing once set, waits for that, and kill -9s berth.
/// Returns once berth has exited and its stdout and stderr have closed.
fn run_and_kill_berth(env: &TestEnv, sync: &Path, args: &[&str]) -> util::Run {
    let mut cmd: Cmd = env.berth(&["run", "--network", "none", "-v"]);
    cmd.arg(format!("{}:/s", sync.display())).args(args);
    let berth = cmd.spawn();
    wait_ready(&sync.join("ready"));
    kill9(berth.pid());
    berth.wait()
}

berthtest!(
    kill_9_of_berth_takes_its_container_along_and_ps_says_exited_issue_8,
    |env| {
        env.import_busybox();
        let sync = sync_dir(&env, &["ready", "block"]);
        let wait_forever = ": > /s/ready; exec cat /s/block";
        let run = run_and_kill_berth(
            &env,
            &sync,
            &["--name", "k", "busybox", "sh", "-c", wait_forever],
        );
        assert_eq!(run.code(), None, "berth was not killed: {}", run.stderr());
        // Its parent-death signal kills it; berth's output no longer waits
        // for the container (a relay pipe sits between), so wait for the end.
        let c = only_container(&env);
        let pid = c["pid"].as_u64().expect("a recorded pid");
        let _ = util::wait_exit(pid as u32, std::time::Duration::from_secs(20));
        assert!(
            !running(pid, c["pid_start"].as_u64()),
            "the container outlived berth"
        );

        let out = env.berth(&["ps", "-a"]).ok();
        assert!(out.contains(" Exited ") && out.contains(" k"), "{out}");
        assert_eq!(env.berth(&["ps", "-q"]).ok(), "");
        env.berth(&["rm", "k"]).ok();
        assert_eq!(env.berth(&["ps", "-aq"]).ok(), "");
    }
);

berthtest!(
    a_killed_berths_rm_container_is_removed_by_the_next_ps_issue_8,
    |env| {
        killed_rm_container(&env);
        assert_eq!(env.berth(&["ps", "-aq"]).ok(), "");
        assert_eq!(
            util::list_dir(&env.root.join("containers")),
            Vec::<String>::new()
        );
    }
);

berthtest!(
    a_killed_berths_rm_container_is_not_started_again_by_restart,
    |env| {
        let rec = killed_rm_container(&env);
        // Its writable layer was mounted `volatile`, which overlayfs will not
        // mount again: `restart` says why instead of starting it on a copy.
        let name = rec["name"].as_str().unwrap();
        let out = env.berth(&["restart", name]).run();
        assert_fails_125(&out, "was run with --rm");
        assert_eq!(env.berth(&["ps", "-aq"]).ok(), "");
    }
);

/// An `--rm` container whose berth was killed -9, once it has exited too
/// (its parent-death signal kills it, but its exit takes a moment while its
/// namespaces are torn down: until then `ps` rightly lists it); its record.
fn killed_rm_container(env: &TestEnv) -> serde_json::Value {
    env.import_busybox();
    let sync = sync_dir(env, &["ready", "block"]);
    let wait_forever = ": > /s/ready; exec cat /s/block";
    let run = run_and_kill_berth(env, &sync, &["--rm", "busybox", "sh", "-c", wait_forever]);
    assert_eq!(run.code(), None, "berth was not killed: {}", run.stderr());
    assert_eq!(util::list_dir(&env.root.join("containers")).len(), 1);
    let rec = only_container(env);
    let pid = rec["pid"].as_u64().expect("a recorded pid");
    assert!(
        util::wait_exit(pid as u32, std::time::Duration::from_secs(20)),
        "the container outlived berth"
    );
    rec
}

/// pid 1 of the container: clears its parent-death signal, forks a second
/// process, tells the test it is set, and waits for nothing, forever.
const ORPHAN: &str = r#"
#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>
int main(void) {
    if (prctl(PR_SET_PDEATHSIG, 0) != 0) return 1;
    /* berth's output pipes: the test waits for them to close. */
    close(0); close(1); close(2);
    if (fork() == 0) { for (;;) pause(); }
    int fd = open("/s/ready", O_WRONLY);
    if (fd < 0) return 2;
    close(fd);
    for (;;) pause();
}
"#;

/// A ustar header owned by 0:0 with the test image's fixed mtime.
fn header(mode: u32, size: u64) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(util::FIXED_MTIME);
    h.set_mode(mode);
    h.set_size(size);
    h
}

/// An image holding only `/payload`.
fn payload_image(env: &TestEnv, exe: &Path, reference: &str) {
    let mut b = tar::Builder::new(Vec::new());
    for d in ["dev", "proc", "sys"] {
        let mut h = header(0o755, 0);
        h.set_entry_type(tar::EntryType::Directory);
        b.append_data(&mut h, format!("{d}/"), std::io::empty())
            .unwrap();
    }
    let bytes = std::fs::read(exe).unwrap();
    let mut h = header(0o755, bytes.len() as u64);
    b.append_data(&mut h, "payload", &bytes[..]).unwrap();
    let tar = env.write("payload.tar", b.into_inner().unwrap());
    env.import(&tar, reference, &[]);
}

/// Kills the (pid, start time)s still running on drop: an orphan must not
/// outlive a failed test.
struct KillOnDrop(Vec<(u64, Option<u64>)>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        for (pid, start) in &self.0 {
            if running(*pid, *start) {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
            }
        }
    }
}

berthtest!(
    an_orphaned_container_is_reported_and_rm_f_ends_its_pid_namespace_issue_8,
    |env| {
        payload_image(
            &env,
            &util::payload::compile_static(env.dir(), "orphan", ORPHAN, false),
            "orphan",
        );
        let sync = sync_dir(&env, &["ready"]);
        let run = run_and_kill_berth(&env, &sync, &["--name", "o", "orphan", "/payload"]);
        assert_eq!(run.code(), None, "berth was not killed: {}", run.stderr());

        let c = only_container(&env);
        let (pid, start) = (c["pid"].as_u64().unwrap(), c["pid_start"].as_u64());
        let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap();
        let mut pids: Vec<(u64, Option<u64>)> = children
            .split_whitespace()
            .map(|p| p.parse().unwrap())
            .map(|p| (p, stat(p).map(|s| s.2)))
            .collect();
        assert_eq!(pids.len(), 1, "the payload's child: {children:?}");
        pids.push((pid, start));
        let _guard = KillOnDrop(pids.clone());
        for (p, s) in &pids {
            assert!(running(*p, *s), "pid {p} of the orphan died with berth");
        }

        let out = env.berth(&["ps"]).ok();
        assert!(out.contains("Orphaned") && out.contains(" o"), "{out}");
        let out = env.berth(&["rm", "o"]).run();
        assert_fails_125(&out, "orphaned");

        env.berth(&["rm", "-f", "o"]).ok();
        for (p, s) in &pids {
            assert!(!running(*p, *s), "pid {p} of the container survived rm -f");
        }
        assert_eq!(env.berth(&["ps", "-aq"]).ok(), "");
        assert_eq!(
            util::list_dir(&env.root.join("containers")),
            Vec::<String>::new()
        );
    }
);

// A container can nest directories deeper than any fd limit or stack berth
// has; `rm` must still remove it all (each level held open, or recursed
// into, ran out of fds at about 1000 levels and left the container behind).
berthtest!(
    a_container_that_nests_1500_directories_is_still_removed,
    |env| {
        env.import_busybox();
        env.berth(&[
            "run",
            "--name",
            "deep",
            "--network",
            "none",
            "busybox",
            "sh",
            "-c",
            "i=0; while [ $i -lt 1500 ]; do mkdir d && cd d || exit 1; i=$((i+1)); done; touch f",
        ])
        .ok();
        env.berth(&["rm", "deep"]).ok();
        assert_eq!(
            util::list_dir(&env.root.join("containers")),
            Vec::<String>::new()
        );
        let check = env.check_store();
        assert!(check.contains("store is valid"), "{check}");
    }
);
