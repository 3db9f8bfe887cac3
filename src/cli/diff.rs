//! `berth diff CONTAINER` (also `berth container diff`)

use super::Ctx;
use super::output::{self, Format};
use crate::container::Containers;
use crate::layer::ChangeKind;
use anyhow::{Context, Result};
use std::os::unix::ffi::OsStrExt;

/// Show what a container changed in its image's files: A added, C changed, D deleted
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The container, by name, id or id prefix
    container: String,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let containers = Containers::new(&ctx.layout);
    let changes = crate::lifecycle::commit::diff(&containers, &a.container)
        .with_context(|| format!("diff of container `{}`", a.container))?;
    let path = |p: &std::path::Path| String::from_utf8_lossy(p.as_os_str().as_bytes()).into_owned();
    match a.format {
        // podman's shape: {"changed": […], "added": […], "deleted": […]}.
        Format::Json => {
            let of = |k: ChangeKind| -> Vec<String> {
                (changes.iter())
                    .filter(|c| c.kind == k)
                    .map(|c| path(&c.path))
                    .collect()
            };
            let mut obj = serde_json::Map::new();
            for (key, k) in [
                ("changed", ChangeKind::Changed),
                ("added", ChangeKind::Added),
                ("deleted", ChangeKind::Deleted),
            ] {
                let list = of(k);
                if !list.is_empty() {
                    obj.insert(key.into(), list.into());
                }
            }
            output::json(&obj)?
        }
        Format::Table => output::lines(
            changes
                .iter()
                .map(|c| format!("{} {}", c.kind.letter(), path(&c.path))),
        )?,
    }
    Ok(0)
}
