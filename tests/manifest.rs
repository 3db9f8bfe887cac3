//! `berth manifest`: multi-platform lists made in the store from local
//! images (and a registry's), inspected, pushed to a real docker-registry
//! and pulled back per platform.

use crate::util::peer::Peer;
use crate::util::registry::{Mode, Registry};
use crate::util::{TestEnv, assert_fails_125, assert_ok, busybox_tar, tool_or_skip};

/// busybox, and `second`: the same files with another config (so another
/// image id), both of this machine's platform. Returns their ids.
fn two_images(env: &TestEnv) -> (String, String) {
    let a = env.import_busybox();
    let b = env.import(&busybox_tar(), "second", &["--change", "LABEL second=yes"]);
    assert_ne!(a, b);
    (a, b)
}

fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// The other architecture the tests give `second`.
fn other_arch() -> &'static str {
    if host_arch() == "arm64" {
        "s390x"
    } else {
        "arm64"
    }
}

/// (os/arch, digest) of each entry of a list's JSON.
fn entries(list: &serde_json::Value) -> Vec<(String, String)> {
    list["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let p = &m["platform"];
            (
                format!(
                    "{}/{}",
                    p["os"].as_str().unwrap(),
                    p["architecture"].as_str().unwrap()
                ),
                m["digest"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

berthtest!(
    a_manifest_list_is_named_in_the_store_but_is_no_image,
    |env| {
        two_images(&env);
        let id = env.berth(&["manifest", "create", "multi", "busybox"]).ok();
        assert_eq!(id.trim().len(), 64, "{id}");
        // second has busybox's platform: a list holds one image per platform.
        let out = env.berth(&["manifest", "add", "multi", "second"]).run();
        assert_fails_125(
            &out,
            &format!("the list has an image for linux/{} already", host_arch()),
        );
        env.berth(&["manifest", "add", "--arch", other_arch(), "multi", "second"])
            .ok();
        let list = env.berth(&["manifest", "inspect", "multi"]).run().json();
        assert_eq!(list["mediaType"], "application/vnd.oci.image.index.v1+json");
        let busybox = env.inspect("busybox")["Digest"]
            .as_str()
            .unwrap()
            .to_string();
        let second = env.inspect("second")["Digest"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(
            entries(&list),
            vec![
                (format!("linux/{}", host_arch()), busybox),
                (format!("linux/{}", other_arch()), second),
            ]
        );
        // Not an image: `images` and `inspect` do not see it; the store is valid.
        assert_eq!(env.images_json().len(), 2);
        assert_fails_125(&env.berth(&["inspect", "multi"]).run(), "multi");
        assert_eq!(env.check_store(), "store is valid\n");
    }
);

berthtest!(
    manifest_verbs_refuse_what_is_not_a_list_in_one_line,
    |env| {
        two_images(&env);
        env.berth(&["manifest", "create", "multi", "busybox"]).ok();
        let before = env.snapshot();
        let cases: &[(&[&str], &str)] = &[
            (
                &["manifest", "create", "multi"],
                "manifest list `multi` exists already",
            ),
            (
                &["manifest", "create", "busybox"],
                "is the name of an image",
            ),
            (
                &["manifest", "create", "l2", "nosuch:1"],
                "`nosuch:1` not known",
            ),
            (
                &["manifest", "add", "nolist", "busybox"],
                "manifest list `nolist` not known",
            ),
            (
                &["manifest", "add", "busybox", "second"],
                "is an image, not a manifest list",
            ),
            (
                &["manifest", "add", "multi", "busybox"],
                "is in the list already",
            ),
            (
                &["manifest", "rm", "busybox"],
                "is an image, not a manifest list",
            ),
            (
                &["manifest", "rm", "nolist"],
                "manifest list `nolist` not known",
            ),
        ];
        for (args, needle) in cases {
            assert_fails_125(&env.berth(args).run(), needle);
        }
        assert_eq!(before, env.snapshot(), "a refused verb changes nothing");
    }
);

berthtest!(
    removing_an_image_a_list_uses_keeps_the_list_whole_until_it_is_removed,
    |env| {
        two_images(&env);
        env.berth(&["manifest", "create", "multi", "busybox"]).ok();
        env.berth(&["manifest", "add", "--arch", other_arch(), "multi", "second"])
            .ok();
        let list = env.berth(&["manifest", "inspect", "multi"]).ok();
        // Like podman: rmi removes the image's name; the list still names
        // its manifest, whose blobs it keeps.
        env.berth(&["rmi", "second"]).ok();
        assert_eq!(env.images_json().len(), 1);
        assert_eq!(env.check_store(), "store is valid\n");
        assert_eq!(list, env.berth(&["manifest", "inspect", "multi"]).ok());
        let out = env.berth(&["manifest", "rm", "multi"]).ok();
        assert!(
            out.starts_with("Untagged: docker.io/library/multi:latest\nDeleted: "),
            "{out}"
        );
        // The list and second leave the index (the name history keeps
        // their blobs until it expires); busybox stays.
        assert_eq!(env.check_store(), "store is valid\n");
        assert_eq!(env.images_json().len(), 1);
        env.berth(&["run", "--rm", "busybox", "true"]).ok();
    }
);

berthtest!(manifest_inspect_and_add_read_a_registry, |env| {
    if !Registry::available() || !tool_or_skip("skopeo") {
        return;
    }
    let reg = Registry::start(Mode::Plain);
    env.import_busybox();
    let src = format!(
        "oci:{}:docker.io/library/busybox:latest",
        env.root.join("store").display()
    );
    reg.skopeo_push(&Peer::new(&env), &src, "x:1");
    let name = reg.reference("x:1");
    // A remote image's manifest, as the registry serves it.
    let fresh = TestEnv::new("fresh");
    let m = fresh
        .berth(&["manifest", "inspect", "--tls-verify=false", &name])
        .run()
        .json();
    assert_eq!(m["schemaVersion"], 2);
    assert_eq!(m["layers"].as_array().unwrap().len(), 1);
    let want = reg.skopeo_inspect(&Peer::new(&env), "x:1", false)["Digest"]
        .as_str()
        .unwrap()
        .to_string();
    // Added to a list without pulling: the entry names the registry's manifest.
    fresh.berth(&["manifest", "create", "l"]).ok();
    fresh
        .berth(&["manifest", "add", "--tls-verify=false", "l", &name])
        .ok();
    let list = fresh.berth(&["manifest", "inspect", "l"]).run().json();
    assert_eq!(
        entries(&list),
        vec![(format!("linux/{}", host_arch()), want)]
    );
    assert!(list["manifests"][0].get("annotations").is_none(), "{list}");
    assert!(fresh.images_json().is_empty());
    assert_eq!(fresh.check_store(), "store is valid\n");
    // What is in neither place is an error naming it.
    let out = fresh
        .berth(&[
            "manifest",
            "add",
            "--tls-verify=false",
            "l",
            &reg.reference("nope:1"),
        ])
        .run();
    assert_fails_125(&out, "nope:1");
});

berthtest!(a_pushed_list_gives_each_platform_its_own_image, |env| {
    if !Registry::available() || !tool_or_skip("skopeo") {
        return;
    }
    let (busybox, second) = two_images(&env);
    env.berth(&["manifest", "create", "multi", "busybox"]).ok();
    env.berth(&["manifest", "add", "--arch", other_arch(), "multi", "second"])
        .ok();
    let stored = env.berth(&["manifest", "inspect", "multi"]).run().json();
    let reg = Registry::start(Mode::basic("pusher", "pw-list"));
    let name = reg.reference("multi:1");
    let digestfile = env.path("digest");
    let mut args = vec!["manifest".to_string(), "push".into(), "--digestfile".into()];
    args.push(digestfile.display().to_string());
    args.extend(reg.client_flags(""));
    args.extend(["multi".to_string(), name.clone()]);
    let out = env.berth(&args).run();
    assert_ok(&out);
    let digest = out.stdout().trim().to_string();
    assert_eq!(std::fs::read_to_string(&digestfile).unwrap(), digest);
    // The registry holds the index berth printed the digest of, naming
    // both platforms…
    let peer = Peer::new(&env);
    let mut args = vec!["inspect".to_string(), "--raw".into()];
    args.extend(reg.client_flags(""));
    args.push(format!("docker://{name}"));
    let raw = peer.skopeo(&args).ok();
    assert_eq!(
        format!(
            "sha256:{}",
            crate::util::sha256_hex(raw.trim_end().as_bytes())
        ),
        digest
    );
    let index: serde_json::Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(
        index["mediaType"],
        "application/vnd.oci.image.index.v1+json"
    );
    let pushed = entries(&index);
    let platforms: Vec<&str> = pushed.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        platforms,
        [
            format!("linux/{}", host_arch()),
            format!("linux/{}", other_arch())
        ]
    );
    // …by the digests of the manifests as pushed (layers compressed), not
    // as stored.
    for ((_, pushed), (_, local)) in pushed.iter().zip(entries(&stored)) {
        assert_ne!(*pushed, local, "{index}");
    }
    // A pull gets this machine's image by default, the other one when asked.
    let pull = |world: &str, platform: Option<&str>| {
        let fresh = TestEnv::new(world);
        let mut args = vec!["pull".to_string(), "-q".into()];
        if let Some(p) = platform {
            args.extend(["--platform".to_string(), p.to_string()]);
        }
        args.extend(reg.client_flags(""));
        args.push(name.clone());
        let id = fresh.berth(&args).ok().trim().to_string();
        assert_eq!(fresh.check_store(), "store is valid\n");
        id
    };
    assert_eq!(pull("host", None), busybox);
    assert_eq!(
        pull("other", Some(&format!("linux/{}", other_arch()))),
        second
    );
    // manifest inspect reads the pushed index back.
    let mut args = vec!["manifest".to_string(), "inspect".into()];
    args.extend(reg.client_flags(""));
    args.push(name.clone());
    let remote = TestEnv::new("inspect").berth(&args).run().json();
    assert_eq!(remote, index);
    assert_eq!(env.check_store(), "store is valid\n");
});

berthtest!(manifest_push_without_all_needs_the_images_there, |env| {
    if !Registry::available() {
        return;
    }
    env.import_busybox();
    env.berth(&["manifest", "create", "multi", "busybox"]).ok();
    let reg = Registry::start(Mode::Plain);
    let name = reg.reference("multi:1");
    let out = env
        .berth(&[
            "manifest",
            "push",
            "-q",
            "--all=false",
            "--tls-verify=false",
            "multi",
            &name,
        ])
        .run();
    let err = assert_fails_125(&out, "push with --all");
    assert!(err.contains("multi"), "{err}");
    // Pushed with its images once, the list alone can go again.
    env.berth(&[
        "manifest",
        "push",
        "-q",
        "--tls-verify=false",
        "multi",
        &name,
    ])
    .ok();
    let again = env
        .berth(&[
            "manifest",
            "push",
            "--all=false",
            "--rm",
            "--tls-verify=false",
            "multi",
            &name,
        ])
        .ok();
    assert!(again.starts_with("sha256:"), "{again}");
    let out = env.berth(&["manifest", "inspect", "multi"]).run();
    assert_fails_125(&out, "multi");
    assert_eq!(env.check_store(), "store is valid\n");
});

berthtest!(
    a_registry_image_in_a_list_is_copied_when_the_list_is_pushed,
    |env| {
        if !Registry::available() || !tool_or_skip("skopeo") {
            return;
        }
        let reg = Registry::start(Mode::Plain);
        env.import_busybox();
        let src = format!(
            "oci:{}:docker.io/library/busybox:latest",
            env.root.join("store").display()
        );
        reg.skopeo_push(&Peer::new(&env), &src, "x:1");
        let fresh = TestEnv::new("fresh");
        fresh.berth(&["manifest", "create", "l"]).ok();
        fresh
            .berth(&[
                "manifest",
                "add",
                "--tls-verify=false",
                "l",
                &reg.reference("x:1"),
            ])
            .ok();
        let name = reg.reference("other/l:1");
        fresh
            .berth(&[
                "manifest",
                "push",
                "--format",
                "v2s2",
                "--tls-verify=false",
                "l",
                &name,
            ])
            .ok();
        let index = TestEnv::new("inspect")
            .berth(&["manifest", "inspect", "--tls-verify=false", &name])
            .run()
            .json();
        assert_eq!(
            index["mediaType"],
            "application/vnd.docker.distribution.manifest.list.v2+json"
        );
        assert!(
            index["manifests"][0].get("annotations").is_none(),
            "{index}"
        );
        // Its image came along (mounted from x): a pull by the list gets it.
        let puller = TestEnv::new("puller");
        let id = puller
            .berth(&["pull", "-q", "--tls-verify=false", &name])
            .ok();
        assert_eq!(id.trim(), env.inspect("busybox")["Id"].as_str().unwrap());
    }
);
