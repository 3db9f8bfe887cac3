//! Id mappings: /etc/subuid, /etc/subgid, newuidmap/newgidmap, single-id fallback.
//!
//! Podman's convention for a rootless user with a subordinate range: container id 0 is the
//! user's own id, container ids 1..=N are the start of the range, N capped so that container
//! ids stop at 65535. Without a range (or without the setuid helpers) container root is the
//! user alone. Real root gets the identity mapping.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Once;

use anyhow::{Context, bail};

/// Container ids a mapping with a range covers: 0..=65535 (Podman's default size).
const MAX_CONTAINER_IDS: u32 = 65536;

/// One line of a uid_map/gid_map: `size` ids starting at `container` map onto `host`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdRange {
    pub container: u32,
    pub host: u32,
    pub size: u32,
}

/// The uid and gid mappings of a user namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdMapping {
    pub uids: Vec<IdRange>,
    pub gids: Vec<IdRange>,
}

impl IdMapping {
    /// The mapping for the user running berth.
    ///
    /// - Real root (euid 0): the identity mapping of every id berth's own namespace has
    ///   (0..=4294967294 on the host; 4294967295 is the invalid id and cannot be mapped; inside
    ///   a container only the ids it was given, or writing the map would fail). Root writes
    ///   the maps itself, needs no helper, and callers treat euid 0 as "extract directly,
    ///   chown works".
    /// - A user with an /etc/subuid and an /etc/subgid entry and newuidmap/newgidmap on PATH
    ///   (or in /usr/bin): container 0 -> the user's uid (gid -> primary gid), container
    ///   1..=N -> the first range of at least one id, N <= 65535.
    /// - Otherwise: container 0 -> the user alone, with one warning per process naming the fix.
    pub fn for_current_user() -> anyhow::Result<IdMapping> {
        if nix::unistd::geteuid().is_root() {
            return Ok(IdMapping::identity_of_current_ns());
        }
        let uid = nix::unistd::getuid().as_raw();
        let gid = nix::unistd::getgid().as_raw();
        let user = nix::unistd::User::from_uid(uid.into())
            .with_context(|| format!("looking up the name of uid {uid}"))?
            .map(|u| u.name)
            // A uid without a passwd entry can still have a numeric subuid entry.
            .unwrap_or_else(|| uid.to_string());
        let subuid = read_optional(Path::new("/etc/subuid"))?;
        let subgid = read_optional(Path::new("/etc/subgid"))?;
        let mapping = IdMapping::from_subid(&user, uid, gid, &subuid, &subgid);
        if !mapping.has_range() {
            let why = if find_subid(&user, uid, &subuid).is_none() {
                format!("no subuid range for {user} in /etc/subuid")
            } else {
                format!("no subgid range for {user} in /etc/subgid")
            };
            warn_once(&format!(
                "{why}; container root maps to uid {uid} only \
                 (fix: give {user} a range no other user has, e.g. \
                 `usermod --add-subuids 524288-589823 --add-subgids 524288-589823 {user}`)"
            ));
            return Ok(mapping);
        }
        for tool in ["newuidmap", "newgidmap"] {
            if find_tool(tool).is_none() {
                warn_once(&format!(
                    "{tool} not found on PATH or in /usr/bin; container root maps to uid {uid} only \
                     (fix: install the uidmap package)"
                ));
                return Ok(IdMapping::single(uid, gid));
            }
        }
        Ok(mapping)
    }

    /// The mapping for `user` (uid `uid`, primary gid `gid`) given the contents of
    /// /etc/subuid and /etc/subgid. Both files are keyed by user name or numeric uid.
    /// Comments, blank and malformed lines are skipped; the first range of at least one id wins.
    pub fn from_subid(user: &str, uid: u32, gid: u32, subuid: &str, subgid: &str) -> IdMapping {
        match (find_subid(user, uid, subuid), find_subid(user, uid, subgid)) {
            (Some((ustart, ucount)), Some((gstart, gcount))) => IdMapping {
                uids: vec![
                    IdRange {
                        container: 0,
                        host: uid,
                        size: 1,
                    },
                    IdRange {
                        container: 1,
                        host: ustart,
                        size: ucount.min(MAX_CONTAINER_IDS - 1),
                    },
                ],
                gids: vec![
                    IdRange {
                        container: 0,
                        host: gid,
                        size: 1,
                    },
                    IdRange {
                        container: 1,
                        host: gstart,
                        size: gcount.min(MAX_CONTAINER_IDS - 1),
                    },
                ],
            },
            _ => IdMapping::single(uid, gid),
        }
    }

    /// Container root is `uid`/`gid` and nothing else is mapped.
    pub fn single(uid: u32, gid: u32) -> IdMapping {
        IdMapping {
            uids: vec![IdRange {
                container: 0,
                host: uid,
                size: 1,
            }],
            gids: vec![IdRange {
                container: 0,
                host: gid,
                size: 1,
            }],
        }
    }

    /// Every id maps to itself (real root).
    pub fn identity() -> IdMapping {
        let all = IdRange {
            container: 0,
            host: 0,
            size: u32::MAX,
        };
        IdMapping {
            uids: vec![all.clone()],
            gids: vec![all],
        }
    }

    /// Every id mapped in berth's own user namespace maps to itself. /proc/self/*_map lists
    /// them as "inside outside size"; only "inside" and "size" matter one level down.
    fn identity_of_current_ns() -> IdMapping {
        let read = |file: &str| {
            std::fs::read_to_string(format!("/proc/self/{file}"))
                .ok()
                .map(|text| identity_of_proc_map(&text))
                .filter(|ranges| !ranges.is_empty())
        };
        match (read("uid_map"), read("gid_map")) {
            (Some(uids), Some(gids)) => IdMapping { uids, gids },
            _ => IdMapping::identity(),
        }
    }

    /// podman's `--userns=keep-id`: the user's own `uid`/`gid` appear as
    /// themselves in the container; the subordinate ids fill container ids
    /// 0..uid and what follows. Without a range only the user's id is mapped.
    pub fn keep_id(&self, uid: u32, gid: u32) -> IdMapping {
        fn shift(ranges: &[IdRange], own: u32) -> Vec<IdRange> {
            let user = ranges
                .iter()
                .find(|r| r.container == 0)
                .map(|r| r.host)
                .unwrap_or(own);
            let mut out = vec![IdRange {
                container: own,
                host: user,
                size: 1,
            }];
            let sub = ranges.iter().find(|r| r.container != 0);
            if let Some(sub) = sub {
                let below = sub.size.min(own);
                if below > 0 {
                    out.push(IdRange {
                        container: 0,
                        host: sub.host,
                        size: below,
                    });
                }
                if sub.size > below {
                    out.push(IdRange {
                        container: own + 1,
                        host: sub.host + below,
                        size: sub.size - below,
                    });
                }
            }
            out
        }
        IdMapping {
            uids: shift(&self.uids, uid),
            gids: shift(&self.gids, gid),
        }
    }

    /// The mapping a process running as container `uid`:`gid` needs.
    /// Without a range only one id is mapped, container root: then the
    /// user's own id becomes `uid`/`gid` instead, so `-u 1000` works (the
    /// namespace's creator keeps its capabilities for setup either way).
    pub fn for_process(self, uid: u32, gid: u32) -> IdMapping {
        if self.has_range() || nix::unistd::geteuid().is_root() || (uid == 0 && gid == 0) {
            return self;
        }
        let host_uid = self
            .host_uid(0)
            .unwrap_or_else(|| nix::unistd::getuid().as_raw());
        let host_gid = self
            .host_gid(0)
            .unwrap_or_else(|| nix::unistd::getgid().as_raw());
        IdMapping {
            uids: vec![IdRange {
                container: uid,
                host: host_uid,
                size: 1,
            }],
            gids: vec![IdRange {
                container: gid,
                host: host_gid,
                size: 1,
            }],
        }
    }

    /// More than the single id is mapped (for uids or gids).
    pub fn has_range(&self) -> bool {
        let count = |r: &[IdRange]| r.iter().map(|r| u64::from(r.size)).sum::<u64>();
        count(&self.uids) > 1 || count(&self.gids) > 1
    }

    /// A stable one-line text, e.g. "u:0:1000:1,1:100000:65535;g:0:1000:1,1:100000:65535",
    /// recorded with each extracted layer so a changed range is noticed later.
    pub fn describe(&self) -> String {
        fn ranges(out: &mut String, rs: &[IdRange]) {
            for (i, r) in rs.iter().enumerate() {
                let sep = if i == 0 { "" } else { "," };
                let _ = write!(out, "{sep}{}:{}:{}", r.container, r.host, r.size);
            }
        }
        let mut s = String::from("u:");
        ranges(&mut s, &self.uids);
        s.push_str(";g:");
        ranges(&mut s, &self.gids);
        s
    }

    /// The host uid that container uid `c` maps to, if any.
    pub fn host_uid(&self, c: u32) -> Option<u32> {
        map_id(&self.uids, c)
    }

    /// The host gid that container gid `c` maps to, if any.
    pub fn host_gid(&self, c: u32) -> Option<u32> {
        map_id(&self.gids, c)
    }

    /// Write the maps of process `pid`, which must have unshared its user namespace and not
    /// yet need its ids. Real root writes /proc/PID/{uid,gid}_map itself; a user with a range
    /// goes through the setuid helpers newuidmap/newgidmap; a single id is written directly,
    /// after "deny" to /proc/PID/setgroups, which the kernel demands of an unprivileged gid_map.
    pub fn write_for(&self, pid: u32) -> anyhow::Result<()> {
        self.start_writing(pid)?.finish()
    }

    /// [`Self::write_for`] in two halves: the maps are written (directly)
    /// or being written (newuidmap and newgidmap started) when this
    /// returns, and [`PendingMaps::finish`] waits for them. The caller does
    /// what needs no ids of the child's in between.
    pub fn start_writing(&self, pid: u32) -> anyhow::Result<PendingMaps> {
        let privileged = nix::unistd::geteuid().is_root();
        if self.has_range() && !privileged {
            // The two setuid tools write different files: run them side by
            // side, one exec's latency instead of two on every run.
            let uid = start_map_tool("newuidmap", pid, &self.uids)?;
            let gid = start_map_tool("newgidmap", pid, &self.gids);
            return Ok(PendingMaps(Some((uid, gid))));
        }
        let proc = PathBuf::from(format!("/proc/{pid}"));
        write_proc(&proc.join("uid_map"), &map_text(&self.uids))?;
        if !privileged {
            write_proc(&proc.join("setgroups"), "deny")?;
        }
        write_proc(&proc.join("gid_map"), &map_text(&self.gids))?;
        Ok(PendingMaps(None))
    }
}

/// Id maps being written (see [`IdMapping::start_writing`]): the started
/// newuidmap and newgidmap, when the maps went through them.
#[must_use = "the maps are written only once `finish` says so"]
pub struct PendingMaps(Option<(MapTool, anyhow::Result<MapTool>)>);

impl PendingMaps {
    /// Waits for the tools; the first error is theirs.
    pub fn finish(self) -> anyhow::Result<()> {
        let Some((uid, gid)) = self.0 else {
            return Ok(());
        };
        let uid = uid.finish();
        gid?.finish()?;
        uid
    }
}

fn map_id(ranges: &[IdRange], c: u32) -> Option<u32> {
    ranges.iter().find_map(|r| {
        let off = c.checked_sub(r.container)?;
        (off < r.size).then(|| r.host + off)
    })
}

/// The /proc/PID/uid_map text: one "container host size" line per range.
fn map_text(ranges: &[IdRange]) -> String {
    ranges.iter().fold(String::new(), |mut s, r| {
        let _ = writeln!(s, "{} {} {}", r.container, r.host, r.size);
        s
    })
}

/// The identity ranges over the "inside" side of a /proc/PID/uid_map text.
fn identity_of_proc_map(text: &str) -> Vec<IdRange> {
    text.lines()
        .filter_map(|line| {
            let mut f = line.split_whitespace().map(|n| n.parse::<u32>().ok());
            let (inside, _outside, size) = (f.next()??, f.next()??, f.next()??);
            Some(IdRange {
                container: inside,
                host: inside,
                size,
            })
        })
        .collect()
}

/// The first usable `start:count` entry for `user` (by name or numeric uid) in a subid file.
fn find_subid(user: &str, uid: u32, contents: &str) -> Option<(u32, u32)> {
    let uid = uid.to_string();
    contents.lines().find_map(|line| {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return None;
        }
        let mut fields = line.split(':');
        let (owner, start, count) = (fields.next()?, fields.next()?, fields.next()?);
        if fields.next().is_some() || (owner != user && owner != uid) {
            return None;
        }
        let start: u32 = start.trim().parse().ok()?;
        let count: u32 = count.trim().parse().ok()?;
        // The last id of the range must be a valid id (not 4294967295, and no wrap-around).
        let last = start.checked_add(count.checked_sub(1)?)?;
        (last < u32::MAX).then_some((start, count))
    })
}

fn read_optional(path: &Path) -> anyhow::Result<String> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(s),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

fn warn_once(msg: &str) {
    static WARNED: Once = Once::new();
    WARNED.call_once(|| log::warn!("{msg}"));
}

/// `name` on PATH, else in /usr/bin (PATH may be minimal under systemd or sudo).
pub fn find_tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin")])
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// A started newuidmap/newgidmap; [`MapTool::finish`] waits for it.
struct MapTool {
    child: std::process::Child,
    shown: String,
}

fn start_map_tool(tool: &str, pid: u32, ranges: &[IdRange]) -> anyhow::Result<MapTool> {
    let path = find_tool(tool)
        .with_context(|| format!("{tool} not found on PATH or in /usr/bin (install uidmap)"))?;
    let mut args = vec![pid.to_string()];
    for r in ranges {
        args.extend([
            r.container.to_string(),
            r.host.to_string(),
            r.size.to_string(),
        ]);
    }
    let shown = format!("{tool} {}", args.join(" "));
    let child = Command::new(&path)
        .args(&args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("running {shown}"))?;
    Ok(MapTool { child, shown })
}

impl MapTool {
    fn finish(self) -> anyhow::Result<()> {
        let out = self
            .child
            .wait_with_output()
            .with_context(|| format!("running {}", self.shown))?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            bail!("{}: {}: {}", self.shown, out.status, stderr.trim());
        }
        Ok(())
    }
}

fn write_proc(path: &Path, text: &str) -> anyhow::Result<()> {
    // The kernel takes a map in a single write(2); std::fs::write issues one for short text.
    std::fs::write(path, text)
        .with_context(|| format!("writing {:?} to {}", text.trim(), path.display()))
}

#[cfg(test)]
mod keep_id_tests {
    use super::*;

    #[test]
    fn keep_id_puts_the_user_at_its_own_id() {
        let m = IdMapping::from_subid("u", 1000, 1000, "u:100000:65536\n", "u:100000:65536\n");
        let k = m.keep_id(1000, 1000);
        assert_eq!(k.host_uid(1000), Some(1000));
        assert_eq!(k.host_uid(0), Some(100000));
        assert_eq!(k.host_uid(999), Some(100999));
        assert_eq!(k.host_uid(1001), Some(101000));
        let single = IdMapping::single(1000, 1000).keep_id(1000, 1000);
        assert_eq!(
            single.uids,
            vec![IdRange {
                container: 1000,
                host: 1000,
                size: 1
            }]
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(container: u32, host: u32, size: u32) -> IdRange {
        IdRange {
            container,
            host,
            size,
        }
    }

    #[test]
    fn subid_by_name_maps_root_to_user_and_range_after() {
        let m = IdMapping::from_subid(
            "alice",
            1000,
            1001,
            "alice:100000:65536\n",
            "alice:200000:65536\n",
        );
        assert_eq!(m.uids, vec![r(0, 1000, 1), r(1, 100000, 65535)]);
        assert_eq!(m.gids, vec![r(0, 1001, 1), r(1, 200000, 65535)]);
        assert!(m.has_range());
        assert_eq!(
            m.describe(),
            "u:0:1000:1,1:100000:65535;g:0:1001:1,1:200000:65535"
        );
    }

    #[test]
    fn subid_by_numeric_uid() {
        let m = IdMapping::from_subid(
            "alice",
            1000,
            1000,
            "1000:100000:65536",
            "1000:100000:65536",
        );
        assert_eq!(m.uids[1], r(1, 100000, 65535));
        assert_eq!(m.gids[1], r(1, 100000, 65535));
    }

    #[test]
    fn subid_skips_comments_blank_malformed_and_other_users() {
        let subuid = "\
# comment alice:1:1
\n   \nbob:300000:65536
alice:x:65536
alice:100000
alice:100000:65536:9
alice:500000:0
alice:4294967295:1
alice:4294967290:10
  alice:400000:1000  
alice:600000:65536
";
        let m = IdMapping::from_subid("alice", 1000, 1000, subuid, subuid);
        assert_eq!(m.uids, vec![r(0, 1000, 1), r(1, 400000, 1000)]);
        assert_eq!(
            m.describe(),
            "u:0:1000:1,1:400000:1000;g:0:1000:1,1:400000:1000"
        );
    }

    #[test]
    fn subid_small_range_is_not_padded() {
        let m = IdMapping::from_subid("alice", 1000, 1000, "alice:100000:10", "alice:200000:70000");
        assert_eq!(m.uids[1], r(1, 100000, 10));
        assert_eq!(m.gids[1], r(1, 200000, 65535));
    }

    #[test]
    fn no_entry_maps_user_alone() {
        let m = IdMapping::from_subid(
            "alice",
            1000,
            1000,
            "bob:100000:65536\n",
            "alice:100000:65536\n",
        );
        assert_eq!(m, IdMapping::single(1000, 1000));
        assert!(!m.has_range());
        assert_eq!(m.describe(), "u:0:1000:1;g:0:1000:1");
        let m = IdMapping::from_subid("alice", 1000, 1000, "", "");
        assert_eq!(m, IdMapping::single(1000, 1000));
    }

    #[test]
    fn host_ids_follow_ranges() {
        let m = IdMapping::from_subid(
            "alice",
            1000,
            50,
            "alice:100000:65536",
            "alice:200000:65536",
        );
        assert_eq!(m.host_uid(0), Some(1000));
        assert_eq!(m.host_uid(1), Some(100000));
        assert_eq!(m.host_uid(65535), Some(165534));
        assert_eq!(m.host_uid(65536), None);
        assert_eq!(m.host_gid(0), Some(50));
        assert_eq!(m.host_gid(2), Some(200001));
        assert_eq!(IdMapping::single(1000, 1000).host_uid(1), None);
    }

    #[test]
    fn identity_maps_every_valid_id() {
        let m = IdMapping::identity();
        assert!(m.has_range());
        assert_eq!(m.host_uid(0), Some(0));
        assert_eq!(m.host_uid(u32::MAX - 1), Some(u32::MAX - 1));
        assert_eq!(m.host_uid(u32::MAX), None);
        assert_eq!(m.describe(), "u:0:0:4294967295;g:0:0:4294967295");
    }

    #[test]
    fn root_identity_covers_only_ids_of_its_own_namespace() {
        let host = "         0          0 4294967295\n";
        assert_eq!(identity_of_proc_map(host), IdMapping::identity().uids);
        let nested = "         0       1000          1\n         1     100000      65536\n";
        assert_eq!(
            identity_of_proc_map(nested),
            vec![r(0, 0, 1), r(1, 1, 65536)]
        );
        assert_eq!(identity_of_proc_map(""), vec![]);
    }

    #[test]
    fn map_text_has_one_line_per_range() {
        let m = IdMapping::from_subid("a", 1000, 1000, "a:100000:65536", "a:100000:65536");
        assert_eq!(map_text(&m.uids), "0 1000 1\n1 100000 65535\n");
    }
}
