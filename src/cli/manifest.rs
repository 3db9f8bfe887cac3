//! `berth manifest create|add|inspect|push|rm`: multi-platform image lists.
//! `push` takes `berth push`'s flags, and podman's `--all` (default true)
//! and `--rm`.

use super::Ctx;
use super::registry_opts::AccessFlags;
use crate::image::manifest::{self, ListPushOptions, PlatformOverride};
use crate::image::push::{CompressionFormat, Destination, ManifestFormat, PushOptions};
use crate::registry::{Client, Registries};
use crate::store::digest::Digest;
use anyhow::{Context, Result};
use std::io::Write;
use std::path::PathBuf;

/// Create, inspect and push multi-platform image lists (OCI image indexes)
#[derive(clap::Subcommand, Debug)]
#[command(defer = true)]
pub enum Verb {
    Create(CreateArgs),
    Add(AddArgs),
    Inspect(InspectArgs),
    Push(PushArgs),
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

/// Push a manifest list and its images to a registry
#[derive(clap::Args, Debug)]
pub struct PushArgs {
    /// Push the list's images too, not only the list [default: true]
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_value_t = true,
          default_missing_value = "true", action = clap::ArgAction::Set)]
    all: bool,
    /// Manifest format: oci (an OCI image index) or v2s2 (a Docker manifest list)
    #[arg(short, long, value_enum, default_value_t)]
    format: ManifestFormat,
    /// How to compress layers stored uncompressed (compressed ones go as they are)
    #[arg(long, value_enum, default_value_t, value_name = "FORMAT")]
    compression_format: CompressionFormat,
    /// Also write the pushed list's digest to FILE
    #[arg(long, value_name = "FILE")]
    digestfile: Option<PathBuf>,
    /// Remove the list from the store once it is pushed
    #[arg(long)]
    rm: bool,
    #[command(flatten)]
    access: AccessFlags,
    /// No progress lines: only the digest
    #[arg(short, long)]
    quiet: bool,
    /// The list
    list: String,
    /// Where to: `[docker://]HOST/REPO[:TAG]` [default: the list's name]
    dest: Option<String>,
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
        Verb::Push(a) => {
            let dest = a.dest.as_deref().unwrap_or(&a.list);
            let what = format!("pushing `{}` to `{dest}`", a.list);
            let digest = push(ctx, &a).context(what)?;
            super::push::report_pushed(&digest, a.digestfile.as_deref())?;
        }
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

fn push(ctx: &Ctx, a: &PushArgs) -> Result<Digest> {
    let store = ctx.store()?;
    let list = manifest::find(&store, &a.list)?;
    let named = super::push::destination(a.dest.as_deref().unwrap_or(&a.list))?;
    // As `berth push`: registries.conf may block or mark insecure; no mirrors.
    let endpoint = Registries::load()?.push_endpoint(&named)?;
    let dest = Destination {
        host: endpoint.host.clone(),
        repo: endpoint.repo.clone(),
        reference: named.tag.clone().unwrap_or_else(|| "latest".into()),
    };
    let access = a.access.access()?;
    let client = Client::connect(&endpoint, &access)?;
    let opts = ListPushOptions {
        push: PushOptions {
            format: a.format,
            compression: a.compression_format,
        },
        all: a.all,
    };
    let mut progress = super::push::step_lines(a.quiet);
    let digest = manifest::push_list(&store, &list, &client, &dest, &access, opts, &mut progress)?;
    if a.rm {
        let lock = store.lock()?;
        store.remove_list(&lock, &list.name)?;
        super::system::collect_garbage(&store, &lock, false)?;
    }
    Ok(digest)
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
