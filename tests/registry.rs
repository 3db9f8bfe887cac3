//! berth against a real docker-registry (`util::registry`) where tests/pull.rs
//! does not go: the Bearer token flow's edges (a token the registry
//! refuses is replaced once; no credentials means anonymous pull tokens),
//! a wrong password that must not show up anywhere, and interop with
//! podman's push.
//!
//! Every berth here gets a REGISTRY_AUTH_FILE in the test's temp dir, so no
//! test reads or writes the CI user's logins.

use crate::util::peer::Peer;
use crate::util::registry::{Grant, Mode, Registry};
use crate::util::{Cmd, Run, TestEnv, assert_fails_125, busybox_tar, strings, tool_or_skip};

const BUSYBOX: &str = "docker.io/library/busybox:latest";

/// `berth ARGS…` with a private auth file.
fn berth(env: &TestEnv, args: &[&str]) -> Cmd {
    let mut c = env.berth(args);
    c.env("REGISTRY_AUTH_FILE", env.path("auth.json"));
    c
}

/// `berth pull -q FLAGS… REF` with the registry's flags for its mode
/// (`--tls-verify=false` or `--cert-dir`, and `--creds`). Failing pulls
/// here are quiet too: without `-q` progress lines precede the error.
fn pull(env: &TestEnv, reg: &Registry, reference: &str) -> Run {
    let mut args = vec!["pull".to_string(), "-q".into()];
    args.extend(reg.client_flags(""));
    args.push(reference.into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    berth(env, &args).run()
}

/// The registry, a world for skopeo/podman and a root holding busybox to
/// push from; None (after a skip) when the tools are missing.
struct Setup {
    reg: Registry,
    src: TestEnv,
    peer: Peer,
    /// busybox's image id in `src`.
    id: String,
}

fn setup(mode: Mode) -> Option<Setup> {
    if !Registry::available() || !tool_or_skip("skopeo") {
        return None;
    }
    let reg = Registry::start(mode);
    let src = TestEnv::new("registry-src");
    let id = src.import_busybox();
    let peer = Peer::new(&src);
    Some(Setup { reg, src, peer, id })
}

impl Setup {
    /// skopeo pushes the source root's image `name` to `repo` in the registry;
    /// returns `HOST/REPO`.
    fn push(&self, name: &str, repo: &str) -> String {
        let src = format!("oci:{}:{name}", self.src.root.join("store").display());
        self.reg.skopeo_push(&self.peer, &src, repo);
        self.reg.reference(repo)
    }
}

berthtest!(registry_token_anonymous_pull_gets_a_pull_token, |env| {
    let Some(s) = setup(Mode::token("berthuser", "s3cret-token")) else {
        return;
    };
    let reference = s.push(BUSYBOX, "bb:1");
    let before = s.reg.issued();
    let out = berth(&env, &["pull", "-q", "--tls-verify=false", &reference]).ok();
    assert_eq!(out.trim(), s.id);
    let grants = s.reg.grants();
    assert_eq!(
        grants[before..],
        [Grant {
            user: None,
            access: vec!["repository:bb:pull".into()],
        }],
        "one anonymous pull token"
    );
});

berthtest!(registry_wrong_password_is_one_line_without_it, |env| {
    let Some(s) = setup(Mode::basic("berthuser", "s3cret-basic")) else {
        return;
    };
    let reference = s.push(BUSYBOX, "bb:1");
    env.import_busybox();
    let before = env.snapshot();
    let out = berth(
        &env,
        &[
            "pull",
            "-q",
            "--tls-verify=false",
            "--creds",
            "berthuser:wr0ng-pass",
            &reference,
        ],
    )
    .run();
    assert_fails_125(&out, &s.reg.host());
    assert!(
        !out.stderr().contains("wr0ng-pass") && !out.stdout().contains("wr0ng-pass"),
        "the password shows nowhere: {}",
        out.stderr()
    );
    eqnice!(before, env.snapshot(), "the store is unchanged");
    // Nor is it left in a file under the root or the test's dir.
    assert!(
        !grep_tree(env.dir(), b"wr0ng-pass"),
        "no file holds the password"
    );
});

/// Whether any regular file under `dir` contains `needle`.
fn grep_tree(dir: &std::path::Path, needle: &[u8]) -> bool {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return false;
    };
    rd.flatten().any(|e| {
        let p = e.path();
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => grep_tree(&p, needle),
            Ok(m) if m.is_file() => {
                std::fs::read(&p).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle))
            }
            _ => false,
        }
    })
}

berthtest!(registry_token_refreshed_on_401, |env| {
    let Some(s) = setup(Mode::token("berthuser", "s3cret-token")) else {
        return;
    };
    let reference = s.push(BUSYBOX, "bb:1");
    // berth's first token is refused by the registry; it asks again once.
    s.reg.spoil_tokens(1);
    let out = pull(&env, &s.reg, &reference);
    assert!(
        out.status.success(),
        "a pull whose token the registry refuses gets a fresh one: {}",
        out.stderr()
    );
    assert_eq!(out.stdout().trim(), s.id);
    let pulls = s
        .reg
        .grants()
        .into_iter()
        .filter(|g| g.access == ["repository:bb:pull"])
        .count();
    assert_eq!(pulls, 2, "the spoiled token and its replacement");
});

berthtest!(registry_podman_push_berth_pull, |env| {
    if !Registry::available() || !tool_or_skip("podman") {
        return;
    }
    let reg = Registry::start(Mode::Plain);
    let peer = Peer::new(&env);
    let tar = busybox_tar();
    peer.podman(&["import", "-q", tar.to_str().unwrap(), "localhost/bb"])
        .ok();
    let want = peer.podman_inspect("localhost/bb");
    let reference = reg.reference("bb:1");
    peer.podman(&[
        "push",
        "-q",
        "--tls-verify=false",
        "localhost/bb",
        &format!("docker://{reference}"),
    ])
    .ok();
    let out = berth(&env, &["pull", "-q", &reference]).ok();
    assert_eq!(Some(out.trim()), want["Id"].as_str(), "the same image");
    let got = env.inspect(&reference);
    assert_eq!(
        strings(&got["RootFS"]["Layers"]),
        strings(&want["RootFS"]["Layers"])
    );
    env.check_store();
});

/// `berth push -q FLAGS… IMAGE docker://DEST` with the registry's flags.
fn push(env: &TestEnv, reg: &Registry, image: &str, repo: &str) -> Run {
    let mut args = vec!["push".to_string(), "-q".into()];
    args.extend(reg.client_flags(""));
    args.push(image.into());
    args.push(format!("docker://{}", reg.reference(repo)));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    berth(env, &args).run()
}

berthtest!(registry_tls_push_pulls_back_and_runs, |env| {
    if !Registry::available() {
        return;
    }
    let reg = Registry::start(Mode::Tls);
    let id = env.import_busybox();
    let out = push(&env, &reg, "busybox", "bb:1");
    assert!(
        out.status.success(),
        "berth push over TLS failed: {}\nregistry log:\n{}",
        out.stderr(),
        reg.log()
    );
    let fresh = TestEnv::new("registry-tls-pulled");
    let out = pull(&fresh, &reg, &reg.reference("bb:1"));
    assert!(out.status.success(), "{}", out.stderr());
    assert_eq!(out.stdout().trim(), id);
    let out = berth(
        &fresh,
        &[
            "run",
            "--rm",
            "--network",
            "none",
            &reg.reference("bb:1"),
            "echo",
            "tls",
        ],
    )
    .ok();
    eqnice!("tls\n", out);
});

berthtest!(registry_berth_push_podman_and_skopeo_read, |env| {
    if !Registry::available() || !tool_or_skip("podman") || !tool_or_skip("skopeo") {
        return;
    }
    let reg = Registry::start(Mode::Plain);
    let id = env.import_busybox();
    let ours = env.inspect("busybox");
    let out = push(&env, &reg, "busybox", "bb:1");
    assert!(out.status.success(), "{}", out.stderr());
    let digest = out.stdout().trim().to_string();
    let peer = Peer::new(&env);
    let theirs = reg.skopeo_inspect(&peer, "bb:1", false);
    assert_eq!(
        theirs["Digest"],
        digest.as_str(),
        "berth printed the digest"
    );
    let out = peer
        .podman(&["pull", "-q", "--tls-verify=false", &reg.reference("bb:1")])
        .ok();
    assert_eq!(out.trim(), id, "podman pulled the same image");
    let got = peer.podman_inspect(&reg.reference("bb:1"));
    assert_eq!(
        strings(&got["RootFS"]["Layers"]),
        strings(&ours["RootFS"]["Layers"])
    );
});

berthtest!(registry_stopped_mid_push_is_one_line, |env| {
    if !Registry::available() {
        return;
    }
    let mut reg = Registry::start(Mode::Plain);
    env.import_busybox();
    let mut args = vec!["push".to_string(), "-q".into()];
    args.extend(reg.client_flags(""));
    args.push("busybox".into());
    args.push(format!("docker://{}", reg.reference("bb:1")));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let running = berth(&env, &args).spawn();
    assert!(
        reg.wait_upload_started("bb", std::time::Duration::from_secs(60)),
        "berth began an upload"
    );
    reg.stop();
    let out = running.wait();
    assert_fails_125(&out, &reg.host());
    env.check_store();
    // The image is still there and whole.
    env.berth(&["run", "--rm", "--network", "none", "busybox", "true"])
        .ok();
});
