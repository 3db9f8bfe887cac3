//! `berth container prune [-f]`: removes every exited container, printing
//! each id.

use super::Ctx;
use crate::container::{Containers, State};
use anyhow::{Context, Result};
use std::io::{BufRead, Write};

/// Remove every exited container
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Do not ask for confirmation
    #[arg(short, long)]
    force: bool,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    if !a.force {
        eprint!(
            "WARNING! This will remove all exited containers.\nAre you sure you want to continue? [y/N] "
        );
        std::io::stderr().flush()?;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            return Ok(0);
        }
    }
    let containers = Containers::new(&ctx.layout);
    let mut code = 0;
    for m in super::rm::sweep(&containers) {
        if m.state != State::Exited {
            continue;
        }
        let removed = (|| -> Result<bool> {
            // Under its lock and re-read: a `start` may have won the race.
            let _lock = match containers.lock(&m.id) {
                Ok(l) => l,
                // Removed meanwhile by someone else.
                Err(_) if !containers.dir_of(&m.id).exists() => return Ok(false),
                Err(e) => return Err(e),
            };
            let mut now = match containers.reload(&m.id) {
                Ok(n) => n,
                // Removed by another command while we waited for its lock.
                Err(_) if !containers.dir_of(&m.id).exists() => return Ok(false),
                Err(e) => return Err(e),
            };
            containers.settle(&mut now)?;
            if now.state != State::Exited {
                return Ok(false);
            }
            // Moved aside first, as `rm` does: nothing that goes by the
            // container's path (another prune's lock) can put a file back
            // while it is emptied, and a prune killed midway leaves a
            // `.removing-` directory that the next sweep finishes.
            if !crate::lifecycle::remove_dir(&containers, &m.id)
                .with_context(|| format!("removing container `{}`", m.name))?
            {
                return Ok(false);
            }
            Containers::forget_cidfile(&now);
            super::events::container(ctx, "remove", &now);
            Ok(true)
        })();
        match removed {
            Ok(true) => println!("{}", m.id),
            Ok(false) => {}
            Err(e) => code = super::report(&e),
        }
    }
    Ok(code)
}
