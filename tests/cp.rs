//! `berth cp`: both ways, on stopped and running containers, tar streams,
//! and containers that plant symlinks to lead the copy out of their root.

use crate::util::{TestEnv, assert_fails_125, assert_ok, berth_bin, tar_file, tar_names};
use std::io::{BufRead, BufReader};
use std::os::unix::fs::MetadataExt;
use std::process::{Child, Command, Stdio};

/// A stopped container `c` whose script made `/data` (a dir with a file,
/// a 0640 file) and the escape symlinks `/data/up -> /` and
/// `/data/esc -> ../../..`.
fn stopped(env: &TestEnv) {
    env.import_busybox();
    let script = "mkdir -p /data/sub && echo hi > /data/sub/f && echo top > /data/g \
                  && chmod 640 /data/g && ln -s / /data/up && ln -s ../../.. /data/esc";
    env.berth(&["run", "--name", "c", "busybox", "sh", "-c", script])
        .ok();
}

/// A container `r` running `sleep`, with the same `/data`, once it said so.
/// Killed (with its berth) on drop.
struct Running(Child);

impl Running {
    fn start(env: &TestEnv) -> Running {
        Running::start_with(env, &[])
    }

    /// With `flags` given to `run` before the image.
    fn start_with(env: &TestEnv, flags: &[&str]) -> Running {
        env.import_busybox();
        let script = "mkdir -p /data/sub && echo hi > /data/sub/f && ln -s / /data/up \
                      && ln -s ../../.. /data/esc && echo ready && exec sleep 1000";
        let mut child = Command::new(berth_bin())
            .arg("--root")
            .arg(&env.root)
            .args(["run", "--name", "r"])
            .args(flags)
            .args(["busybox", "sh", "-c", script])
            .current_dir(env.dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line, "ready\n");
        Running(child)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // The container's pid 1 ignores SIGTERM; its berth's death ends it.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

berthtest!(cp_out_of_a_stopped_container_follows_docker_naming, |env| {
    stopped(&env);
    env.berth(&["cp", "c:/data/sub/f", "f"]).ok();
    assert_eq!(std::fs::read(env.path("f")).unwrap(), b"hi\n");
    // A directory to a new name becomes it; into an existing one, it keeps
    // its name; `DIR/.` copies its contents.
    env.berth(&["cp", "c:/data", "new"]).ok();
    assert_eq!(std::fs::read(env.path("new/sub/f")).unwrap(), b"hi\n");
    let g = std::fs::metadata(env.path("new/g")).unwrap();
    assert_eq!(g.mode() & 0o7777, 0o640);
    std::fs::create_dir(env.path("into")).unwrap();
    env.berth(&["cp", "c:/data", "into"]).ok();
    assert!(env.path("into/data/sub/f").is_file());
    std::fs::create_dir(env.path("dot")).unwrap();
    env.berth(&["cp", "c:/data/.", "dot"]).ok();
    assert!(env.path("dot/sub/f").is_file());
    // Symlinks are copied as themselves.
    let up = std::fs::read_link(env.path("new/up")).unwrap();
    assert_eq!(up.to_str().unwrap(), "/");
    // A directory never replaces a file.
    let out = env.berth(&["cp", "c:/data", "f"]).run();
    assert_fails_125(&out, "cannot copy the directory");
});

berthtest!(
    cp_into_a_stopped_container_gives_root_ids_unless_archive,
    |env| {
        stopped(&env);
        let file = env.write("host.txt", "from the host\n");
        env.berth(&["cp", file.to_str().unwrap(), "c:/data/"]).ok();
        env.berth(&["cp", "-a", file.to_str().unwrap(), "c:/data/kept"])
            .ok();
        env.write("tree/a/b", "deep\n");
        env.berth(&["cp", env.path("tree").to_str().unwrap(), "c:/newdir"])
            .ok();
        let out = env.berth(&["cp", "c:/", "-"]).run();
        assert_ok(&out);
        let names = tar_names(&out.stdout);
        for want in ["data/host.txt", "data/kept", "newdir/a/b"] {
            assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
        }
        let owners = owners(&out.stdout);
        let me = crate::util::my_uid() as u64;
        assert_eq!(owners["data/host.txt"], (0, 0));
        assert_eq!(owners["data/kept"].0, me);
        if crate::util::has_id_range() {
            // The container sees them so too (without a range every file is
            // its root's, and the ids live in xattrs, as exported above).
            let up = env.root.join("containers");
            let id = crate::util::list_dir(&up).into_iter().next().unwrap();
            let kept = std::fs::metadata(up.join(id).join("upper/data/kept")).unwrap();
            assert_ne!(kept.uid(), crate::util::my_uid());
        }
    }
);

/// The uid and gid of every entry of a tar, by name.
fn owners(tar: &[u8]) -> std::collections::HashMap<String, (u64, u64)> {
    let mut ar = tar::Archive::new(tar);
    ar.entries()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.path().unwrap().to_string_lossy().into_owned();
            let h = e.header();
            (name, (h.uid().unwrap(), h.gid().unwrap()))
        })
        .collect()
}

berthtest!(cp_tar_streams_in_and_out, |env| {
    stopped(&env);
    let out = env.berth(&["cp", "c:/data/sub", "-"]).run();
    assert_ok(&out);
    assert_eq!(tar_names(&out.stdout), ["sub/", "sub/f"]);
    assert_eq!(tar_file(&out.stdout, "sub/f").unwrap(), b"hi\n");
    // The same tar into another directory of the container.
    env.berth(&["cp", "-", "c:/tmp"])
        .stdin(out.stdout.clone())
        .ok();
    let again = env.berth(&["cp", "c:/tmp/sub/f", "-"]).run();
    assert_eq!(tar_file(&again.stdout, "f").unwrap(), b"hi\n");
    // A stream goes into a directory only.
    let bad = env.berth(&["cp", "-", "c:/data/g"]).stdin(out.stdout).run();
    assert_fails_125(&bad, "not a directory");
});

berthtest!(cp_symlinks_planted_in_a_container_stay_in_its_root, |env| {
    stopped(&env);
    let host = env.write("host/secret", "host secret\n");
    let host_dir = host.parent().unwrap().to_str().unwrap().to_string();
    // Reading through `/data/up` or `../../..` reads the container's files.
    env.berth(&["cp", "c:/data/up/etc/passwd", "pw"]).ok();
    assert!(
        std::fs::read_to_string(env.path("pw"))
            .unwrap()
            .starts_with("root:")
    );
    let far = format!("c:/data/esc{host_dir}/secret");
    let out = env.berth(&["cp", &far, "stolen"]).run();
    assert_fails_125(&out, "No such file");
    assert!(!env.path("stolen").exists());
    // Writing through them lands in the container's root, never the host's.
    let file = env.write("in.txt", "in\n");
    let to_up = format!("c:/data/up{host_dir}/");
    let out = env.berth(&["cp", file.to_str().unwrap(), &to_up]).run();
    assert_fails_125(&out, "");
    let to_esc = "c:/data/esc/landed";
    env.berth(&["cp", file.to_str().unwrap(), to_esc]).ok();
    assert!(!env.dir().join("landed").exists() && !env.root.join("landed").exists());
    assert_eq!(std::fs::read(&host).unwrap(), b"host secret\n");
    assert_eq!(crate::util::list_dir(host.parent().unwrap()), ["secret"]);
    let seen = env.berth(&["cp", "c:/landed", "-"]).run();
    assert_eq!(tar_file(&seen.stdout, "landed").unwrap(), b"in\n");
    // A symlink named as the destination is replaced, not written through.
    env.berth(&[
        "run",
        "--name",
        "l",
        "busybox",
        "ln",
        "-s",
        &host.to_string_lossy(),
        "/link",
    ])
    .ok();
    env.berth(&["cp", file.to_str().unwrap(), "l:/link"]).ok();
    assert_eq!(std::fs::read(&host).unwrap(), b"host secret\n");
});

berthtest!(cp_works_on_a_running_container_both_ways, |env| {
    let _r = Running::start(&env);
    env.berth(&["cp", "r:/data/sub/f", "f"]).ok();
    assert_eq!(std::fs::read(env.path("f")).unwrap(), b"hi\n");
    let host = env.write("host/secret", "host secret\n");
    let file = env.write("in.txt", "live\n");
    env.berth(&["cp", file.to_str().unwrap(), "r:/data/up/tmp/x"])
        .ok();
    env.berth(&["cp", file.to_str().unwrap(), "r:/data/esc/y"])
        .ok();
    // The running container sees the files at once, in its own root.
    let out = env.berth(&["cp", "r:/", "-"]).run();
    assert_ok(&out);
    assert_eq!(tar_file(&out.stdout, "tmp/x").unwrap(), b"live\n");
    assert_eq!(tar_file(&out.stdout, "y").unwrap(), b"live\n");
    assert_eq!(owners(&out.stdout)["tmp/x"], (0, 0));
    assert_eq!(std::fs::read(&host).unwrap(), b"host secret\n");
    assert!(!env.dir().join("y").exists());
});

berthtest!(
    cp_into_a_running_container_under_init_reaches_its_root,
    |env| {
        // pid 1 is berth's reaper (non-dumpable): the copy goes through the
        // command's process instead, into the same root.
        let _r = Running::start_with(&env, &["--init"]);
        let host = env.write("host/secret", "host secret\n");
        let file = env.write("in.txt", "live\n");
        env.berth(&["cp", file.to_str().unwrap(), "r:/data/sub/in"])
            .ok();
        env.berth(&["cp", file.to_str().unwrap(), "r:/data/up/tmp/x"])
            .ok();
        let out = env.berth(&["cp", "r:/", "-"]).run();
        assert_ok(&out);
        assert_eq!(tar_file(&out.stdout, "data/sub/in").unwrap(), b"live\n");
        assert_eq!(tar_file(&out.stdout, "tmp/x").unwrap(), b"live\n");
        assert_eq!(std::fs::read(&host).unwrap(), b"host secret\n");
    }
);

berthtest!(cp_needs_exactly_one_container_side, |env| {
    let out = env.berth(&["cp", "a", "b"]).run();
    assert_fails_125(&out, "CONTAINER:PATH");
    let out = env.berth(&["cp", "nosuch:/x", "b"]).run();
    assert_fails_125(&out, "no such container");
});

// A copy into a container that does not run mounts its upper dir; a `start`
// meanwhile would mount it too. The copy holds the container's lock, so it
// waits for a start (or rm) underway, and they wait for it.
berthtest!(cp_into_a_stopped_container_waits_for_its_lock, |env| {
    env.import_busybox();
    let id = env
        .berth(&["create", "--name", "c", "busybox", "cat", "/x"])
        .ok();
    let lock = env.root.join("containers").join(id.trim()).join("lock");
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock)
        .unwrap();
    let held = nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive)
        .map_err(|(_, e)| e)
        .unwrap();
    let watch = crate::util::OpenWatch::new(&lock);
    let src = env.write("x", b"copied\n");
    let cp = env.berth(&["cp", src.to_str().unwrap(), "c:/x"]).spawn();
    assert!(
        watch.opened_within(std::time::Duration::from_secs(60)),
        "cp never took the container's lock"
    );
    drop(held);
    assert_ok(&cp.wait());
    let out = env.berth(&["start", "-a", "c"]).run();
    assert_ok(&out);
    assert_eq!(out.stdout(), "copied\n");
});
