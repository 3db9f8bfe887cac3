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
