//! `berth info` (issue 12): the host, the store and berth's version shaped
//! like `podman info`, and the preflight that names an environment problem
//! with what to do.

use crate::util::{self, TestEnv};

fn info(env: &TestEnv) -> serde_json::Value {
    env.berth(&["info", "--format", "json"]).run().json()
}

berthtest!(info_says_rootless_mode_and_the_id_mapping_in_use, |env| {
    let v = info(&env);
    let uid = u64::from(util::my_uid());
    assert_eq!(v["host"]["security"]["rootless"], uid != 0, "{v:#}");
    assert_eq!(v["host"]["security"]["seccompEnabled"], true);
    let uidmap = v["host"]["idMappings"]["uidmap"].as_array().unwrap();
    assert_eq!(uidmap[0]["container_id"], 0);
    assert_eq!(uidmap[0]["host_id"], uid);
    let mode = v["host"]["security"]["idMode"].as_str().unwrap();
    if uid != 0 && util::has_id_range() {
        assert_eq!(uidmap.len(), 2, "{v:#}");
        assert!(mode.contains("subuid range"), "{mode}");
    } else if uid != 0 {
        assert_eq!(uidmap.len(), 1, "{v:#}");
        assert!(mode.starts_with("single id"), "{mode}");
    }
    assert!(!v["host"]["kernel"].as_str().unwrap().is_empty());
    assert!(matches!(
        v["host"]["cgroupVersion"].as_str(),
        Some("v1" | "v2")
    ));
    assert_eq!(v["version"]["Version"], env!("CARGO_PKG_VERSION"));
});

berthtest!(info_counts_images_and_containers_by_state, |env| {
    let v = info(&env);
    assert_eq!(v["store"]["graphRoot"], env.root.display().to_string());
    assert_eq!(v["store"]["imageStore"]["number"], 0);
    assert_eq!(v["store"]["containerStore"]["number"], 0);
    env.import_busybox();
    env.berth(&["create", "--name", "made", "busybox", "true"])
        .ok();
    env.berth(&[
        "run",
        "--name",
        "ran",
        "--network",
        "none",
        "busybox",
        "true",
    ])
    .ok();
    let v = info(&env);
    assert_eq!(v["store"]["imageStore"]["number"], 1);
    let c = &v["store"]["containerStore"];
    assert_eq!(
        (
            c["number"].as_u64(),
            c["running"].as_u64(),
            c["stopped"].as_u64()
        ),
        (Some(2), Some(0), Some(2)),
        "{c:#}"
    );
    assert!(v["store"]["sizes"]["layers"].as_u64().unwrap() > 0);
});

berthtest!(info_renders_a_go_template, |env| {
    let out = env
        .berth(&[
            "info",
            "--format",
            "{{.host.security.rootless}} {{.store.imageStore.number}}",
        ])
        .ok();
    assert_eq!(out, format!("{} 0\n", util::my_uid() != 0));
});

berthtest!(
    info_names_a_runtime_dir_of_another_user_and_what_to_do,
    |env| {
        if util::my_uid() == 0 {
            return;
        }
        // What `su` leaves: root's runtime dir.
        let out = env
            .berth(&["info", "--format", "json"])
            .env("XDG_RUNTIME_DIR", "/")
            .run();
        let problems = out.json()["problems"].clone();
        let p = problems
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["check"] == "runtime-dir")
            .unwrap_or_else(|| panic!("{problems:#}"));
        let m = p["message"].as_str().unwrap();
        assert!(
            m.contains("belongs to uid 0") && m.contains("sudo -iu USER"),
            "{m}"
        );
        // Not a problem where it is the user's own.
        let mine = env.path("run");
        std::fs::create_dir(&mine).unwrap();
        let out = env
            .berth(&["info", "--format", "json"])
            .env("XDG_RUNTIME_DIR", &mine)
            .run();
        assert!(!out.stdout().contains("runtime-dir"), "{}", out.stdout());
    }
);

berthtest!(
    without_user_namespaces_info_and_run_say_so_in_one_line,
    |env| {
        if util::my_uid() == 0 || !util::have_tool("unshare") {
            return;
        }
        env.import_busybox();
        // A user namespace whose limit lets exactly one more be made: the one
        // berth then runs in, where it can make none.
        let nested = |args: &str| {
            util::Cmd::new("unshare")
            .args(&["-Ur", "sh", "-c"])
            .arg(format!(
                "echo 1 >/proc/sys/user/max_user_namespaces && exec unshare -U \"$0\" --root \"$1\" {args}"
            ))
            .arg(util::berth_bin())
            .arg(&env.root)
            .run()
        };
        let out = nested("info --format json");
        let problems = out.json()["problems"].clone();
        assert!(
            problems
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["check"] == "userns"),
            "{problems:#}"
        );
        let out = nested("run --rm --network none busybox true");
        util::assert_fails_125(&out, "creating a user namespace fails here");
    }
);
