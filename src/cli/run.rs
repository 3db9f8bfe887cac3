//! `berth run [OPTIONS] IMAGE [COMMAND [ARG…]]`: `create`, then `start` in
//! the foreground (this berth is the container's monitor) or, with `-d`,
//! under a monitor of its own.

use super::Ctx;
use super::create::{ImageFlags, create};
use crate::container::Containers;
use crate::container::log::Driver;
use crate::lifecycle::start::{self, Attach, Foreground, NotStarted};
use anyhow::Result;

/// Run a command in a new container, as a child of this process
#[derive(clap::Args, Debug)]
#[command(trailing_var_arg = true)]
pub struct Args {
    /// Remove the container when it exits
    #[arg(long)]
    rm: bool,
    /// Run in the background and print the container's id
    #[arg(short, long, conflicts_with = "attach")]
    detach: bool,
    /// Attach only these streams: stdin, stdout, stderr (repeatable; stdin needs -i)
    #[arg(short, long, value_name = "STREAM", value_enum)]
    attach: Vec<Stream>,
    #[command(flatten)]
    image: ImageFlags,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Stream {
    Stdin,
    Stdout,
    Stderr,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    if !a.detach {
        a.image.container.check_terminal_input()?;
    }
    let containers = Containers::new(&ctx.layout);
    // The defaults: a foreground run passes its output through, a
    // detached one keeps it (k8s-file).
    let default_log = if a.detach {
        Driver::K8sFile
    } else {
        Driver::Passthrough
    };
    let meta = create(ctx, &containers, &a.image, a.rm, default_log)?;
    if a.detach {
        return Ok(match start::detached(&containers, &meta.id)? {
            Ok(()) => {
                println!("{}", meta.id);
                0
            }
            Err(n) => not_started(n),
        });
    }
    // As docker and podman: no -a, all of them; stdin follows -i.
    let attach = match a.attach.as_slice() {
        [] => Attach::default(),
        some => Attach {
            stdout: some.contains(&Stream::Stdout),
            stderr: some.contains(&Stream::Stderr),
        },
    };
    if !attach.stdout && !attach.stderr {
        // Nothing of the container's output to show: the caller gets its
        // id, as from docker and podman.
        println!("{}", meta.id);
    }
    let how = Foreground {
        interactive: a.image.container.interactive,
        sig_proxy: a.image.container.sig_proxy,
        attach,
    };
    Ok(match start::foreground(&containers, &meta.id, how)? {
        Ok(code) => code,
        Err(n) => not_started(n),
    })
}

/// Why the command did not start, from the container's side: it may quote
/// the image, so it is escaped.
pub(super) fn not_started(n: NotStarted) -> i32 {
    eprintln!("berth: {}", crate::term::escape(&n.message));
    n.code
}
