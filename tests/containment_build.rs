//! What a Dockerfile does stays in the build (issue 8): a step's upper dir,
//! whatever it holds, never steers a host-side operation onto the user's
//! files, and a step reaches the host's network only with the user's consent.

use crate::util::{TestEnv, assert_ok};

fn build(env: &TestEnv, dockerfile: &str, extra: &[&str]) -> crate::util::Run {
    let ctx = env.path("ctx");
    env.write("ctx/Dockerfile", dockerfile);
    let mut args: Vec<String> = vec!["build".into()];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push(ctx.display().to_string());
    env.berth(&args).run()
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
