//! `berth rename CONTAINER NEW_NAME`

use super::Ctx;
use crate::container::Containers;
use anyhow::Result;

/// Rename a container
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The container by name, id or id prefix
    container: String,
    /// Its new name
    new_name: String,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    Containers::new(&ctx.layout).rename(&a.container, &a.new_name)?;
    Ok(0)
}
