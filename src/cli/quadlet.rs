//! berth as a systemd generator for Quadlet's `.container` files: reached as
//! `berth __quadlet ARGS…` or through a symlink named `berth-*generator`
//! (`/usr/lib/systemd/system-generators/berth-system-generator`,
//! `/usr/lib/systemd/user-generators/berth-user-generator`), as podman's
//! `quadlet` is through `podman-system-generator`/`podman-user-generator`.
//!
//! Arguments as Quadlet takes them: `[-v] [-no-kmsg-log] [-user] [-dryrun]
//! NORMAL-DIR [EARLY-DIR LATE-DIR]` (one or two dashes); a user generator is
//! one whose name contains `user`, or `-user`. Each `.container`, `.volume`
//! and `.image` file of the search path (first file of a name wins), with its
//! drop-ins merged in ([`load`]), becomes a service in NORMAL-DIR, and its
//! `[Install]` `WantedBy=`/`RequiredBy=`/`Alias=` become the symlinks
//! `systemctl enable` would make. A file that cannot be converted — the
//! kinds berth has no counterpart for (`.network`, `.pod`, …) included — is
//! reported on stderr by name (systemd logs a generator's stderr) and gets
//! no unit; the others are still written.

use crate::unit::{UnitFile, quadlet};
use anyhow::{Context, Result, bail};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The hidden verb that reaches the generator.
pub const SUBCOMMAND: &str = "__quadlet";

/// Whether argv[0] is a generator symlink's name.
pub fn is_generator_name(argv0: &std::ffi::OsStr) -> bool {
    Path::new(argv0)
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("berth") && n.ends_with("-generator"))
}

struct Flags {
    user: bool,
    dryrun: bool,
    verbose: bool,
    out: Option<PathBuf>,
}

/// Runs the generator with `args` (after argv[0] or `__quadlet`); returns
/// the exit code.
pub fn main(argv0: &std::ffi::OsStr, args: &[std::ffi::OsString]) -> i32 {
    let name = Path::new(argv0)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let flags = match parse(name.contains("user"), args) {
        Ok(f) => f,
        Err(e) => return super::report(&e),
    };
    let mut failed = false;
    let mut report = |e: anyhow::Error| {
        failed = true;
        super::report(&e);
    };
    let dirs = match unit_dirs(flags.user) {
        Ok(d) => d,
        Err(e) => {
            report(e);
            return 125;
        }
    };
    let berth = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => return super::report(&anyhow::Error::new(e).context("finding the berth binary")),
    };
    let layout = crate::layout::Layout::pick(None);
    // Every file of a kind Quadlet reads, the first of a name winning.
    let mut seen = BTreeSet::new();
    let mut sources: Vec<(String, PathBuf)> = Vec::new();
    for dir in &dirs {
        if flags.verbose {
            eprintln!("berth: reading Quadlet files in `{}`", dir.display());
        }
        let mut names: Vec<String> = match std::fs::read_dir(dir) {
            Ok(rd) => rd
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| quadlet::KINDS.iter().any(|k| n.ends_with(k)))
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                report(anyhow::Error::new(e).context(format!("reading `{}`", dir.display())));
                continue;
            }
        };
        names.sort();
        for file_name in names {
            if seen.insert(file_name.clone()) {
                sources.push((file_name.clone(), dir.join(&file_name)));
            }
        }
    }
    // Volumes and images first: a container's `Volume=NAME.volume` and
    // `Image=NAME.image` need their names.
    sources.sort_by_key(|(n, _)| !(n.ends_with(".volume") || n.ends_with(".image")));
    let mut units = Vec::new();
    for (file_name, source) in sources {
        if let Some(why) = quadlet::unsupported_kind(&file_name) {
            report(anyhow::anyhow!("skipping `{}`: {why}", source.display()));
            continue;
        }
        match load(&source, &file_name, &dirs) {
            Ok(u) => units.push((file_name, source, u)),
            Err(e) => report(e.context(format!("converting `{file_name}`"))),
        }
    }
    let produced: std::collections::BTreeMap<String, quadlet::Produced> = units
        .iter()
        .filter_map(|(n, _, u)| {
            if n.ends_with(".volume") {
                Some((n.clone(), quadlet::volume_unit(u, n)))
            } else if n.ends_with(".image") {
                Some((n.clone(), quadlet::image_unit(u, n)))
            } else {
                None
            }
        })
        .collect();
    for (file_name, source, unit) in units {
        let cx = quadlet::Place {
            source: &source,
            user: flags.user,
            berth: &berth,
            root: layout.root(),
            produced: &produced,
        };
        let result = (|| -> Result<()> {
            let service = if file_name.ends_with(".volume") {
                quadlet::convert_volume(&unit, &file_name, &cx)?
            } else if file_name.ends_with(".image") {
                quadlet::convert_image(&unit, &cx)?
            } else {
                quadlet::convert(&unit, &file_name, &cx)?
            };
            let service_name = quadlet::service_name(&unit, &file_name);
            match &flags.out {
                None => {
                    println!("---{service_name}---\n{}", service.to_text());
                    Ok(())
                }
                Some(out) => write(out, &service_name, service),
            }
        })();
        if let Err(e) = result {
            report(e.context(format!("converting `{file_name}`")));
        }
    }
    if failed { 125 } else { 0 }
}

/// A Quadlet file with its drop-ins merged in, as Quadlet loads it: the
/// `.conf` files of its drop-in directories (`NAME.container.d`, then for
/// `a-b-c.container` the truncated `a-b-.container.d` and `a-.container.d`,
/// then the kind's `container.d`; templates also by their `NAME@` forms)
/// in every unit directory; the first file of a name wins (the most
/// specific directory, the first unit directory), and all are merged in
/// the order of their names.
fn load(source: &Path, file_name: &str, dirs: &[PathBuf]) -> Result<UnitFile> {
    let text = std::fs::read_to_string(source)
        .with_context(|| format!("reading `{}`", source.display()))?;
    let mut unit = UnitFile::parse(&text, &source.display().to_string())?;
    let mut confs: std::collections::BTreeMap<String, PathBuf> = Default::default();
    for dir in dirs {
        for sub in dropin_dirs(file_name) {
            let d = dir.join(sub);
            let rd = match std::fs::read_dir(&d) {
                Ok(rd) => rd,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    return Err(anyhow::Error::new(e).context(format!("reading `{}`", d.display())));
                }
            };
            for e in rd.filter_map(|e| e.ok()) {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.ends_with(".conf") && !confs.contains_key(&name) {
                    confs.insert(name, d.join(e.file_name()));
                }
            }
        }
    }
    for path in confs.values() {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading `{}`", path.display()))?;
        unit.merge(&UnitFile::parse(&text, &path.display().to_string())?);
    }
    Ok(unit)
}

/// The drop-in directory names of `file_name`, most specific first, as
/// Quadlet's `GetUnitDropinPaths`.
fn dropin_dirs(file_name: &str) -> Vec<String> {
    let Some((base, ext)) = file_name.rsplit_once('.') else {
        return Vec::new();
    };
    let dropin_ext = format!(".{ext}.d");
    let (unit_name, instance, template) = match base.split_once('@') {
        Some((u, i)) => (u, i, true),
        None => (base, "", false),
    };
    let mut out = vec![format!("{ext}.d")];
    let parts: Vec<&str> = unit_name.split('-').collect();
    for i in 0..parts.len().saturating_sub(1) {
        let prefix = format!("{}-", parts[..=i].join("-"));
        out.push(format!("{prefix}{dropin_ext}"));
        if template {
            out.push(format!("{prefix}@{dropin_ext}"));
        }
    }
    if !instance.is_empty() {
        out.push(format!("{unit_name}@{dropin_ext}"));
    }
    out.push(format!("{file_name}.d"));
    out.reverse();
    out
}

fn parse(user_by_name: bool, args: &[std::ffi::OsString]) -> Result<Flags> {
    let mut f = Flags {
        user: user_by_name,
        dryrun: false,
        verbose: false,
        out: None,
    };
    let mut dirs = Vec::new();
    for a in args {
        let s = a.to_string_lossy();
        match s.trim_start_matches('-') {
            _ if !s.starts_with('-') => dirs.push(PathBuf::from(a)),
            "user" => f.user = true,
            "dryrun" => f.dryrun = true,
            "v" => f.verbose = true,
            "no-kmsg-log" => {} // berth logs to stderr only
            _ => bail!("unknown generator flag `{s}`: use -user, -dryrun, -v or -no-kmsg-log"),
        }
    }
    if !f.dryrun {
        // systemd passes normal, early and late dirs; units go to the normal one.
        let Some(out) = dirs.into_iter().next() else {
            bail!("missing output directory argument");
        };
        f.out = Some(out);
    }
    Ok(f)
}

/// The search path, as Quadlet's: `$QUADLET_UNIT_DIRS` (colon-separated,
/// absolute) when set; else for a user `$XDG_RUNTIME_DIR/containers/systemd`,
/// `$XDG_CONFIG_HOME/containers/systemd` (`~/.config/…`),
/// `/etc/containers/systemd/users/$UID` and `/etc/containers/systemd/users`;
/// for the system `/run/containers/systemd`, `/etc/containers/systemd` and
/// `/usr/share/containers/systemd`. Subdirectories are searched too, but
/// the system never reads `/etc/containers/systemd/users` (other users').
fn unit_dirs(user: bool) -> Result<Vec<PathBuf>> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let mut roots: Vec<PathBuf> = Vec::new();
    if let Some(list) = env("QUADLET_UNIT_DIRS") {
        for d in std::env::split_paths(&list) {
            if !d.is_absolute() {
                bail!(
                    "QUADLET_UNIT_DIRS: `{}` is not an absolute path",
                    d.display()
                );
            }
            roots.push(d);
        }
    } else if user {
        if let Some(run) = env("XDG_RUNTIME_DIR") {
            roots.push(run.join("containers/systemd"));
        }
        let config = env("XDG_CONFIG_HOME")
            .or_else(|| env("HOME").map(|h| h.join(".config")))
            .context("neither XDG_CONFIG_HOME nor HOME is set")?;
        roots.push(config.join("containers/systemd"));
        let uid = nix::unistd::getuid();
        roots.push(PathBuf::from(format!(
            "/etc/containers/systemd/users/{uid}"
        )));
        roots.push(PathBuf::from("/etc/containers/systemd/users"));
    } else {
        roots.extend(
            [
                "/run/containers/systemd",
                "/etc/containers/systemd",
                "/usr/share/containers/systemd",
            ]
            .map(PathBuf::from),
        );
    }
    let mut dirs = Vec::new();
    for r in roots {
        walk(&r, &mut dirs, user);
    }
    Ok(dirs)
}

/// `dir` and its subdirectories, depth first and sorted. The system skips
/// `/etc/containers/systemd/users` (the users'); a user skips the numbered
/// dirs in it (other users', and its own, which is searched first).
fn walk(dir: &Path, out: &mut Vec<PathBuf>, user: bool) {
    let users = Path::new("/etc/containers/systemd/users");
    if (!user && dir == users) || out.iter().any(|d| d == dir) {
        return;
    }
    out.push(dir.to_path_buf());
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut subs: Vec<PathBuf> = (rd.filter_map(|e| e.ok()))
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect();
    subs.sort();
    for s in subs {
        let numbered = s.parent() == Some(users)
            && (s.file_name().and_then(|n| n.to_str()))
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()));
        if !(user && numbered) {
            walk(&s, out, user);
        }
    }
}

/// Writes `name` into the generator's output dir and the `[Install]`
/// symlinks (`systemctl enable` cannot enable a generated unit).
fn write(out: &Path, name: &str, mut service: UnitFile) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating `{}`", out.display()))?;
    let argv0 = std::env::args().next().unwrap_or_else(|| "berth".into());
    service.prepend_comments(&["#", &format!("# Automatically generated by {argv0}"), "#"]);
    let path = out.join(name);
    std::fs::write(&path, service.to_text())
        .with_context(|| format!("writing `{}`", path.display()))?;
    let mut links: Vec<String> = Vec::new();
    for alias in words(&service, "Alias")? {
        links.push(alias);
    }
    for (key, dir) in [("WantedBy", "wants"), ("RequiredBy", "requires")] {
        for unit in words(&service, key)? {
            if !unit.contains('/') {
                links.push(format!("{unit}.{dir}/{name}"));
            }
        }
    }
    for link in links {
        let link_path = out.join(&link);
        let parent = link_path.parent().unwrap_or(out);
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating `{}`", parent.display()))?;
        let depth = Path::new(&link).components().count().saturating_sub(1);
        let target = format!("{}{name}", "../".repeat(depth));
        let _ = std::fs::remove_file(&link_path);
        std::os::unix::fs::symlink(&target, &link_path)
            .with_context(|| format!("linking `{}`", link_path.display()))?;
    }
    Ok(())
}

fn words(service: &UnitFile, key: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for v in service.all("Install", key) {
        out.extend(crate::unit::split_words(v)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropin_dirs_go_from_the_unit_to_its_kind() {
        assert_eq!(
            dropin_dirs("a-b-c.container"),
            [
                "a-b-c.container.d",
                "a-b-.container.d",
                "a-.container.d",
                "container.d"
            ]
        );
        assert_eq!(
            dropin_dirs("web@1.container"),
            ["web@1.container.d", "web@.container.d", "container.d"]
        );
    }
}
