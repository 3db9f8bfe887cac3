//! Attacks on the container lifecycle (`create`/`start`/`run -d`, `exec`,
//! `cp`, `logs`) performed as an unprivileged user: what a hostile image or
//! container tries, and the host left as it was.

use crate::util::{TestEnv, berth_bin, busybox_tar};
use std::os::unix::process::CommandExt;
use std::process::Command;

/// berth with an extra fd open at `fd` (not close-on-exec), as a caller
/// (a shell, a CI runner) may leave one.
fn with_fd(env: &TestEnv, args: &[&str], fd: i32, file: std::fs::File) -> Command {
    use std::os::fd::AsRawFd;
    let mut cmd = Command::new(berth_bin());
    cmd.arg("--root").arg(&env.root).args(args);
    cmd.current_dir(env.dir());
    // SAFETY: dup2 and fcntl are async-signal-safe and only touch the
    // child's fd table between fork and exec.
    #[allow(unsafe_code)]
    unsafe {
        cmd.pre_exec(move || {
            let raw = file.as_raw_fd();
            if raw != fd && libc::dup2(raw, fd) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            libc::fcntl(fd, libc::F_SETFD, 0);
            Ok(())
        });
    }
    cmd
}

/// An image whose WORKDIR is a magic link to fd 7 of the process that
/// enters it: the caller's fd, if it reached the container's process.
fn workdir_through_fd_7(env: &TestEnv) {
    env.import(
        &busybox_tar(),
        "evil",
        &["--change", "WORKDIR /proc/self/fd/7"],
    );
}

const WRITE_HERE: &str = "ls; echo hacked > written";

berthtest!(
    an_image_workdir_through_an_inherited_fd_does_not_start_in_a_host_directory,
    |env| {
        workdir_through_fd_7(&env);
        env.write("host/secret-marker", "host file");
        let dir = std::fs::File::open(env.path("host")).unwrap();
        let cmd = with_fd(
            &env,
            &[
                "run",
                "--rm",
                "--network",
                "none",
                "evil",
                "sh",
                "-c",
                WRITE_HERE,
            ],
            7,
            dir,
        );
        let out = { cmd }.output().unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !all.contains("secret-marker"),
            "the container listed a host dir:\n{all}"
        );
        assert!(
            !env.path("host/written").exists(),
            "the container wrote into a host dir"
        );
        assert_eq!(out.status.code(), Some(125), "{all}");
        assert!(all.contains("/proc/self/fd/7"), "{all}");
    }
);

berthtest!(
    a_detached_containers_workdir_through_the_callers_fd_stays_in_its_root,
    |env| {
        // run -d: the monitor is berth re-executed by the caller's berth,
        // the container's parent for its whole life.
        workdir_through_fd_7(&env);
        env.write("host/secret-marker", "host file");
        let dir = std::fs::File::open(env.path("host")).unwrap();
        let cmd = with_fd(
            &env,
            &[
                "run",
                "-d",
                "--name",
                "d",
                "--network",
                "none",
                "evil",
                "sh",
                "-c",
                WRITE_HERE,
            ],
            7,
            dir,
        );
        let out = { cmd }.output().unwrap();
        let _ = env.berth(&["wait", "d"]).run();
        let logs = env.berth(&["logs", "d"]).run();
        let all = format!(
            "{}{}{}",
            String::from_utf8_lossy(&out.stderr),
            logs.stdout(),
            logs.stderr()
        );
        assert!(
            !all.contains("secret-marker"),
            "the container listed a host dir:\n{all}"
        );
        assert!(
            !env.path("host/written").exists(),
            "the container wrote into a host dir"
        );
        assert_eq!(out.status.code(), Some(125), "{all}");
    }
);

berthtest!(
    a_detached_containers_monitor_keeps_none_of_the_callers_fds,
    |env| {
        env.import_busybox();
        let dir = std::fs::File::open(env.dir()).unwrap();
        let cmd = with_fd(
            &env,
            &[
                "run",
                "-d",
                "--network",
                "none",
                "busybox",
                "sleep",
                "1000003",
            ],
            7,
            dir,
        );
        let out = { cmd }.output().unwrap();
        assert!(out.status.success(), "{out:?}");
        let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let meta: serde_json::Value = serde_json::from_slice(
            &std::fs::read(env.root.join("containers").join(&id).join("meta.json")).unwrap(),
        )
        .unwrap();
        let monitor = meta["monitor"]["pid"].as_i64().expect("a recorded monitor");
        let held: Vec<String> = std::fs::read_dir(format!("/proc/{monitor}/fd"))
            .unwrap()
            .flatten()
            .filter_map(|e| std::fs::read_link(e.path()).ok())
            .map(|t| t.display().to_string())
            .collect();
        env.berth(&["rm", "-f", &id]).ok();
        let dir = env.dir().display().to_string();
        assert!(
            !held.contains(&dir),
            "the monitor holds the caller's directory fd: {held:?}"
        );
    }
);
