//! What a Dockerfile does stays in the build (issue 8): a step's upper dir,
//! whatever it holds, never steers a host-side operation onto the user's
//! files, and a step reaches the host's network only with the user's consent.

use crate::util::{TestEnv, assert_fails_125, assert_ok};
use std::io::Write;

fn build(env: &TestEnv, dockerfile: &str, extra: &[&str]) -> crate::util::Run {
    let ctx = env.path("ctx");
    env.write("ctx/Dockerfile", dockerfile);
    let mut args: Vec<String> = vec!["build".into()];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push(ctx.display().to_string());
    env.berth(&args).run()
}

/// A build's stderr carries its progress; its error is the last line.
#[track_caller]
fn assert_build_fails(out: &crate::util::Run, needle: &str) -> String {
    assert_eq!(out.code(), Some(125), "{}", out.stderr());
    let stderr = out.stderr();
    let last = stderr
        .lines()
        .rfind(|l| !l.starts_with("berth: warning: "))
        .unwrap_or("")
        .to_string();
    assert!(
        last.starts_with("berth: ") && last.contains(needle),
        "expected `{needle}` in the last line:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    last
}

// Issue 8, "High": the step moves the mount point's parent away and puts a
// symlink to the user's directory in its place. Removing the mount-point
// stub after the step must not follow it and delete the user's file.
berthtest!(
    build_mount_stub_cleanup_does_not_follow_a_step_symlink_8,
    |env| {
        env.import_busybox();
        let victim = env.path("home");
        let important = env.write("home/IMPORTANT.txt", "the user's own work\n");
        let df = format!(
            "FROM busybox\n\
RUN --mount=type=tmpfs,target=/x/IMPORTANT.txt sh -c 'mv /x /x.old && ln -s {} /x'\n",
            victim.display()
        );
        let out = build(&env, &df, &["-t", "localhost/stub"]);
        assert_eq!(
            std::fs::read_to_string(&important).ok().as_deref(),
            Some("the user's own work\n"),
            "the build removed a file outside it:\n{}",
            out.stderr()
        );
        // The step's own content is the step's: its symlink stays in the image.
        assert_ok(&out);
        let link = env
            .berth(&[
                "run",
                "--rm",
                "--network",
                "none",
                "localhost/stub",
                "readlink",
                "/x",
            ])
            .ok();
        assert_eq!(link.trim(), victim.display().to_string());
    }
);

// The same with a bind mount point missing from the image: the stub is a
// file there, and the symlink replaces a whole chain of directories.
berthtest!(
    build_bind_stub_cleanup_does_not_follow_a_step_symlink_8,
    |env| {
        env.import_busybox();
        let victim = env.path("home");
        let important = env.write("home/deep/IMPORTANT.txt", "keep me\n");
        env.write("ctx/data.txt", "context data\n");
        let df = format!(
            "FROM busybox\n\
RUN --mount=type=bind,source=data.txt,target=/y/deep/IMPORTANT.txt sh -c 'mv /y /y.old && ln -s {} /y'\n",
            victim.display()
        );
        let out = build(&env, &df, &[]);
        assert_eq!(
            std::fs::read_to_string(&important).ok().as_deref(),
            Some("keep me\n"),
            "the build removed a file outside it:\n{}",
            out.stderr()
        );
        assert_ok(&out);
    }
);

// BuildKit's entitlement: a Dockerfile alone cannot put a step on the
// host's network, where services bound to 127.0.0.1 trust their callers.
berthtest!(build_run_network_host_needs_the_users_consent, |env| {
    env.import_busybox();
    let df = "FROM busybox\nRUN --network=host echo ran-on-the-host-network\n";
    let out = build(&env, df, &[]);
    let line = assert_build_fails(&out, "network.host is not allowed");
    assert!(line.contains("Dockerfile:2:"), "{line}");
    assert!(line.contains("--allow network.host"), "{line}");
    assert!(
        !out.stderr().lines().any(|l| l == "ran-on-the-host-network"),
        "the step ran:\n{}",
        out.stderr()
    );
    assert_eq!(env.images_json().len(), 1, "no image was made");
});

berthtest!(build_allow_network_host_reaches_host_loopback, |env| {
    env.import_busybox();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // One connection: answered, then closed, so the step's nc ends.
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let _ = conn.write_all(b"hello-from-host-loopback\n");
    });
    let df = format!(
        "FROM busybox\nRUN --network=host nc 127.0.0.1 {} </dev/null > /got\n",
        addr.port()
    );
    let out = build(
        &env,
        &df,
        &["--allow", "network.host", "-t", "localhost/net"],
    );
    // Unblock the server whatever the build did (our connection is the
    // second one when the step's came first, and is then never accepted).
    let _ = std::net::TcpStream::connect(addr);
    server.join().unwrap();
    assert_ok(&out);
    let got = env
        .berth(&[
            "run",
            "--rm",
            "--network",
            "none",
            "localhost/net",
            "cat",
            "/got",
        ])
        .ok();
    assert_eq!(got, "hello-from-host-loopback\n");
});

berthtest!(build_network_host_is_consent_too, |env| {
    env.import_busybox();
    let df = "FROM busybox\nRUN --network=host true\n";
    assert_ok(&build(&env, df, &["--network", "host"]));
});

berthtest!(build_allow_rejects_an_unknown_entitlement, |env| {
    env.import_busybox();
    let before = env.snapshot();
    let out = build(
        &env,
        "FROM busybox\nRUN true\n",
        &["--allow", "security.insecure"],
    );
    assert_fails_125(&out, "invalid --allow `security.insecure`");
    eqnice!(before, env.snapshot(), "the store is unchanged");
});
