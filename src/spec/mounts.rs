//! The container's mounts as the user asks for them: `-v`, `--mount`,
//! `--tmpfs` (and a RUN step's `--mount`, parsed by the builder), the files
//! berth writes for /etc, and the paths masked from the container — and how
//! they become the OCI spec's mounts.

use crate::runtime::plan::oci_mount;
use anyhow::{Context, Result, anyhow};
use oci_spec::runtime::Mount as OciMount;
use std::path::{Path, PathBuf};

// A user's mount is the child's mount (the runtime's type): a bind or a
// tmpfs at a path the image controls, `seed` for a named volume used for the
// first time (filled from the image's content at `dest`, as Docker does).
pub use crate::runtime::plan::{Mount, MountKind};

/// Parses `-v SRC:DST[:ro|rw]`. As in Docker, SRC starting with `/` or `.` is a
/// host path to bind; anything else must be a volume name (see
/// [`is_volume_name`]) and resolves under `volumes_dir`.
pub fn parse_volume(
    v: &str,
    volumes_dir: &std::path::Path,
) -> Result<(Mount, Option<String>), String> {
    let parts: Vec<&str> = v.split(':').collect();
    let (src, dst, opts) = match parts.as_slice() {
        [s, d] => (*s, *d, ""),
        [s, d, o] => (*s, *d, *o),
        _ => return Err(format!("invalid volume `{v}`: expected SRC:DST[:ro|rw]")),
    };
    let mut readonly = false;
    for o in opts.split(',').filter(|o| !o.is_empty()) {
        match o {
            "ro" => readonly = true,
            "rw" => readonly = false,
            "z" | "Z" | "rbind" | "bind" | "private" | "rprivate" => {}
            _ => return Err(format!("invalid volume `{v}`: unknown option `{o}`")),
        }
    }
    if !dst.starts_with('/') {
        return Err(format!(
            "invalid volume `{v}`: the container path must be absolute"
        ));
    }
    if src.is_empty() {
        return Err(format!("invalid volume `{v}`: empty source"));
    }
    let (source, named) = if src.starts_with('/') || src.starts_with('.') {
        (PathBuf::from(src), None)
    } else {
        if !is_volume_name(src) {
            return Err(format!(
                "invalid volume name `{src}`: use a letter or digit, then letters, digits, `_`, `.` and `-`"
            ));
        }
        (
            crate::layout::volume_data(volumes_dir, src),
            Some(src.to_string()),
        )
    };
    Ok((
        Mount {
            kind: MountKind::Bind { source, readonly },
            dest: dst.to_string(),
            seed: false,
            generated: false,
        },
        named,
    ))
}

/// Parses `--device HOST[:CONTAINER][:PERMS]` (PERMS from `rwm`) into a bind
/// mount of the device node: rootless, a container cannot make device nodes
/// (its /dev is a tmpfs of its user namespace, where nodes do not work), but
/// a bind of the host's node keeps the host's. Only a node the user may
/// open with those permissions is taken (access(2): nothing is opened).
pub fn parse_device(d: &str) -> Result<Mount, String> {
    let parts: Vec<&str> = d.split(':').collect();
    let is_perms = |p: &str| !p.is_empty() && p.chars().all(|c| "rwm".contains(c));
    let (host, dest, perms) = match parts.as_slice() {
        [h] => (*h, *h, "rwm"),
        [h, p] if is_perms(p) => (*h, *h, *p),
        [h, c] => (*h, *c, "rwm"),
        [h, c, p] if is_perms(p) => (*h, *c, *p),
        _ => {
            return Err(format!(
                "invalid device `{d}`: expected HOST[:CONTAINER][:rwm]"
            ));
        }
    };
    if !host.starts_with('/') || !dest.starts_with('/') {
        return Err(format!("invalid device `{d}`: paths must be absolute"));
    }
    use std::os::unix::fs::FileTypeExt;
    let meta = std::fs::metadata(host).map_err(|e| format!("device `{host}`: {e}"))?;
    let kind = meta.file_type();
    if !kind.is_char_device() && !kind.is_block_device() {
        return Err(format!("device `{host}`: not a device node"));
    }
    // A read-only mount does not stop writes to a device node (only a
    // device cgroup would, and berth has none): refused, not pretended.
    if !perms.contains('w') {
        return Err(format!(
            "device `{d}`: read-only device access cannot be enforced without a device cgroup; give `rw`"
        ));
    }
    use nix::unistd::AccessFlags;
    if nix::unistd::access(host, AccessFlags::R_OK | AccessFlags::W_OK).is_err() {
        return Err(format!(
            "device `{host}`: you may not open it for reading and writing (its owner and mode decide; a rootless container gets only what you can open)"
        ));
    }
    Ok(Mount {
        kind: MountKind::Bind {
            source: PathBuf::from(host),
            readonly: false,
        },
        dest: dest.to_string(),
        seed: false,
        generated: false,
    })
}

/// Parses `--mount type=bind|volume|tmpfs,source=…,target=…[,readonly]`.
pub fn parse_mount(
    m: &str,
    volumes_dir: &std::path::Path,
) -> Result<(Mount, Option<String>), String> {
    let mut kind = "volume";
    let (mut src, mut dst, mut ro, mut tmpfs_opts) = (None, None, false, Vec::new());
    for kv in m.split(',') {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        match k {
            "type" => kind = v,
            "source" | "src" => src = Some(v),
            "target" | "destination" | "dst" => dst = Some(v),
            "readonly" | "ro" => ro = v.is_empty() || v == "true" || v == "1",
            "tmpfs-size" => tmpfs_opts.push(format!("size={v}")),
            "tmpfs-mode" => tmpfs_opts.push(format!("mode={v}")),
            _ => return Err(format!("invalid mount `{m}`: unknown option `{k}`")),
        }
    }
    let dst = dst.ok_or_else(|| format!("invalid mount `{m}`: no target"))?;
    if !dst.starts_with('/') {
        return Err(format!("invalid mount `{m}`: the target must be absolute"));
    }
    match kind {
        "tmpfs" => Ok((tmpfs(dst, &tmpfs_opts.join(",")), None)),
        "bind" | "volume" => {
            let src = src.ok_or_else(|| format!("invalid mount `{m}`: no source"))?;
            if kind == "bind" && !src.starts_with('/') {
                return Err(format!(
                    "invalid mount `{m}`: a bind source must be an absolute path"
                ));
            }
            // `..` or `./x` must not fall through to parse_volume's host bind.
            if kind == "volume" && !is_volume_name(src) {
                return Err(format!(
                    "invalid mount `{m}`: invalid volume name `{src}`: use a letter or digit, then letters, digits, `_`, `.` and `-`"
                ));
            }
            parse_volume(
                &format!("{src}:{dst}:{}", if ro { "ro" } else { "rw" }),
                volumes_dir,
            )
        }
        other => Err(format!("invalid mount `{m}`: unknown type `{other}`")),
    }
}

/// Docker's volume names, `[a-zA-Z0-9][a-zA-Z0-9_.-]*`: never `.`, `..`, a
/// path, or anything that would leave `volumes_dir` when joined to it.
pub fn is_volume_name(name: &str) -> bool {
    crate::container::volume::is_name(name)
}

pub fn tmpfs(dest: &str, options: &str) -> Mount {
    let base = "rw,nosuid,nodev";
    let options = if options.is_empty() {
        base.to_string()
    } else {
        format!("{base},{options}")
    };
    Mount {
        kind: MountKind::Tmpfs { options },
        dest: dest.to_string(),
        seed: false,
        generated: false,
    }
}

/// runc's default masked paths: unreadable in the container.
pub const MASKED: &[&str] = &[
    "/proc/acpi",
    "/proc/asound",
    "/proc/interrupts",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
    "/sys/fs/cgroup",
];

/// runc's default read-only paths.
pub const READONLY: &[&str] = &[
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

/// Writes the container's /etc/hostname, /etc/hosts and /etc/resolv.conf
/// into `dir`, to be bound over the image's.
pub fn write_etc_files(
    dir: &Path,
    hostname: &str,
    add_host: &[String],
    dns: &[String],
) -> Result<Vec<OciMount>> {
    let mut hosts = format!(
        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t{hostname}\n"
    );
    for h in add_host {
        let (name, ip) = h
            .split_once(':')
            .ok_or_else(|| anyhow::anyhow!("invalid --add-host `{h}`: expected HOST:IP"))?;
        hosts.push_str(&format!("{ip}\t{name}\n"));
    }
    let resolv = if dns.is_empty() {
        std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default()
    } else {
        dns.iter().map(|d| format!("nameserver {d}\n")).collect()
    };
    let files = [
        ("hostname", format!("{hostname}\n"), "/etc/hostname"),
        ("hosts", hosts, "/etc/hosts"),
        ("resolv.conf", resolv, "/etc/resolv.conf"),
    ];
    let mut out = Vec::new();
    for (name, text, dest) in files {
        let p = dir.join(name);
        std::fs::write(&p, text).with_context(|| format!("writing `{}`", p.display()))?;
        out.push(oci_mount(dest, "bind", p, &["rbind", "rw"]));
    }
    Ok(out)
}

/// Two mounts on one destination: the later would hide the earlier, and
/// which one a user meant is a guess. Docker and podman refuse it too.
pub fn refuse_duplicate_destinations<'a>(mounts: impl Iterator<Item = &'a Mount>) -> Result<()> {
    let mut seen = std::collections::BTreeSet::new();
    for m in mounts {
        let dest = Path::new(&m.dest).components().collect::<PathBuf>();
        if !seen.insert(dest) {
            anyhow::bail!("`{}`: duplicate mount destination", m.dest);
        }
    }
    Ok(())
}

/// Checks a mount's host side before the container exists: a named volume
/// is made with its record when missing (as `volume create` makes it) and
/// marked to be filled from the image while it is empty (Docker's rule),
/// a bind's source must exist.
pub fn prepare_source(mut m: Mount, named: bool) -> Result<Mount> {
    if let MountKind::Bind { source, .. } = &m.kind {
        if named {
            // `source` is `<volumes>/<name>/_data` (see `parse_volume`).
            let (Some(dir), Some(name)) = (
                source.parent().and_then(Path::parent),
                source
                    .parent()
                    .and_then(Path::file_name)
                    .and_then(|n| n.to_str()),
            ) else {
                return Err(anyhow!(
                    "`{}` is not a volume's directory",
                    source.display()
                ));
            };
            let volumes = crate::container::volume::Volumes::in_dir(dir.to_path_buf());
            let v = volumes.ensure(name)?;
            m.seed = volumes.is_empty(&v)?;
        } else if !source.exists() {
            return Err(anyhow!(
                "bind mount source `{}`: no such file or directory",
                source.display()
            ));
        }
    }
    Ok(m)
}

/// The mount as the OCI spec says it. A bind is recursive (berth clones the
/// whole tree, as `rbind`); read-only applies to all of it.
pub fn to_oci(m: &Mount) -> OciMount {
    match &m.kind {
        MountKind::Bind { source, readonly } => oci_mount(
            &m.dest,
            "bind",
            source.clone(),
            &["rbind", if *readonly { "ro" } else { "rw" }],
        ),
        MountKind::Tmpfs { options } => {
            let opts: Vec<&str> = options.split(',').filter(|o| !o.is_empty()).collect();
            oci_mount(&m.dest, "tmpfs", "tmpfs", &opts)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn devices_parse_like_podman_and_need_a_node() {
        let m = parse_device("/dev/null").unwrap();
        assert_eq!(m.dest, "/dev/null");
        assert!(matches!(
            m.kind,
            MountKind::Bind {
                readonly: false,
                ..
            }
        ));
        assert_eq!(
            parse_device("/dev/null:/dev/nothing:rw").unwrap().dest,
            "/dev/nothing"
        );
        assert_eq!(parse_device("/dev/null:rw").unwrap().dest, "/dev/null");
        for (bad, why) in [
            ("/etc/hostname", "not a device node"),
            ("dev/null", "absolute"),
            ("/dev/null:/a:rwx:1", "expected"),
            ("/nonexistent-device", "No such file"),
            ("/dev/null:r", "cannot be enforced"),
        ] {
            let e = parse_device(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn volumes_parse_like_docker() {
        let (m, named) = parse_volume("/src:/dst:ro", Path::new("/v")).unwrap();
        assert_eq!(
            m.kind,
            MountKind::Bind {
                source: "/src".into(),
                readonly: true
            }
        );
        assert_eq!(named, None);
        let (m, named) = parse_volume("data:/d", Path::new("/v")).unwrap();
        assert_eq!(
            m.kind,
            MountKind::Bind {
                source: "/v/data/_data".into(),
                readonly: false
            }
        );
        assert_eq!(named.as_deref(), Some("data"));
        assert!(parse_volume("/a:rel", Path::new("/v")).is_err());
        assert!(parse_volume("/a:/b:xx", Path::new("/v")).is_err());
        assert!(parse_volume("/a", Path::new("/v")).is_err());
        assert!(parse_volume("-x:/d", Path::new("/v")).is_err());
        assert!(parse_volume("_x:/d", Path::new("/v")).is_err());
    }

    #[test]
    fn a_volume_mount_takes_only_volume_names() {
        for src in [
            "..", ".", "./x", "../x", "/abs", "a/b", "-a", "_a", ".a", "a b",
        ] {
            let m = format!("type=volume,source={src},target=/d");
            assert!(parse_mount(&m, Path::new("/v")).is_err(), "{m}");
        }
        for src in ["a", "A.b-c_d", "0", "a..b"] {
            let m = format!("type=volume,source={src},target=/d");
            let (m, named) = parse_mount(&m, Path::new("/v")).unwrap();
            assert_eq!(named.as_deref(), Some(src));
            assert_eq!(
                m.kind,
                MountKind::Bind {
                    source: Path::new("/v").join(src).join("_data"),
                    readonly: false
                }
            );
        }
    }

    #[test]
    fn tmpfs_mounts_and_bind_sources() {
        let (m, _) = parse_mount("type=tmpfs,target=/t,tmpfs-size=1m", Path::new("/v")).unwrap();
        assert_eq!(
            m.kind,
            MountKind::Tmpfs {
                options: "rw,nosuid,nodev,size=1m".into()
            }
        );
        assert!(parse_mount("type=bind,source=rel,target=/t", Path::new("/v")).is_err());
    }
}
