//! `berth commit` and `berth diff` (issue 11): a container's changes —
//! added, changed and deleted files, a lower directory deleted, an opaque
//! directory recreated — as `diff` lists them, as the layer tar stores
//! them, and as a container of the committed image sees them.

use crate::util::{TestEnv, assert_fails_125, assert_ok, wait_for_entry};
use std::time::Duration;

/// `berth run --name NAME IMAGE sh -c SCRIPT`, checked.
fn run_named(env: &TestEnv, name: &str, image: &str, script: &str) {
    let out = env
        .berth(&["run", "--name", name, image, "sh", "-c", script])
        .run();
    assert_ok(&out);
}

/// `berth commit ARGS…`, checked; the image id it printed.
fn commit(env: &TestEnv, args: &[&str]) -> String {
    let mut full = vec!["commit"];
    full.extend_from_slice(args);
    let out = env.berth(&full).run();
    assert_ok(&out);
    let id = out.stdout().trim().to_string();
    crate::util::assert_image_id(&id);
    id
}

/// busybox plus a layer with /gone/sub/a and /opq/old, as `base`.
fn base_image(env: &TestEnv) {
    env.import_busybox();
    run_named(
        env,
        "prep",
        "busybox",
        "mkdir -p /gone/sub /opq && echo a > /gone/sub/a && echo old > /opq/old",
    );
    commit(env, &["prep", "base"]);
}

const CHANGES: &str = "echo added > /added && echo changed >> /etc/passwd && \
    rm -rf /gone /opq && mkdir /opq && echo new > /opq/new && rm /bin/ls";

/// The entry names of the top layer of `image`, from its blob in the store.
fn top_layer_entries(env: &TestEnv, image: &str) -> Vec<String> {
    let v = env.inspect(image);
    let layers = v["RootFS"]["Layers"].as_array().unwrap();
    let top = layers.last().unwrap().as_str().unwrap();
    let hex = top.strip_prefix("sha256:").unwrap();
    let blob = env.root.join("store/blobs/sha256").join(hex);
    let f = std::fs::File::open(&blob).unwrap();
    let mut ar = tar::Archive::new(f);
    ar.entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
        .collect()
}

berthtest!(
    diff_lists_added_changed_and_deleted_paths_as_podman_does,
    |env| {
        base_image(&env);
        run_named(&env, "c", "base", CHANGES);
        let out = env.berth(&["diff", "c"]).run();
        assert_ok(&out);
        eqnice!(
            // /etc itself is as it was: only a file in it changed.
            "A /added\nC /bin\nD /bin/ls\nC /etc/passwd\nD /gone\nD /opq\nA /opq/new\n",
            out.stdout()
        );
        let again = env.berth(&["container", "diff", "c"]).run();
        eqnice!(out.stdout(), again.stdout());
        let json = env.berth(&["diff", "--format", "json", "c"]).run().json();
        assert_eq!(
            json["deleted"],
            serde_json::json!(["/bin/ls", "/gone", "/opq"])
        );
    }
);

berthtest!(
    a_committed_image_shows_exactly_the_containers_changes,
    |env| {
        base_image(&env);
        run_named(&env, "c", "base", CHANGES);
        let id = commit(
            &env,
            &[
                "-m",
                "the message",
                "-a",
                "me",
                "-c",
                r#"CMD ["cat", "/added"]"#,
                "c",
                "changed",
            ],
        );
        // The -c CMD is the new image's default.
        let out = env.berth(&["run", "--rm", "changed"]).run();
        assert_ok(&out);
        eqnice!("added\n", out.stdout());
        let out = env
            .berth(&[
                "run",
                "--rm",
                "changed",
                "sh",
                "-c",
                "ls /opq; tail -n 1 /etc/passwd; test -e /gone || echo no gone; \
             test -e /bin/ls || echo no ls; test -e /bin/cat && echo cat",
            ])
            .run();
        assert_ok(&out);
        eqnice!("new\nchanged\nno gone\nno ls\ncat\n", out.stdout());
        let entries = top_layer_entries(&env, "changed");
        for want in [
            ".wh.gone",
            "opq/",
            "opq/.wh..wh..opq",
            "opq/new",
            "bin/.wh.ls",
            "added",
            "etc/passwd",
        ] {
            assert!(
                entries.iter().any(|e| e == want),
                "no `{want}` in {entries:?}"
            );
        }
        assert!(
            !entries
                .iter()
                .any(|e| e.starts_with("gone/") || e == "opq/old"),
            "{entries:?}"
        );
        let v = env.inspect("changed");
        assert_eq!(v["Id"].as_str().unwrap(), id);
        assert_eq!(v["Config"]["Cmd"], serde_json::json!(["cat", "/added"]));
        let history = env
            .berth(&["history", "--format", "json", "changed"])
            .run()
            .json();
        assert_eq!(history[0]["comment"], "the message");
        // Committing the same container again works, and the store stays valid.
        commit(&env, &["c"]);
        assert!(
            env.check_store().contains("store is valid"),
            "{}",
            env.check_store()
        );
    }
);

berthtest!(commit_refuses_a_bad_change_before_writing_anything, |env| {
    env.import_busybox();
    run_named(&env, "c", "busybox", "echo x > /x");
    let before = env.snapshot();
    let out = env.berth(&["commit", "-c", "RUN make", "c"]).run();
    assert_fails_125(&out, "only CMD");
    eqnice!(before, env.snapshot());
    let out = env.berth(&["commit", "nosuch"]).run();
    assert_fails_125(&out, "no such container `nosuch`");
});

berthtest!(
    a_running_container_commits_without_pause_and_pause_says_why_not,
    |env| {
        env.import_busybox();
        let host = env.path("out");
        std::fs::create_dir(&host).unwrap();
        let volume = format!("{}:/out", host.display());
        let running = env
            .berth(&[
                "run",
                "--name",
                "r",
                "-v",
                &volume,
                "busybox",
                "sh",
                "-c",
                "echo x > /ready && touch /out/ready && exec sleep 1000",
            ])
            .spawn();
        assert!(wait_for_entry(&host, "ready", Duration::from_secs(60)));
        let out = env.berth(&["commit", "--pause", "r"]).run();
        assert_fails_125(&out, "cannot pause container `r`");
        commit(&env, &["r", "snap"]);
        let out = env.berth(&["run", "--rm", "snap", "cat", "/ready"]).run();
        assert_ok(&out);
        eqnice!("x\n", out.stdout());
        assert_ok(&env.berth(&["rm", "-f", "r"]).run());
        running.wait();
    }
);

/// The container's directory under the root.
fn container_dir(env: &TestEnv, name: &str) -> std::path::PathBuf {
    let out = env
        .berth(&[
            "inspect",
            "--type",
            "container",
            "--format",
            "{{.Id}}",
            name,
        ])
        .run();
    assert_ok(&out);
    env.root.join("containers").join(out.stdout().trim())
}

/// The overlay lowerdirs the container's bundle names, top first.
fn lowerdirs(env: &TestEnv, name: &str) -> Vec<String> {
    let bytes = std::fs::read(container_dir(env, name).join("berth.json")).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    crate::util::strings(&v["extensions"]["overlay"]["lowerdirs"])
}

/// `berth start -a NAME`, checked; its output.
fn start_attached(env: &TestEnv, name: &str) -> String {
    let out = env.berth(&["start", "-a", name]).run();
    assert_ok(&out);
    out.stdout().to_string()
}

/// Each run prints /f and appends one line to it.
const APPEND: &str = "cat /f 2>/dev/null; echo run >> /f; rm -f /bin/ls";

berthtest!(
    a_stopped_container_gives_its_upper_to_the_store_and_runs_on_over_it,
    |env| {
        env.import_busybox();
        let before = lowerdirs_after_run(&env);
        commit(&env, &["c", "one"]);
        // The upper became the layer: the container's top lowerdir holds its
        // files, its upper is new and empty.
        let after = lowerdirs(&env, "c");
        assert_eq!(after[1..], before[..]);
        let layer = env.root.join("layers").join(&after[0]);
        assert!(crate::util::list_dir(&layer).contains(&"f".to_string()));
        assert_eq!(
            crate::util::list_dir(&container_dir(&env, "c").join("upper")),
            Vec::<String>::new()
        );
        // cp sees them where the container does.
        let host = env.path("f");
        assert_ok(&env.berth(&["cp", "c:/f", host.to_str().unwrap()]).run());
        eqnice!("run\n", std::fs::read_to_string(&host).unwrap());
        // It sees the same files, and what it changes next is its own.
        eqnice!("run\n", start_attached(&env, "c"));
        let out = env.berth(&["diff", "c"]).run();
        assert_ok(&out);
        eqnice!("C /f\n", out.stdout());
        commit(&env, &["c", "two"]);
        assert_eq!(lowerdirs(&env, "c").len(), before.len() + 2);
        // The first image has one run, the second both; the second image
        // carries the earlier commit's layer too.
        for (image, want) in [("one", "run\n"), ("two", "run\nrun\n")] {
            let out = env.berth(&["run", "--rm", image, "cat", "/f"]).run();
            assert_ok(&out);
            eqnice!(want, out.stdout());
        }
        let layers = |i: &str| crate::util::strings(&env.inspect(i)["RootFS"]["Layers"]).len();
        assert_eq!(layers("two"), layers("one") + 1);
        // As with podman, images committed from a container are not its
        // image: they go, and the layers the container runs on stay.
        assert_ok(&env.berth(&["rmi", "one", "two"]).run());
        assert_ok(&env.berth(&["system", "prune"]).run());
        let check = env.check_store();
        assert!(check.contains("store is valid"), "{check}");
        eqnice!("run\nrun\n", start_attached(&env, "c"));
        // ...and committing again still makes a whole image.
        commit(&env, &["c", "three"]);
        let out = env
            .berth(&["run", "--rm", "three", "sh", "-c", "cat /f; ls /bin/ls"])
            .run();
        eqnice!("run\nrun\nrun\n", out.stdout());
        assert_ok(&env.berth(&["rm", "c"]).run());
        assert_ok(&env.berth(&["rmi", "three"]).run());
        assert_ok(&env.berth(&["system", "prune"]).run());
        eqnice!("store is valid\n", env.check_store());
    }
);

/// Runs `c` (busybox, [`APPEND`]) once; its lowerdirs before any commit.
fn lowerdirs_after_run(env: &TestEnv) -> Vec<String> {
    run_named(env, "c", "busybox", APPEND);
    lowerdirs(env, "c")
}

berthtest!(
    two_containers_committing_the_same_files_share_one_layer,
    |env| {
        env.import_busybox();
        // Created, never started: both uppers are empty, so both commits
        // make the same layer on the same parent.
        for c in ["x", "y"] {
            assert_ok(
                &env.berth(&["create", "--name", c, "busybox", "echo", c])
                    .run(),
            );
        }
        commit(&env, &["x", "ix"]);
        commit(&env, &["y", "iy"]);
        let (x, y) = (lowerdirs(&env, "x"), lowerdirs(&env, "y"));
        assert_eq!(x, y);
        // x goes with its image; the layer stays for y.
        assert_ok(&env.berth(&["rm", "-f", "x"]).run());
        assert_ok(&env.berth(&["rmi", "ix", "iy"]).run());
        assert_ok(&env.berth(&["system", "prune"]).run());
        eqnice!("y\n", start_attached(&env, "y"));
        eqnice!("store is valid\n", env.check_store());
    }
);

berthtest!(a_commit_keeps_the_containers_env_workdir_and_user, |env| {
    env.import_busybox();
    let out = env
        .berth(&[
            "run", "--name", "c", "-e", "FOO=bar", "-w", "/tmp", "-u", "root", "busybox", "true",
        ])
        .run();
    assert_ok(&out);
    commit(&env, &["c", "img"]);
    let config = &env.inspect("img")["Config"];
    let envs = crate::util::strings(&config["Env"]);
    assert!(envs.contains(&"FOO=bar".to_string()), "{envs:?}");
    assert!(!envs.iter().any(|e| e.starts_with("HOSTNAME=")), "{envs:?}");
    assert_eq!(config["WorkingDir"], "/tmp");
    assert_eq!(config["User"], "root");
    let out = env
        .berth(&["run", "--rm", "img", "sh", "-c", "echo $FOO; pwd; id -u"])
        .run();
    assert_ok(&out);
    eqnice!("bar\n/tmp\n0\n", out.stdout());
});

berthtest!(
    a_commit_killed_at_any_step_leaves_the_store_and_the_container_valid,
    |env| {
        env.import_busybox();
        run_named(
            &env,
            "c",
            "busybox",
            "test -e /big || head -c 50000000 /dev/urandom > /big; wc -c < /big; cat /small; echo ok > /small",
        );
        let ctr = container_dir(&env, "c");
        let blobs = env.root.join("store/blobs/sha256");
        // While the diff is written to a temporary blob; once the commit has
        // written its journal (the upper is about to become a layer).
        for (dir, entry) in [(&blobs, ".tmp-"), (&ctr, "commit.json")] {
            let running = env.berth(&["commit", "c", "img"]).spawn();
            assert!(wait_for_entry(dir, entry, Duration::from_secs(120)));
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(running.pid() as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
            running.wait();
            let check = env.check_store();
            assert!(check.contains("store is valid"), "{check}");
            eqnice!("50000000\nok\n", start_attached(&env, "c"));
            assert_ok(&env.berth(&["system", "prune"]).run());
        }
        commit(&env, &["c", "img"]);
        let out = env.berth(&["run", "--rm", "img", "cat", "/small"]).run();
        assert_ok(&out);
        eqnice!("ok\n", out.stdout());
        eqnice!("50000000\nok\n", start_attached(&env, "c"));
        assert_ok(&env.berth(&["system", "prune"]).run());
        eqnice!("store is valid\n", env.check_store());
    }
);
