//! `berth exec [OPTIONS] CONTAINER COMMAND [ARG…]`

use super::Ctx;
use crate::container::Containers;
use crate::lifecycle::exec;
use crate::runtime::exec::Options;
use crate::spec::process;
use anyhow::{Result, bail};
use std::path::PathBuf;

/// Run a command in a running container
#[derive(clap::Args, Debug)]
#[command(trailing_var_arg = true)]
pub struct Args {
    /// Keep stdin open
    #[arg(short, long)]
    interactive: bool,
    /// Allocate a pseudo-terminal
    #[arg(short, long)]
    tty: bool,
    /// Start the command and return at once; its output is discarded
    #[arg(short, long)]
    detach: bool,
    /// Run as USER[:GROUP] (names from the container's /etc/passwd and /etc/group, or numbers)
    #[arg(short, long)]
    user: Option<String>,
    /// Set an environment variable (KEY=VALUE, or KEY to take it from berth's environment)
    #[arg(short, long = "env", value_name = "KEY[=VALUE]")]
    env: Vec<String>,
    /// Read environment variables from a file
    #[arg(long, value_name = "FILE")]
    env_file: Vec<PathBuf>,
    /// Working directory in the container [default: the container's]
    #[arg(short, long, value_name = "DIR")]
    workdir: Option<String>,
    /// Every capability the container's user namespace allows (seccomp stays)
    #[arg(long)]
    privileged: bool,
    /// Pass N more fds (3 to 3+N-1) from berth's caller to the command
    #[arg(long, default_value_t = 0, value_name = "N")]
    preserve_fds: u32,
    /// The container, by name, id or id prefix
    container: String,
    /// Command and arguments
    #[arg(required = true, allow_hyphen_values = true)]
    command: Vec<String>,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    // Before berth opens anything: a closed fd in the range would be taken by
    // one of berth's own and handed to the command.
    let fds = a.preserve_fds;
    if let Some(fd) = (3..3 + fds as i32).find(|fd| !crate::sys::process::fd_is_open(*fd)) {
        bail!("--preserve-fds {fds}: fd {fd} is not open");
    }
    if a.detach && (a.tty || a.interactive) {
        bail!("--detach cannot be combined with --tty or --interactive: nothing would relay them");
    }
    let overrides = process::env_overrides(&a.env_file, &a.env)?;
    crate::runtime::binary_guard::ensure()?;
    let options = Options {
        args: a.command,
        env: Vec::new(),
        home_from_user: a.user.is_some() && !process::has(&overrides, "HOME"),
        user: a.user,
        workdir: a.workdir,
        privileged: a.privileged,
        preserve_fds: fds,
        tty: a.tty,
        interactive: a.interactive,
        detach: a.detach,
        capture: None,
        timeout: None,
    };
    let containers = Containers::new(&ctx.layout);
    match exec::exec(&containers, &a.container, &overrides, options)? {
        Ok(code) => Ok(code),
        Err(f) => {
            // Written by the container's side: it may quote the container.
            eprintln!("berth: {}", crate::term::escape(&f.message));
            Ok(f.code)
        }
    }
}
