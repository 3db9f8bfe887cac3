//! What one container run needs, resolved before the child is cloned: the
//! process, its root filesystem, mounts, identity and confinement. Pure data;
//! the child executes it.

use std::path::PathBuf;

pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

#[derive(Debug, Clone)]
pub struct Spec {
    pub args: Vec<String>,
    pub env: Vec<String>,
    pub cwd: String,
    pub hostname: String,
    pub rootfs: Rootfs,
    pub mounts: Vec<Mount>,
    pub read_only: bool,
    pub privileged: bool,
    pub no_new_privs: bool,
    pub caps: caps::CapsHashSet,
    /// Compiled filters, installed last; empty = unconfined.
    pub seccomp: Vec<seccompiler::BpfProgram>,
    pub rlimits: Vec<Rlimit>,
    /// The mapping covers more than one id (gid 5 for devpts, setgroups allowed).
    pub has_id_range: bool,
    /// The user the process runs as, resolved from the image.
    pub uid: u32,
    pub gid: u32,
    pub groups: Vec<u32>,
    /// `--init`: pid 1 stays berth's reaper and the command runs as its child.
    pub init: bool,
    /// `--preserve-fds N`: fds 3..3+N go to the container's process open;
    /// every other fd above 2 is closed at its exec.
    pub preserve_fds: u32,
    /// Own network namespace (`--network none` or the private default).
    pub new_netns: bool,
}

#[derive(Debug, Clone)]
pub struct Rootfs {
    /// `<root>/layers`: lowerdirs are given relative to it (the mount data is one page).
    pub layers_dir: PathBuf,
    /// Chain ids of the layers, top first.
    pub lowerdirs: Vec<String>,
    pub upper: PathBuf,
    pub work: PathBuf,
    pub target: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountKind {
    Bind { source: PathBuf, readonly: bool },
    Tmpfs { options: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub kind: MountKind,
    /// Absolute path in the container.
    pub dest: String,
    /// A named volume used for the first time: filled from the image's
    /// content at `dest` before it is mounted, as Docker does.
    pub seed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rlimit {
    pub resource: i32,
    pub soft: u64,
    pub hard: u64,
}

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
        },
        named,
    ))
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
    name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
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
    }
}

/// Parses `--ulimit nofile=1024[:2048]`.
pub fn parse_ulimit(s: &str) -> Result<Rlimit, String> {
    let (name, vals) = s
        .split_once('=')
        .ok_or_else(|| format!("invalid ulimit `{s}`: expected NAME=SOFT[:HARD]"))?;
    let resource = match name {
        "core" => libc::RLIMIT_CORE,
        "cpu" => libc::RLIMIT_CPU,
        "data" => libc::RLIMIT_DATA,
        "fsize" => libc::RLIMIT_FSIZE,
        "locks" => libc::RLIMIT_LOCKS,
        "memlock" => libc::RLIMIT_MEMLOCK,
        "msgqueue" => libc::RLIMIT_MSGQUEUE,
        "nice" => libc::RLIMIT_NICE,
        "nofile" => libc::RLIMIT_NOFILE,
        "nproc" => libc::RLIMIT_NPROC,
        "rss" => libc::RLIMIT_RSS,
        "rtprio" => libc::RLIMIT_RTPRIO,
        "sigpending" => libc::RLIMIT_SIGPENDING,
        "stack" => libc::RLIMIT_STACK,
        _ => return Err(format!("invalid ulimit `{s}`: unknown resource `{name}`")),
    } as i32;
    let num = |v: &str| -> Result<u64, String> {
        if v == "-1" || v == "unlimited" {
            Ok(libc::RLIM_INFINITY)
        } else {
            v.parse()
                .map_err(|_| format!("invalid ulimit `{s}`: `{v}` is not a number"))
        }
    };
    let (soft, hard) = match vals.split_once(':') {
        Some((a, b)) => (num(a)?, num(b)?),
        None => (num(vals)?, num(vals)?),
    };
    if soft > hard {
        return Err(format!("invalid ulimit `{s}`: soft limit above hard limit"));
    }
    Ok(Rlimit {
        resource,
        soft,
        hard,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

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
    fn mounts_and_ulimits() {
        let (m, _) = parse_mount("type=tmpfs,target=/t,tmpfs-size=1m", Path::new("/v")).unwrap();
        assert_eq!(
            m.kind,
            MountKind::Tmpfs {
                options: "rw,nosuid,nodev,size=1m".into()
            }
        );
        assert!(parse_mount("type=bind,source=rel,target=/t", Path::new("/v")).is_err());
        let l = parse_ulimit("nofile=100:200").unwrap();
        assert_eq!((l.soft, l.hard), (100, 200));
        assert!(parse_ulimit("nofile=3:2").is_err());
        assert!(parse_ulimit("bogus=1").is_err());
    }
}
