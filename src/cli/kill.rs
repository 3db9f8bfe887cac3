//! `berth kill [-s SIGNAL] [-a] CONTAINER…`

use super::Ctx;
use crate::container::Containers;
use crate::lifecycle::stop;
use anyhow::Result;

/// Send a signal to running containers' first process
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The signal, by name or number
    #[arg(short, long, default_value = "KILL", value_name = "SIGNAL")]
    signal: String,
    /// Signal every running container
    #[arg(short, long)]
    all: bool,
    /// Containers by name, id or id prefix
    containers: Vec<String>,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let signal = stop::parse_signal(&a.signal)?;
    let containers = Containers::new(&ctx.layout);
    let targets = super::stop::targets(&containers, a.all, a.containers)?;
    let mut code = 0;
    for spec in &targets {
        match stop::kill(&containers, spec, signal) {
            Ok(m) => {
                super::events::container(ctx, "kill", &m);
                println!("{spec}")
            }
            Err(e) => code = super::report(&e.context(format!("killing container `{spec}`"))),
        }
    }
    Ok(code)
}
