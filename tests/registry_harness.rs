//! The test registry itself (`util::registry`), checked with the reference
//! tools: in each mode skopeo pushes an image from berth's store (an OCI
//! layout) and reads it back, and the mode's guard (Basic auth, TLS
//! verification, Bearer tokens) really turns away a client without the
//! credentials or the certificate. If these fail, a registry test of berth
//! failing proves nothing.

use crate::util::peer::Peer;
use crate::util::registry::{Grant, Mode, Registry};
use crate::util::{TestEnv, assert_ok, strings, tool_or_skip};
use std::time::Duration;

const BUSYBOX: &str = "docker.io/library/busybox:latest";

/// A registry in `mode` and a peer world, or None (after a skip) when the
/// tools are missing.
fn setup(env: &TestEnv, mode: Mode) -> Option<(Registry, Peer)> {
    if !Registry::available() || !tool_or_skip("skopeo") {
        return None;
    }
    Some((Registry::start(mode), Peer::new(env)))
}

/// skopeo copies busybox from berth's store to `x:1` in the registry with
/// the mode's flags and inspects it back: the config carries berth's
/// diffIDs, and the registry's storage now holds blobs.
fn skopeo_round_trip(env: &TestEnv, reg: &Registry, peer: &Peer) -> String {
    env.import_busybox();
    let ours = env.inspect("busybox");
    let src = format!("oci:{}:{BUSYBOX}", env.root.join("store").display());
    let dest = reg.skopeo_push(peer, &src, "x:1");
    assert_eq!(dest, format!("docker://{}/x:1", reg.host()));
    let config = reg.skopeo_inspect(peer, "x:1", true);
    assert_eq!(
        strings(&config["rootfs"]["diff_ids"]),
        strings(&ours["RootFS"]["Layers"]),
        "the pushed image has berth's layers"
    );
    // The layers are files where a tampering test will look for them.
    let layers = strings(&reg.skopeo_inspect(peer, "x:1", false)["Layers"]);
    assert!(!layers.is_empty());
    for layer in &layers {
        assert!(reg.blob_path(layer).is_file(), "{layer} is in the storage");
        assert!(reg.blobs().contains(layer), "blobs() lists {layer}");
    }
    dest
}

/// `skopeo inspect` of `dest` with these flags; its result.
fn inspect_with(peer: &Peer, flags: &[&str], dest: &str) -> crate::util::Run {
    let mut args = vec!["inspect"];
    args.extend_from_slice(flags);
    args.push(dest);
    peer.skopeo(&args).run()
}

berthtest!(registry_plain_takes_a_skopeo_push, |env| {
    let Some((reg, peer)) = setup(&env, Mode::Plain) else {
        return;
    };
    assert_eq!(reg.scheme(), "http");
    let dest = skopeo_round_trip(&env, &reg, &peer);
    // Without --tls-verify=false skopeo insists on https, which this
    // registry does not speak.
    let out = inspect_with(&peer, &[], &dest);
    assert!(!out.status.success(), "https to a plain registry must fail");
});

berthtest!(registry_basic_auth_turns_away_strangers, |env| {
    let Some((reg, peer)) = setup(&env, Mode::basic("berthuser", "s3cret-basic")) else {
        return;
    };
    let dest = skopeo_round_trip(&env, &reg, &peer);
    let out = inspect_with(&peer, &["--tls-verify=false"], &dest);
    assert!(!out.status.success(), "anonymous pull must be refused");
    let out = inspect_with(
        &peer,
        &["--tls-verify=false", "--creds", "berthuser:wrong"],
        &dest,
    );
    assert!(!out.status.success(), "a wrong password must be refused");
    assert!(
        out.stderr().to_lowercase().contains("unauthorized")
            || out
                .stderr()
                .to_lowercase()
                .contains("authentication required"),
        "skopeo says why: {}",
        out.stderr()
    );
});

berthtest!(registry_tls_verifies_with_the_cert_dir_only, |env| {
    let Some((reg, peer)) = setup(&env, Mode::Tls) else {
        return;
    };
    assert_eq!(reg.scheme(), "https");
    assert!(reg.cert_dir().join("ca.crt").is_file());
    let dest = skopeo_round_trip(&env, &reg, &peer);
    // The system's CAs do not know the test CA.
    let out = inspect_with(&peer, &[], &dest);
    assert!(!out.status.success(), "an unknown certificate must fail");
    assert!(
        out.stderr().contains("x509") || out.stderr().contains("certificate"),
        "skopeo names the certificate problem: {}",
        out.stderr()
    );
});

berthtest!(registry_token_flow_grants_by_scope, |env| {
    let Some((reg, peer)) = setup(&env, Mode::token("berthuser", "s3cret-token")) else {
        return;
    };
    let dest = skopeo_round_trip(&env, &reg, &peer);
    let issued = reg.issued();
    assert!(issued > 0, "the client went through the token issuer");

    assert!(
        reg.grants()
            .iter()
            .any(|g| g.user.as_deref() == Some("berthuser")
                && g.access
                    .iter()
                    .any(|a| a.starts_with("repository:x:") && a.contains("push"))),
        "the user was granted push on x: {:?}",
        reg.grants()
    );

    // Anonymous clients get pull-only tokens: reading works…
    let out = inspect_with(&peer, &["--tls-verify=false"], &dest);
    assert_ok(&out);
    let grants = reg.grants();
    assert!(grants.len() > issued, "an anonymous token was issued");
    assert_eq!(
        grants.last().unwrap(),
        &Grant {
            user: None,
            access: vec!["repository:x:pull".into()],
        }
    );
    // …pushing does not.
    let src = format!("oci:{}:{BUSYBOX}", env.root.join("store").display());
    let other = format!("docker://{}", reg.reference("y:1"));
    let out = peer
        .skopeo(&["copy", "-q", "--dest-tls-verify=false", &src, &other])
        .run();
    assert!(!out.status.success(), "an anonymous push must be refused");
    assert!(
        out.stderr().contains("denied"),
        "the registry denied the pull-only token: {}",
        out.stderr()
    );

    // A spoiled (expired) token is refused by the registry: skopeo does not
    // refresh on 401, so it fails where a refreshing client would not.
    reg.spoil_tokens(1);
    let out = inspect_with(
        &peer,
        &["--tls-verify=false", "--creds", "berthuser:s3cret-token"],
        &dest,
    );
    assert!(!out.status.success(), "an expired token must be refused");
    assert!(
        out.stderr().contains("unauthorized"),
        "the registry said 401: {}",
        out.stderr()
    );
    reg.spoil_tokens(0);
    let out = inspect_with(
        &peer,
        &["--tls-verify=false", "--creds", "berthuser:s3cret-token"],
        &dest,
    );
    assert_ok(&out);

    // A wrong password gets no token at all.
    let refused = reg.refused();
    let out = inspect_with(
        &peer,
        &["--tls-verify=false", "--creds", "berthuser:wrong"],
        &dest,
    );
    assert!(!out.status.success(), "a wrong password must be refused");
    assert!(reg.refused() > refused, "the issuer refused the password");
});

berthtest!(registry_stop_closes_the_port, |env| {
    let _ = &env;
    if !Registry::available() {
        return;
    }
    let mut reg = Registry::start(Mode::Plain);
    let host = reg.host();
    assert!(std::net::TcpStream::connect(&host).is_ok(), "it listens");
    reg.stop();
    assert!(
        std::net::TcpStream::connect(&host).is_err(),
        "nothing listens on {host} after stop()"
    );
});

berthtest!(registry_stopped_mid_push_fails_the_push, |env| {
    let Some((mut reg, peer)) = setup(&env, Mode::Plain) else {
        return;
    };
    // One 8 MB layer of random bytes: skopeo is still compressing and
    // sending it when the registry goes.
    let mut random = vec![0u8; 8 << 20];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut random))
        .unwrap();
    let mut tar = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_ustar();
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(crate::util::FIXED_MTIME);
    h.set_size(random.len() as u64);
    tar.append_data(&mut h, "random.bin", &random[..]).unwrap();
    let tar = env.write("big.tar", tar.into_inner().unwrap());
    env.import(&tar, "localhost/big:1", &[]);

    let src = format!("oci:{}:localhost/big:1", env.root.join("store").display());
    let dest = format!("docker://{}", reg.reference("big:1"));
    let push = peer
        .skopeo(&["copy", "-q", "--dest-tls-verify=false", &src, &dest])
        .spawn();
    assert!(
        reg.wait_upload_started("big", Duration::from_secs(60)),
        "skopeo began an upload"
    );
    reg.stop();
    let out = push.wait();
    assert!(
        !out.status.success(),
        "a push whose registry went away fails: {}",
        out.stderr()
    );
    assert!(
        std::net::TcpStream::connect(reg.host()).is_err(),
        "nothing listens after stop()"
    );
});
