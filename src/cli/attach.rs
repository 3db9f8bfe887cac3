//! `berth attach CONTAINER`: the output of a running detached container as
//! it comes, until it ends; exits with its exit code.
//!
//! Nothing listens in a container's monitor, so attaching is following its
//! log from the current end (inotify on the log, the monitor's pidfd for
//! the end; a journald container's entries through `journalctl --follow`):
//! the k8s-file or journald driver is needed, and stdin cannot be attached —
//! a detached container reads /dev/null. Ctrl-C ends the attach, not the
//! container.

use super::Ctx;
use super::logs::{Output, log_file, monitor};
use crate::container::journal_log;
use crate::container::log::{self, Driver, Filter, Follower, Reader, Render};
use crate::container::{Containers, State};
use anyhow::{Result, bail};

/// Show a running container's output as it comes, until it exits
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Accepted for podman's scripts: stdin is never attached (a detached
    /// container's stdin is /dev/null)
    #[arg(long)]
    no_stdin: bool,
    /// The container by name, id or id prefix
    container: String,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let containers = Containers::new(&ctx.layout);
    let mut m = containers.find(&a.container)?;
    containers.settle(&mut m)?;
    if m.state != State::Running {
        // podman's words.
        bail!(
            "you can only attach to running containers: {} is not running",
            m.name
        );
    }
    let mut out = Output::new();
    let mut render = Render::new(false);
    if m.log.driver == Driver::Journald {
        // From the journal's current end: a tail of none, then what comes.
        let from_now = Filter {
            since: None,
            until: None,
            tail: Some(0),
        };
        journal_log::follow(&m.id, &from_now, monitor(&m), &mut |e| {
            out.print(&mut render, &e, None)
        })?;
        let end = crate::lifecycle::stop::wait(&containers, &m.id)?;
        return Ok(end.unwrap_or(125));
    }
    let file = log_file(&containers, &m)?;
    let mut reader = Reader::new(&file);
    // What is there already was before the attach.
    reader.read_new(&mut |_| Ok(()))?;
    let mut followers = [Follower {
        reader,
        filter: Filter {
            since: None,
            until: None,
            tail: None,
        },
        writer: monitor(&m),
    }];
    log::follow(&mut followers, &mut |_, e| out.print(&mut render, &e, None))?;
    let end = crate::lifecycle::stop::wait(&containers, &m.id)?;
    Ok(end.unwrap_or(125))
}
