//! The name history (issue 13): every command that moves a name records it,
//! `image log` shows it, `image rollback` walks it back, the images it
//! points to outlive `rmi` and `system prune` until `--expire`, and a
//! history a crash left torn or half-done is read around.

use crate::util::peer::Peer;
use crate::util::registry::{Mode, Registry};
use crate::util::{TestEnv, assert_fails_125, assert_ok, busybox_tar, tool_or_skip};

/// `image log NAME` as `INDEX OLD NEW` lines (full ids, `-` for none).
fn log(env: &TestEnv, name: &str) -> String {
    let out = env.berth(&["image", "log", name, "--format", "json"]).run();
    assert_ok(&out);
    out.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let id = |v: &serde_json::Value| v.as_str().unwrap_or("-").to_string();
            format!("{} {} {}\n", e["Index"], id(&e["Old"]), id(&e["New"]))
        })
        .collect()
}

/// `image log NAME`'s commands, newest first.
fn commands(env: &TestEnv, name: &str) -> Vec<String> {
    let out = env.berth(&["image", "log", name, "--format", "json"]).run();
    assert_ok(&out);
    out.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["Command"].as_str().unwrap().to_string())
        .collect()
}

fn sha(id: &str) -> String {
    format!("sha256:{id}")
}

/// Builds `FROM busybox` + a RUN writing `word` to /v as `app`; returns the id.
fn build_app(env: &TestEnv, word: &str) -> String {
    env.write(
        "ctx/Dockerfile",
        format!("FROM busybox\nRUN echo {word} > /v\nCMD [\"cat\", \"/v\"]\n"),
    );
    env.berth(&["build", "-q", "--network", "none", "-t", "app", "ctx"])
        .ok()
        .trim()
        .to_string()
}

fn run_app(env: &TestEnv) -> String {
    env.berth(&["run", "--rm", "--network", "none", "app"]).ok()
}

/// A busybox image that differs from `busybox` by an env var, as `name`.
fn variant(env: &TestEnv, name: &str, value: &str) -> String {
    env.import(
        &busybox_tar(),
        name,
        &["--change", &format!("ENV V={value}")],
    )
}

berthtest!(
    rollback_after_a_bad_build_restores_the_previous_image_across_rmi_and_prune,
    |env| {
        env.import_busybox();
        let good = build_app(&env, "good");
        let bad = build_app(&env, "bad");
        assert_ne!(good, bad);
        eqnice!("bad\n", run_app(&env));
        // The good image loses its last trace in the image list; only the
        // history keeps it, through rmi's and system prune's gc.
        env.berth(&["rmi", &good]).ok();
        env.berth(&["system", "prune"]).ok();
        eqnice!(
            format!("0 {} {}\n1 - {}\n", sha(&good), sha(&bad), sha(&good)),
            log(&env, "app")
        );
        let cmds = commands(&env, "app");
        assert!(
            cmds[0].starts_with("berth build -q --network none -t app"),
            "{cmds:?}"
        );

        eqnice!(
            format!("{good}\n"),
            env.berth(&["image", "rollback", "app"]).ok()
        );
        eqnice!("good\n", run_app(&env));
        assert_eq!(env.inspect("app")["Id"], good);
        eqnice!("store is valid\n", env.check_store());

        // The rollback is itself an entry: rolling back again undoes it.
        eqnice!(
            format!("{bad}\n"),
            env.berth(&["image", "rollback", "app"]).ok()
        );
        eqnice!("bad\n", run_app(&env));
        let cmds = commands(&env, "app");
        assert_eq!(
            cmds[..2],
            ["berth image rollback app", "berth image rollback app"]
        );
        eqnice!(
            format!(
                "0 {g} {b}\n1 {b} {g}\n2 {g} {b}\n3 - {g}\n",
                g = sha(&good),
                b = sha(&bad)
            ),
            log(&env, "app")
        );
        // And `--to` goes anywhere in it, by number or by id.
        let to = env.berth(&["image", "rollback", "app", "--to", "3"]).ok();
        eqnice!(format!("{good}\n"), to);
        let to = env
            .berth(&["image", "rollback", "app", "--to", &bad[..12]])
            .ok();
        eqnice!(format!("{bad}\n"), to);
        eqnice!("bad\n", run_app(&env));
    }
);

berthtest!(
    expiring_the_history_lets_prune_free_what_only_it_kept,
    |env| {
        env.import_busybox();
        let good = build_app(&env, "good");
        build_app(&env, "bad");
        env.berth(&["rmi", &good]).ok();
        let blob = env.root.join("store/blobs/sha256").join(&good);
        assert!(blob.exists(), "the history keeps the good image's config");
        env.berth(&["system", "prune", "--expire", "now"]).ok();
        assert!(!blob.exists(), "expired, its image is garbage");
        assert_fails_125(
            &env.berth(&["image", "log", "app"]).run(),
            "`docker.io/library/app:latest` has no history",
        );
        assert_fails_125(
            &env.berth(&["image", "rollback", "app"]).run(),
            "has no history",
        );
        eqnice!("bad\n", run_app(&env));
        eqnice!("store is valid\n", env.check_store());
    }
);

berthtest!(
    image_prune_keeps_unnamed_images_the_history_points_to_until_they_expire,
    |env| {
        env.import_busybox();
        let old = variant(&env, "app", "1");
        variant(&env, "app", "2");
        // `old` is unnamed now, but the history may bring it back.
        let out = env.berth(&["image", "prune"]).ok();
        assert!(!out.contains(&old), "{out}");
        assert_eq!(env.inspect(&old)["Id"], old);
        let out = env.berth(&["image", "prune", "--expire", "now"]).ok();
        eqnice!(format!("{old}\n"), out);
        assert_fails_125(&env.berth(&["inspect", &old]).run(), "");
    }
);

berthtest!(
    tag_untag_import_and_rmi_each_record_and_a_retag_records_nothing,
    |env| {
        let a = env.import_busybox();
        env.berth(&["tag", "busybox", "app"]).ok();
        env.berth(&["tag", "busybox", "app"]).ok();
        let b = variant(&env, "app", "2");
        env.berth(&["untag", "app", "app"]).ok();
        env.berth(&["tag", &a, "app"]).ok();
        env.berth(&["rmi", "app"]).ok();
        eqnice!(
            format!(
                "0 {a} -\n1 - {a}\n2 {b} -\n3 {a} {b}\n4 - {a}\n",
                a = sha(&a),
                b = sha(&b)
            ),
            log(&env, "app")
        );
        let cmds = commands(&env, "app");
        assert_eq!(cmds[0], "berth rmi app");
        assert_eq!(cmds[1], format!("berth tag {a} app"));
        assert_eq!(cmds[2], "berth untag app app");
        assert!(
            cmds[3].starts_with("berth import ") && cmds[3].ends_with(" app --change 'ENV V=2'"),
            "{cmds:?}"
        );
        assert_eq!(cmds[4], "berth tag busybox app");
        // `-n`, and the table: short ids, newest first.
        let table = env.berth(&["image", "log", "app", "-n", "2"]).ok();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3, "{table}");
        assert!(lines[0].starts_with("#  CHANGED"), "{table}");
        assert!(
            lines[1].starts_with("0  ") && lines[1].contains(&a[..12]),
            "{table}"
        );
        assert!(
            lines[1].contains("<none>") && lines[1].ends_with("berth rmi app"),
            "{table}"
        );
        assert!(!lines[1].contains(&a[..13]), "ids are cut to 12: {table}");
        // The other name busybox kept its own history.
        eqnice!(format!("0 - {}\n", sha(&a)), log(&env, "busybox"));
    }
);

berthtest!(load_records_the_names_it_moves, |env| {
    let a = env.import_busybox();
    let tar = env.path("bb.tar");
    env.berth(&["save", "-o", tar.to_str().unwrap(), "busybox"])
        .ok();
    let b = variant(&env, "busybox", "2");
    env.berth(&["load", "-q", "-i", tar.to_str().unwrap()]).ok();
    eqnice!(
        format!(
            "0 {} {}\n1 {} {}\n2 - {}\n",
            sha(&b),
            sha(&a),
            sha(&a),
            sha(&b),
            sha(&a)
        ),
        log(&env, "busybox")
    );
    assert!(commands(&env, "busybox")[0].starts_with("berth load -q -i "));
});

berthtest!(pull_records_the_name_and_never_the_credentials, |env| {
    if !Registry::available() || !tool_or_skip("skopeo") {
        return;
    }
    let reg = Registry::start(Mode::basic("reflog", "s3cret-reflog"));
    let id = env.import_busybox();
    let src = format!(
        "oci:{}:docker.io/library/busybox:latest",
        env.root.join("store").display()
    );
    reg.skopeo_push(&Peer::new(&env), &src, "x:1");
    let fresh = TestEnv::new("reflog-pulled");
    let mut args = vec!["pull".to_string()];
    args.extend(reg.client_flags(""));
    args.push(reg.reference("x:1"));
    assert_ok(&fresh.berth(&args).run());
    let name = reg.reference("x:1");
    eqnice!(format!("0 - {}\n", sha(&id)), log(&fresh, &name));
    let cmd = &commands(&fresh, &name)[0];
    assert!(cmd.starts_with("berth pull "), "{cmd}");
    assert!(cmd.contains("--creds …"), "{cmd}");
    assert!(
        !cmd.contains("s3cret"),
        "the password is in the history: {cmd}"
    );
    let file = std::fs::read_to_string(fresh.root.join("name-history.jsonl")).unwrap();
    assert!(!file.contains("s3cret"), "{file}");
});

berthtest!(
    rollback_refuses_a_gone_image_and_an_entry_out_of_range,
    |env| {
        let a = env.import_busybox();
        let b = variant(&env, "busybox", "2");
        assert_fails_125(
            &env.berth(&["image", "rollback", "busybox", "--to", "3"])
                .run(),
            "--to 3: the history has entries 0 to 2",
        );
        assert_fails_125(
            &env.berth(&["image", "rollback", "busybox", "--to", "2"])
                .run(),
            "the name pointed to no image before its oldest entry",
        );
        assert_fails_125(
            &env.berth(&["image", "rollback", "busybox", "--to", "abcdef0"])
                .run(),
            "no image of the name's history has this id",
        );
        assert_fails_125(
            &env.berth(&["image", "rollback", "nothing"]).run(),
            "`docker.io/library/nothing:latest` has no history",
        );
        // The image the rollback would restore loses its manifest.
        env.berth(&["rmi", &a]).ok();
        let manifest = env
            .berth(&[
                "image",
                "log",
                "busybox",
                "--format",
                "{{.OldDigest}}",
                "-n",
                "1",
            ])
            .ok();
        let hex = manifest.trim().strip_prefix("sha256:").unwrap().to_string();
        std::fs::remove_file(env.root.join("store/blobs/sha256").join(hex)).unwrap();
        assert_fails_125(
            &env.berth(&["image", "rollback", "busybox"]).run(),
            "is gone",
        );
        assert_eq!(env.inspect("busybox")["Id"], b, "nothing moved");
        let check = env.check_store();
        assert!(
            check.contains(&format!("note: name history: image sha256:{a} is gone")),
            "{check}"
        );
        assert!(check.contains("store is valid"), "{check}");
    }
);

berthtest!(
    a_torn_last_line_and_an_interrupted_move_are_read_around,
    |env| {
        let a = env.import_busybox();
        let b = variant(&env, "busybox", "2");
        let path = env.root.join("name-history.jsonl");
        let mut file = std::fs::read_to_string(&path).unwrap();
        // A crash between the history append and the index rename: an entry
        // for a move the index never saw, then a line cut short.
        let last = file.lines().last().unwrap().to_string();
        let mut v: serde_json::Value = serde_json::from_str(&last).unwrap();
        v["old"] = v["new"].clone();
        v["new"]["digest"] = format!("sha256:{}", "0".repeat(64)).into();
        file.push_str(&format!("{v}\n{{\"time\":1,\"name\":\"docker.io/lib"));
        std::fs::write(&path, file).unwrap();
        let check = env.check_store();
        assert!(
            check.contains("note: name history: 1 unreadable line(s) skipped"),
            "{check}"
        );
        assert!(
        check.contains("note: name history: an interrupted command's move of `docker.io/library/busybox:latest` is ignored"),
        "{check}"
    );
        assert!(check.ends_with("store is valid\n"), "{check}");
        let want = format!("0 {} {}\n1 - {}\n", sha(&a), sha(&b), sha(&a));
        eqnice!(want, log(&env, "busybox"));
        // The next change starts on a line of its own and chains on.
        eqnice!(
            format!("{a}\n"),
            env.berth(&["image", "rollback", "busybox"]).ok()
        );
        eqnice!(
            format!(
                "0 {} {}\n1 {} {}\n2 - {}\n",
                sha(&b),
                sha(&a),
                sha(&a),
                sha(&b),
                sha(&a)
            ),
            log(&env, "busybox")
        );
        // Prune compacts both away.
        env.berth(&["system", "prune"]).ok();
        eqnice!("store is valid\n", env.check_store());
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 3);
    }
);

berthtest!(
    commit_records_the_name_it_gives_and_rollback_undoes_it,
    |env| {
        let a = env.import_busybox();
        let out = env
            .berth(&[
                "run",
                "--name",
                "c",
                "--network",
                "none",
                "busybox",
                "sh",
                "-c",
                "echo changed > /f",
            ])
            .run();
        assert_ok(&out);
        let committed = env
            .berth(&["commit", "c", "busybox"])
            .ok()
            .trim()
            .to_string();
        eqnice!(
            format!("0 {} {}\n1 - {}\n", sha(&a), sha(&committed), sha(&a)),
            log(&env, "busybox")
        );
        assert_eq!(commands(&env, "busybox")[0], "berth commit c busybox");
        eqnice!(
            format!("{a}\n"),
            env.berth(&["image", "rollback", "busybox"]).ok()
        );
        let out = env
            .berth(&["run", "--rm", "--network", "none", "busybox", "cat", "/f"])
            .run();
        assert_eq!(
            out.code(),
            Some(1),
            "the committed file is gone: {}",
            out.describe()
        );
    }
);

berthtest!(
    a_name_change_whose_index_write_fails_takes_its_entry_back,
    |env| {
        use std::os::unix::fs::PermissionsExt;
        let a = env.import_busybox();
        let history = std::fs::read(env.root.join("name-history.jsonl")).unwrap();
        // index.json is replaced through a temporary file beside it: a store
        // directory that cannot take one fails the write after the history
        // append, as a full disk would.
        let store = env.root.join("store");
        std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o500)).unwrap();
        let out = env.berth(&["tag", "busybox", "app"]).run();
        std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_fails_125(&out, "writing the store index");
        assert_eq!(
            std::fs::read(env.root.join("name-history.jsonl")).unwrap(),
            history,
            "the entry of the move that failed is taken back"
        );
        assert_fails_125(&env.berth(&["image", "log", "app"]).run(), "has no history");
        eqnice!(format!("0 - {}\n", sha(&a)), log(&env, "busybox"));
        eqnice!("store is valid\n", env.check_store());
    }
);
