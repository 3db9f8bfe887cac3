//! `berth stats [--no-stream] [--format json|TEMPLATE] [CONTAINER…]`: CPU,
//! memory, network, block I/O and process counts of running containers,
//! summed over their processes from /proc (berth gives containers no
//! cgroup of their own), in podman's columns.

use super::Ctx;
use crate::container::procs::{self, Proc};
use crate::container::{Containers, Meta, State};
use crate::template::{Template, default_header};
use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::Write;

/// Show running containers' resource use
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print one sample and exit
    #[arg(long)]
    no_stream: bool,
    /// json, table, or a Go template (`{{.Name}} {{.CPUPerc}} {{.MemUsage}}`)
    #[arg(long, value_name = "FORMAT")]
    format: Option<String>,
    /// Seconds between samples when streaming
    #[arg(short, long, default_value_t = 5, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..))]
    interval: u64,
    /// Show full container ids
    #[arg(long)]
    no_trunc: bool,
    /// Containers (name, id or id prefix) [default: every running one]
    containers: Vec<String>,
}

/// podman's default `stats` columns.
const DEFAULT: &str = r"table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";

/// One container's counters at one moment.
struct Sample {
    cpu_secs: f64,
    at: f64,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let template = match a.format.as_deref() {
        Some("json") => None,
        None | Some("table") => Some(Template::parse(DEFAULT)?),
        Some(f) => Some(Template::parse(f).with_context(|| format!("--format `{f}`"))?),
    };
    let containers = Containers::new(&ctx.layout);
    let mut last: BTreeMap<String, Sample> = BTreeMap::new();
    loop {
        let targets = targets(&containers, &a.containers)?;
        let mut rows = Vec::new();
        for m in &targets {
            let Some(pid1) = m.pid else { continue };
            // A container that ended since it was listed has nothing to show.
            let Ok(list) = procs::of(pid1) else { continue };
            let now = uptime();
            let since = last.get(&m.id);
            rows.push(row(m, pid1, &list, since, now, a.no_trunc));
            last.insert(
                m.id.clone(),
                Sample {
                    cpu_secs: list.iter().map(|p| p.cpu_secs).sum(),
                    at: now,
                },
            );
        }
        let text = match &template {
            None => {
                crate::term::escape_json(&serde_json::to_string_pretty(&rows)?).into_owned() + "\n"
            }
            Some(t) => t
                .render_all(&rows.iter().map(Row::fields).collect::<Vec<_>>(), &header)
                .with_context(|| format!("--format `{}`", a.format.as_deref().unwrap_or("")))?,
        };
        let mut out = std::io::stdout().lock();
        if !a.no_stream {
            // A display refresh: clear the screen, as podman does.
            out.write_all(b"\x1b[2J\x1b[H")?;
        }
        out.write_all(text.as_bytes())?;
        out.flush()?;
        if a.no_stream {
            return Ok(0);
        }
        drop(out);
        // One blocking wait per refresh: a display interval, not polling
        // for an event.
        std::thread::sleep(std::time::Duration::from_secs(a.interval));
    }
}

/// The named containers, each of which must be running, or every running one.
fn targets(containers: &Containers, names: &[String]) -> Result<Vec<Meta>> {
    let running = |m: &Meta| matches!(m.state, State::Running | State::Orphaned);
    if names.is_empty() {
        return Ok(super::rm::sweep(containers)
            .into_iter()
            .filter(running)
            .collect());
    }
    let mut out = Vec::new();
    for n in names {
        let mut m = containers.find(n)?;
        containers.settle(&mut m)?;
        if !running(&m) {
            bail!("container {} is not running", m.name);
        }
        out.push(m);
    }
    Ok(out)
}

fn row(
    m: &Meta,
    pid1: i32,
    list: &[Proc],
    since: Option<&Sample>,
    now: f64,
    no_trunc: bool,
) -> Row {
    let cpu: f64 = list.iter().map(|p| p.cpu_secs).sum();
    let lifetime = list.first().map_or(0.0, |p| p.elapsed_secs);
    // The first sample covers the container's life (as podman's first);
    // later ones the time since the one before.
    let pct = |cpu: f64, secs: f64| if secs > 0.0 { 100.0 * cpu / secs } else { 0.0 };
    let cpu_pct = match since {
        Some(s) => pct(cpu - s.cpu_secs, now - s.at),
        None => pct(cpu, lifetime),
    };
    let mem: u64 = list.iter().map(|p| p.rss_bytes).sum();
    let limit = mem_total();
    let (rx, tx) = net_io(pid1);
    let (read, written) = list
        .iter()
        .filter_map(|p| p.io)
        .fold((0, 0), |(r, w), (pr, pw)| (r + pr, w + pw));
    let size = |n: u64| super::output::human_size(n).replace(' ', "");
    let id = if no_trunc { &m.id[..] } else { &m.id[..12] };
    let mem_pct = if limit > 0 {
        100.0 * mem as f64 / limit as f64
    } else {
        0.0
    };
    Row {
        id: id.to_string(),
        name: m.name.clone(),
        cpu_time: super::top::go_duration(cpu),
        cpu_percent: format!("{cpu_pct:.2}%"),
        avg_cpu: format!("{:.2}%", pct(cpu, lifetime)),
        mem_usage: format!("{} / {}", size(mem), size(limit)),
        mem_percent: format!("{mem_pct:.2}%"),
        net_io: format!("{} / {}", size(rx), size(tx)),
        block_io: format!("{} / {}", size(read), size(written)),
        pids: list.len().to_string(),
        up_time: super::top::go_duration(lifetime),
    }
}

/// One container's line: `--format json` shows these names (podman's).
#[derive(serde::Serialize)]
struct Row {
    id: String,
    name: String,
    cpu_time: String,
    cpu_percent: String,
    avg_cpu: String,
    mem_usage: String,
    mem_percent: String,
    net_io: String,
    block_io: String,
    pids: String,
    #[serde(skip)]
    up_time: String,
}

impl Row {
    /// What a template sees: podman's reporter fields.
    fn fields(&self) -> Value {
        json!({
            "ID": self.id,
            "Name": self.name,
            "CPUPerc": self.cpu_percent,
            "MemUsage": self.mem_usage,
            "MemPerc": self.mem_percent,
            "NetIO": self.net_io,
            "BlockIO": self.block_io,
            "PIDs": self.pids,
            "CPU": self.cpu_time,
            "AVGCPU": self.avg_cpu,
            "UpTime": self.up_time,
        })
    }
}

/// Column headers as podman's `stats` names them.
fn header(field: &str) -> String {
    match field {
        "Name" => "NAME".into(),
        "CPUPerc" => "CPU %".into(),
        "MemUsage" => "MEM USAGE / LIMIT".into(),
        "MemPerc" => "MEM %".into(),
        "NetIO" => "NET IO".into(),
        "BlockIO" => "BLOCK IO".into(),
        "PIDs" => "PIDS".into(),
        "CPU" => "CPU TIME".into(),
        "AVGCPU" => "AVG CPU %".into(),
        f => default_header(f),
    }
}

fn uptime() -> f64 {
    std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|u| u.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}

/// The host's memory: the limit when no cgroup sets one.
fn mem_total() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// Bytes received and sent on the container's interfaces but `lo`
/// (/proc/PID/net/dev shows the network namespace of PID).
fn net_io(pid1: i32) -> (u64, u64) {
    let text = std::fs::read_to_string(format!("/proc/{pid1}/net/dev")).unwrap_or_default();
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(name, _)| name.trim() != "lo")
        .filter_map(|(_, v)| {
            let f: Vec<u64> = v
                .split_whitespace()
                .filter_map(|n| n.parse().ok())
                .collect();
            Some((*f.first()?, *f.get(8)?))
        })
        .fold((0, 0), |(r, t), (a, b)| (r + a, t + b))
}
