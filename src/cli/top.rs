//! `berth top CONTAINER [DESCRIPTOR…]`: the container's processes, from
//! /proc, in the columns of `podman top` (psgo's AIX descriptors), pids as
//! the container sees them.

use super::Ctx;
use crate::container::procs::{self, Proc};
use crate::container::{Containers, State};
use anyhow::{Result, bail};

/// Show the processes running in a container
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The container (name, id or id prefix)
    container: String,
    /// Columns: user, pid, ppid, pcpu, etime, tty, time, args, comm, group,
    /// nice, pgid, rss, vsz, state, huser, hpid
    /// [default: user pid ppid pcpu etime tty time args]
    #[arg(value_name = "DESCRIPTOR")]
    descriptors: Vec<String>,
}

const DEFAULT: &[&str] = &[
    "user", "pid", "ppid", "pcpu", "etime", "tty", "time", "args",
];

/// Each descriptor's header, as psgo names it.
const HEADERS: &[(&str, &str)] = &[
    ("user", "USER"),
    ("pid", "PID"),
    ("ppid", "PPID"),
    ("pcpu", "%CPU"),
    ("etime", "ELAPSED"),
    ("tty", "TTY"),
    ("time", "TIME"),
    ("args", "COMMAND"),
    ("comm", "COMMAND"),
    ("group", "GROUP"),
    ("nice", "NI"),
    ("pgid", "PGID"),
    ("rss", "RSS"),
    ("vsz", "VSZ"),
    ("state", "STATE"),
    ("huser", "HUSER"),
    ("hpid", "HPID"),
];

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    // `top c -eo pid,args`-style: comma lists split, as podman accepts them.
    let wanted: Vec<String> = if a.descriptors.is_empty() {
        DEFAULT.iter().map(|s| s.to_string()).collect()
    } else {
        (a.descriptors.iter())
            .flat_map(|d| d.split(','))
            .filter(|d| !d.is_empty())
            .map(str::to_string)
            .collect()
    };
    let mut header = Vec::new();
    for d in &wanted {
        match HEADERS.iter().find(|(k, _)| k == d) {
            Some((_, h)) => header.push(*h),
            None => bail!(
                "unknown descriptor `{d}`: use {}",
                HEADERS
                    .iter()
                    .map(|(k, _)| *k)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
    let containers = Containers::new(&ctx.layout);
    let mut m = containers.find(&a.container)?;
    containers.settle(&mut m)?;
    let (Some(pid1), true) = (m.pid, matches!(m.state, State::Running | State::Orphaned)) else {
        bail!("container {} is not running", m.name);
    };
    let list = procs::of(pid1)?;
    // The pid may have been reused since the record was read.
    if !crate::container::Process::of(pid1).is_ok_and(|p| Some(p.start) == m.pid_start) {
        bail!("container {} is not running", m.name);
    }
    let users = procs::user_names(pid1);
    let groups = procs::group_names(pid1);
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|p| wanted.iter().map(|d| cell(d, p, &users, &groups)).collect())
        .collect();
    // Cells are escaped by the table: command lines are the container's.
    super::output::table(&header, &rows)?;
    Ok(0)
}

fn cell(
    d: &str,
    p: &Proc,
    users: &std::collections::BTreeMap<u32, String>,
    groups: &std::collections::BTreeMap<u32, String>,
) -> String {
    match d {
        "user" => users
            .get(&p.uid)
            .cloned()
            .unwrap_or_else(|| p.uid.to_string()),
        "group" => groups
            .get(&p.gid)
            .cloned()
            .unwrap_or_else(|| p.gid.to_string()),
        "huser" => p.host_uid.to_string(),
        "pid" => p.pid.to_string(),
        "hpid" => p.host_pid.to_string(),
        "ppid" => p.ppid.to_string(),
        "pgid" => p.pgid.to_string(),
        "pcpu" => {
            let pct = if p.elapsed_secs > 0.0 {
                100.0 * p.cpu_secs / p.elapsed_secs
            } else {
                0.0
            };
            format!("{pct:.3}")
        }
        "etime" => go_duration(p.elapsed_secs),
        "time" => go_duration(p.cpu_secs),
        "tty" => p.tty.clone(),
        "args" if !p.args.is_empty() => p.args.join(" "),
        "args" => format!("[{}]", p.comm),
        "comm" => p.comm.clone(),
        "nice" => p.nice.to_string(),
        "rss" => (p.rss_bytes / 1024).to_string(),
        "vsz" => (p.vsz_bytes / 1024).to_string(),
        "state" => p.state.to_string(),
        _ => String::new(),
    }
}

/// A duration as Go's `time.Duration.String` writes it (`1m2.5s`, `0s`),
/// which psgo's ELAPSED and TIME columns use. Microsecond precision: /proc
/// has no finer.
pub(super) fn go_duration(secs: f64) -> String {
    let micros = (secs * 1e6).round() as u64;
    if micros == 0 {
        return "0s".into();
    }
    if micros < 1_000_000 {
        let ms = micros as f64 / 1000.0;
        return format!("{}ms", trim(format!("{ms:.3}")));
    }
    let (h, rest) = (micros / 3_600_000_000, micros % 3_600_000_000);
    let (m, us) = (rest / 60_000_000, rest % 60_000_000);
    let s = trim(format!("{:.6}", us as f64 / 1e6));
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, m) => format!("{m}m{s}s"),
        (h, m) => format!("{h}h{m}m{s}s"),
    }
}

fn trim(n: String) -> String {
    if n.contains('.') {
        n.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        n
    }
}

#[cfg(test)]
mod tests {
    use super::go_duration;

    #[test]
    fn durations_read_as_gos() {
        assert_eq!(go_duration(0.0), "0s");
        assert_eq!(go_duration(0.01), "10ms");
        assert_eq!(go_duration(5.25), "5.25s");
        assert_eq!(go_duration(62.5), "1m2.5s");
        assert_eq!(go_duration(3600.0), "1h0m0s");
    }
}
