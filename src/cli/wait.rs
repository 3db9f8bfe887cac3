//! `berth wait CONTAINER…`

use super::Ctx;
use crate::container::Containers;
use crate::lifecycle::stop;
use anyhow::Result;

/// Wait for containers to stop (or to run) and print their exit codes
#[derive(clap::Args, Debug)]
pub struct Args {
    /// What to wait for: stopped (also exited), or running
    #[arg(long, default_value = "stopped", value_name = "CONDITION",
          value_parser = ["stopped", "exited", "running"])]
    condition: String,
    /// Containers by name, id or id prefix
    #[arg(required = true)]
    containers: Vec<String>,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let containers = Containers::new(&ctx.layout);
    let mut code = 0;
    for spec in &a.containers {
        if a.condition == "running" {
            match stop::wait_running(&containers, spec) {
                // podman prints -1 for a condition that is not an exit.
                Ok(()) => println!("-1"),
                Err(e) => {
                    code = super::report(&e.context(format!("waiting for container `{spec}`")))
                }
            }
            continue;
        }
        match stop::wait(&containers, spec) {
            // Unknown (its berth was killed): -1, as podman prints.
            Ok(exit) => println!("{}", exit.unwrap_or(-1)),
            Err(e) => code = super::report(&e.context(format!("waiting for container `{spec}`"))),
        }
    }
    Ok(code)
}
