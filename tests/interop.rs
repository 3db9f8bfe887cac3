//! berth against Debian's real tools: podman's archives load into berth and
//! berth's into podman with the same layers; skopeo, umoci and
//! oci-image-tool read berth's store as the OCI image layout it claims to be.
//! The tools run rootless as the test's own user (see `util::peer`).

use crate::util::peer::Peer;
use crate::util::{self, TestEnv, assert_ok, busybox_tar, sha256_hex, strings, tool_or_skip};

const BUSYBOX: &str = "docker.io/library/busybox:latest";

/// `oci:<root>/store:REF`, the reference skopeo takes for berth's store.
fn oci_ref(env: &TestEnv, reference: &str) -> String {
    format!("oci:{}:{reference}", env.root.join("store").display())
}

/// podman imports the busybox tar, saves it as `format`, berth loads that:
/// same image id (the config is kept) and the same layer diffIDs.
fn podman_archive_loads_into_berth(env: &TestEnv, format: &str) {
    if !tool_or_skip("podman") {
        return;
    }
    let peer = Peer::new(env);
    let tar = busybox_tar();
    peer.podman(&["import", "-q", tar.to_str().unwrap(), "localhost/bb"])
        .ok();
    let archive = peer.dir().join(format!("podman-{format}.tar"));
    peer.podman(&[
        "save",
        "--format",
        format,
        "-o",
        archive.to_str().unwrap(),
        "localhost/bb",
    ])
    .ok();
    let want = peer.podman_inspect("localhost/bb");

    let out = env.berth(&["load", "-i", archive.to_str().unwrap()]).ok();
    eqnice!("Loaded image: localhost/bb:latest\n", out);
    let got = env.inspect("localhost/bb");
    assert_eq!(
        strings(&got["RootFS"]["Layers"]),
        strings(&want["RootFS"]["Layers"]),
        "berth and podman agree on the layer diffIDs"
    );
    assert_eq!(
        got["Id"], want["Id"],
        "the image config came through unchanged"
    );
    env.check_store();
}

berthtest!(podman_docker_archive_loads_into_berth, |env| {
    podman_archive_loads_into_berth(&env, "docker-archive");
});

berthtest!(podman_oci_archive_loads_into_berth, |env| {
    podman_archive_loads_into_berth(&env, "oci-archive");
});

/// berth saves busybox as `format`; podman loads it with the same layers.
fn berth_archive_loads_into_podman(env: &TestEnv, format: &str) {
    if !tool_or_skip("podman") {
        return;
    }
    let id = env.import_busybox();
    let ours = env.inspect("busybox");
    let archive = env.path(&format!("berth-{format}.tar"));
    env.berth(&[
        "save",
        "--format",
        format,
        "-o",
        archive.to_str().unwrap(),
        "busybox",
    ])
    .ok();
    let peer = Peer::new(env);
    let out = peer
        .podman(&["load", "-q", "-i", archive.to_str().unwrap()])
        .ok();
    assert!(
        out.contains("busybox"),
        "podman names what it loaded: {out}"
    );
    let theirs = peer.podman_inspect(BUSYBOX);
    assert_eq!(theirs["Id"], id.as_str());
    assert_eq!(
        strings(&theirs["RootFS"]["Layers"]),
        strings(&ours["RootFS"]["Layers"])
    );
}

berthtest!(berth_docker_archive_loads_into_podman, |env| {
    berth_archive_loads_into_podman(&env, "docker-archive");
});

berthtest!(berth_oci_archive_loads_into_podman, |env| {
    berth_archive_loads_into_podman(&env, "oci-archive");
});

berthtest!(skopeo_inspects_berth_store, |env| {
    if !tool_or_skip("skopeo") {
        return;
    }
    env.import_busybox();
    let ours = env.inspect("busybox");
    let before = env.snapshot();
    let peer = Peer::new(&env);
    let out = peer.skopeo(&["inspect", &oci_ref(&env, BUSYBOX)]).run();
    assert_ok(&out);
    assert_eq!(out.json()["Digest"], ours["Digest"], "same manifest digest");
    let out = peer
        .skopeo(&["inspect", "--config", &oci_ref(&env, BUSYBOX)])
        .run();
    assert_ok(&out);
    let config = out.json();
    assert_eq!(
        strings(&config["rootfs"]["diff_ids"]),
        strings(&ours["RootFS"]["Layers"])
    );
    eqnice!(before, env.snapshot(), "skopeo only reads");
});

berthtest!(skopeo_copies_from_berth_store, |env| {
    if !tool_or_skip("skopeo") {
        return;
    }
    env.import_busybox();
    env.berth(&["tag", "busybox", "localhost/bb:2"]).ok();
    let ours = env.inspect("busybox");
    let peer = Peer::new(&env);
    for reference in [BUSYBOX, "localhost/bb:2"] {
        let dest = peer
            .dir()
            .join(format!("dir-{}", sha256_hex(reference.as_bytes())));
        peer.skopeo(&[
            "copy",
            "-q",
            &oci_ref(&env, reference),
            &format!("dir:{}", dest.display()),
        ])
        .ok();
        let manifest = std::fs::read(dest.join("manifest.json")).expect("dir:DEST/manifest.json");
        assert_eq!(
            format!("sha256:{}", sha256_hex(&manifest)),
            ours["Digest"].as_str().unwrap(),
            "skopeo copied the manifest as berth stored it ({reference})"
        );
    }
    env.check_store();
});

berthtest!(umoci_unpacks_berth_store, |env| {
    if !tool_or_skip("umoci") {
        return;
    }
    env.import_busybox();
    let before = env.snapshot();
    let bundle = env.path("bundle");
    // umoci splits --image at the first ':', so the tag may hold a full
    // reference with its own ':'.
    let image = format!("{}:{BUSYBOX}", env.root.join("store").display());
    let out = util::Cmd::new("umoci")
        .args(&["unpack", "--rootless", "--image", &image])
        .arg(&bundle)
        .run();
    assert_ok(&out);
    assert!(bundle.join("config.json").is_file(), "a runtime bundle");
    assert!(bundle.join("rootfs/bin/busybox").is_file());
    let passwd = std::fs::read_to_string(bundle.join("rootfs/etc/passwd")).unwrap();
    assert!(passwd.starts_with("root:x:0:0:"), "{passwd}");
    eqnice!(before, env.snapshot(), "umoci only reads");
    util::make_removable(&bundle);
});

berthtest!(oci_image_tool_validates_berth_store, |env| {
    if !tool_or_skip("oci-image-tool") {
        return;
    }
    // Debian's oci-image-tool (1.0.0-rc1) has no `--type imageLayout`; its
    // `image` type validates a layout dir and every ref in it.
    let store = env.root.join("store");
    let validate = |extra: &[&str]| {
        let out = util::Cmd::new("oci-image-tool")
            .args(&["validate", "--type", "image"])
            .args(extra)
            .arg(&store)
            .run();
        assert_ok(&out);
    };
    env.import_busybox();
    // rc1's `--ref name=` lookup wrongly says "not unique" once index.json
    // has three entries, so look one up while there is just the one.
    validate(&["--ref", &format!("name={BUSYBOX}")]);
    env.berth(&["tag", "busybox", "localhost/bb:2", "example.com/a/b:c"])
        .ok();
    env.import(&busybox_tar(), "localhost/other", &["--message", "other"]);
    validate(&[]);
    env.berth(&["rmi", "localhost/other", "example.com/a/b:c"])
        .ok();
    validate(&[]);
});

// issue 5: an image berth built, saved, loads into podman with the same
// config and layers.
berthtest!(berth_built_image_loads_into_podman, |env| {
    if !tool_or_skip("podman") {
        return;
    }
    env.import_busybox();
    env.write(
        "ctx/Dockerfile",
        "FROM busybox\nRUN echo built > /built\nCOPY f /f\nCMD [\"cat\", \"/built\"]\n",
    );
    env.write("ctx/f", "file\n");
    let id = env
        .berth(&[
            "build",
            "-q",
            "-t",
            "localhost/built",
            env.path("ctx").to_str().unwrap(),
        ])
        .ok()
        .trim()
        .to_string();
    let ours = env.inspect("localhost/built");
    let archive = env.path("built.tar");
    env.berth(&["save", "-o", archive.to_str().unwrap(), "localhost/built"])
        .ok();
    let peer = Peer::new(&env);
    peer.podman(&["load", "-q", "-i", archive.to_str().unwrap()])
        .ok();
    let theirs = peer.podman_inspect("localhost/built");
    assert_eq!(theirs["Id"], id.as_str());
    assert_eq!(
        strings(&theirs["RootFS"]["Layers"]),
        strings(&ours["RootFS"]["Layers"])
    );
    assert_eq!(strings(&theirs["Config"]["Cmd"]), ["cat", "/built"]);
});

// Issue 9: berth's oci-archive had no directory entries, so skopeo (which
// untars it before reading) created `blobs/` itself and then failed to
// chown it as an unprivileged user; podman's archive of the same image has
// them and works.
berthtest!(skopeo_inspects_berth_oci_archive, |env| {
    if !tool_or_skip("skopeo") {
        return;
    }
    env.import_busybox();
    let ours = env.inspect("busybox");
    let archive = env.path("berth-oci.tar");
    env.berth(&[
        "save",
        "--format",
        "oci-archive",
        "-o",
        archive.to_str().unwrap(),
        "busybox",
    ])
    .ok();
    let peer = Peer::new(&env);
    let out = peer
        .skopeo(&["inspect", &format!("oci-archive:{}", archive.display())])
        .run();
    assert_ok(&out);
    assert_eq!(out.json()["Digest"], ours["Digest"], "same manifest digest");
    let names = util::tar_names(&std::fs::read(&archive).unwrap());
    for dir in ["blobs/", "blobs/sha256/"] {
        assert!(names.iter().any(|n| n == dir), "{dir} in {names:?}");
    }
});
