//! `berth push` to a real docker-registry on 127.0.0.1 (issue 10): berth's
//! uncompressed layers go up gzip-compressed, compressed once and reused by
//! every later push; Docker v2s2 manifests; repo digests in `images
//! --digests` and `inspect`; `image exists`; `rmi` keeps compressed blobs
//! another image still needs.

use crate::util::peer::Peer;
use crate::util::registry::{Mode, Registry};
use crate::util::{self, Cmd, assert_fails_125, assert_ok, busybox_tar, list_dir};

/// A plain registry, or None after a skip.
fn registry() -> Option<Registry> {
    Registry::available().then(|| Registry::start(Mode::Plain))
}

/// `skopeo inspect --raw`: the manifest the registry holds, and its digest.
fn registry_manifest(env: &util::TestEnv, reference: &str) -> (serde_json::Value, String) {
    let peer = Peer::new(env);
    let raw = peer
        .skopeo(&[
            "inspect",
            "--raw",
            "--tls-verify=false",
            &format!("docker://{reference}"),
        ])
        .ok();
    let out = peer
        .skopeo(&[
            "inspect",
            "--tls-verify=false",
            &format!("docker://{reference}"),
        ])
        .run();
    assert_ok(&out);
    let digest = out.json()["Digest"].as_str().unwrap().to_string();
    (serde_json::from_str(&raw).unwrap(), digest)
}

fn blobs(env: &util::TestEnv) -> Vec<String> {
    list_dir(&env.root.join("store/blobs/sha256"))
        .into_iter()
        .filter(|n| !n.starts_with('.'))
        .collect()
}

fn push(env: &util::TestEnv, args: &[&str]) -> Cmd {
    let mut a = vec!["push", "--tls-verify=false"];
    a.extend(args);
    env.berth(&a)
}

berthtest!(
    push_sends_gzip_layers_and_prints_the_manifest_digest,
    |env| {
        let Some(reg) = registry() else { return };
        if !util::tool_or_skip("skopeo") {
            return;
        }
        env.import_busybox();
        let dest = reg.reference("berth/busybox:1");
        let out = push(&env, &["busybox", &format!("docker://{dest}")]).run();
        assert_ok(&out);
        let printed = out.stdout().trim().to_string();
        let (manifest, digest) = registry_manifest(&env, &dest);
        assert_eq!(printed, digest);
        assert_eq!(
            manifest["mediaType"],
            "application/vnd.oci.image.manifest.v1+json"
        );
        let layers = manifest["layers"].as_array().unwrap();
        assert_eq!(layers.len(), 1);
        assert_eq!(
            layers[0]["mediaType"],
            "application/vnd.oci.image.layer.v1.tar+gzip"
        );
        // Sent while compressed into the store: the registry has the very
        // blob the store keeps for later pushes.
        let layer = layers[0]["digest"].as_str().unwrap();
        assert!(
            blobs(&env).contains(&layer["sha256:".len()..].to_string()),
            "{layer} in the store"
        );
        // The config is the image's own: its id and diffIDs unchanged.
        let id = env.inspect("busybox")["Id"].as_str().unwrap().to_string();
        assert_eq!(manifest["config"]["digest"], format!("sha256:{id}"));
        // Progress: one plain line per step.
        let stderr = out.stderr();
        assert!(stderr.contains("Copying blob sha256:"), "{stderr}");
        assert!(stderr.contains(" done"), "{stderr}");
        env.check_store();
    }
);

berthtest!(a_second_push_reuses_the_compressed_layer, |env| {
    let Some(reg) = registry() else { return };
    if !util::tool_or_skip("skopeo") {
        return;
    }
    env.import_busybox();
    let first = reg.reference("a/busybox:1");
    push(&env, &["busybox", &first]).ok();
    let blobs_after_first = blobs(&env);
    // Another repository of the same registry: the layer is mounted, not
    // compressed or uploaded again.
    let second = reg.reference("b/busybox:1");
    let out = push(&env, &["busybox", &second]).run();
    assert_ok(&out);
    assert_eq!(
        blobs(&env),
        blobs_after_first,
        "no new blob: no recompression"
    );
    let stderr = out.stderr();
    assert!(!stderr.contains("Compressing"), "{stderr}");
    assert!(stderr.contains("mounted from a/busybox"), "{stderr}");
    let (m1, d1) = registry_manifest(&env, &first);
    let (m2, d2) = registry_manifest(&env, &second);
    assert_eq!(m1["layers"], m2["layers"], "the same compressed bytes");
    assert_eq!(d1, d2);
    // The same repository again: everything is already there.
    let out = push(&env, &["-q", "busybox", &first]).run();
    assert_ok(&out);
    assert_eq!(out.stdout().trim(), d1);
    assert_eq!(out.stderr(), "", "-q prints no progress");
    assert_eq!(blobs(&env), blobs_after_first);
});

berthtest!(push_format_v2s2_uses_docker_media_types, |env| {
    let Some(reg) = registry() else { return };
    if !util::tool_or_skip("skopeo") {
        return;
    }
    env.import_busybox();
    let dest = reg.reference("v2/busybox:1");
    push(&env, &["--format", "v2s2", "busybox", &dest]).ok();
    let (manifest, _) = registry_manifest(&env, &dest);
    assert_eq!(
        manifest["mediaType"],
        "application/vnd.docker.distribution.manifest.v2+json"
    );
    assert_eq!(
        manifest["config"]["mediaType"],
        "application/vnd.docker.container.image.v1+json"
    );
    assert_eq!(
        manifest["layers"][0]["mediaType"],
        "application/vnd.docker.image.rootfs.diff.tar.gzip"
    );
});

berthtest!(push_zstd_layers_in_oci_and_refuse_them_in_v2s2, |env| {
    let Some(reg) = registry() else { return };
    if !util::tool_or_skip("skopeo") {
        return;
    }
    env.import_busybox();
    let before = env.snapshot();
    let dest = reg.reference("z/busybox:1");
    let out = push(
        &env,
        &[
            "--format",
            "v2s2",
            "--compression-format",
            "zstd",
            "busybox",
            &dest,
        ],
    )
    .run();
    assert_fails_125(&out, "zstd");
    assert_eq!(env.snapshot(), before, "the store is unchanged");
    push(&env, &["--compression-format", "zstd", "busybox", &dest]).ok();
    let (manifest, _) = registry_manifest(&env, &dest);
    assert_eq!(
        manifest["layers"][0]["mediaType"],
        "application/vnd.oci.image.layer.v1.tar+zstd"
    );
});

berthtest!(pushed_digests_show_in_images_inspect_and_lookups, |env| {
    let Some(reg) = registry() else { return };
    env.import_busybox();
    let name = reg.reference("d/busybox:1");
    env.berth(&["tag", "busybox", &name]).ok();
    let digestfile = env.path("digest");
    let out = push(&env, &["--digestfile", digestfile.to_str().unwrap(), &name]).run();
    assert_ok(&out);
    let digest = out.stdout().trim().to_string();
    assert_eq!(std::fs::read_to_string(&digestfile).unwrap(), digest);
    let table = env.berth(&["images", "--digests"]).ok();
    let row = table
        .lines()
        .find(|l| l.starts_with(&reg.reference("d/busybox")))
        .unwrap_or_else(|| panic!("no row for the pushed name:\n{table}"));
    assert!(row.contains(&digest), "{table}");
    let repo_digest = format!("{}@{digest}", reg.reference("d/busybox"));
    let inspect = env.inspect("busybox");
    assert!(
        util::strings(&inspect["RepoDigests"]).contains(&repo_digest),
        "{inspect}"
    );
    env.berth(&["image", "exists", &repo_digest]).ok();
    env.check_store();
});

berthtest!(image_exists_answers_by_exit_code, |env| {
    let out = env.berth(&["image", "exists", "busybox"]).run();
    assert_eq!(out.code(), Some(1), "fresh root");
    env.import_busybox();
    for spec in ["busybox", "docker.io/library/busybox:latest"] {
        let out = env.berth(&["image", "exists", spec]).run();
        assert_eq!(out.code(), Some(0), "{spec}");
        assert_eq!((out.stdout(), out.stderr().as_str()), ("", ""));
    }
    let id = env.inspect("busybox")["Id"].as_str().unwrap().to_string();
    assert_eq!(
        env.berth(&["image", "exists", &id[..12]]).run().code(),
        Some(0)
    );
    let out = env.berth(&["image", "exists", "localhost/nothing"]).run();
    assert_eq!(out.code(), Some(1));
    assert_eq!((out.stdout(), out.stderr().as_str()), ("", ""));
    assert_fails_125(
        &env.berth(&["image", "exists", "Bad/Name"]).run(),
        "Bad/Name",
    );
});

berthtest!(push_to_an_unreachable_registry_fails_in_one_line, |env| {
    let id = env.import_busybox();
    let before = env.snapshot();
    // By id, there is no name to push to.
    assert_fails_125(&push(&env, &[&id[..12]]).run(), "give one");
    // Port 1 on loopback: nothing listens there.
    let out = push(&env, &["busybox", "127.0.0.1:1/x/busybox:1"]).run();
    assert_fails_125(&out, "127.0.0.1:1/x/busybox:1");
    assert_eq!(env.snapshot(), before, "the store is unchanged");
});

berthtest!(rmi_keeps_a_compressed_layer_another_image_uses, |env| {
    let Some(reg) = registry() else { return };
    env.import(&busybox_tar(), "localhost/a", &[]);
    env.import(
        &busybox_tar(),
        "localhost/b",
        &["--change", r#"CMD ["sh"]"#],
    );
    let before = blobs(&env);
    push(&env, &["localhost/a", &reg.reference("a:1")]).ok();
    let compressed: Vec<String> = blobs(&env)
        .into_iter()
        .filter(|b| !before.contains(b))
        .collect();
    assert_eq!(compressed.len(), 1, "one compressed layer");
    env.berth(&["rmi", "localhost/a"]).ok();
    assert!(
        blobs(&env).contains(&compressed[0]),
        "b still uses the layer: its compressed form stays"
    );
    env.check_store();
    // b's push reuses it: no new blob.
    let kept = blobs(&env);
    push(&env, &["localhost/b", &reg.reference("b:1")]).ok();
    assert_eq!(blobs(&env), kept);
    env.berth(&["rmi", "localhost/b"]).ok();
    // The name history (issue 13) keeps what it points to until it expires.
    env.berth(&["system", "prune", "--expire", "now"]).ok();
    assert_eq!(blobs(&env), Vec::<String>::new(), "no blob left");
    env.check_store();
});

berthtest!(
    pushed_with_credentials_pulls_and_runs_in_a_fresh_root,
    |env| {
        if !Registry::available() {
            return;
        }
        for mode in [
            Mode::basic("pusher", "s3cret"),
            Mode::token("pusher", "s3cret"),
        ] {
            let reg = Registry::start(mode);
            env.import_busybox();
            let mut args = vec!["push".to_string()];
            args.extend(reg.client_flags(""));
            args.extend(["busybox".into(), reg.reference("auth/busybox:1")]);
            let out = env.berth(&args).run();
            assert_ok(&out);
            assert!(!out.stderr().contains("s3cret") && !out.stdout().contains("s3cret"));
            let fresh = util::TestEnv::new("pulled");
            let mut args = vec!["pull".to_string()];
            args.extend(reg.client_flags(""));
            args.push(reg.reference("auth/busybox:1"));
            assert_ok(&fresh.berth(&args).run());
            let out = fresh
                .berth(&[
                    "run",
                    "--rm",
                    &reg.reference("auth/busybox:1"),
                    "echo",
                    "pushed",
                ])
                .run();
            assert_ok(&out);
            assert_eq!(out.stdout(), "pushed\n");
            fresh.check_store();
        }
    }
);

/// A tar holding one file of `len` bytes that do not compress.
fn incompressible_tar(env: &util::TestEnv, len: usize) -> std::path::PathBuf {
    let mut data = Vec::with_capacity(len);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    while data.len() < len {
        // xorshift64: noise that gzip cannot shrink.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        data.extend_from_slice(&x.to_le_bytes());
    }
    data.truncate(len);
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_ustar();
    h.set_size(len as u64);
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h.set_cksum();
    b.append_data(&mut h, "noise.bin", &data[..]).unwrap();
    env.write("noise.tar", b.into_inner().unwrap())
}

berthtest!(a_large_stored_layer_uploads_whole_and_pulls_back, |env| {
    // Over 32 MiB: a blob the store already has compressed goes up in one
    // PATCH, then a PUT; smaller ones in one PUT.
    let Some(first) = registry() else { return };
    let second = Registry::start(Mode::Plain);
    let tar = incompressible_tar(&env, 40 << 20);
    let id = env.import(&tar, "localhost/noise", &[]);
    // The first push compresses the layer (streamed while made); the one to
    // another registry sends the stored blob, which it cannot mount.
    push(&env, &["localhost/noise", &first.reference("n:1")]).ok();
    let out = push(&env, &["localhost/noise", &second.reference("n:1")]).run();
    assert_ok(&out);
    let stderr = out.stderr();
    assert!(!stderr.contains("Compressing"), "{stderr}");
    let fresh = util::TestEnv::new("pulled");
    let out = fresh
        .berth(&["pull", "--tls-verify=false", &second.reference("n:1")])
        .run();
    assert_ok(&out);
    assert_eq!(
        out.stdout().trim(),
        id,
        "the pulled image is the pushed one"
    );
    fresh.check_store();
    env.check_store();
});
