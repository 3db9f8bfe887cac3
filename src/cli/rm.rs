//! `berth rm CONTAINER…`

use super::Ctx;
use crate::container::{Containers, State};
use crate::image::unpack::remove_layer_tree;
use anyhow::{Result, bail};

/// Remove stopped containers
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Containers by name, id or id prefix
    #[arg(required = true)]
    containers: Vec<String>,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let containers = Containers::new(&ctx.root);
    let mut code = 0;
    for spec in &a.containers {
        let result = (|| -> Result<String> {
            let meta = containers.find(spec)?;
            if meta.state == State::Running && meta.pid.is_some_and(alive) {
                bail!("container {} is running", meta.name);
            }
            remove_layer_tree(&containers.dir_of(&meta.id))?;
            Ok(meta.id)
        })();
        match result {
            Ok(id) => println!("{id}"),
            Err(e) => code = super::report(&e.context(format!("removing container `{spec}`"))),
        }
    }
    Ok(code)
}

fn alive(pid: i32) -> bool {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok()
}
