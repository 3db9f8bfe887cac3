//! `berth ps`

use super::Ctx;
use super::output;
use crate::container::list::{self, Filters, Sizes};
use crate::container::{Containers, Meta, State};
use crate::template::{Template, default_header};
use anyhow::{Context, Result};
use std::io::Write;

/// List containers
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Show stopped containers too
    #[arg(short, long)]
    all: bool,
    /// Print container ids only
    #[arg(short, long, conflicts_with = "size")]
    quiet: bool,
    /// Do not truncate ids and commands
    #[arg(long)]
    no_trunc: bool,
    /// Show only the latest created container (all states)
    #[arg(short, long, conflicts_with = "last")]
    latest: bool,
    /// Show the N latest created containers (all states)
    #[arg(short = 'n', long, value_name = "N")]
    last: Option<usize>,
    /// Show the sizes of the writable layer and the whole root filesystem
    #[arg(short, long)]
    size: bool,
    /// Only containers matching KEY=VALUE: status, name, ancestor, label, id, exited
    /// (repeated: the same key ORs, different keys AND)
    #[arg(short, long, value_name = "KEY=VALUE")]
    filter: Vec<String>,
    /// json, table, or a Go template (`{{.ID}} {{.Names}}`, `table {{.ID}}\t{{.Status}}`)
    #[arg(long, value_name = "FORMAT")]
    format: Option<String>,
}

/// podman's default `ps` columns.
const DEFAULT: &str = r"table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.CreatedHuman}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let filters = Filters::parse(&a.filter)?;
    let default = if a.size {
        format!(r"{DEFAULT}\t{{{{.Size}}}}")
    } else {
        DEFAULT.to_string()
    };
    // The user's template is checked before anything is read.
    let template = match a.format.as_deref() {
        Some("json") => None,
        None | Some("table") => Some((Template::parse(&default)?, default)),
        Some(f) => Some((
            Template::parse(f).with_context(|| format!("--format `{f}`"))?,
            f.to_string(),
        )),
    };
    let containers = Containers::new(&ctx.layout);
    let mut list: Vec<Meta> = super::rm::sweep(&containers)
        .into_iter()
        .filter(|m| {
            a.all
                || a.latest
                || a.last.is_some()
                || matches!(m.state, State::Running | State::Orphaned)
        })
        .filter(|m| filters.matches(m))
        .collect();
    // Newest first, as podman sorts by default.
    list.sort_by_key(|m| std::cmp::Reverse(list::created_order(m)));
    if let Some(n) = a.last.or(a.latest.then_some(1)) {
        list.truncate(n);
    }
    let id = |i: &str| if a.no_trunc { i } else { &i[..12] }.to_string();
    if a.quiet && a.format.is_none() {
        output::lines(list.iter().map(|m| id(&m.id)))?;
        return Ok(0);
    }
    let now = crate::time::now_wall();
    let store = a
        .size
        .then(|| crate::store::Store::open_existing(ctx.root()))
        .flatten();
    let images = store
        .as_ref()
        .map(|s| s.images())
        .transpose()?
        .unwrap_or_default();
    // Upper dirs hold directories only container ids may read: counted
    // with the helper when needed, all in one go.
    let rw_sizes: Vec<u64> = if a.size {
        let uppers: Vec<std::path::PathBuf> = list
            .iter()
            .map(|m| {
                let [upper, ..] = ctx.layout.container_rootfs_dirs(&m.id);
                upper
            })
            .collect();
        crate::helper::disk_usage(&uppers)
            .into_iter()
            .zip(list.iter())
            .map(|(r, m)| {
                r.unwrap_or_else(|e| {
                    log::warn!("container {}: size not counted: {e:#}", m.name);
                    0
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    let (listings, nets): (Vec<serde_json::Value>, Vec<list::Net>) = list
        .iter()
        .enumerate()
        .map(|(n, m)| {
            let spec = containers.config(&m.id).unwrap_or_else(|e| {
                log::debug!("container {}: {e:#}", m.id);
                None
            });
            let mounts = containers.user_mounts(&m.id, spec.as_ref());
            let size = a.size.then(|| {
                let rw = rw_sizes[n];
                let image = images.iter().find(|i| i.id().hex() == m.image_id);
                let image_size = match (image, &store) {
                    (Some(i), Some(s)) => s.image_size(i),
                    _ => 0,
                };
                Sizes {
                    rw,
                    root_fs: image_size + rw,
                }
            });
            let net = net_of(&containers, &m.id);
            (list::listing(m, &mounts, &net, size, now), net)
        })
        .collect();
    let Some((template, source)) = template else {
        // JSON stays JSON; the characters a terminal would act on are \u escapes.
        let text = serde_json::to_string_pretty(&listings)?;
        writeln!(
            std::io::stdout().lock(),
            "{}",
            crate::term::escape_json(&text)
        )?;
        return Ok(0);
    };
    let fields: Vec<serde_json::Value> = listings
        .iter()
        .zip(&list)
        .zip(&nets)
        .map(|((l, m), net)| list::template_fields(l, m, net, a.no_trunc, now, output::human_size))
        .collect();
    let text = template
        .render_all(&fields, &header)
        .with_context(|| format!("--format `{source}`"))?;
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(0)
}

/// The container's network mode and published ports, from its bundle
/// (none known when it has none, or it cannot be read).
pub(super) fn net_of(containers: &Containers, id: &str) -> list::Net {
    let plan = crate::spec::bundle::read_network(&containers.dir_of(id)).unwrap_or_else(|e| {
        log::debug!("container {id}: {e:#}");
        None
    });
    let Some(plan) = plan else {
        return list::Net::default();
    };
    list::Net {
        mode: plan.mode_name().to_string(),
        ports: plan
            .ports()
            .iter()
            .map(|p| list::Port {
                host_ip: p.host_ip.map(|ip| ip.to_string()).unwrap_or_default(),
                host_port: p.host_port,
                container_port: p.container_port,
                protocol: p.proto.name(),
            })
            .collect(),
    }
}

/// Column headers as podman's `ps` names them.
fn header(field: &str) -> String {
    match field {
        "ID" => "CONTAINER ID".into(),
        "CreatedHuman" => "CREATED".into(),
        "RunningFor" => "RUNNING FOR".into(),
        "Restarts" => "RESTARTS".into(),
        f => default_header(f),
    }
}
