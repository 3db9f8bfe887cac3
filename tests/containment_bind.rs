//! `RUN --mount=type=bind` from the build context sees the context as COPY
//! does, as BuildKit sends it: without what `.dockerignore` excludes. An
//! ignored `.env` is neither readable in the step nor bakeable into a layer.

use crate::util::{TestEnv, assert_fails_125, assert_ok};

/// A context dir with these files (path, content).
fn context(env: &TestEnv, files: &[(&str, &str)]) -> std::path::PathBuf {
    for (p, c) in files {
        env.write(&format!("ctx/{p}"), c);
    }
    env.path("ctx")
}

fn build(env: &TestEnv, extra: &[&str]) -> crate::util::Run {
    let mut args: Vec<String> = vec!["build".into()];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push(env.path("ctx").display().to_string());
    env.berth(&args).run()
}

/// `berth run --rm --network none IMAGE sh -c SCRIPT`'s stdout.
fn sh(env: &TestEnv, image: &str, script: &str) -> String {
    env.berth(&[
        "run",
        "--rm",
        "--network",
        "none",
        image,
        "sh",
        "-c",
        script,
    ])
    .ok()
}

/// Stdout and stderr of a build: where a step's output lands.
fn all_output(out: &crate::util::Run) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), out.stderr())
}

berthtest!(build_bind_of_the_context_hides_dockerignored_files, |env| {
    env.import_busybox();
    context(
        &env,
        &[
            (".env", "AWS_SECRET=hunter2\n"),
            (".dockerignore", ".env\n"),
            ("app.txt", "visible\n"),
        ],
    );
    // The whole context: the step tries to print the secret and to bake
    // the mount into its layer.
    env.write(
        "ctx/Dockerfile",
        "FROM busybox\n\
RUN --mount=type=bind,target=/ctx cat /ctx/.env; cp -r /ctx /baked; ls -a /ctx\n",
    );
    let out = build(&env, &["-t", "localhost/bindctx"]);
    assert_ok(&out);
    assert!(
        !all_output(&out).contains("hunter2"),
        "the step read an ignored file:\n{}",
        all_output(&out)
    );
    let seen = sh(
        &env,
        "localhost/bindctx",
        "ls -a /baked; cat /baked/app.txt",
    );
    assert_eq!(
        seen, ".\n..\n.dockerignore\nDockerfile\napp.txt\nvisible\n",
        "the bind shows the context less what is ignored"
    );
    let saved = env.berth(&["save", "localhost/bindctx"]).run();
    assert_ok(&saved);
    assert!(
        !String::from_utf8_lossy(&saved.stdout).contains("hunter2"),
        "an ignored file is in the image"
    );

    // Naming the ignored file: the same error as COPY's, on its line.
    env.write(
        "ctx/Dockerfile",
        "FROM busybox\n\
RUN true\n\
RUN --mount=type=bind,source=.env,target=/e cat /e\n",
    );
    let out = build(&env, &["-q"]);
    assert!(
        !all_output(&out).contains("hunter2"),
        "{}",
        all_output(&out)
    );
    let line = assert_fails_125(&out, "Dockerfile:3: ");
    assert!(line.contains("`.env`: no such file or directory"), "{line}");
    // The user's file is as it was.
    assert_eq!(
        std::fs::read_to_string(env.path("ctx/.env")).unwrap(),
        "AWS_SECRET=hunter2\n"
    );
});

berthtest!(build_bind_of_a_dir_shows_what_is_not_ignored, |env| {
    env.import_busybox();
    context(
        &env,
        &[
            (".dockerignore", "**/*.key\n"),
            ("app/main.txt", "main\n"),
            ("app/server.key", "PRIVATE-KEY\n"),
            ("app/sub/inner.txt", "inner\n"),
            ("app/sub/tls.key", "PRIVATE-KEY\n"),
        ],
    );
    // Two steps with the same source share one filtered copy; a write
    // into the bind fails (read-only), whatever the step tries.
    env.write(
        "ctx/Dockerfile",
        "FROM busybox\n\
RUN --mount=type=bind,source=app,target=/app find /app | sort > /listing\n\
RUN --mount=type=bind,source=app,target=/app cat /app/main.txt /app/sub/inner.txt > /content; \
echo changed > /app/main.txt; cat /app/*.key /app/sub/*.key; echo RAN-STEP | tr A-Z a-z\n",
    );
    let out = build(&env, &["-t", "localhost/binddir"]);
    assert_ok(&out);
    assert!(
        !all_output(&out).contains("PRIVATE-KEY"),
        "{}",
        out.stderr()
    );
    let got = sh(&env, "localhost/binddir", "cat /listing /content");
    assert_eq!(
        got,
        "/app\n/app/main.txt\n/app/sub\n/app/sub/inner.txt\nmain\ninner\n"
    );
    assert_eq!(
        std::fs::read_to_string(env.path("ctx/app/main.txt")).unwrap(),
        "main\n"
    );
    // The cache key covers the filtered view: an ignored file changing
    // reruns nothing, a visible one reruns the step.
    env.write("ctx/app/server.key", "ROTATED\n");
    let same = build(&env, &[]);
    assert_ok(&same);
    assert!(!same.stderr().contains("ran-step"), "{}", same.stderr());
    env.write("ctx/app/sub/inner.txt", "inner 2\n");
    let changed = build(&env, &["-t", "localhost/binddir"]);
    assert_ok(&changed);
    assert!(
        changed.stderr().contains("ran-step"),
        "{}",
        changed.stderr()
    );
    assert_eq!(
        sh(&env, "localhost/binddir", "cat /content"),
        "main\ninner 2\n"
    );
});

berthtest!(build_bind_shows_a_file_an_exception_reincludes, |env| {
    env.import_busybox();
    context(
        &env,
        &[
            (".dockerignore", "conf\n!conf/public.txt\n"),
            ("conf/public.txt", "public\n"),
            ("conf/private.txt", "hunter2\n"),
        ],
    );
    env.write(
        "ctx/Dockerfile",
        "FROM busybox\n\
RUN --mount=type=bind,source=conf,target=/c ls -a /c > /conf; cat /c/*.txt >> /conf\n\
RUN --mount=type=bind,target=/ctx ls -a /ctx/conf > /ctx-conf\n\
RUN --mount=type=bind,source=conf/public.txt,target=/p cat /p > /file\n",
    );
    let out = build(&env, &["-t", "localhost/bindexc"]);
    assert_ok(&out);
    assert!(!all_output(&out).contains("hunter2"), "{}", out.stderr());
    let got = sh(&env, "localhost/bindexc", "cat /conf /ctx-conf /file");
    assert_eq!(
        got,
        ".\n..\npublic.txt\npublic\n.\n..\npublic.txt\npublic\n"
    );

    env.write(
        "ctx/Dockerfile",
        "FROM busybox\nRUN --mount=type=bind,source=conf/private.txt,target=/p cat /p\n",
    );
    let out = build(&env, &["-q"]);
    assert!(
        !all_output(&out).contains("hunter2"),
        "{}",
        all_output(&out)
    );
    assert_fails_125(&out, "Dockerfile:2: ");
});
