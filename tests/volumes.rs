//! `berth volume`: named volumes made by `volume create` or by `-v NAME:/path`,
//! listed, inspected and removed as podman does; and a fresh volume on /etc
//! that does not receive berth's generated files.

use crate::util::{TestEnv, assert_fails_125, assert_ok};

fn volume(env: &TestEnv, args: &[&str]) -> crate::util::Run {
    let mut all = vec!["volume"];
    all.extend_from_slice(args);
    env.berth(&all).run()
}

/// What `berth volume ARGS…` prints on stdout, whatever its exit.
fn vol_out(env: &TestEnv, args: &[&str]) -> String {
    volume(env, args).stdout().to_string()
}

berthtest!(volume_create_ls_inspect_rm_as_podman_lists_them, |env| {
    let out = volume(
        &env,
        &["create", "--label", "tier=db", "--label", "x", "data"],
    );
    assert_ok(&out);
    eqnice!("data\n", out.stdout());
    let out = volume(&env, &["create"]);
    assert_ok(&out);
    let generated = out.stdout().trim().to_string();
    assert!(
        generated.len() == 64 && generated.bytes().all(|b| b.is_ascii_hexdigit()),
        "a generated name is 64 hex digits: {generated}"
    );
    assert_fails_125(
        &volume(&env, &["create", "data"]),
        "volume `data` already exists",
    );
    eqnice!("data\n", vol_out(&env, &["create", "--ignore", "data"]));

    let out = volume(&env, &["inspect", "data"]);
    assert_ok(&out);
    let v = &out.json()[0];
    assert_eq!(v["Name"], "data");
    assert_eq!(v["Driver"], "local");
    assert_eq!(v["Scope"], "local");
    assert_eq!(v["Labels"], serde_json::json!({"tier": "db", "x": ""}));
    assert_eq!(v["Options"], serde_json::json!({}));
    let mountpoint = env.root.join("volumes/data/_data");
    assert_eq!(v["Mountpoint"], mountpoint.to_str().unwrap());
    assert!(v["CreatedAt"].as_str().unwrap().ends_with('Z'));
    assert!(mountpoint.is_dir());
    eqnice!(
        "db\n",
        vol_out(&env, &["inspect", "--format", "{{.Labels.tier}}", "data"])
    );

    eqnice!(
        {
            // Sorted by name, as podman lists them; the generated name is
            // random hex, before or after `data`.
            let mut names = [generated.as_str(), "data"];
            names.sort();
            format!(
                "DRIVER  VOLUME NAME\nlocal   {}\nlocal   {}\n",
                names[0], names[1]
            )
        },
        vol_out(&env, &["ls"])
    );
    eqnice!(
        "data\n",
        vol_out(&env, &["ls", "-q", "--filter", "label=tier=db"])
    );
    eqnice!(
        "data\n",
        vol_out(&env, &["ls", "-q", "--filter", "name=dat"])
    );
    eqnice!(
        "",
        vol_out(&env, &["ls", "-q", "--filter", "label=tier=web"])
    );
    eqnice!(
        "data local\n",
        vol_out(
            &env,
            &[
                "ls",
                "--filter",
                "label=x",
                "--format",
                "{{.Name}} {{.Driver}}"
            ]
        )
    );
    let out = volume(&env, &["ls", "--format", "json"]);
    assert_ok(&out);
    assert_eq!(out.json().as_array().unwrap().len(), 2);

    assert_eq!(volume(&env, &["exists", "data"]).code(), Some(0));
    eqnice!("data\n", vol_out(&env, &["rm", "data"]));
    assert_eq!(volume(&env, &["exists", "data"]).code(), Some(1));
    assert!(!env.root.join("volumes/data").exists());
    assert_fails_125(&volume(&env, &["rm", "data"]), "no such volume `data`");
    assert_fails_125(&volume(&env, &["inspect", "nope"]), "no such volume `nope`");
});

berthtest!(volume_create_refuses_driver_options_and_bad_names, |env| {
    assert_fails_125(
        &volume(&env, &["create", "--opt", "type=tmpfs", "v"]),
        "volume option `type=tmpfs` is not supported",
    );
    assert_fails_125(
        &volume(&env, &["create", "../x"]),
        "invalid volume name `../x`",
    );
    assert_fails_125(
        &volume(&env, &["ls", "--filter", "driver=local"]),
        "invalid filter `driver=local`",
    );
    assert_eq!(volume(&env, &["exists", "v"]).code(), Some(1));
});

berthtest!(
    a_volume_a_container_uses_is_kept_until_the_container_goes,
    |env| {
        env.import_busybox();
        // `-v NAME:` makes the volume with its record, as `volume create` does.
        let out = env
            .berth(&[
                "create",
                "--name",
                "user1",
                "-v",
                "kept:/data",
                "busybox",
                "true",
            ])
            .run();
        assert_ok(&out);
        let out = volume(&env, &["inspect", "kept"]);
        assert_ok(&out);
        assert!(out.json()[0]["CreatedAt"].as_str().unwrap().ends_with('Z'));
        assert_ok(&volume(&env, &["create", "spare"]));
        eqnice!(
            "kept\n",
            vol_out(&env, &["ls", "-q", "--filter", "dangling=false"])
        );
        eqnice!(
            "spare\n",
            vol_out(&env, &["ls", "-q", "--filter", "dangling=true"])
        );

        let out = volume(&env, &["rm", "kept"]);
        assert_fails_125(&out, "volume `kept` is used by container(s) user1");
        assert!(env.root.join("volumes/kept/_data").is_dir());

        // prune takes only the unused one, and asks for -f without a terminal.
        assert_fails_125(&volume(&env, &["prune"]), "without -f");
        eqnice!("spare\n", vol_out(&env, &["prune", "-f"]));
        eqnice!("kept\n", vol_out(&env, &["ls", "-q"]));

        // podman's -f: the containers using it go first.
        let out = volume(&env, &["rm", "-f", "kept"]);
        assert_ok(&out);
        assert!(out.stdout().ends_with("kept\n"), "{}", out.stdout());
        eqnice!("", env.berth(&["ps", "-aq"]).ok());
        eqnice!("", vol_out(&env, &["ls", "-q"]));
    }
);

// A container writes files its own ids own into the volume (a 0700 directory
// of uid 1000 with a subordinate range): removal still takes all of it.
berthtest!(volume_rm_removes_files_of_container_ids, |env| {
    env.import_busybox();
    let out = env
        .berth(&[
            "run", "--rm", "-v", "owned:/data", "busybox", "sh", "-c",
            "mkdir /data/d && echo x > /data/d/f && chown -R 1000:1000 /data/d 2>/dev/null; chmod 700 /data/d",
        ])
        .run();
    assert_ok(&out);
    eqnice!("owned\n", vol_out(&env, &["rm", "owned"]));
    assert!(!env.root.join("volumes/owned").exists());
    // Nothing is left behind under the volumes directory.
    eqnice!(
        "",
        crate::util::list_dir(&env.root.join("volumes")).join("\n")
    );
});

// A fresh volume on /etc is filled from the image's /etc; berth's generated
// hostname, hosts and resolv.conf (bound over the image's /etc) never land
// in it.
berthtest!(
    a_fresh_volume_on_etc_gets_the_images_etc_and_not_berths_files,
    |env| {
        env.import_busybox();
        let image_etc = env
            .berth(&["run", "--rm", "busybox", "sh", "-c", "ls -A /etc"])
            .ok();
        let out = env
            .berth(&["run", "--rm", "-v", "etc:/etc", "busybox", "true"])
            .run();
        assert_ok(&out);
        let inside = crate::util::list_dir(&env.root.join("volumes/etc/_data"));
        let mut image: Vec<String> = image_etc
            .split_whitespace()
            .filter(|n| !["hostname", "hosts", "resolv.conf"].contains(n))
            .map(str::to_string)
            .collect();
        image.sort();
        eqnice!(image.join("\n"), inside.join("\n"));
        // Used again (no longer empty): still nothing of berth's made in it.
        let out = env
            .berth(&["run", "--rm", "-v", "etc:/etc", "busybox", "true"])
            .run();
        assert_ok(&out);
        let again = crate::util::list_dir(&env.root.join("volumes/etc/_data"));
        eqnice!(inside.join("\n"), again.join("\n"));
    }
);

// A volume somewhere else still sees berth's /etc files on top of the image.
berthtest!(
    a_volume_beside_etc_leaves_berths_etc_files_in_place,
    |env| {
        env.import_busybox();
        let out = env
            .berth(&[
                "run",
                "--rm",
                "--hostname",
                "hn",
                "-v",
                "d:/data",
                "busybox",
                "cat",
                "/etc/hostname",
            ])
            .run();
        assert_ok(&out);
        eqnice!("hn\n", out.stdout());
    }
);

// A host directory bound on /etc is the user's even when the host keeps it
// on a tmpfs (/dev/shm, a tmpfs /tmp): berth makes none of its files there,
// and a read-only one does not stop the container from starting.
berthtest!(
    a_host_tmpfs_directory_on_etc_does_not_receive_berths_files,
    |env| {
        let on_tmpfs = nix::sys::statfs::statfs("/dev/shm")
            .is_ok_and(|s| s.filesystem_type() == nix::sys::statfs::TMPFS_MAGIC);
        if !on_tmpfs {
            eprintln!("skipped: /dev/shm is not a tmpfs");
            return;
        }
        env.import_busybox();
        let host = tempfile::Builder::new()
            .prefix("berth-etc-")
            .tempdir_in("/dev/shm")
            .unwrap();
        for opt in ["", ":ro"] {
            let bind = format!("{}:/etc{opt}", host.path().display());
            let out = env
                .berth(&["run", "--rm", "-v", &bind, "busybox", "true"])
                .run();
            assert_ok(&out);
            eqnice!("", crate::util::list_dir(host.path()).join("\n"));
        }
    }
);

// The root spelled another way (here a symlink to it) still sees which
// containers use a volume: neither rm nor prune takes a volume in use.
berthtest!(a_volume_in_use_is_kept_whatever_the_roots_spelling, |env| {
    env.import_busybox();
    let out = env
        .berth(&[
            "create",
            "--name",
            "keep",
            "-v",
            "precious:/d",
            "busybox",
            "true",
        ])
        .run();
    assert_ok(&out);
    let link = env.path("rootlink");
    std::os::unix::fs::symlink(&env.root, &link).unwrap();
    let through_link = |args: &[&str]| {
        std::process::Command::new(crate::util::berth_bin())
            .arg("--root")
            .arg(&link)
            .args(args)
            .output()
            .unwrap()
    };
    let out = through_link(&["volume", "rm", "precious"]);
    assert_eq!(out.status.code(), Some(125), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is used by container(s) keep"),
        "{out:?}"
    );
    let out = through_link(&["volume", "prune", "-f"]);
    assert!(out.status.success(), "{out:?}");
    assert!(env.root.join("volumes/precious/_data").is_dir());
});
