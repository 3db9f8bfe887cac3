//! `berth wait CONTAINER…`

use super::Ctx;
use crate::container::Containers;
use crate::lifecycle::stop;
use anyhow::Result;

/// Wait for containers to stop and print their exit codes
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Containers by name, id or id prefix
    #[arg(required = true)]
    containers: Vec<String>,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let containers = Containers::new(&ctx.layout);
    let mut code = 0;
    for spec in &a.containers {
        match stop::wait(&containers, spec) {
            // Unknown (its berth was killed): -1, as podman prints.
            Ok(exit) => println!("{}", exit.unwrap_or(-1)),
            Err(e) => code = super::report(&e.context(format!("waiting for container `{spec}`"))),
        }
    }
    Ok(code)
}
