//! `berth healthcheck run CONTAINER`: one check now, as podman's: exit 0
//! when it leaves the container healthy, 1 (printing the status) when not.

use super::Ctx;
use crate::container::Containers;
use crate::container::health::HEALTHY;
use anyhow::Result;

/// Run a container's healthcheck
#[derive(clap::Subcommand, Debug)]
#[command(defer = true)]
pub enum Verb {
    /// Run the healthcheck once now and record its result (exit 0 healthy, 1 not)
    Run(RunArgs),
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// The container, by name, id or id prefix
    container: String,
}

pub fn run(ctx: &Ctx, v: Verb) -> Result<i32> {
    let Verb::Run(a) = v;
    let status = crate::lifecycle::health::check(&Containers::new(&ctx.layout), &a.container)?;
    if status == HEALTHY {
        return Ok(0);
    }
    println!("{status}");
    Ok(1)
}
