//! `berth rmi [-f] IMAGE…`

use super::Ctx;
use anyhow::{Result, bail};

/// Remove images; blobs and layers no other image uses go with them
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Images by name, id or digest
    #[arg(required = true)]
    images: Vec<String>,
    /// Remove an image by id even when it has several names
    #[arg(short, long)]
    force: bool,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let store = ctx.store()?;
    let lock = store.lock()?;
    let mut failed = None;
    for spec in &a.images {
        // Like podman: report each failure, carry on, fail at the end.
        if let Err(e) = remove_one(ctx, &store, &lock, spec, a.force) {
            let e = e.context(format!("removing image `{spec}`"));
            super::report(&e);
            failed = Some(e);
        }
    }
    super::system::collect_garbage(&store, &lock, false)?;
    match failed {
        Some(_) => Ok(125),
        None => Ok(0),
    }
}

fn remove_one(
    ctx: &Ctx,
    store: &crate::store::Store,
    lock: &crate::layout::Lock,
    spec: &str,
    force: bool,
) -> Result<()> {
    let img = store.resolve(spec)?;
    let users: Vec<String> = crate::container::Containers::new(store.layout())
        .list()?
        .into_iter()
        .filter(|c| c.image_id == img.id().hex())
        .map(|c| c.name)
        .collect();
    let by_name = crate::reference::Reference::parse(spec)
        .ok()
        .map(|r| r.to_string())
        .filter(|n| img.names.contains(n));
    match by_name {
        // Removing one of several names only untags, as Docker does.
        Some(name) if img.names.len() > 1 => {
            store.untag(lock, &img.digest, std::slice::from_ref(&name))?;
            println!("Untagged: {}", crate::term::escape(&name));
            super::events::image(ctx, "untag", img.id().hex(), &name);
            return Ok(());
        }
        _ if !users.is_empty() => {
            bail!(
                "image is in use by container(s) {}: remove them first (`berth rm`)",
                users.join(", ")
            )
        }
        None if img.names.len() > 1 && !force => {
            bail!(
                "image is referenced by {} names; remove them one by one or use -f",
                img.names.len()
            )
        }
        _ => {}
    }
    store.remove_image(lock, &img.digest)?;
    for n in &img.names {
        println!("Untagged: {}", crate::term::escape(n));
    }
    println!("Deleted: {}", img.id().hex());
    super::events::image(
        ctx,
        "remove",
        img.id().hex(),
        img.names.first().map_or("", |n| n.as_str()),
    );
    Ok(())
}
