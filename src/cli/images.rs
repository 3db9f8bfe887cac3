//! `berth images`

use super::Ctx;
use super::output;
use crate::reference::Reference;
use crate::store::images::Image;
use anyhow::{Context, Result};
use serde_json::json;

/// List images in local storage
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Show only images whose repository (and tag, if given) match
    filter: Option<String>,
    /// Print image ids only
    #[arg(short, long)]
    quiet: bool,
    /// Show manifest digests
    #[arg(long)]
    digests: bool,
    /// Do not truncate ids
    #[arg(long)]
    no_trunc: bool,
    /// json, table, or a Go template (`{{.Repository}}:{{.Tag}}`, `table {{.ID}}\t{{.Size}}`)
    #[arg(long, value_name = "FORMAT")]
    format: Option<String>,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let store = crate::store::Store::open_existing(ctx.root());
    let images = match &store {
        Some(s) => s.images()?,
        None => Vec::new(),
    };
    // Every image listed came from this store.
    let size_of = |i: &Image| store.as_ref().map_or(0, |s| s.image_size(i));
    let template = match a.format.as_deref() {
        None | Some("table" | "json") => None,
        Some(f) => {
            Some(crate::template::Template::parse(f).with_context(|| format!("--format `{f}`"))?)
        }
    };
    let filter = a.filter.as_deref().map(Filter::new).transpose()?;
    let mut images: Vec<&Image> = images
        .iter()
        .filter(|i| filter.as_ref().is_none_or(|f| f.matches(i)))
        .collect();
    // Newest first, as docker and podman list them; a stable sort keeps the
    // index's order among images of the same second.
    images.sort_by_key(|i| std::cmp::Reverse(i.created_epoch().unwrap_or(0)));
    if a.format.as_deref() == Some("json") {
        return output::json(
            &images
                .iter()
                .map(|i| to_json(i, size_of(i)))
                .collect::<Vec<_>>(),
        )
        .map(|_| 0);
    }
    let id = |i: &Image| {
        if a.no_trunc {
            i.id().to_string()
        } else {
            i.id().short().to_string()
        }
    };
    if let Some(t) = template {
        let fields: Vec<serde_json::Value> = images
            .iter()
            .flat_map(|i| template_fields(i, size_of(i), a.no_trunc))
            .collect();
        let text = t
            .render_all(&fields, &header)
            .with_context(|| format!("--format `{}`", a.format.as_deref().unwrap_or_default()))?;
        std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes())?;
        return Ok(0);
    }
    if a.quiet {
        let mut seen = std::collections::HashSet::new();
        return output::lines(
            images
                .iter()
                .map(|i| id(i))
                .filter(|i| seen.insert(i.clone())),
        )
        .map(|_| 0);
    }
    let mut rows = Vec::new();
    for i in &images {
        let created = i.created_epoch().map(crate::time::ago).unwrap_or_default();
        let size = output::human_size(size_of(i));
        let names: Vec<(String, String)> = if i.names.is_empty() {
            vec![("<none>".into(), "<none>".into())]
        } else {
            i.names.iter().map(|n| split_name(n)).collect()
        };
        for (repo, tag) in names {
            let digest = a.digests.then(|| digest_in(i, &repo));
            let mut row = vec![repo, tag];
            row.extend(digest);
            row.extend([id(i), created.clone(), size.clone()]);
            rows.push(row);
        }
    }
    let header: &[&str] = if a.digests {
        &["REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE"]
    } else {
        &["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"]
    };
    output::table(header, &rows)?;
    Ok(0)
}

/// The image's manifest digest in repository `repo`: the one a push or pull
/// recorded there, else the local one.
fn digest_in(i: &Image, repo: &str) -> String {
    i.repo_digests
        .iter()
        .find_map(|rd| rd.strip_prefix(repo)?.strip_prefix('@'))
        .map_or_else(|| i.digest.to_string(), str::to_string)
}

/// `docker.io/library/busybox:latest` → (`docker.io/library/busybox`, `latest`)
pub fn split_name(name: &str) -> (String, String) {
    match Reference::parse(name) {
        Ok(r) => (r.repository(), r.tag.unwrap_or_else(|| "<none>".into())),
        Err(_) => (name.to_string(), "<none>".into()),
    }
}

fn to_json(i: &Image, size: u64) -> serde_json::Value {
    json!({
        "Id": i.id().hex(),
        "Digest": i.digest.to_string(),
        "RepoDigests": i.repo_digests,
        "Names": i.names,
        "RepoTags": i.names,
        "Created": i.created_epoch().unwrap_or(0),
        "CreatedAt": i.config.created,
        "Size": size,
        "Labels": i.config.config.labels,
    })
}

/// What an `images` template sees: one object per name, with the fields of
/// podman's image reporter.
fn template_fields(i: &Image, size: u64, no_trunc: bool) -> Vec<serde_json::Value> {
    let names: Vec<(String, String)> = if i.names.is_empty() {
        vec![("<none>".into(), "<none>".into())]
    } else {
        i.names.iter().map(|n| split_name(n)).collect()
    };
    let id = if no_trunc {
        i.id().to_string()
    } else {
        i.id().short().to_string()
    };
    let created = i.created_epoch().unwrap_or(0);
    let ago = format!(
        "{} ago",
        crate::time::human_duration(crate::time::now_wall() - created)
    );
    names
        .into_iter()
        .map(|(repo, tag)| {
            let mut v = to_json(i, size);
            let o = v.as_object_mut().expect("an object");
            for (k, val) in [
                ("ID", json!(id)),
                ("Digest", json!(digest_in(i, &repo))),
                ("Repository", json!(repo)),
                ("Tag", json!(tag)),
                ("Size", json!(output::human_size(size))),
                ("Created", json!(ago)),
                ("CreatedSince", json!(ago)),
                ("CreatedAt", json!(crate::time::go_string(created))),
            ] {
                o.insert(k.into(), val);
            }
            v
        })
        .collect()
}

/// Column headers as podman's `images` names them.
fn header(field: &str) -> String {
    match field {
        "ID" => "IMAGE ID".into(),
        "CreatedSince" | "Created" => "CREATED".into(),
        f => crate::template::default_header(f),
    }
}

struct Filter {
    repo: String,
    tag: Option<String>,
}

impl Filter {
    fn new(s: &str) -> Result<Filter> {
        let r = Reference::parse(s).map_err(anyhow::Error::msg)?;
        let explicit_tag = s.rsplit('/').next().is_some_and(|last| last.contains(':'));
        Ok(Filter {
            repo: r.repository(),
            tag: if explicit_tag { r.tag } else { None },
        })
    }

    fn matches(&self, i: &Image) -> bool {
        i.names.iter().any(|n| {
            let (repo, tag) = split_name(n);
            repo == self.repo && self.tag.as_ref().is_none_or(|t| *t == tag)
        })
    }
}
