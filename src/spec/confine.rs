//! Confinement as the user asks for it: capabilities, seccomp,
//! no_new_privs (`--cap-add`, `--privileged`, `--security-opt`) and resource
//! limits (`--ulimit`), parsed here and resolved into what the spec and the
//! runtime's extensions carry.

use crate::runtime::{caps, seccomp};
use anyhow::{Result, bail};
use oci_spec::runtime::{PosixRlimit, PosixRlimitBuilder, PosixRlimitType};
use std::path::PathBuf;

/// Which seccomp filters the container gets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Seccomp {
    /// berth's default profile (Docker's).
    #[default]
    Default,
    Unconfined,
    /// A Docker-format profile.
    File(PathBuf),
}

/// `--security-opt` values: seccomp and no-new-privileges; `label` and
/// `apparmor` are accepted and ignored (berth has neither).
pub fn parse_security_opts(opts: &[String]) -> Result<(Seccomp, bool)> {
    let mut no_new_privs = true;
    let mut seccomp = Seccomp::Default;
    for o in opts {
        let (k, v) = o.split_once(['=', ':']).unwrap_or((o.as_str(), ""));
        match k {
            "seccomp" if v == "unconfined" => seccomp = Seccomp::Unconfined,
            "seccomp" => seccomp = Seccomp::File(PathBuf::from(v)),
            "no-new-privileges" => no_new_privs = v.is_empty() || v == "true",
            "label" | "apparmor" => {}
            _ => bail!("invalid --security-opt `{o}`"),
        }
    }
    Ok((seccomp, no_new_privs))
}

/// The capability set and the compiled filters for it (none when privileged);
/// the default profile's kept in `cache` between runs.
pub fn resolve(
    cap_add: &[String],
    cap_drop: &[String],
    privileged: bool,
    profile: &Seccomp,
    cache: Option<&std::path::Path>,
) -> Result<(::caps::CapsHashSet, Vec<seccompiler::BpfProgram>)> {
    let set = caps::resolve(cap_add, cap_drop, privileged)?;
    let progs = match profile {
        _ if privileged => vec![],
        Seccomp::Unconfined => vec![],
        Seccomp::File(file) => seccomp::from_file(file, &set)?,
        Seccomp::Default => match cache {
            Some(dir) => super::seccomp_cache::default_programs(dir, &set)?,
            None => seccomp::default_programs(&set)?,
        },
    };
    Ok((set, progs))
}

/// Parses `--ulimit nofile=1024[:2048]`.
/// `512m`, `1g`, `1048576`: a byte count with an optional b/k/m/g suffix
/// (powers of 1024, as podman's `--memory`).
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let lower = s.to_ascii_lowercase();
    let t = lower.strip_suffix('b').unwrap_or(&lower);
    let (num, shift) = match t.char_indices().last() {
        Some((i, 'k')) => (&t[..i], 10),
        Some((i, 'm')) => (&t[..i], 20),
        Some((i, 'g')) => (&t[..i], 30),
        _ => (t, 0),
    };
    match num.parse::<u64>() {
        Ok(n) if n > 0 => n
            .checked_mul(1 << shift)
            .ok_or_else(|| "too large".to_string()),
        _ => Err("want a size above 0: BYTES with an optional k, m or g".into()),
    }
}

pub fn parse_ulimit(s: &str) -> Result<PosixRlimit, String> {
    let (name, vals) = s
        .split_once('=')
        .ok_or_else(|| format!("invalid ulimit `{s}`: expected NAME=SOFT[:HARD]"))?;
    use PosixRlimitType as T;
    let typ = match name {
        "core" => T::RlimitCore,
        "cpu" => T::RlimitCpu,
        "data" => T::RlimitData,
        "fsize" => T::RlimitFsize,
        "locks" => T::RlimitLocks,
        "memlock" => T::RlimitMemlock,
        "msgqueue" => T::RlimitMsgqueue,
        "nice" => T::RlimitNice,
        "nofile" => T::RlimitNofile,
        "nproc" => T::RlimitNproc,
        "rss" => T::RlimitRss,
        "rtprio" => T::RlimitRtprio,
        "sigpending" => T::RlimitSigpending,
        "stack" => T::RlimitStack,
        _ => return Err(format!("invalid ulimit `{s}`: unknown resource `{name}`")),
    };
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
    PosixRlimitBuilder::default()
        .typ(typ)
        .soft(soft)
        .hard(hard)
        .build()
        .map_err(|e| format!("invalid ulimit `{s}`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_sizes_take_podmans_suffixes() {
        assert_eq!(parse_bytes("512m"), Ok(512 << 20));
        assert_eq!(parse_bytes("1G"), Ok(1 << 30));
        assert_eq!(parse_bytes("64kb"), Ok(64 << 10));
        assert_eq!(parse_bytes("1000"), Ok(1000));
        for bad in ["", "m", "0", "-1m", "1t", "lots"] {
            assert!(parse_bytes(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ulimits_parse_like_docker() {
        let l = parse_ulimit("nofile=100:200").unwrap();
        assert_eq!(
            (l.typ(), l.soft(), l.hard()),
            (PosixRlimitType::RlimitNofile, 100, 200)
        );
        assert_eq!(parse_ulimit("core=-1").unwrap().soft(), libc::RLIM_INFINITY);
        assert!(parse_ulimit("nofile=3:2").is_err());
        assert!(parse_ulimit("bogus=1").is_err());
    }

    #[test]
    fn security_opts() {
        let o =
            |v: &[&str]| parse_security_opts(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(o(&[]).unwrap(), (Seccomp::Default, true));
        assert_eq!(
            o(&["seccomp=unconfined", "no-new-privileges=false"]).unwrap(),
            (Seccomp::Unconfined, false)
        );
        assert_eq!(
            o(&["seccomp:/p.json"]).unwrap().0,
            Seccomp::File("/p.json".into())
        );
        assert!(o(&["bogus"]).is_err());
    }
}
