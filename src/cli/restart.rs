//! `berth restart [-t SECONDS] CONTAINER…`

use super::Ctx;
use crate::container::Containers;
use crate::lifecycle::{start, stop};
use anyhow::Result;

/// Stop containers (when running) and start them again, detached
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Seconds to wait after the stop signal before SIGKILL
    #[arg(short = 't', long = "time", value_name = "SECONDS")]
    time: Option<u32>,
    /// Containers by name, id or id prefix
    #[arg(required = true)]
    containers: Vec<String>,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    crate::runtime::binary_guard::ensure()?;
    let containers = Containers::new(&ctx.layout);
    let mut code = 0;
    for spec in &a.containers {
        let result = stop::stop(&containers, spec, a.time).and_then(|m| {
            super::events::container(ctx, "restart", &m);
            start::detached(&containers, &m.id, None)
        });
        match result {
            Ok(Ok(())) => println!("{spec}"),
            Ok(Err(n)) => {
                super::run::not_started(n);
                code = 125;
            }
            Err(e) => code = super::report(&e.context(format!("restarting container `{spec}`"))),
        }
    }
    Ok(code)
}
