//! The child's view of a container: the OCI runtime spec and berth's
//! [`Extensions`] read once, in the monitor before the clone, into plain
//! fields. Between clone and execve the child then only reads them: no
//! parsing, no lookups, no conversions on the path `run --rm true` times.
//!
//! berth's runtime mounts `/proc`, `/dev` (with its pts, shm and mqueue) and
//! `/sys` itself, before pivot_root and with fallbacks (a read-only bind of
//! the host's /sys without a network namespace of our own, the host's device
//! nodes bound): [`standard_mounts`] is that set as OCI mounts, which a spec
//! starts with so a peer runtime given the same `config.json` mounts the same.

use super::extensions::{Extensions, Overlay};
use crate::ident::idmap::{IdMapping, IdRange};
use anyhow::{Context, Result, anyhow, bail};
use caps::CapsHashSet;
use oci_spec::runtime::{
    Capability, LinuxIdMapping, LinuxIdMappingBuilder, LinuxNamespaceType, Mount as OciMount,
    PosixRlimitType, Spec,
};
use std::path::PathBuf;

pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The kernel filesystems berth's runtime mounts itself, in its order, as
/// the OCI mounts that say so (runc's defaults, with `gid=5` on devpts only
/// where the mapping has that group: the kernel refuses an unmapped gid).
pub fn standard_mounts(has_id_range: bool) -> Vec<OciMount> {
    let mut pts = vec![
        "nosuid",
        "noexec",
        "newinstance",
        "ptmxmode=0666",
        "mode=0620",
    ];
    if has_id_range {
        pts.push("gid=5");
    }
    [
        ("/proc", "proc", "proc", vec!["nosuid", "noexec", "nodev"]),
        (
            "/dev",
            "tmpfs",
            "tmpfs",
            vec!["nosuid", "strictatime", "mode=755", "size=65536k"],
        ),
        ("/dev/pts", "devpts", "devpts", pts),
        (
            "/dev/shm",
            "tmpfs",
            "shm",
            vec!["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
        ),
        (
            "/dev/mqueue",
            "mqueue",
            "mqueue",
            vec!["nosuid", "noexec", "nodev"],
        ),
        (
            "/sys",
            "sysfs",
            "sysfs",
            vec!["nosuid", "noexec", "nodev", "ro"],
        ),
    ]
    .into_iter()
    .map(|(dest, typ, source, opts)| oci_mount(dest, typ, source, &opts))
    .collect()
}

/// One OCI mount entry.
pub fn oci_mount(dest: &str, typ: &str, source: impl Into<PathBuf>, opts: &[&str]) -> OciMount {
    let mut m = OciMount::default();
    m.set_destination(dest.into())
        .set_typ(Some(typ.to_string()))
        .set_source(Some(source.into()))
        .set_options(Some(opts.iter().map(|o| o.to_string()).collect()));
    m
}

/// `IdMapping` ranges as OCI's (and back, in [`Plan::new`]).
pub fn oci_id_mappings(ranges: &[IdRange]) -> Result<Vec<LinuxIdMapping>> {
    ranges
        .iter()
        .map(|r| {
            LinuxIdMappingBuilder::default()
                .container_id(r.container)
                .host_id(r.host)
                .size(r.size)
                .build()
                .context("building an id mapping")
        })
        .collect()
}

/// A capability set as OCI's (its serde names are the kernel's `CAP_…`).
pub fn oci_caps(set: &CapsHashSet) -> Result<oci_spec::runtime::Capabilities> {
    set.iter()
        .map(|c| {
            serde_json::from_value(serde_json::Value::String(c.to_string()))
                .with_context(|| format!("capability {c} has no OCI name"))
        })
        .collect()
}

fn caps_of(set: &oci_spec::runtime::Capabilities) -> Result<CapsHashSet> {
    set.iter()
        .map(|c: &Capability| {
            let name = serde_json::to_value(c)?;
            name.as_str()
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| anyhow!("capability {name} is unknown to this build"))
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountKind {
    Bind { source: PathBuf, readonly: bool },
    Tmpfs { options: String },
}

/// A mount the child makes after pivot_root, at a path the image controls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub kind: MountKind,
    /// Absolute path in the container.
    pub dest: String,
    /// Fill from the image's content at `dest` first (a new named volume).
    pub seed: bool,
    /// A file berth generated (/etc/hostname, hosts, resolv.conf): bound
    /// where the target exists, or can be made on the container's own root
    /// or a tmpfs; never made in a volume or host directory mounted over
    /// its parent (that directory is the user's, and keeps what it has).
    pub generated: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rlimit {
    pub resource: i32,
    pub soft: u64,
    pub hard: u64,
}

/// What one container run needs, as the child reads it.
pub struct Plan<'a> {
    pub args: Vec<String>,
    pub env: Vec<String>,
    pub cwd: String,
    pub hostname: String,
    /// Where the overlay is mounted: the container's root.
    pub root: PathBuf,
    pub overlay: &'a Overlay,
    pub mounts: Vec<Mount>,
    pub masked: Vec<String>,
    pub readonly_paths: Vec<String>,
    pub read_only: bool,
    pub no_new_privs: bool,
    pub caps: CapsHashSet,
    pub seccomp: &'a [seccompiler::BpfProgram],
    pub rlimits: Vec<Rlimit>,
    pub mapping: IdMapping,
    /// The mapping covers more than one id (gid 5 for devpts, setgroups allowed).
    pub has_id_range: bool,
    pub uid: u32,
    pub gid: u32,
    pub groups: Vec<u32>,
    pub init: bool,
    pub preserve_fds: u32,
    pub new_netns: bool,
    pub new_cgroupns: bool,
}

impl<'a> Plan<'a> {
    pub fn new(spec: &Spec, ext: &'a Extensions) -> Result<Plan<'a>> {
        let process = spec
            .process()
            .as_ref()
            .ok_or_else(|| anyhow!("the spec has no process"))?;
        let root = spec
            .root()
            .as_ref()
            .ok_or_else(|| anyhow!("the spec has no root"))?;
        let linux = spec
            .linux()
            .as_ref()
            .ok_or_else(|| anyhow!("the spec has no linux section"))?;
        let args = process.args().clone().unwrap_or_default();
        if args.is_empty() {
            bail!("the spec's process has no args");
        }
        let namespaces: Vec<LinuxNamespaceType> = linux
            .namespaces()
            .iter()
            .flatten()
            .map(|n| n.typ())
            .collect();
        for required in [
            LinuxNamespaceType::User,
            LinuxNamespaceType::Mount,
            LinuxNamespaceType::Pid,
            LinuxNamespaceType::Uts,
            LinuxNamespaceType::Ipc,
        ] {
            if !namespaces.contains(&required) {
                bail!("berth's runtime always creates a {required} namespace; the spec lacks it");
            }
        }
        let ranges = |m: &Option<Vec<LinuxIdMapping>>| -> Vec<IdRange> {
            m.iter()
                .flatten()
                .map(|m| IdRange {
                    container: m.container_id(),
                    host: m.host_id(),
                    size: m.size(),
                })
                .collect()
        };
        let mapping = IdMapping {
            uids: ranges(linux.uid_mappings()),
            gids: ranges(linux.gid_mappings()),
        };
        let has_id_range = mapping.has_range();
        let mounts = spec.mounts().as_deref().unwrap_or_default();
        let standard = standard_mounts(has_id_range);
        if mounts.len() < standard.len() || mounts[..standard.len()] != standard[..] {
            bail!(
                "berth's runtime mounts /proc, /dev and /sys itself: the spec's mounts must start with them"
            );
        }
        let mounts = (mounts.iter().enumerate().skip(standard.len()))
            .map(|(i, m)| plan_mount(m, ext.seed.contains(&i), ext.generated.contains(&i)))
            .collect::<Result<_>>()?;
        let user = process.user();
        let caps = match process
            .capabilities()
            .as_ref()
            .and_then(|c| c.bounding().as_ref())
        {
            Some(set) => caps_of(set)?,
            None => CapsHashSet::new(),
        };
        let rlimits = process
            .rlimits()
            .iter()
            .flatten()
            .map(|l| Rlimit {
                resource: resource(l.typ()),
                soft: l.soft(),
                hard: l.hard(),
            })
            .collect();
        Ok(Plan {
            args,
            env: process.env().clone().unwrap_or_default(),
            cwd: process.cwd().to_string_lossy().into_owned(),
            hostname: spec.hostname().clone().unwrap_or_default(),
            root: root.path().clone(),
            overlay: &ext.overlay,
            mounts,
            masked: linux.masked_paths().clone().unwrap_or_default(),
            readonly_paths: linux.readonly_paths().clone().unwrap_or_default(),
            read_only: root.readonly().unwrap_or(false),
            no_new_privs: process.no_new_privileges().unwrap_or(false),
            caps,
            seccomp: &ext.seccomp,
            rlimits,
            mapping,
            has_id_range,
            uid: user.uid(),
            gid: user.gid(),
            groups: user.additional_gids().clone().unwrap_or_default(),
            init: ext.init,
            preserve_fds: ext.preserve_fds,
            new_netns: namespaces.contains(&LinuxNamespaceType::Network),
            new_cgroupns: namespaces.contains(&LinuxNamespaceType::Cgroup),
        })
    }
}

fn plan_mount(m: &OciMount, seed: bool, generated: bool) -> Result<Mount> {
    let dest = m.destination().to_string_lossy().into_owned();
    let options = m.options().as_deref().unwrap_or_default();
    let kind = match m.typ().as_deref() {
        Some("bind") => MountKind::Bind {
            source: m
                .source()
                .clone()
                .ok_or_else(|| anyhow!("the bind mount on `{dest}` has no source"))?,
            readonly: options.iter().any(|o| o == "ro"),
        },
        Some("tmpfs") => MountKind::Tmpfs {
            options: options.join(","),
        },
        other => bail!(
            "berth's runtime cannot mount type `{}` on `{dest}`",
            other.unwrap_or("")
        ),
    };
    Ok(Mount {
        seed,
        generated,
        kind,
        dest,
    })
}

fn resource(t: PosixRlimitType) -> i32 {
    (match t {
        PosixRlimitType::RlimitCpu => libc::RLIMIT_CPU,
        PosixRlimitType::RlimitFsize => libc::RLIMIT_FSIZE,
        PosixRlimitType::RlimitData => libc::RLIMIT_DATA,
        PosixRlimitType::RlimitStack => libc::RLIMIT_STACK,
        PosixRlimitType::RlimitCore => libc::RLIMIT_CORE,
        PosixRlimitType::RlimitRss => libc::RLIMIT_RSS,
        PosixRlimitType::RlimitNproc => libc::RLIMIT_NPROC,
        PosixRlimitType::RlimitNofile => libc::RLIMIT_NOFILE,
        PosixRlimitType::RlimitMemlock => libc::RLIMIT_MEMLOCK,
        PosixRlimitType::RlimitAs => libc::RLIMIT_AS,
        PosixRlimitType::RlimitLocks => libc::RLIMIT_LOCKS,
        PosixRlimitType::RlimitSigpending => libc::RLIMIT_SIGPENDING,
        PosixRlimitType::RlimitMsgqueue => libc::RLIMIT_MSGQUEUE,
        PosixRlimitType::RlimitNice => libc::RLIMIT_NICE,
        PosixRlimitType::RlimitRtprio => libc::RLIMIT_RTPRIO,
        PosixRlimitType::RlimitRttime => libc::RLIMIT_RTTIME,
    }) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_keep_their_names_through_oci() {
        let all = caps::all();
        assert_eq!(caps_of(&oci_caps(&all).unwrap()).unwrap(), all);
    }
}
