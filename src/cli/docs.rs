//! `berth __gen-docs DIR`: writes man/ and completions/ (committed, and a
//! test fails when they are stale).
//!
//! Man pages are clap's sections plus the ones a man reader looks for and
//! clap cannot know: EXIT STATUS, ENVIRONMENT, FILES and EXAMPLES.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The internal verb: `berth __gen-docs DIR`.
pub const SUBCOMMAND: &str = "__gen-docs";

/// The footer's date: the docs are committed, so it is fixed, and moved
/// when a release changes them.
const DATE: &str = "2026-12-01";

pub fn run(args: &[std::ffi::OsString]) -> Result<i32> {
    let [dir] = args else {
        anyhow::bail!("usage: berth {SUBCOMMAND} DIR");
    };
    let dir = PathBuf::from(dir);
    let man = dir.join("man");
    let comp = dir.join("completions");
    std::fs::create_dir_all(&man)?;
    std::fs::create_dir_all(&comp)?;
    let mut cmd = super::command().disable_help_subcommand(true);
    cmd.build();
    write_pages(&cmd, &man).context("writing man pages")?;
    for (shell, file) in [
        (clap_complete::Shell::Bash, "berth.bash"),
        (clap_complete::Shell::Zsh, "_berth"),
        (clap_complete::Shell::Fish, "berth.fish"),
    ] {
        std::fs::write(comp.join(file), super::completion::script(shell))?;
    }
    Ok(0)
}

/// One page per visible command, named as clap_mangen names them
/// (`berth-run.1`, `berth-container-run.1`).
fn write_pages(cmd: &clap::Command, dir: &Path) -> Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir)?;
    }
    let name = cmd.get_display_name().unwrap_or(cmd.get_name()).to_string();
    let page = clap_mangen::Man::new(cmd.clone())
        .date(DATE)
        .source(format!("berth {}", env!("CARGO_PKG_VERSION")))
        .manual("berth manual");
    let mut out = Vec::new();
    page.render_title(&mut out)?;
    page.render_name_section(&mut out)?;
    page.render_synopsis_section(&mut out)?;
    page.render_description_section(&mut out)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        page.render_options_section(&mut out)?;
    }
    if cmd.has_subcommands() {
        page.render_subcommands_section(&mut out)?;
    }
    if cmd.get_after_long_help().is_some() || cmd.get_after_help().is_some() {
        page.render_extra_section(&mut out)?;
    }
    extra_sections(&mut out, &name)?;
    if cmd.get_version().is_some() {
        page.render_version_section(&mut out)?;
    }
    std::fs::write(dir.join(format!("{name}.1")), out)?;
    Ok(())
}

fn extra_sections(out: &mut Vec<u8>, page: &str) -> Result<()> {
    writeln!(out, ".SH \"EXIT STATUS\"")?;
    writeln!(
        out,
        ".TP\n\\fB0\\fR\nSuccess (for run, start \\-a and exec: the command exited 0).\n\
         .TP\n\\fB125\\fR\nberth itself failed: bad input, a missing image, a store problem; \
         one line on stderr says what.\n\
         .TP\n\\fB126\\fR\nThe command in the container could not be executed.\n\
         .TP\n\\fB127\\fR\nThe command in the container was not found.\n\
         .TP\n\\fB128+N\\fR\nThe command in the container was killed by signal N \
         (130 for SIGINT, 137 for SIGKILL, 143 for SIGTERM).\n\
         .PP\nOtherwise run, start \\-a and exec exit with the command's own status."
    )?;
    writeln!(out, ".SH ENVIRONMENT")?;
    writeln!(
        out,
        ".TP\n\\fBBERTH_ROOT\\fR\nThe root directory (images, layers, containers), as \\-\\-root.\n\
         .TP\n\\fBXDG_DATA_HOME\\fR\nThe default root is $XDG_DATA_HOME/berth \
         (~/.local/share/berth) for a normal user, /var/lib/berth for root.\n\
         .TP\n\\fBXDG_RUNTIME_DIR\\fR\nPer-login runtime files (registry credentials in \
         $XDG_RUNTIME_DIR/containers/auth.json, as podman).\n\
         .TP\n\\fBXDG_CONFIG_HOME\\fR\nUser configuration: $XDG_CONFIG_HOME/containers/registries.conf.\n\
         .TP\n\\fBREGISTRY_AUTH_FILE\\fR\nThe credentials file, instead of the default.\n\
         .TP\n\\fBBERTH_TRACE_PHASES\\fR\nSet to 1: print where the time of a run goes, to stderr."
    )?;
    writeln!(out, ".SH FILES")?;
    writeln!(
        out,
        ".TP\n\\fI~/.local/share/berth\\fR, \\fI/var/lib/berth\\fR\nThe default root: store/ (an OCI \
         image layout), layers/, containers/ (one OCI bundle each), volumes/.\n\
         .TP\n\\fI$XDG_RUNTIME_DIR/containers/auth.json\\fR, \\fI~/.docker/config.json\\fR\n\
         Registry credentials, as written by berth login, podman login and docker login.\n\
         .TP\n\\fI$XDG_CONFIG_HOME/containers/registries.conf\\fR, \\fI/etc/containers/registries.conf\\fR\n\
         Short-name search, mirrors, insecure and blocked registries, as podman reads them.\n\
         .TP\n\\fI/etc/containers/certs.d/HOST:PORT/\\fR\nCA certificates and client keys per registry.\n\
         .TP\n\\fI/etc/subuid\\fR, \\fI/etc/subgid\\fR\nThe id ranges a rootless user's containers map; \
         without one, a container maps only the user's own ids."
    )?;
    let examples = examples(page);
    if !examples.is_empty() {
        writeln!(out, ".SH EXAMPLES")?;
        for (what, cmd) in examples {
            writeln!(
                out,
                ".PP\n{what}\n.PP\n.RS 4\n.nf\n{}\n.fi\n.RE",
                roff_escape(cmd)
            )?;
        }
    }
    writeln!(out, ".SH \"SEE ALSO\"")?;
    writeln!(
        out,
        "\\fBberth\\fR(1), \\fBpodman\\fR(1), \\fBcontainers-registries.conf\\fR(5)"
    )?;
    Ok(())
}

/// Backslashes and leading dots or quotes would be read as roff.
fn roff_escape(s: &str) -> String {
    s.lines()
        .map(|l| {
            let l = l.replace('\\', "\\e").replace('-', "\\-");
            if l.starts_with('.') || l.starts_with('\'') {
                format!("\\&{l}")
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A few commands people type, per page.
fn examples(page: &str) -> &'static [(&'static str, &'static str)] {
    match page {
        "berth" => &[
            (
                "Run a command in a fresh Alpine container:",
                "berth run --rm alpine echo hello",
            ),
            (
                "Build an image and run it:",
                "berth build -t localhost/app .\nberth run --rm localhost/app",
            ),
        ],
        "berth-run" | "berth-container-run" => &[
            (
                "A shell in a throwaway container:",
                "berth run --rm -it alpine sh",
            ),
            (
                "A web server in the background, published on port 8080:",
                "berth run -d --name web -p 8080:80 nginx\nberth logs -f web",
            ),
            (
                "The current directory mounted read-only:",
                "berth run --rm -v \"$PWD:/src:ro\" -w /src alpine ls",
            ),
            (
                "No network at all:",
                "berth run --rm --network none alpine ip addr",
            ),
        ],
        "berth-create" | "berth-container-create" => &[(
            "Create now, start later:",
            "berth create --name job alpine sh -c 'echo done'\nberth start -a job",
        )],
        "berth-build" => &[
            (
                "Build the current directory and tag it:",
                "berth build -t localhost/app:1.0 .",
            ),
            (
                "A Dockerfile from stdin, with no context:",
                "berth build -t localhost/tiny - < Dockerfile",
            ),
        ],
        "berth-pull" => &[
            ("Pull an image:", "berth pull docker.io/library/alpine:3.20"),
            (
                "Another platform:",
                "berth pull --platform linux/arm64 alpine",
            ),
        ],
        "berth-push" => &[(
            "Push to a registry on this machine:",
            "berth tag localhost/app 127.0.0.1:5000/app\nberth push --tls-verify=false 127.0.0.1:5000/app",
        )],
        "berth-ps" | "berth-container-ps" => &[
            ("All containers, with exited ones:", "berth ps -a"),
            (
                "Names and states only:",
                "berth ps -a --format '{{.Names}}\\t{{.State}}'",
            ),
        ],
        "berth-exec" | "berth-container-exec" => {
            &[("A shell in a running container:", "berth exec -it web sh")]
        }
        "berth-logs" | "berth-container-logs" => {
            &[("Follow the last lines:", "berth logs -f --tail 20 web")]
        }
        "berth-stop" | "berth-container-stop" => &[(
            "Stop, waiting 5 seconds before SIGKILL:",
            "berth stop -t 5 web",
        )],
        "berth-rm" | "berth-container-rm" => {
            &[("Remove every stopped container:", "berth container prune")]
        }
        "berth-images" | "berth-image-ls" => &[
            ("Images, newest first:", "berth images"),
            (
                "Just the references:",
                "berth images --format '{{.Repository}}:{{.Tag}}'",
            ),
        ],
        "berth-commit" | "berth-container-commit" => &[(
            "Turn a container into an image:",
            "berth commit web localhost/web:snapshot",
        )],
        "berth-save" => &[(
            "Save an image for docker load:",
            "berth save -o app.tar localhost/app",
        )],
        "berth-load" => &[(
            "Load an archive from docker save or podman save:",
            "berth load -i app.tar",
        )],
        "berth-cp" | "berth-container-cp" => &[(
            "Copy a file out of a container:",
            "berth cp web:/etc/os-release .",
        )],
        "berth-login" => &[(
            "Log in, reading the password from stdin:",
            "berth login -u me --password-stdin registry.example.com",
        )],
        _ => &[],
    }
}
