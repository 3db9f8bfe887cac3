//! `berth pull` from a real docker-registry on 127.0.0.1, in each of the
//! registry's modes (plain http, Basic auth, TLS with a private CA, Bearer
//! tokens): skopeo puts busybox there, berth pulls it into a fresh root and
//! runs it. Then what a registry can get wrong: a tampered blob, a missing
//! manifest, a missing platform.

use crate::util::peer::Peer;
use crate::util::registry::{Mode, Registry};
use crate::util::{TestEnv, assert_fails_125, assert_ok, strings, tool_or_skip};

const BUSYBOX: &str = "docker.io/library/busybox:latest";

/// A registry in `mode` holding busybox as `x:1` (pushed by skopeo from
/// `env`'s store), or None after a skip.
fn registry_with_busybox(env: &TestEnv, mode: Mode) -> Option<Registry> {
    if !Registry::available() || !tool_or_skip("skopeo") {
        return None;
    }
    let reg = Registry::start(mode);
    env.import_busybox();
    let src = format!("oci:{}:{BUSYBOX}", env.root.join("store").display());
    reg.skopeo_push(&Peer::new(env), &src, "x:1");
    Some(reg)
}

/// Pulls `x:1` into a fresh root with the mode's flags, runs it, checks the
/// store; returns the fresh world.
fn pull_and_run(env: &TestEnv, reg: &Registry) -> TestEnv {
    let fresh = TestEnv::new("pulled");
    let mut args = vec!["pull".to_string()];
    args.extend(reg.client_flags(""));
    args.push(reg.reference("x:1"));
    let out = fresh.berth(&args).run();
    assert_ok(&out);
    let id = out.stdout().trim().to_string();
    let ours = env.inspect("busybox");
    assert_eq!(
        id,
        ours["Id"].as_str().unwrap(),
        "the pulled image is the pushed one"
    );
    let out = fresh
        .berth(&["run", "--rm", &reg.reference("x:1"), "echo", "pulled"])
        .run();
    assert_ok(&out);
    assert_eq!(out.stdout(), "pulled\n");
    fresh.check_store();
    fresh
}

berthtest!(pull_from_a_plain_registry_runs_the_image, |env| {
    let Some(reg) = registry_with_busybox(&env, Mode::Plain) else {
        return;
    };
    let fresh = pull_and_run(&env, &reg);
    // Pulled again: nothing is fetched, the same image stays.
    let before = fresh.snapshot();
    let out = fresh
        .berth(&["pull", "--tls-verify=false", &reg.reference("x:1")])
        .run();
    assert_ok(&out);
    assert!(
        out.stderr().contains("skipped: already exists"),
        "{}",
        out.stderr()
    );
    assert_eq!(before, fresh.snapshot(), "a second pull changes nothing");
});

berthtest!(pull_with_basic_auth_uses_the_credentials, |env| {
    let Some(reg) = registry_with_busybox(&env, Mode::basic("puller", "pw-basic")) else {
        return;
    };
    pull_and_run(&env, &reg);
    let fresh = TestEnv::new("anonymous");
    let out = fresh
        .berth(&["pull", "--tls-verify=false", &reg.reference("x:1")])
        .run();
    let err = assert_fails_125(&out, "authentication required");
    assert!(
        err.contains(&format!("berth login {}", reg.host())),
        "{err}"
    );
    assert!(!err.contains("pw-basic"));
});

berthtest!(pull_over_tls_trusts_the_cert_dir, |env| {
    let Some(reg) = registry_with_busybox(&env, Mode::Tls) else {
        return;
    };
    pull_and_run(&env, &reg);
    let fresh = TestEnv::new("untrusted");
    let out = fresh.berth(&["pull", &reg.reference("x:1")]).run();
    assert_fails_125(&out, "certificate");
    assert_eq!(fresh.berth(&["images", "-q"]).ok(), "");
});

berthtest!(pull_through_the_token_flow_caches_the_token, |env| {
    let Some(reg) = registry_with_busybox(&env, Mode::token("puller", "pw-token")) else {
        return;
    };
    let issued = reg.issued();
    pull_and_run(&env, &reg);
    let pull_tokens = reg.issued() - issued;
    // One token for the pull (manifest, config, layers); `run` pulls
    // nothing: the image is there.
    assert_eq!(pull_tokens, 1, "grants: {:?}", reg.grants());
});

berthtest!(pull_refuses_a_tampered_blob_and_keeps_the_store, |env| {
    let Some(reg) = registry_with_busybox(&env, Mode::Plain) else {
        return;
    };
    // skopeo compressed the layer on its way: the registry's blob.
    let layers = strings(&reg.skopeo_inspect(&Peer::new(&env), "x:1", false)["Layers"]);
    let blob = reg.blob_path(&layers[0]);
    let mut bytes = std::fs::read(&blob).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 0xff;
    std::fs::write(&blob, bytes).unwrap();
    let fresh = TestEnv::new("tampered");
    let pull = || {
        fresh
            .berth(&["pull", "--tls-verify=false", &reg.reference("x:1")])
            .run()
    };
    assert_fails_125(&pull(), "digest mismatch");
    let after_one = fresh.snapshot();
    assert_fails_125(&pull(), "digest mismatch");
    assert_eq!(after_one, fresh.snapshot(), "nothing entered the store");
    assert_eq!(fresh.berth(&["images", "-q"]).ok(), "");
    assert_eq!(fresh.check_store(), "store is valid\n");
});

berthtest!(pull_of_an_unknown_tag_names_it, |env| {
    let Some(reg) = registry_with_busybox(&env, Mode::Plain) else {
        return;
    };
    let out = env
        .berth(&["pull", "--tls-verify=false", &reg.reference("x:nope")])
        .run();
    let err = assert_fails_125(&out, "manifest unknown");
    assert!(err.contains(&reg.reference("x:nope")), "{err}");
});

berthtest!(build_from_a_registry_image_pulls_it, |env| {
    let Some(reg) = registry_with_busybox(&env, Mode::Plain) else {
        return;
    };
    let fresh = TestEnv::new("build");
    let ctx = fresh.path("ctx");
    fresh.write(
        "ctx/Dockerfile",
        format!("FROM {}\nRUN echo built > /built\n", reg.reference("x:1")),
    );
    let out = fresh
        .berth(&[
            "build",
            "--tls-verify=false",
            "-t",
            "built",
            ctx.to_str().unwrap(),
        ])
        .run();
    assert_ok(&out);
    let out = fresh
        .berth(&["run", "--rm", "built", "cat", "/built"])
        .run();
    assert_ok(&out);
    assert_eq!(out.stdout(), "built\n");
    // --pull=never does not reach out.
    let other = TestEnv::new("never");
    other.write("ctx/Dockerfile", format!("FROM {}\n", reg.reference("x:1")));
    let out = other
        .berth(&[
            "build",
            "-q",
            "--pull=never",
            other.path("ctx").to_str().unwrap(),
        ])
        .run();
    assert_fails_125(&out, "not known");
});

berthtest!(
    pull_killed_midway_leaves_a_valid_store_and_pulls_again,
    |env| {
        if !Registry::available() || !tool_or_skip("skopeo") {
            return;
        }
        // A layer of incompressible bytes, so the pull takes a while.
        let mut layers = Vec::new();
        for i in 0..1u8 {
            let dir = env.path(&format!("l{i}"));
            std::fs::create_dir_all(&dir).unwrap();
            let mut bytes = vec![0u8; 8 << 20];
            let mut x: u64 = 0x9e37_79b9_7f4a_7c15 ^ u64::from(i);
            for b in bytes.iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *b = x as u8;
            }
            std::fs::write(dir.join(format!("blob{i}")), bytes).unwrap();
            let tar = env.path(&format!("l{i}.tar"));
            let out = crate::util::Cmd::new("tar")
                .args(&[
                    "-C",
                    dir.to_str().unwrap(),
                    "-cf",
                    tar.to_str().unwrap(),
                    ".",
                ])
                .run();
            assert_ok(&out);
            layers.push(tar);
        }
        env.import(&layers[0], "big:1", &[]);
        let reg = Registry::start(Mode::Plain);
        let peer = Peer::new(&env);
        let src = format!(
            "oci:{}:docker.io/library/big:1",
            env.root.join("store").display()
        );
        reg.skopeo_push(&peer, &src, "big:1");

        let fresh = TestEnv::new("killed");
        // A failed pull makes the (empty) store, whose layers dir we watch.
        let out = fresh
            .berth(&["pull", "--tls-verify=false", &reg.reference("none:1")])
            .run();
        assert_fails_125(&out, "manifest unknown");
        let running = fresh
            .berth(&["pull", "--tls-verify=false", &reg.reference("big:1")])
            .spawn();
        crate::util::wait_for_entry(
            &fresh.root.join("layers"),
            ".tmp",
            std::time::Duration::from_secs(60),
        );
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(running.pid() as i32),
            nix::sys::signal::Signal::SIGKILL,
        )
        .unwrap();
        running.wait();
        fresh.check_store();
        let out = fresh
            .berth(&["pull", "-q", "--tls-verify=false", &reg.reference("big:1")])
            .run();
        assert_ok(&out);
        let out = fresh
            .berth(&["run", "--rm", &reg.reference("big:1"), "/bin/true"])
            .run();
        // The image is a lone data layer: no /bin/true in it, but it starts.
        assert_eq!(out.code(), Some(127), "{}", out.stderr());
        let listed = fresh.check_store();
        assert!(listed.contains("store is valid"), "{listed}");
        fresh.berth(&["system", "prune"]).ok();
        assert_eq!(fresh.check_store(), "store is valid\n");
    }
);

/// An OCI layout at `dir` holding one index, `multi:1`, with busybox from
/// `env`'s store for linux/amd64 and a copy whose config says linux/arm64.
fn multi_platform_layout(env: &TestEnv, dir: &std::path::Path) {
    use serde_json::json;
    let store = env.root.join("store");
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    for e in std::fs::read_dir(store.join("blobs/sha256")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), blobs.join(e.file_name())).unwrap();
    }
    let put = |bytes: &[u8]| -> (String, usize) {
        let hex = crate::util::sha256_hex(bytes);
        std::fs::write(blobs.join(&hex), bytes).unwrap();
        (format!("sha256:{hex}"), bytes.len())
    };
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(store.join("index.json")).unwrap()).unwrap();
    let amd = index["manifests"][0].clone();
    let amd_digest = amd["digest"].as_str().unwrap();
    let read = |d: &str| std::fs::read(blobs.join(d.trim_start_matches("sha256:"))).unwrap();
    let mut manifest: serde_json::Value = serde_json::from_slice(&read(amd_digest)).unwrap();
    let mut config: serde_json::Value =
        serde_json::from_slice(&read(manifest["config"]["digest"].as_str().unwrap())).unwrap();
    config["architecture"] = json!("arm64");
    config["variant"] = json!("v8");
    let (cd, cs) = put(&serde_json::to_vec(&config).unwrap());
    manifest["config"]["digest"] = json!(cd);
    manifest["config"]["size"] = json!(cs);
    let (md, ms) = put(&serde_json::to_vec(&manifest).unwrap());
    let list = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json",
             "digest": amd_digest, "size": amd["size"],
             "platform": {"os": "linux", "architecture": "amd64"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json",
             "digest": md, "size": ms,
             "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}}
        ]
    });
    let (ld, ls) = put(&serde_json::to_vec(&list).unwrap());
    let top = json!({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": ld, "size": ls,
         "annotations": {"org.opencontainers.image.ref.name": "multi:1"}}
    ]});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&top).unwrap()).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
}

berthtest!(pull_picks_the_platform_from_an_index, |env| {
    if !Registry::available() || !tool_or_skip("skopeo") || !cfg!(target_arch = "x86_64") {
        return;
    }
    env.import_busybox();
    let layout = env.path("multi");
    multi_platform_layout(&env, &layout);
    let reg = Registry::start(Mode::Plain);
    let peer = Peer::new(&env);
    let out = peer
        .skopeo(&[
            "copy",
            "-q",
            "--all",
            "--dest-tls-verify=false",
            &format!("oci:{}:multi:1", layout.display()),
            &format!("docker://{}", reg.reference("multi:1")),
        ])
        .run();
    assert_ok(&out);
    let name = reg.reference("multi:1");
    // This machine's entry by default…
    let host = TestEnv::new("host");
    let id = host
        .berth(&["pull", "-q", "--tls-verify=false", &name])
        .ok();
    assert_eq!(id.trim(), env.inspect("busybox")["Id"].as_str().unwrap());
    // …the one asked for with --platform…
    let arm = TestEnv::new("arm");
    arm.berth(&[
        "pull",
        "-q",
        "--tls-verify=false",
        "--platform",
        "linux/arm64",
        &name,
    ])
    .ok();
    assert_eq!(arm.inspect(&name)["Architecture"], "arm64");
    // …or with podman's --arch and --variant (on this machine's OS)…
    let arch = TestEnv::new("arch");
    arch.berth(&[
        "pull",
        "-q",
        "--tls-verify=false",
        "--arch",
        "arm64",
        "--variant",
        "v8",
        &name,
    ])
    .ok();
    assert_eq!(arch.inspect(&name)["Architecture"], "arm64");
    let out = arch
        .berth(&[
            "pull",
            "--platform",
            "linux/arm64",
            "--arch",
            "arm64",
            &name,
        ])
        .run();
    assert_eq!(out.code(), Some(125), "{}", out.stderr());
    assert!(
        out.stderr()
            .contains("'--platform <OS/ARCH[/VARIANT]>' cannot be used with '--arch <ARCH>'"),
        "{}",
        out.stderr()
    );
    // …and a platform the index lacks is an error naming what it has.
    let none = TestEnv::new("s390x");
    let out = none
        .berth(&[
            "pull",
            "--tls-verify=false",
            "--platform",
            "linux/s390x",
            &name,
        ])
        .run();
    let err = assert_fails_125(&out, "no image for linux/s390x");
    assert!(err.contains("linux/amd64, linux/arm64/v8"), "{err}");
});

berthtest!(
    pull_records_the_registry_digest_and_newer_pulls_only_a_change,
    |env| {
        let Some(reg) = registry_with_busybox(&env, Mode::Plain) else {
            return;
        };
        let peer = Peer::new(&env);
        let remote = reg.skopeo_inspect(&peer, "x:1", false)["Digest"]
            .as_str()
            .unwrap()
            .to_string();
        let fresh = TestEnv::new("digests");
        let name = reg.reference("x:1");
        fresh
            .berth(&["pull", "-q", "--tls-verify=false", &name])
            .ok();
        let table = fresh.berth(&["images", "--digests"]).ok();
        assert!(table.contains(&remote), "{table}");
        // The registry's digest names the image.
        let by_digest = format!("{}@{remote}", reg.reference("x"));
        let out = fresh
            .berth(&["run", "--rm", &by_digest, "echo", "by digest"])
            .run();
        assert_ok(&out);
        assert_eq!(out.stdout(), "by digest\n");
        // --pull=newer with nothing new fetches nothing…
        let out = fresh
            .berth(&[
                "run",
                "--rm",
                "--pull=newer",
                "--tls-verify=false",
                &name,
                "echo",
                "same",
            ])
            .run();
        assert_ok(&out);
        assert!(!out.stderr().contains("Copying"), "{}", out.stderr());
        // …and pulls a changed tag.
        let other = env.path("other.tar");
        std::fs::copy(crate::util::busybox_tar(), &other).unwrap();
        env.import(
            &other,
            "changed:1",
            &["--change", "CMD [\"echo\", \"changed\"]"],
        );
        let src = format!(
            "oci:{}:docker.io/library/changed:1",
            env.root.join("store").display()
        );
        reg.skopeo_push(&peer, &src, "x:1");
        let out = fresh
            .berth(&["run", "--rm", "--pull=newer", "--tls-verify=false", &name])
            .run();
        assert_ok(&out);
        assert_eq!(out.stdout(), "changed\n");
    }
);
