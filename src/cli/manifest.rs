//! `berth manifest create|add|inspect|push|rm`: multi-platform image lists.

use super::Ctx;
use super::registry_opts::AccessFlags;
use crate::image::manifest::{self, PlatformOverride};
use anyhow::{Context, Result};
use std::io::Write;

/// Create, inspect and push multi-platform image lists (OCI image indexes)
#[derive(clap::Subcommand, Debug)]
pub enum Verb {
    Create(CreateArgs),
    Add(AddArgs),
    Inspect(InspectArgs),
    Rm(RmArgs),
}

/// Create a manifest list of images in the store
#[derive(clap::Args, Debug)]
pub struct CreateArgs {
    /// The list's name
    list: String,
    /// Images to put in it, each under the platform its config names
    images: Vec<String>,
}

/// Add an image (from the store, else from a registry) to a manifest list
#[derive(clap::Args, Debug)]
pub struct AddArgs {
    /// The entry's OS instead of the image config's
    #[arg(long, value_name = "OS")]
    os: Option<String>,
    /// The entry's architecture instead of the image config's
    #[arg(long, value_name = "ARCH")]
    arch: Option<String>,
    /// The entry's architecture variant instead of the image config's
    #[arg(long, value_name = "VARIANT")]
    variant: Option<String>,
    #[command(flatten)]
    access: AccessFlags,
    /// The list
    list: String,
    /// The image: a name or id in the store, else [REGISTRY/]REPOSITORY[:TAG|@DIGEST]
    image: String,
}

/// Show a manifest list of the store, else a registry's manifest or index, as JSON
#[derive(clap::Args, Debug)]
pub struct InspectArgs {
    #[command(flatten)]
    access: AccessFlags,
    /// The list, or [REGISTRY/]REPOSITORY[:TAG|@DIGEST]
    name: String,
}

/// Remove manifest lists (not their images)
#[derive(clap::Args, Debug)]
pub struct RmArgs {
    #[arg(required = true)]
    lists: Vec<String>,
}

pub fn run(ctx: &Ctx, v: Verb) -> Result<i32> {
    match v {
        Verb::Create(a) => {
            let store = ctx.store()?;
            let d = manifest::create(&store, &a.list, &a.images)?;
            println!("{}", d.hex());
        }
        Verb::Add(a) => {
            let over = PlatformOverride {
                os: a.os,
                arch: a.arch,
                variant: a.variant,
            };
            let store = ctx.store()?;
            let d = manifest::add(&store, &a.list, &a.image, &over, &a.access.access()?)
                .with_context(|| format!("adding `{}` to `{}`", a.image, a.list))?;
            // The list's previous blob is garbage now.
            let lock = store.lock()?;
            super::system::collect_garbage(&store, &lock, false)?;
            println!("{}", d.hex());
        }
        Verb::Inspect(a) => inspect(ctx, a)?,
        Verb::Rm(a) => {
            let store = ctx.store()?;
            let mut failed = false;
            for l in &a.lists {
                // Like rmi: report each failure, carry on, fail at the end.
                match manifest::remove(&store, l) {
                    Ok(list) => {
                        println!("Untagged: {}", crate::term::escape(&list.name));
                        println!("Deleted: {}", list.digest.hex());
                    }
                    Err(e) => {
                        super::report(&e.context(format!("removing `{l}`")));
                        failed = true;
                    }
                }
            }
            let lock = store.lock()?;
            super::system::collect_garbage(&store, &lock, false)?;
            return Ok(if failed { 125 } else { 0 });
        }
    }
    Ok(0)
}

fn inspect(ctx: &Ctx, a: InspectArgs) -> Result<()> {
    let local = match crate::store::Store::open_existing(ctx.root()) {
        Some(store) if manifest::list_name(&a.name).is_ok() => {
            let full = manifest::list_name(&a.name)?;
            store.find_list(&full)?
        }
        _ => None,
    };
    let value = match local {
        Some(list) => serde_json::to_value(manifest::shown(&list))?,
        None => {
            let fetched = manifest::fetch_remote(&a.name, &a.access.access()?)?;
            serde_json::from_slice::<serde_json::Value>(&fetched.bytes).map_err(|e| {
                anyhow::anyhow!(
                    "`{}`: the registry sent a manifest that is not JSON: {e}",
                    a.name
                )
            })?
        }
    };
    // The registry wrote these strings: C1 controls and bidi overrides
    // (which JSON does not escape) are escaped too.
    let text = serde_json::to_string_pretty(&value)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", crate::term::escape_json(&text))?;
    Ok(())
}
