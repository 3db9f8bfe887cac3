//! The first mistakes a newcomer makes (issue 14): each gets an error that
//! names the real problem, with exit 125 and nothing left half-done.

use crate::util::{assert_fails_125, assert_fails_with};

// A clap error keeps its whole message: the missing argument, the usage.
berthtest!(a_missing_argument_is_named_with_the_usage, |env| {
    let out = env.berth(&["run"]).run();
    assert_eq!(out.code(), Some(125), "{}", out.describe());
    let err = out.stderr();
    assert!(err.starts_with("berth: "), "{err}");
    assert!(err.contains("<IMAGE>"), "the argument is named: {err}");
    assert!(err.contains("Usage: berth run"), "the usage line: {err}");
});

berthtest!(a_mistyped_verb_gets_a_suggestion, |env| {
    let out = env.berth(&["imagse"]).run();
    assert_eq!(out.code(), Some(125), "{}", out.describe());
    assert!(out.stderr().contains("'images'"), "{}", out.describe());
});

berthtest!(a_bad_enumerated_value_lists_the_allowed_ones, |env| {
    let out = env.berth(&["save", "--format", "yaml", "busybox"]).run();
    assert_eq!(out.code(), Some(125), "{}", out.describe());
    let err = out.stderr();
    assert!(
        err.contains("docker-archive") && err.contains("oci-archive"),
        "{err}"
    );
});

// `-it` with a pipe on stdin: the pipe's end reaches the container as the
// terminal's ^D, so the command ends instead of waiting forever.
berthtest!(
    interactive_tty_from_a_pipe_ends_at_the_end_of_input,
    |env| {
        env.import_busybox();
        let out = env
            .berth(&["run", "--rm", "-it", "busybox", "cat"])
            .stdin("hi\n")
            .run();
        assert_eq!(out.code(), Some(0), "{}", out.describe());
        assert!(out.stdout().contains("hi"), "{}", out.describe());
        // A last line without its newline still arrives, then the end.
        let out = env
            .berth(&["run", "--rm", "-it", "busybox", "wc", "-c"])
            .stdin("abc")
            .run();
        assert_eq!(out.code(), Some(0), "{}", out.describe());
        assert!(out.stdout().contains('3'), "{}", out.describe());
        let out = env
            .berth(&["run", "-i", "busybox", "cat"])
            .stdin("hi\n")
            .run();
        assert_eq!(out.stdout(), "hi\n", "-i alone pipes: {}", out.describe());
    }
);

berthtest!(garbage_on_load_is_not_an_image_archive, |env| {
    env.import_busybox();
    let before = env.snapshot();
    let out = env.berth(&["load"]).stdin("garbage\n").run();
    assert_fails_125(&out, "docker-archive or oci-archive");
    assert_eq!(env.snapshot(), before, "the store is untouched");
});

berthtest!(build_from_an_empty_stdin_says_so, |env| {
    let out = env.berth(&["build", "-"]).stdin("").run();
    let line = assert_fails_125(&out, "read nothing from stdin");
    assert!(!line.contains("berth-context-"), "no temp path: {line}");
});

// Docker's `build - < Dockerfile`: the Dockerfile alone, no context.
berthtest!(build_reads_a_dockerfile_from_stdin, |env| {
    let out = env
        .berth(&["build", "-q", "-t", "localhost/fromstdin", "-"])
        .stdin("FROM scratch\nLABEL made=stdin\n")
        .run();
    assert_eq!(out.code(), Some(0), "{}", out.describe());
    let labels = &env.inspect("localhost/fromstdin")["Config"]["Labels"];
    assert_eq!(labels["made"], "stdin", "{labels}");
});

berthtest!(build_of_a_missing_directory_names_the_directory, |env| {
    let missing = env.path("no-such-context");
    let out = env.berth(&["build", missing.to_str().unwrap()]).run();
    assert_fails_125(&out, "is not a directory");
    let empty = env.path("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = env.berth(&["build", empty.to_str().unwrap()]).run();
    assert_fails_125(&out, "no Dockerfile in the build context");
});

// A path is not looked up in $PATH, so the error must not say it was.
berthtest!(a_missing_absolute_command_is_not_a_path_search, |env| {
    env.import_busybox();
    let out = env
        .berth(&["run", "--rm", "busybox", "/nonexist/bin"])
        .run();
    let line = assert_fails_with(&out, 127, "/nonexist/bin");
    assert!(!line.contains("$PATH"), "{line}");
    let out = env.berth(&["run", "--rm", "busybox", "nonexist"]).run();
    assert_fails_with(&out, 127, "not found in $PATH");
});

// Megabytes piped into `-it`: the tty echoes every line back while the
// container is still being fed, so berth must read the output while input
// waits (it used to block writing input, the container writing output:
// both waited forever).
berthtest!(interactive_tty_takes_megabytes_from_a_pipe, |env| {
    use std::io::{Read, Write};
    env.import_busybox();
    let mut input = "a".repeat(99);
    input.push('\n');
    let mut input = input.repeat(20_000);
    input.push_str("END\n");
    let mut child = std::process::Command::new(crate::util::berth_bin())
        .arg("--root")
        .arg(&env.root)
        .args(["run", "--rm", "-it", "--network", "none", "busybox", "cat"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out);
        out
    });
    let pid = child.id();
    if !crate::util::wait_exit(pid, std::time::Duration::from_secs(120)) {
        let _ = child.kill();
        panic!("berth run -it did not finish with 2 MB of piped input");
    }
    let status = child.wait().unwrap();
    feeder.join().unwrap();
    let out = reader.join().unwrap();
    assert!(status.success(), "{status}");
    let text = String::from_utf8_lossy(&out);
    // cat's copy whole, last. The tty's own echo of the input is best
    // effort: the kernel drops echoes while the output side is full (a
    // busy machine), so it is not counted on.
    let line = format!("{}\r\n", "a".repeat(99));
    assert!(
        text.ends_with("END\r\n") && text.matches(&line).count() >= 20_000,
        "cat's copy of 20,000 lines and END, last: {} bytes, {} lines",
        out.len(),
        text.matches(&line).count()
    );
});
