//! `berth system df`: what images, containers, local volumes and the build
//! cache take, as podman and docker tabulate it (TYPE TOTAL ACTIVE SIZE
//! RECLAIMABLE).
//!
//! Images are counted from the layer records (each layer's uncompressed
//! size, once however many images share it: the SIZE `berth images`
//! shows), so nothing is walked. Containers' upper directories and volumes
//! are walked, through the user namespace helper when a directory belongs
//! to a container id (`helper::disk_usage`). Something that cannot be
//! counted is shown as uncounted, with a warning naming it: never as 0 B.

use super::Ctx;
use super::output::{self, human_size};
use crate::container::volume::{Volumes, users};
use crate::container::{Containers, State};
use crate::store::digest::Digest;
use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// One TYPE row: a sum over items, some of which may be uncounted.
#[derive(Default)]
struct Row {
    total: usize,
    active: usize,
    size: u64,
    reclaimable: u64,
    uncounted: usize,
}

impl Row {
    fn add(&mut self, size: &Option<u64>, active: bool) {
        self.total += 1;
        self.active += usize::from(active);
        match size {
            Some(n) => {
                self.size = self.size.saturating_add(*n);
                if !active {
                    self.reclaimable = self.reclaimable.saturating_add(*n);
                }
            }
            None => self.uncounted += 1,
        }
    }

    fn size_text(&self) -> String {
        with_uncounted(human_size(self.size), self.uncounted)
    }

    fn reclaimable_text(&self) -> String {
        let pct = (self.reclaimable as f64 * 100.0 / self.size.max(1) as f64).round();
        with_uncounted(
            format!("{} ({pct}%)", human_size(self.reclaimable)),
            self.uncounted,
        )
    }

    fn json(&self, kind: &str) -> Value {
        json!({
            "Type": kind,
            "Total": self.total,
            "Active": self.active,
            "Size": self.size_text(),
            "Reclaimable": self.reclaimable_text(),
            "RawSize": self.size,
            "RawReclaimable": self.reclaimable,
            "Uncounted": self.uncounted,
        })
    }
}

fn with_uncounted(text: String, uncounted: usize) -> String {
    if uncounted == 0 {
        text
    } else {
        format!("{text} + {uncounted} uncounted")
    }
}

fn size_cell(size: &Option<u64>) -> String {
    size.map_or_else(|| "uncounted".to_string(), human_size)
}

/// Sizes of `paths`, an uncountable one as `None` after a warning naming
/// `what` of it.
fn walk_sizes(paths: &[std::path::PathBuf], what: &[String]) -> Vec<Option<u64>> {
    crate::helper::disk_usage(paths)
        .into_iter()
        .zip(what)
        .map(|(r, w)| match r {
            Ok(n) => Some(n),
            Err(e) => {
                log::warn!("{w}: not counted: {e:#}");
                None
            }
        })
        .collect()
}

pub fn run(ctx: &Ctx, verbose: bool, format: Option<&str>) -> Result<i32> {
    let template = match format {
        None | Some("table" | "json") => None,
        Some(f) => {
            if verbose {
                bail!("--format with a template lists the rows only: drop -v");
            }
            Some(crate::template::Template::parse(f).with_context(|| format!("--format `{f}`"))?)
        }
    };
    let containers = Containers::new(&ctx.layout);
    let ctrs = super::rm::sweep(&containers);
    let store = crate::store::Store::open_existing(ctx.root());
    let images = match &store {
        Some(s) => s.images()?,
        None => Vec::new(),
    };

    // Images: each layer once, its record's size.
    let used_images: BTreeSet<&str> = ctrs.iter().map(|m| m.image_id.as_str()).collect();
    let mut layer_users: BTreeMap<Digest, (u64, usize, bool)> = BTreeMap::new();
    for i in &images {
        let active = used_images.contains(i.id().hex());
        for (c, l) in i.chain_ids().into_iter().zip(&i.manifest.layers) {
            let size = store
                .as_ref()
                .and_then(|s| s.layer_size(&c))
                .unwrap_or(l.size);
            let e = layer_users.entry(c).or_insert((size, 0, false));
            e.1 += 1;
            e.2 |= active;
        }
    }
    let mut image_row = Row::default();
    let mut seen_ids = BTreeSet::new();
    for i in &images {
        if !seen_ids.insert(i.id().clone()) {
            continue;
        }
        let active = used_images.contains(i.id().hex());
        image_row.total += 1;
        image_row.active += usize::from(active);
        image_row.size = image_row.size.saturating_add(i.manifest.config.size);
        if !active {
            image_row.reclaimable = image_row.reclaimable.saturating_add(i.manifest.config.size);
        }
    }
    for (size, _, active) in layer_users.values() {
        image_row.size = image_row.size.saturating_add(*size);
        if !active {
            image_row.reclaimable = image_row.reclaimable.saturating_add(*size);
        }
    }

    // Containers: their upper directories.
    let uppers: Vec<_> = ctrs
        .iter()
        .map(|m| ctx.layout.container_rootfs_dirs(&m.id)[0].clone())
        .collect();
    let names: Vec<String> = ctrs
        .iter()
        .map(|m| format!("container {}", m.name))
        .collect();
    let ctr_sizes = walk_sizes(&uppers, &names);
    let mut ctr_row = Row::default();
    for (m, size) in ctrs.iter().zip(&ctr_sizes) {
        ctr_row.add(size, matches!(m.state, State::Running | State::Orphaned));
    }

    // Volumes: their `_data`.
    let vols = Volumes::new(&ctx.layout).list()?;
    let vol_users = users(&containers)?;
    let datas: Vec<_> = vols.iter().map(|v| v.data.clone()).collect();
    let names: Vec<String> = vols.iter().map(|v| format!("volume {}", v.name)).collect();
    let vol_sizes = walk_sizes(&datas, &names);
    let mut vol_row = Row::default();
    for (v, size) in vols.iter().zip(&vol_sizes) {
        vol_row.add(size, vol_users.contains_key(&v.name));
    }

    // Build cache: the layers its entries name that no image has.
    let mut cache_row = Row::default();
    if let Ok(entries) = std::fs::read_dir(ctx.layout.cache()) {
        let mut counted = BTreeSet::new();
        for e in entries.flatten() {
            let chain = std::fs::read(e.path())
                .ok()
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
                .and_then(|v| v.get("chain")?.as_str().map(str::to_string))
                .and_then(|c| Digest::parse(&c).ok());
            cache_row.total += 1;
            let Some(chain) = chain else { continue };
            if layer_users.contains_key(&chain) || !counted.insert(chain.clone()) {
                continue;
            }
            if let Some(n) = store.as_ref().and_then(|s| s.layer_size(&chain)) {
                cache_row.size = cache_row.size.saturating_add(n);
                cache_row.reclaimable = cache_row.reclaimable.saturating_add(n);
            }
        }
    }

    let rows = [
        ("Images", &image_row),
        ("Containers", &ctr_row),
        ("Local Volumes", &vol_row),
        ("Build Cache", &cache_row),
    ];
    if format == Some("json") {
        let summary: Vec<Value> = rows.iter().map(|(k, r)| r.json(k)).collect();
        if !verbose {
            return output::json(&summary).map(|_| 0);
        }
        let image_items: Vec<Value> = images
            .iter()
            .map(|i| {
                json!({
                    "Id": i.id().hex(),
                    "Names": i.names,
                    "Size": store.as_ref().map_or(0, |s| s.image_size(i)),
                    "Containers": ctrs.iter().filter(|m| m.image_id == i.id().hex()).count(),
                })
            })
            .collect();
        let ctr_items: Vec<Value> = ctrs
            .iter()
            .zip(&ctr_sizes)
            .map(|(m, s)| json!({"Id": m.id, "Names": m.name, "Image": m.image, "Size": s}))
            .collect();
        let vol_items: Vec<Value> = vols
            .iter()
            .zip(&vol_sizes)
            .map(|(v, s)| {
                json!({
                    "Name": v.name,
                    "Links": vol_users.get(&v.name).map_or(0, Vec::len),
                    "Size": s,
                })
            })
            .collect();
        return output::json(&json!({
            "Summary": summary,
            "Images": image_items,
            "Containers": ctr_items,
            "Volumes": vol_items,
        }))
        .map(|_| 0);
    }
    if let Some(t) = template {
        let items: Vec<Value> = rows.iter().map(|(k, r)| r.json(k)).collect();
        let text = t
            .render_all(&items, &crate::template::default_header)
            .with_context(|| format!("--format `{}`", format.unwrap_or_default()))?;
        std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes())?;
        return Ok(0);
    }
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|(k, r)| {
            vec![
                k.to_string(),
                r.total.to_string(),
                r.active.to_string(),
                r.size_text(),
                r.reclaimable_text(),
            ]
        })
        .collect();
    output::table(&["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"], &table)?;
    if !verbose {
        return Ok(0);
    }
    println!("\nImages space usage:\n");
    let mut rows = Vec::new();
    for i in &images {
        let chains = i.chain_ids();
        let (mut shared, mut unique) = (0u64, i.manifest.config.size);
        for c in &chains {
            if let Some((size, n, _)) = layer_users.get(c) {
                if *n > 1 {
                    shared = shared.saturating_add(*size);
                } else {
                    unique = unique.saturating_add(*size);
                }
            }
        }
        let (repo, tag) = i
            .names
            .first()
            .map(|n| super::images::split_name(n))
            .unwrap_or_else(|| ("<none>".into(), "<none>".into()));
        rows.push(vec![
            repo,
            tag,
            i.id().short().to_string(),
            i.created_epoch().map(crate::time::ago).unwrap_or_default(),
            human_size(shared.saturating_add(unique)),
            human_size(shared),
            human_size(unique),
            ctrs.iter()
                .filter(|m| m.image_id == i.id().hex())
                .count()
                .to_string(),
        ]);
    }
    output::table(
        &[
            "REPOSITORY",
            "TAG",
            "IMAGE ID",
            "CREATED",
            "SIZE",
            "SHARED SIZE",
            "UNIQUE SIZE",
            "CONTAINERS",
        ],
        &rows,
    )?;
    println!("\nContainers space usage:\n");
    let rows: Vec<Vec<String>> = ctrs
        .iter()
        .zip(&ctr_sizes)
        .map(|(m, s)| {
            vec![
                m.id.get(..12).unwrap_or(&m.id).to_string(),
                m.image.clone(),
                m.command.join(" "),
                size_cell(s),
                crate::container::list::state_name(&m.state).to_string(),
                m.name.clone(),
            ]
        })
        .collect();
    output::table(
        &[
            "CONTAINER ID",
            "IMAGE",
            "COMMAND",
            "SIZE",
            "STATUS",
            "NAMES",
        ],
        &rows,
    )?;
    println!("\nLocal Volumes space usage:\n");
    let rows: Vec<Vec<String>> = vols
        .iter()
        .zip(&vol_sizes)
        .map(|(v, s)| {
            vec![
                v.name.clone(),
                vol_users.get(&v.name).map_or(0, Vec::len).to_string(),
                size_cell(s),
            ]
        })
        .collect();
    output::table(&["VOLUME NAME", "LINKS", "SIZE"], &rows)?;
    Ok(0)
}
