//! The README's tour, pasted in order as a user would (issue 14): every
//! ```sh block of its "A short tour" section runs, as written, under
//! `bash -e` in an empty directory, with a fresh `$HOME` so berth uses its
//! default root, as the unprivileged CI user running the tests.

use crate::util::{self, Cmd, assert_ok};

/// The ```sh blocks of the README's "## A short tour" section, in order.
fn tour(readme: &str) -> String {
    let start = readme
        .find("\n## A short tour")
        .expect("the README has a section `## A short tour`");
    let section = &readme[start + 1..];
    let section = match section[3..].find("\n## ") {
        Some(end) => &section[..end + 3],
        None => section,
    };
    let mut script = String::new();
    let mut rest = section;
    while let Some(open) = rest.find("```sh\n") {
        let body = &rest[open + 6..];
        let close = body.find("```").expect("an ```sh block is closed");
        script.push_str(&body[..close]);
        rest = &body[close + 3..];
    }
    assert!(!script.is_empty(), "the tour has ```sh blocks");
    script
}

/// A TCP port on 127.0.0.1 that is free now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a free port")
        .port()
}

berthtest!(the_readme_tour_runs_as_written, |env| {
    for tool in ["curl", "skopeo", "umoci"] {
        if !util::tool_or_skip(tool) {
            return;
        }
    }
    let readme = std::fs::read_to_string(util::repo_dir().join("README.md")).expect("README.md");
    // The one change: the tour's fixed port, which a test running beside
    // others must not count on.
    let script = tour(&readme).replace("127.0.0.1:8080", &format!("127.0.0.1:{}", free_port()));
    let home = env.path("home");
    let here = env.path("home/tour");
    std::fs::create_dir_all(&here).unwrap();
    let bin_dir = util::berth_bin().parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Cmd::new("env")
        .args(&[
            "-u",
            "BERTH_ROOT",
            "-u",
            "XDG_DATA_HOME",
            "-u",
            "XDG_CONFIG_HOME",
        ])
        .arg("bash")
        .args(&["-euo", "pipefail", "-c"])
        .arg(&script)
        .env("HOME", &home)
        .env("PATH", path)
        .current_dir(&here)
        .run();
    assert_ok(&out);
    let said = out.stdout();
    for expected in [
        "hi\n",
        "hello from berth\n",
        "hello from a builder stage\n",
        "Loaded image: docker.io/library/busybox:latest",
    ] {
        assert!(said.contains(expected), "no `{expected}` in:\n{said}");
    }
    // It cleans up after itself: `system reset -f` is its last word.
    assert!(
        !home.join(".local/share/berth/store").exists(),
        "the tour's store is left"
    );
});

#[test]
fn the_tour_is_the_sh_blocks_of_its_section_only() {
    let readme = "# x\n```sh\nnot this\n```\n## A short tour\ntext\n```sh\none\n```\n\
more\n```console\nnot this either\n```\n```sh\ntwo\n```\n## Next\n```sh\nnor this\n```\n";
    assert_eq!(tour(readme), "one\ntwo\n");
}
