//! `berth pause` / `berth unpause`: freezing a container needs a cgroup of
//! its own with `cgroup.freeze` (a delegated cgroup v2); berth has none, so
//! both say why in one line instead of doing nothing.

use super::Ctx;
use crate::container::{Containers, State};
use anyhow::{Result, bail};

/// Pause a container's processes (needs a delegated cgroup v2; refused where there is none)
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Containers (name, id or id prefix)
    #[arg(required = true)]
    containers: Vec<String>,
}

pub fn pause(ctx: &Ctx, a: Args) -> Result<i32> {
    each(ctx, &a.containers, "pausing", |name| {
        bail!(
            "cannot freeze container {name}: {}",
            crate::runtime::cgroup::unavailable_why()
        )
    })
}

pub fn unpause(ctx: &Ctx, a: Args) -> Result<i32> {
    each(ctx, &a.containers, "unpausing", |name| {
        bail!(
            "container {name} is not paused (berth cannot pause: {})",
            crate::runtime::cgroup::unavailable_why()
        )
    })
}

/// Each container must exist and run; `act` says what became of it.
fn each(ctx: &Ctx, names: &[String], doing: &str, act: impl Fn(&str) -> Result<()>) -> Result<i32> {
    let containers = Containers::new(&ctx.layout);
    let mut code = 0;
    for n in names {
        let result = (|| -> Result<String> {
            let mut m = containers.find(n)?;
            containers.settle(&mut m)?;
            if !matches!(m.state, State::Running) {
                bail!("container {} is not running", m.name);
            }
            act(&m.name)?;
            Ok(m.id)
        })();
        match result {
            Ok(id) => println!("{id}"),
            Err(e) => code = super::report(&e.context(format!("{doing} container `{n}`"))),
        }
    }
    Ok(code)
}
