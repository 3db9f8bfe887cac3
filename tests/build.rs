//! `berth build` (issue 5): multi-stage, COPY, the cache, reproducibility,
//! errors with Dockerfile line numbers, and the result runs.

use crate::util::{TestEnv, assert_image_id};

/// A context dir with these files (path, content).
fn context(env: &TestEnv, files: &[(&str, &str)]) -> std::path::PathBuf {
    let dir = env.path("ctx");
    for (p, c) in files {
        env.write(&format!("ctx/{p}"), c);
    }
    dir
}

fn build(env: &TestEnv, ctx: &std::path::Path, extra: &[&str]) -> crate::util::Run {
    let mut args: Vec<String> = vec!["build".into()];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push(ctx.display().to_string());
    env.berth(&args).run()
}

/// `berth run --rm --network none ARGS…`'s stdout (the run must succeed).
fn run_none(env: &TestEnv, args: &[&str]) -> String {
    let mut all = vec!["run", "--rm", "--network", "none"];
    all.extend_from_slice(args);
    env.berth(&all).ok()
}

/// A build's stderr carries its progress (STEP lines, RUN output): the
/// error is its last line, one `berth: ` line, exit 125.
#[track_caller]
fn assert_build_fails(out: &crate::util::Run, needle: &str) {
    assert_eq!(out.code(), Some(125), "{}", out.stderr());
    let stderr = out.stderr();
    let last = stderr
        .lines()
        .rfind(|l| !l.starts_with("berth: warning: "))
        .unwrap_or("");
    assert!(
        last.starts_with("berth: ") && last.contains(needle),
        "expected `{needle}` in the last line:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

const MULTI: &str = "FROM busybox AS builder\n\
ARG WHO=builder\n\
RUN echo \"made by $WHO\" > /made && echo RAN-FIRST-RUN | tr A-Z a-z\n\
FROM busybox\n\
COPY --from=builder /made /etc/made\n\
COPY app/ /app/\n\
RUN cat /app/a.txt > /app/copy.txt && echo RAN-SECOND-RUN | tr A-Z a-z\n\
ENV GREETING=hi\n\
CMD [\"cat\", \"/etc/made\"]\n";

berthtest!(
    build_multi_stage_copies_out_of_the_builder_and_runs,
    |env| {
        env.import_busybox();
        let ctx = context(&env, &[("Dockerfile", MULTI), ("app/a.txt", "one\n")]);
        let out = build(&env, &ctx, &["-t", "localhost/multi"]);
        assert_eq!(out.code(), Some(0), "{}", out.stderr());
        let id = out.stdout().trim().to_string();
        assert_image_id(&id);
        assert!(
            out.stderr().contains("STEP 1/9: FROM busybox AS builder"),
            "{}",
            out.stderr()
        );
        let run = run_none(&env, &["localhost/multi"]);
        assert_eq!(run, "made by builder\n");
        let copied = run_none(&env, &["localhost/multi", "cat", "/app/copy.txt"]);
        assert_eq!(copied, "one\n");
        let img = env.inspect("localhost/multi");
        assert_eq!(img["Id"], id.as_str());
        let env_list = crate::util::strings(&img["Config"]["Env"]);
        assert!(
            env_list.contains(&"GREETING=hi".to_string()),
            "{env_list:?}"
        );
    }
);

berthtest!(build_rebuild_with_nothing_changed_runs_no_step, |env| {
    env.import_busybox();
    let ctx = context(&env, &[("Dockerfile", MULTI), ("app/a.txt", "one\n")]);
    let first = build(&env, &ctx, &[]);
    assert_eq!(first.code(), Some(0), "{}", first.stderr());
    let second = build(&env, &ctx, &[]);
    assert_eq!(second.code(), Some(0), "{}", second.stderr());
    assert!(
        !second.stderr().contains("ran-"),
        "a RUN step ran again:\n{}",
        second.stderr()
    );
    assert_eq!(first.stdout(), second.stdout());
});

berthtest!(build_one_changed_file_reruns_only_later_steps, |env| {
    env.import_busybox();
    let ctx = context(&env, &[("Dockerfile", MULTI), ("app/a.txt", "one\n")]);
    assert_eq!(build(&env, &ctx, &[]).code(), Some(0));
    env.write("ctx/app/a.txt", "two\n");
    let again = build(&env, &ctx, &["-t", "localhost/changed"]);
    assert_eq!(again.code(), Some(0), "{}", again.stderr());
    assert!(
        !again.stderr().contains("ran-first-run"),
        "{}",
        again.stderr()
    );
    assert!(
        again.stderr().contains("ran-second-run"),
        "{}",
        again.stderr()
    );
    let copied = run_none(&env, &["localhost/changed", "cat", "/app/copy.txt"]);
    assert_eq!(copied, "two\n");
});

berthtest!(
    build_no_cache_with_a_timestamp_is_reproducible_across_roots,
    |env| {
        // The same base in both roots: imported with the same clock.
        let import = |e: &TestEnv| {
            let tar = crate::util::busybox_tar();
            e.berth(&["import", &tar.display().to_string(), "busybox"])
                .env("SOURCE_DATE_EPOCH", "1700000000")
                .ok();
        };
        import(&env);
        let ctx = context(&env, &[("Dockerfile", MULTI), ("app/a.txt", "one\n")]);
        let a = build(&env, &ctx, &["--no-cache", "--timestamp", "1700000000"]);
        assert_eq!(a.code(), Some(0), "{}", a.stderr());
        let other = TestEnv::new("build_reproducible_second_root");
        import(&other);
        let b = other
            .berth(&[
                "build",
                "--no-cache",
                "--timestamp",
                "1700000000",
                &ctx.display().to_string(),
            ])
            .run();
        assert_eq!(b.code(), Some(0), "{}", b.stderr());
        assert_eq!(a.stdout(), b.stdout(), "same inputs, different image ids");
    }
);

berthtest!(build_dockerignore_keeps_files_out, |env| {
    env.import_busybox();
    let ctx = context(
        &env,
        &[
            ("Dockerfile", "FROM busybox\nCOPY . /c/\n"),
            (".dockerignore", "*.log\n"),
            ("keep.txt", "k"),
            ("drop.log", "d"),
        ],
    );
    assert_eq!(build(&env, &ctx, &["-t", "localhost/ign"]).code(), Some(0));
    let ls = run_none(&env, &["localhost/ign", "ls", "/c"]);
    assert!(ls.contains("keep.txt") && !ls.contains("drop.log"), "{ls}");
});

berthtest!(
    build_dockerignore_keeps_out_names_that_are_not_utf8,
    |env| {
        use std::os::unix::ffi::OsStrExt;
        env.import_busybox();
        let df = "FROM busybox\nCOPY sub /copied\n\
RUN --mount=type=bind,source=sub,target=/m cat /m/* > /seen\n";
        let ctx = context(
            &env,
            &[
                ("Dockerfile", df),
                (".dockerignore", "sub/sec*\nsub/./.env\n"),
                ("sub/keep", "kept\n"),
                ("sub/.env", "DOTENV\n"),
            ],
        );
        let secret = ctx.join(std::ffi::OsStr::from_bytes(b"sub/sec\xff"));
        std::fs::write(secret, "SECRET\n").unwrap();
        let out = build(&env, &ctx, &["-t", "localhost/ign8"]);
        assert_eq!(out.code(), Some(0), "{}", out.stderr());
        let seen = run_none(
            &env,
            &["localhost/ign8", "sh", "-c", "cat /seen; ls -A /copied"],
        );
        assert_eq!(seen, "kept\nkeep\n", "ignored files reached the build");
    }
);

berthtest!(build_failing_run_names_the_line_and_exit_code, |env| {
    env.import_busybox();
    let ctx = context(&env, &[("Dockerfile", "FROM busybox\n\nRUN exit 3\n")]);
    let out = build(&env, &ctx, &[]);
    assert_build_fails(&out, "Dockerfile:3:");
    assert!(out.stderr().contains("exit status 3"), "{}", out.stderr());
});

berthtest!(build_copy_of_a_missing_file_is_a_clear_error, |env| {
    env.import_busybox();
    let ctx = context(
        &env,
        &[("Dockerfile", "FROM busybox\nCOPY src/missing /x\n")],
    );
    let out = build(&env, &ctx, &[]);
    assert_build_fails(
        &out,
        "Dockerfile:2: COPY failed: src/missing: no such file or directory",
    );
});

berthtest!(build_unknown_instruction_is_refused, |env| {
    env.import_busybox();
    let ctx = context(&env, &[("Dockerfile", "FROM busybox\nRUNN true\n")]);
    assert_build_fails(
        &build(&env, &ctx, &[]),
        "Dockerfile:2: unknown instruction: RUNN",
    );
});

berthtest!(build_heredocs_run_scripts_and_make_files, |env| {
    env.import_busybox();
    let df = "# syntax=docker/dockerfile:1\nFROM busybox\nRUN <<EOF\necho one > /one\necho two >> /one\nEOF\nCOPY <<CFG /etc/app.conf\nkey=value\nCFG\nENV A=1 \\\n    B=\"two words\"\nCMD [\"sh\", \"-c\", \"cat /one /etc/app.conf; echo $B\"]\n";
    let ctx = context(&env, &[("Dockerfile", df)]);
    let out = build(&env, &ctx, &["-t", "localhost/hd"]);
    assert_eq!(out.code(), Some(0), "{}", out.stderr());
    let run = run_none(&env, &["localhost/hd"]);
    assert_eq!(run, "one\ntwo\nkey=value\ntwo words\n");
});

berthtest!(build_run_mounts_cache_bind_tmpfs_and_secret, |env| {
    env.import_busybox();
    let df = "FROM busybox\n\
RUN --mount=type=cache,target=/cache echo x >> /cache/count && wc -l < /cache/count > /count\n\
RUN --mount=type=bind,source=data,target=/mnt cat /mnt/in.txt > /fromctx\n\
RUN --mount=type=secret,id=tok cp /run/secrets/tok /leak-check-size && wc -c < /run/secrets/tok > /secretlen && rm /leak-check-size\n\
RUN --mount=type=tmpfs,target=/scratch touch /scratch/x\n";
    let ctx = context(
        &env,
        &[("Dockerfile", df), ("data/in.txt", "from the context\n")],
    );
    let secret = env.write("secret.txt", "s3cret-value");
    let secret_arg = format!("id=tok,src={}", secret.display());
    for round in ["1", "2"] {
        let out = build(
            &env,
            &ctx,
            &["--no-cache", "--secret", &secret_arg, "-t", "localhost/mnt"],
        );
        assert_eq!(out.code(), Some(0), "{}", out.stderr());
        let got = run_none(
            &env,
            &[
                "localhost/mnt",
                "sh",
                "-c",
                "cat /count /fromctx /secretlen; ls /scratch /mnt 2>&1 | wc -l",
            ],
        );
        // The cache mount keeps its content across builds; bind, tmpfs and
        // secret leave nothing in the image.
        assert_eq!(got, format!("{round}\nfrom the context\n12\n2\n"));
    }
    let saved = env.berth(&["save", "localhost/mnt"]).run();
    assert!(
        !String::from_utf8_lossy(&saved.stdout).contains("s3cret-value"),
        "the secret is in the image"
    );
});

berthtest!(
    build_add_unpacks_a_local_tar_and_onbuild_triggers_run,
    |env| {
        env.import_busybox();
        let mut tarball = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(3);
        h.set_mode(0o644);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(0);
        h.set_cksum();
        tarball
            .append_data(&mut h, "inner/file.txt", &b"abc"[..])
            .unwrap();
        let bytes = crate::util::gzip(&tarball.into_inner().unwrap());
        let ctx = context(
            &env,
            &[(
                "Dockerfile",
                "FROM busybox\nADD pack.tgz /unpacked/\nONBUILD RUN echo triggered > /trig\n",
            )],
        );
        std::fs::write(ctx.join("pack.tgz"), bytes).unwrap();
        let base = build(&env, &ctx, &["-t", "localhost/base"]);
        assert_eq!(base.code(), Some(0), "{}", base.stderr());
        let got = run_none(&env, &["localhost/base", "cat", "/unpacked/inner/file.txt"]);
        assert_eq!(got, "abc");
        env.write("child/Dockerfile", "FROM localhost/base\nRUN cat /trig\n");
        let out = build(&env, &env.path("child"), &["-q", "-t", "localhost/child"]);
        assert_eq!(out.code(), Some(0), "{}", out.stderr());
        let noise: Vec<String> = out
            .stderr()
            .lines()
            .filter(|l| !l.starts_with("berth: warning: "))
            .map(String::from)
            .collect();
        assert!(noise.is_empty(), "-q prints nothing but the id: {noise:?}");
        let got = run_none(&env, &["localhost/child", "cat", "/trig"]);
        assert_eq!(got, "triggered\n");
    }
);

berthtest!(
    build_flags_target_build_arg_label_iidfile_and_stdin_dockerfile,
    |env| {
        env.import_busybox();
        let df = "ARG BASE=busybox\nFROM $BASE AS first\nARG WHAT=default\nRUN echo $WHAT > /what\nFROM first AS second\nRUN echo second > /second\n";
        let ctx = context(&env, &[("Dockerfile", df)]);
        let iid = env.path("iid");
        let out = build(
            &env,
            &ctx,
            &[
                "--target",
                "first",
                "--build-arg",
                "WHAT=given",
                "--label",
                "org.example=yes",
                "--iidfile",
                iid.to_str().unwrap(),
                "-t",
                "localhost/flags",
            ],
        );
        assert_eq!(out.code(), Some(0), "{}", out.stderr());
        assert!(
            !out.stderr().contains("STEP 5"),
            "the second stage was built:\n{}",
            out.stderr()
        );
        let id = out.stdout().trim().to_string();
        assert_eq!(
            std::fs::read_to_string(&iid).unwrap(),
            format!("sha256:{id}")
        );
        let img = env.inspect("localhost/flags");
        assert_eq!(img["Config"]["Labels"]["org.example"], "yes");
        let what = run_none(&env, &["localhost/flags", "cat", "/what"]);
        assert_eq!(what, "given\n");
        // -f - reads the Dockerfile from stdin.
        let from_stdin = env
            .berth(&[
                "build",
                "-q",
                "-f",
                "-",
                "-t",
                "localhost/stdin",
                ctx.to_str().unwrap(),
            ])
            .stdin("FROM busybox\nENV FROM_STDIN=1\n")
            .run();
        assert_eq!(from_stdin.code(), Some(0), "{}", from_stdin.stderr());
        let env_list = crate::util::strings(&env.inspect("localhost/stdin")["Config"]["Env"]);
        assert!(
            env_list.contains(&"FROM_STDIN=1".to_string()),
            "{env_list:?}"
        );
    }
);

berthtest!(build_add_unpacks_bzip2_and_xz_tars, |env| {
    env.import_busybox();
    let ctx = context(
        &env,
        &[
            (
                "Dockerfile",
                "FROM busybox\nADD t.tbz /bz/\nADD t.txz /xz/\n",
            ),
            ("src/in.txt", "inside\n"),
        ],
    );
    for (flag, name) in [("-cjf", "t.tbz"), ("-cJf", "t.txz")] {
        let st = std::process::Command::new("tar")
            .args([
                flag,
                ctx.join(name).to_str().unwrap(),
                "-C",
                ctx.join("src").to_str().unwrap(),
                "in.txt",
            ])
            .status()
            .unwrap();
        assert!(st.success(), "tar {flag}");
    }
    let out = build(&env, &ctx, &["-t", "localhost/comp"]);
    assert_eq!(out.code(), Some(0), "{}", out.stderr());
    let got = run_none(&env, &["localhost/comp", "cat", "/bz/in.txt", "/xz/in.txt"]);
    assert_eq!(got, "inside\ninside\n");
});

/// A one-file HTTP server on 127.0.0.1, serving `body` to every request
/// until the test ends (the listener is bound before berth starts: no wait).
fn serve(body: &'static [u8]) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = conn.write_all(head.as_bytes());
            let _ = conn.write_all(body);
        }
    });
    format!("http://{addr}")
}

berthtest!(build_add_fetches_a_url_and_checks_its_checksum, |env| {
    env.import_busybox();
    let base = serve(b"fetched over http\n");
    let sum = crate::util::sha256_hex(b"fetched over http\n");
    let df = format!("FROM busybox\nADD --checksum=sha256:{sum} {base}/files/remote.txt /dl/\n");
    let ctx = context(&env, &[("Dockerfile", df.as_str())]);
    let out = build(&env, &ctx, &["--network", "host", "-t", "localhost/url"]);
    assert_eq!(out.code(), Some(0), "{}", out.stderr());
    let got = run_none(&env, &["localhost/url", "cat", "/dl/remote.txt"]);
    assert_eq!(got, "fetched over http\n");
    let bad = format!(
        "FROM busybox\nADD --checksum=sha256:{} {base}/x.txt /x\n",
        "0".repeat(64)
    );
    env.write("ctx/Dockerfile", &bad);
    // The server is on the host's loopback: fetching from it needs consent.
    let out = build(&env, &ctx, &["--allow", "network.host"]);
    assert_build_fails(&out, "checksum mismatch");
});

berthtest!(
    build_run_mount_bind_from_a_stage_sees_all_its_layers,
    |env| {
        env.import_busybox();
        let df = "FROM busybox AS base\nRUN echo one > /1.txt\nRUN echo two > /2.txt\nFROM busybox\n\
RUN --mount=type=bind,from=base,source=/,destination=/base cat /base/1.txt /base/2.txt > /both\n\
RUN --mount=type=bind,from=base,source=/2.txt,destination=/two cat /two >> /both\n";
        let ctx = context(&env, &[("Dockerfile", df)]);
        let out = build(&env, &ctx, &["-t", "localhost/cb"]);
        assert_eq!(out.code(), Some(0), "{}", out.stderr());
        let got = run_none(&env, &["localhost/cb", "cat", "/both"]);
        assert_eq!(got, "one\ntwo\ntwo\n");
        let left: Vec<String> = crate::util::list_dir(&env.root.join("layers"))
            .into_iter()
            .filter(|n| n.starts_with(".tmp"))
            .collect();
        assert!(left.is_empty(), "scratch dirs left behind: {left:?}");
    }
);

berthtest!(
    build_run_mount_bind_from_a_changed_stage_is_not_a_cache_hit,
    |env| {
        env.import_busybox();
        let df = "FROM busybox AS a\nCOPY f /f\nFROM busybox\n\
RUN --mount=type=bind,from=a,source=/f,target=/m cat /m > /out\n";
        let ctx = context(&env, &[("Dockerfile", df), ("f", "v1\n")]);
        let out = build(&env, &ctx, &["-t", "localhost/bindfrom"]);
        assert_eq!(out.code(), Some(0), "{}", out.stderr());
        env.write("ctx/f", "v2\n");
        let out = build(&env, &ctx, &["-t", "localhost/bindfrom"]);
        assert_eq!(out.code(), Some(0), "{}", out.stderr());
        let got = run_none(&env, &["localhost/bindfrom", "cat", "/out"]);
        assert_eq!(got, "v2\n", "the RUN step reused its layer of v1");
    }
);

berthtest!(build_quiet_failure_reports_the_last_output_lines, |env| {
    env.import_busybox();
    let ctx = context(
        &env,
        &[(
            "Dockerfile",
            "FROM busybox\nRUN echo first; echo \"something broke\" >&2; exit 4\n",
        )],
    );
    let out = build(&env, &ctx, &["-q"]);
    assert_build_fails(&out, "Dockerfile:2:");
    assert!(
        out.stderr().contains(
            "exit status 4 (network: private, through pasta); last output: first | something broke"
        ),
        "{}",
        out.stderr()
    );
});

// A hostile Dockerfile or context must not reach host files outside the
// context, nor write outside the layer (the cold review of the builder).
berthtest!(build_never_escapes_through_paths_or_symlinks, |env| {
    env.import_busybox();
    let secret = env.write("outside/secret", "host secret\n");
    let outside = secret.parent().unwrap().to_path_buf();
    let ctx = env.path("ctx");
    env.write("ctx/f", "f\n");
    std::os::unix::fs::symlink(&outside, ctx.join("home")).unwrap();
    let planted = outside.join("planted");
    let cases = [
        // A heredoc name that is a host path.
        format!(
            "FROM busybox\nCOPY <<{p} /x\nbody\n{p}\n",
            p = planted.display()
        ),
        // `..` in the destination is clamped at the image root, not the host's.
        format!(
            "FROM busybox\nCOPY f ../../../../../../../../..{}\n",
            planted.display()
        ),
        // A symlink in the middle of a source path.
        "FROM busybox\nCOPY home/secret /leak\n".to_string(),
        // A symlink in a stage's layer.
        "FROM busybox AS s\nRUN ln -s / /x\nFROM busybox\nCOPY --from=s /x/etc/hostname /leak\n"
            .to_string(),
        format!(
            "FROM busybox AS s\nRUN ln -s / /x\nFROM busybox\nRUN --mount=type=bind,from=s,source=/x,target=/m cat /m{} > /leak\n",
            secret.display()
        ),
        format!(
            "FROM busybox AS s\nFROM busybox\nRUN --mount=type=bind,from=s,source=../../../../../../..{},target=/m cat /m/secret > /leak\n",
            outside.display()
        ),
        "FROM busybox\nRUN --mount=type=bind,source=home,target=/m cat /m/secret > /leak\n"
            .to_string(),
    ];
    for df in &cases {
        env.write("ctx/Dockerfile", df);
        let out = build(&env, &ctx, &["-t", "localhost/hostile"]);
        assert!(!planted.exists(), "wrote on the host with:\n{df}");
        if out.code() == Some(0) {
            let leak = run_none(
                &env,
                &[
                    "localhost/hostile",
                    "sh",
                    "-c",
                    "cat /leak 2>/dev/null; true",
                ],
            );
            assert!(
                !leak.contains("host secret"),
                "read a host file with:\n{df}"
            );
        }
    }
});

berthtest!(
    build_run_with_a_bind_mounted_context_dir_reruns_when_it_changes,
    |env| {
        env.import_busybox();
        let df = "FROM busybox\nRUN --mount=type=bind,source=data,target=/d cat /d/v > /v && echo RAN-BIND | tr A-Z a-z\n";
        let ctx = context(&env, &[("Dockerfile", df), ("data/v", "1\n")]);
        assert_eq!(build(&env, &ctx, &[]).code(), Some(0));
        let same = build(&env, &ctx, &[]);
        assert!(!same.stderr().contains("ran-bind"), "{}", same.stderr());
        env.write("ctx/data/v", "2\n");
        let changed = build(&env, &ctx, &["-t", "localhost/bind2"]);
        assert!(
            changed.stderr().contains("ran-bind"),
            "a stale cache hit:\n{}",
            changed.stderr()
        );
        let got = run_none(&env, &["localhost/bind2", "cat", "/v"]);
        assert_eq!(got, "2\n");
    }
);

berthtest!(build_config_instructions_land_in_the_image_config, |env| {
    env.import_busybox();
    let df = "FROM busybox\n\
MAINTAINER someone@example.org\n\
SHELL [\"/bin/sh\", \"-e\", \"-c\"]\n\
RUN echo shell-form > /shell\n\
COPY --chown=nobody:nogroup --chmod=u+x,go-r f /f\n\
COPY --link --chmod=0640 f /g\n\
EXPOSE 8080 53/udp\n\
VOLUME /data\n\
LABEL a=b \"c d\"=e\n\
STOPSIGNAL SIGINT\n\
HEALTHCHECK --interval=5s --retries=2 CMD true\n\
WORKDIR /work\n\
USER nobody\n\
ENTRYPOINT [\"sh\", \"-c\"]\n\
CMD [\"id -un; pwd\"]\n";
    let ctx = context(&env, &[("Dockerfile", df), ("f", "f\n")]);
    let out = build(&env, &ctx, &["-t", "localhost/cfg"]);
    assert_eq!(out.code(), Some(0), "{}", out.stderr());
    let img = env.inspect("localhost/cfg");
    let c = &img["Config"];
    assert_eq!(img["Author"], "someone@example.org");
    assert_eq!(c["User"], "nobody");
    assert_eq!(c["WorkingDir"], "/work");
    assert_eq!(c["StopSignal"], "SIGINT");
    assert!(
        c["ExposedPorts"].get("8080/tcp").is_some() && c["ExposedPorts"].get("53/udp").is_some(),
        "{c}"
    );
    assert!(c["Volumes"].get("/data").is_some(), "{c}");
    assert_eq!(c["Labels"]["c d"], "e");
    assert_eq!(c["Healthcheck"]["Interval"], 5_000_000_000u64);
    assert_eq!(c["Healthcheck"]["Retries"], 2);
    let run = run_none(&env, &["localhost/cfg"]);
    assert_eq!(run, "nobody\n/work\n");
    let modes = run_none(
        &env,
        &[
            "-u",
            "0",
            "localhost/cfg",
            "stat -c '%a %U' /f /g; cat /shell",
        ],
    );
    // Without an id range, --chown cannot be represented: the owner shows as
    // root (the documented degraded mode).
    let owner = if crate::util::has_id_range() {
        "nobody"
    } else {
        "root"
    };
    assert_eq!(modes, format!("700 {owner}\n640 root\nshell-form\n"));
});

// Issue 9: a stage the target does not need is never built, even when the
// target names its base or a stage to copy from through an ARG.
berthtest!(build_skips_stages_the_target_does_not_need, |env| {
    env.import_busybox();
    let df = "ARG BASE=busybox\n\
FROM busybox AS broken\n\
RUN echo RAN-BROKEN | tr A-Z a-z; exit 3\n\
FROM busybox AS good\n\
RUN echo good > /good\n\
FROM $BASE\n\
ARG SRC=good\n\
COPY --from=$SRC /good /good\n";
    let ctx = context(&env, &[("Dockerfile", df)]);
    let out = build(&env, &ctx, &["-t", "localhost/skip"]);
    assert_eq!(out.code(), Some(0), "{}", out.stderr());
    assert!(!out.stderr().contains("ran-broken"), "{}", out.stderr());
    let got = run_none(&env, &["localhost/skip", "cat", "/good"]);
    assert_eq!(got, "good\n");
});

// Issue 9: COPY/ADD heredoc bodies get ARG/ENV expanded when the delimiter
// is unquoted, quotes kept (BuildKit's rule); a quoted delimiter keeps the
// body as written.
berthtest!(
    build_copy_heredoc_expands_with_an_unquoted_delimiter,
    |env| {
        env.import_busybox();
        let df = "FROM busybox\n\
ARG WHO=world\n\
ENV GREETING=hello\n\
COPY <<EOT /expanded\n\
$GREETING ${WHO} 'q' \"$WHO\" \\$WHO\n\
EOT\n\
ADD <<EOT /added\n\
${WHO:-nobody}\n\
EOT\n\
COPY <<\"EOT\" /raw\n\
$GREETING ${WHO}\n\
EOT\n";
        let ctx = context(&env, &[("Dockerfile", df)]);
        let out = build(&env, &ctx, &["-t", "localhost/hdx"]);
        assert_eq!(out.code(), Some(0), "{}", out.stderr());
        let got = run_none(
            &env,
            &["localhost/hdx", "cat", "/expanded", "/added", "/raw"],
        );
        eqnice!(
            "hello world 'q' \"world\" $WHO\nworld\n$GREETING ${WHO}\n",
            got
        );
    }
);

// Issue 9: every word goes through the one expansion: `${V:?msg}` fails the
// build with the message and the line, and `# escape=` is respected.
berthtest!(
    build_expansion_errors_and_escape_directive_reach_the_user,
    |env| {
        env.import_busybox();
        for (df, msg) in [
            (
                "FROM busybox\nWORKDIR ${NOPE:?set NOPE to the work dir}\n",
                "Dockerfile:2: expanding `${NOPE:?set NOPE to the work dir}`",
            ),
            (
                "FROM busybox\nCOPY f ${DEST:?no-destination-given}\n",
                "Dockerfile:2: expanding `${DEST:?no-destination-given}`",
            ),
        ] {
            let ctx = context(&env, &[("Dockerfile", df), ("f", "f\n")]);
            let out = build(&env, &ctx, &[]);
            assert_build_fails(&out, msg);
            let last = out.stderr().lines().last().unwrap_or("").to_string();
            assert!(
                last.contains("set NOPE") || last.contains("no-destination-given"),
                "{last}"
            );
        }
        let ctx = context(
            &env,
            &[("Dockerfile", "# escape=`\nFROM busybox\nWORKDIR /a\\b\n")],
        );
        let out = build(&env, &ctx, &["-t", "localhost/esc"]);
        assert_eq!(out.code(), Some(0), "{}", out.stderr());
        assert_eq!(
            env.inspect("localhost/esc")["Config"]["WorkingDir"],
            "/a\\b"
        );
    }
);

berthtest!(
    build_run_steps_get_a_private_network_unless_told_otherwise,
    |env| {
        env.import_busybox();
        // Interfaces the step sees: loopback alone, or loopback and pasta's.
        let df = "FROM busybox\n\
RUN grep -c : /proc/net/dev > /ifaces\n\
RUN --network=none grep -c : /proc/net/dev > /ifaces-none\n";
        let ctx = context(&env, &[("Dockerfile", df)]);
        let out = build(&env, &ctx, &["-t", "localhost/net"]);
        assert_eq!(out.code(), Some(0), "{}", out.stderr());
        assert_eq!(run_none(&env, &["localhost/net", "cat", "/ifaces"]), "2\n");
        assert_eq!(
            run_none(&env, &["localhost/net", "cat", "/ifaces-none"]),
            "1\n"
        );

        env.write(
            "ctx/Dockerfile",
            "FROM busybox\nRUN grep -c : /proc/net/dev > /ifaces\n",
        );
        let out = build(
            &env,
            &ctx,
            &["--network", "none", "--no-cache", "-t", "localhost/none"],
        );
        assert_eq!(out.code(), Some(0), "{}", out.stderr());
        assert_eq!(run_none(&env, &["localhost/none", "cat", "/ifaces"]), "1\n");
    }
);

berthtest!(a_failed_run_step_names_the_network_it_had, |env| {
    env.import_busybox();
    let ctx = context(&env, &[("Dockerfile", "FROM busybox\nRUN exit 3\n")]);
    let out = build(&env, &ctx, &["--network", "none"]);
    assert_build_fails(&out, "exit status 3 (network: none, only loopback");
    let out = build(&env, &ctx, &[]);
    assert_build_fails(&out, "exit status 3 (network: private, through pasta)");
});
