//! `berth inspect NAME…`: containers and images, podman's shapes.

use super::Ctx;
use crate::container::{Containers, list};
use crate::store::images::Image;
use crate::template::{Template, default_header};
use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::io::Write;

/// Show containers' or images' details as JSON (the shapes of `podman inspect`)
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Containers (name, id or id prefix) or images (name, id or digest)
    #[arg(required = true, value_name = "NAME")]
    names: Vec<String>,
    /// What the names are: container, image, or all (a container first, as podman)
    #[arg(short, long = "type", value_enum, default_value = "all")]
    kind: Kind,
    /// json, or a Go template rendered for each object (`{{.State.Pid}}`, `{{json .Config}}`)
    #[arg(short, long, default_value = "json", value_name = "FORMAT")]
    format: String,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Container,
    Image,
    All,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let template = match a.format.as_str() {
        "json" => None,
        f => Some(Template::parse(f).with_context(|| format!("--format `{f}`"))?),
    };
    let containers = Containers::new(&ctx.layout);
    let mut store = None;
    let mut out = Vec::new();
    for name in &a.names {
        let found = (|| -> Result<Value> {
            if a.kind != Kind::Image {
                match containers.find(name) {
                    Ok(m) => return container_json(&containers, m),
                    Err(e) if a.kind == Kind::Container => return Err(e),
                    Err(_) => {}
                }
            }
            if store.is_none() {
                store = Some(ctx.store()?);
            }
            let store = store.as_ref().expect("opened above");
            match store.find(name)? {
                Some(img) => Ok(inspect_json(&img, store.image_size(&img))),
                None if a.kind == Kind::All => bail!("no such container or image `{name}`"),
                None => bail!("image `{name}` not known"),
            }
        })();
        out.push(found.with_context(|| format!("inspecting `{name}`"))?);
    }
    let Some(template) = template else {
        let text = serde_json::to_string_pretty(&out)?;
        writeln!(
            std::io::stdout().lock(),
            "{}",
            crate::term::escape_json(&text)
        )?;
        return Ok(0);
    };
    let text = template
        .render_all(&out, &default_header)
        .with_context(|| format!("--format `{}`", a.format))?;
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(0)
}

fn container_json(containers: &Containers, mut m: crate::container::Meta) -> Result<Value> {
    // A record whose berth was killed says so only once settled.
    if let Err(e) = containers.settle(&mut m) {
        log::debug!("settling container {}: {e:#}", m.id);
    }
    let spec = containers.config(&m.id)?;
    let mounts = containers.user_mounts(&m.id, spec.as_ref());
    let net = super::ps::net_of(containers, &m.id);
    Ok(list::inspect(&m, spec.as_ref(), mounts, &net))
}

pub fn inspect_json(i: &Image, size: u64) -> serde_json::Value {
    // What push and pull recorded, then each name's repository with the
    // local manifest digest (podman lists names × digests).
    let mut repo_digests = i.repo_digests.clone();
    for n in &i.names {
        let rd = format!("{}@{}", super::images::split_name(n).0, i.digest);
        if !repo_digests.contains(&rd) {
            repo_digests.push(rd);
        }
    }
    let c = &i.config;
    json!({
        "Id": i.id().hex(),
        "Digest": i.digest.to_string(),
        "RepoTags": i.names,
        "RepoDigests": repo_digests,
        "Created": c.created,
        "Author": c.author.clone().unwrap_or_default(),
        "Architecture": c.architecture,
        "Os": c.os,
        "Config": c.config,
        "Labels": c.config.labels,
        "RootFS": { "Type": c.rootfs.kind, "Layers": c.rootfs.diff_ids },
        "History": c.history,
        "Size": size,
        "ManifestType": i.manifest.media_type,
        "Annotations": i.manifest.annotations,
    })
}
