//! A running container's processes, from /proc (`top`, `stats`): every
//! process in the container's pid namespace — those whose pid namespace is
//! its pid 1's — and their descendants (in namespaces nested below it),
//! with their ids as the container sees them.
//!
//! Only /proc is read; the container's /etc/passwd (for user names) is
//! opened beneath its root (`/proc/PID/root`) with RESOLVE_IN_ROOT, so a
//! symlink the container planted cannot lead outside it.

use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;

/// One process of a container.
#[derive(Debug, Clone)]
pub struct Proc {
    /// As the host sees it.
    pub host_pid: i32,
    /// As the container sees it, and its parent's (0: outside the container).
    pub pid: i32,
    pub ppid: i32,
    /// Effective uid and gid in the container.
    pub uid: u32,
    pub gid: u32,
    pub host_uid: u32,
    /// `R`, `S`, …
    pub state: char,
    pub comm: String,
    /// The command line; empty for a kernel-less zombie.
    pub args: Vec<String>,
    /// The controlling terminal (`pts/0`), or `?`.
    pub tty: String,
    pub nice: i64,
    pub pgid: i32,
    /// User + system CPU time, in seconds.
    pub cpu_secs: f64,
    /// Seconds since it started.
    pub elapsed_secs: f64,
    pub rss_bytes: u64,
    pub vsz_bytes: u64,
    /// Bytes read from and written to storage (/proc/PID/io), when readable.
    pub io: Option<(u64, u64)>,
}

/// The processes of the container whose pid 1 is host pid `pid1`, that
/// pid first.
pub fn of(pid1: i32) -> Result<Vec<Proc>> {
    let ns = |pid: i32| std::fs::read_link(format!("/proc/{pid}/ns/pid")).ok();
    let Some(own_ns) = ns(pid1) else {
        bail!("cannot read the pid namespace of the container's process {pid1}");
    };
    let depth = nspids(pid1)
        .context("reading the container's process")?
        .len()
        .checked_sub(1)
        .filter(|d| *d > 0)
        .context("the container's process is in no pid namespace of its own")?;
    let ticks = crate::sys::pidfd::clock_ticks() as f64;
    let uptime: f64 = std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|u| u.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    let page = crate::sys::pidfd::page_size();
    // Pass 1: every process's parent and namespace; members are those in
    // the container's namespace and, transitively, their children.
    let mut parents: BTreeMap<i32, i32> = BTreeMap::new();
    let mut members: Vec<i32> = Vec::new();
    for entry in std::fs::read_dir("/proc").context("reading /proc")? {
        let Some(pid) = entry
            .ok()
            .and_then(|e| e.file_name().to_str()?.parse::<i32>().ok())
        else {
            continue;
        };
        let Some(ppid) = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| crate::sys::pidfd::StatFields::parse(&s)?.num(4))
        else {
            continue;
        };
        parents.insert(pid, ppid as i32);
        if ns(pid).as_ref() == Some(&own_ns) {
            members.push(pid);
        }
    }
    let mut grew = true;
    while grew {
        grew = false;
        for (&pid, &ppid) in &parents {
            if !members.contains(&pid) && members.contains(&ppid) {
                members.push(pid);
                grew = true;
            }
        }
    }
    let uid_map = id_map(pid1, "uid_map");
    let gid_map = id_map(pid1, "gid_map");
    let mut ns_pid_of: BTreeMap<i32, i32> = BTreeMap::new();
    let mut procs = Vec::new();
    for &host_pid in &members {
        // A process may end between the passes: it is skipped.
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{host_pid}/stat")) else {
            continue;
        };
        let Ok(status) = std::fs::read_to_string(format!("/proc/{host_pid}/status")) else {
            continue;
        };
        let Some(f) = crate::sys::pidfd::StatFields::parse(&stat) else {
            continue;
        };
        let field = |k: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(k))
                .map(|v| v.split_ascii_whitespace().collect::<Vec<_>>())
                .unwrap_or_default()
        };
        let ids = field("NSpid:");
        let Some(pid) = ids.get(depth).and_then(|p| p.parse().ok()) else {
            continue;
        };
        ns_pid_of.insert(host_pid, pid);
        let id = |k: &str| {
            field(k)
                .get(1)
                .and_then(|v| v.parse::<u32>().ok())
                .unwrap_or(0)
        };
        let (host_uid, host_gid) = (id("Uid:"), id("Gid:"));
        let comm = stat
            .get(stat.find('(').map_or(0, |i| i + 1)..stat.rfind(')').unwrap_or(0))
            .unwrap_or("")
            .to_string();
        let args = std::fs::read(format!("/proc/{host_pid}/cmdline"))
            .map(|b| {
                b.split(|c| *c == 0)
                    .filter(|a| !a.is_empty())
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect()
            })
            .unwrap_or_default();
        let io = std::fs::read_to_string(format!("/proc/{host_pid}/io"))
            .ok()
            .map(|t| {
                let get = |k: &str| {
                    t.lines()
                        .find_map(|l| l.strip_prefix(k))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0)
                };
                (get("read_bytes:"), get("write_bytes:"))
            });
        let n = |i: usize| f.num(i).unwrap_or(0);
        procs.push(Proc {
            host_pid,
            pid,
            ppid: n(4) as i32,
            uid: map_id(&uid_map, host_uid),
            gid: map_id(&gid_map, host_gid),
            host_uid,
            state: f.state().map_or('?', char::from),
            comm,
            args,
            tty: tty_name(n(7)),
            nice: f.signed(19).unwrap_or(0),
            pgid: n(5) as i32,
            cpu_secs: (n(14) + n(15)) as f64 / ticks,
            elapsed_secs: (uptime - n(22) as f64 / ticks).max(0.0),
            rss_bytes: n(24) * page,
            vsz_bytes: n(23),
            io,
        });
    }
    // Parents and process groups as the container sees them.
    for p in &mut procs {
        p.ppid = ns_pid_of.get(&p.ppid).copied().unwrap_or(0);
        p.pgid = ns_pid_of.get(&p.pgid).copied().unwrap_or(0);
    }
    procs.sort_by_key(|p| (p.host_pid != pid1, p.pid));
    Ok(procs)
}

fn nspids(pid: i32) -> Result<Vec<String>> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    Ok(status
        .lines()
        .find_map(|l| l.strip_prefix("NSpid:"))
        .map(|l| l.split_ascii_whitespace().map(String::from).collect())
        .unwrap_or_default())
}

/// `inside outside count` lines of /proc/PID/{uid,gid}_map, as read from
/// berth's namespace (outside ids are berth's).
fn id_map(pid: i32, file: &str) -> Vec<(u32, u32, u32)> {
    std::fs::read_to_string(format!("/proc/{pid}/{file}"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace().map(|v| v.parse::<u32>().ok());
            Some((w.next()??, w.next()??, w.next()??))
        })
        .collect()
}

/// A host id as the container sees it (the overflow id 65534 when unmapped).
fn map_id(map: &[(u32, u32, u32)], host: u32) -> u32 {
    map.iter()
        .find(|(_, outside, count)| host >= *outside && host - outside < *count)
        .map_or(65534, |(inside, outside, _)| inside + (host - outside))
}

/// /proc/PID/stat's tty_nr as `ps` names it: `pts/N`, `ttyN`, or `?`.
fn tty_name(nr: u64) -> String {
    let major = (nr >> 8) & 0xfff;
    let minor = (nr & 0xff) | ((nr >> 12) & 0xfff00);
    match major {
        0 => "?".into(),
        136..=143 => format!("pts/{}", (major - 136) * 256 + minor),
        4 if minor < 64 => format!("tty{minor}"),
        _ => format!("{major}:{minor}"),
    }
}

/// User names from the container's /etc/passwd.
pub fn user_names(pid1: i32) -> BTreeMap<u32, String> {
    names(pid1, "etc/passwd")
}

/// Group names from the container's /etc/group.
pub fn group_names(pid1: i32) -> BTreeMap<u32, String> {
    names(pid1, "etc/group")
}

/// `name:x:id:…` lines of a file opened beneath the container's root.
fn names(pid1: i32, file: &str) -> BTreeMap<u32, String> {
    use std::ffi::CString;
    use std::io::Read;
    use std::os::fd::AsFd;
    let mut names = BTreeMap::new();
    let Ok(root) = std::fs::File::open(format!("/proc/{pid1}/root")) else {
        return names;
    };
    let Ok(path) = CString::new(file) else {
        return names;
    };
    let Ok(fd) = crate::sys::fs::openat2(
        root.as_fd(),
        &path,
        libc::O_RDONLY,
        0,
        crate::sys::fs::RESOLVE_IN_ROOT | crate::sys::fs::RESOLVE_NO_MAGICLINKS,
    ) else {
        return names;
    };
    let mut text = String::new();
    // A bound on what a container's file may make berth read.
    if std::fs::File::from(fd)
        .take(1 << 20)
        .read_to_string(&mut text)
        .is_err()
    {
        return names;
    }
    for line in text.lines() {
        let f: Vec<&str> = line.split(':').collect();
        if let (Some(name), Some(uid)) = (f.first(), f.get(2).and_then(|u| u.parse().ok())) {
            names.entry(uid).or_insert_with(|| name.to_string());
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_map_through_the_containers_map() {
        let map = [(0, 1000, 1), (1, 100000, 65536)];
        assert_eq!(map_id(&map, 1000), 0);
        assert_eq!(map_id(&map, 100000), 1);
        assert_eq!(map_id(&map, 100999), 1000);
        assert_eq!(map_id(&map, 5), 65534);
    }

    #[test]
    fn terminals_are_named_as_ps_names_them() {
        assert_eq!(tty_name(0), "?");
        assert_eq!(tty_name((136 << 8) | 3), "pts/3");
        assert_eq!(tty_name((4 << 8) | 1), "tty1");
    }
}
