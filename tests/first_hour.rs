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
