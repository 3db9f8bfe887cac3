//! `berth cp [-a] [-L] CONTAINER:SRC DEST|-` and `berth cp SRC|- CONTAINER:DEST`
//!
//! The copy travels as a tar between berth (the host side) and a helper in
//! the container's user namespace (the container side, `helper::RootOp`),
//! which resolves the container's path in the container's root. Docker's
//! rules decide what the copy is called (`layer::PackDest`,
//! `layer::unpack_at`).

use super::Ctx;
use crate::container::{Containers, Meta, Process, State};
use crate::helper::{self, ContainerRoot, Job, RootOp};
use crate::ident::idmap::IdMapping;
use crate::layer::{self, Ownership, PackDest, PackOptions, Source};
use crate::layout::Lock;
use anyhow::{Context, Result, bail};
use std::ffi::OsStr;
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// Copy files between a container and the host
///
/// One side is CONTAINER:PATH, the other a host path or `-` (a tar stream on
/// stdin or stdout). `DIR/.` copies a directory's contents; a directory
/// copied to a path that does not exist becomes it. Works on stopped and
/// running containers; paths in the container resolve in its root.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Archive mode: keep the files' uid and gid (default: owned by the
    /// container's root when copied in)
    #[arg(short, long)]
    archive: bool,
    /// Follow a symlink given as the source
    #[arg(short = 'L', long)]
    follow_link: bool,
    /// CONTAINER:SRC, a host path, or `-` for a tar on stdin
    src: String,
    /// CONTAINER:DEST, a host path, or `-` for a tar on stdout
    dest: String,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    match (split(&a.src), split(&a.dest)) {
        (Some((c, src)), None) => copy_out(ctx, &a, c, src),
        (None, Some((c, dest))) => copy_in(ctx, &a, c, dest),
        (Some(_), Some(_)) => bail!("copying between two containers is not supported"),
        (None, None) => {
            bail!("one of `{}` and `{}` must be CONTAINER:PATH", a.src, a.dest)
        }
    }
}

/// `CONTAINER:PATH` as docker reads it: a colon before any slash. A host
/// path with a colon is written `./a:b`.
fn split(arg: &str) -> Option<(&str, PathBuf)> {
    let (c, p) = arg.split_once(':')?;
    if c.is_empty() || c.contains('/') {
        return None;
    }
    // Relative paths are relative to the container's root (docker's `/`).
    Some((c, Path::new("/").join(p)))
}

/// The container's record, brought up to date, and, unless it runs, its
/// lock, to hold for the copy: a copy of a container that does not run
/// mounts the container's upper dir, and a `start` meanwhile would mount it
/// a second time (two overlays on one upper dir are undefined); under the
/// lock, `start`, `rm` and `commit` wait for the copy instead. A running
/// container's copies go through its own mounts and take no lock, so they
/// never hold up its `stop`.
pub(super) fn find_for_copy(ctx: &Ctx, name: &str, writes: bool) -> Result<(Meta, Option<Lock>)> {
    let containers = Containers::new(&ctx.layout);
    let id = containers.find(name)?.id;
    let lock = containers.lock(&id)?;
    let mut meta = containers.reload(&id)?;
    containers.settle(&mut meta)?;
    if running(&meta).is_some() {
        return Ok((meta, None));
    }
    if writes && meta.monitor.is_some_and(|m| m.alive()) {
        bail!(
            "container {} is being started (or restarted by its policy): copy into it once it runs or has stopped",
            meta.name
        );
    }
    Ok((meta, Some(lock)))
}

/// Its pid 1 while it runs.
fn running(meta: &Meta) -> Option<Process> {
    if !matches!(meta.state, State::Running | State::Orphaned) {
        return None;
    }
    let p = meta
        .pid
        .zip(meta.pid_start)
        .map(|(pid, start)| Process { pid, start })?;
    p.alive().then_some(p)
}

/// The container's layers mounted by a helper: read-only (always safe),
/// or read-write for a container that is not running.
pub(super) fn overlay(ctx: &Ctx, meta: &Meta, writable: bool) -> Result<ContainerRoot> {
    // The layers its bundle names, not its image's: a commit makes the
    // container's upper one of its layers.
    let o = crate::spec::bundle::read(&ctx.layout.container(&meta.id))?
        .extensions
        .overlay;
    // The shared /etc mount points are part of its root as it runs.
    let lowerdirs = o.lower_list();
    let [_, _, target] = ctx.layout.container_rootfs_dirs(&meta.id);
    Ok(ContainerRoot::Overlay {
        layers_dir: o.layers_dir,
        lowerdirs,
        upper: o.upper,
        work: o.work,
        target,
        writable,
    })
}

/// Runs `op` in a helper that sees `meta`'s root (see [`ContainerRoot`]).
pub(super) fn in_container(
    ctx: &Ctx,
    meta: &Meta,
    writes: bool,
    op: RootOp,
    input: Option<&mut dyn Read>,
    output: Option<&mut dyn Write>,
) -> Result<()> {
    match running(meta) {
        // Writes go to the live root: a second overlay on the upper dir of a
        // mounted one is undefined behaviour. Reads need no such care.
        Some(p) if writes => {
            // Under --init, the command's process: pid 1 is berth's reaper,
            // whose namespaces and root are refused to us.
            let init = crate::spec::bundle::read(&ctx.layout.container(&meta.id))?
                .extensions
                .init;
            let p = crate::runtime::exec::joinable(p, init)?;
            let job = Job::Container {
                root: ContainerRoot::Running { pid: p.pid },
                op,
            };
            helper::run_joined(p, &job, input, output)
        }
        _ => {
            let job = Job::Container {
                root: overlay(ctx, meta, writes)?,
                op,
            };
            helper::run(&IdMapping::for_current_user()?, &job, input, output)
        }
    }
}

/// Ids in `user.berth.*` xattrs: the user has no subordinate range.
pub(super) fn ids_in_xattrs() -> Result<bool> {
    Ok(!IdMapping::for_current_user()?.has_range())
}

fn copy_out(ctx: &Ctx, a: &Args, name: &str, src: PathBuf) -> Result<i32> {
    let (meta, _lock) = find_for_copy(ctx, name, false)?;
    let shown = || format!("{name}:{}", src.display());
    let ids_from_xattrs = ids_in_xattrs()?;
    let op = |dest| RootOp::Pack {
        path: src.clone(),
        dest,
        follow: a.follow_link,
        ids_from_xattrs,
    };
    if a.dest == "-" {
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        in_container(ctx, &meta, false, op(PackDest::Dir), None, Some(&mut out))
            .with_context(|| format!("copying `{}`", shown()))?;
        out.flush()?;
        return Ok(0);
    }
    let dest = Path::new(&a.dest);
    let (dir, pack_dest) = match std::fs::metadata(dest) {
        Ok(m) if m.is_dir() => (dest.to_path_buf(), PackDest::Dir),
        Ok(_) => (parent(dest), PackDest::File { name: base(dest)? }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let slash = a.dest.ends_with('/');
            let name = base(dest)?;
            (parent(dest), PackDest::Missing { name, slash })
        }
        Err(e) => return Err(e).with_context(|| format!("`{}`", a.dest)),
    };
    // The host side is the user's own: a symlink there is the user's to
    // follow. What comes from the container is extracted beneath it.
    let root = nix::fcntl::open(
        &dir,
        nix::fcntl::OFlag::O_PATH | nix::fcntl::OFlag::O_DIRECTORY | nix::fcntl::OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    )
    .with_context(|| format!("`{}`", dir.display()))?;
    let ownership = if nix::unistd::geteuid().is_root() && a.archive {
        Ownership::Preserve
    } else {
        Ownership::Caller
    };
    let opts = layer::ExtractOptions {
        ownership,
        owner: None,
        rename_top: None,
    };
    let (reader, mut writer) = std::io::pipe().context("creating a pipe")?;
    std::thread::scope(|s| {
        let extracting = s.spawn(move || layer::extract(reader, root, &opts));
        let packed = in_container(ctx, &meta, false, op(pack_dest), None, Some(&mut writer));
        drop(writer);
        let extracted = extracting.join().expect("the extracting thread panicked");
        first_cause(
            packed.with_context(|| format!("copying `{}`", shown())),
            extracted
                .map(|_| ())
                .with_context(|| format!("writing to `{}`", a.dest)),
        )?;
        Ok(0)
    })
}

fn copy_in(ctx: &Ctx, a: &Args, name: &str, dest: PathBuf) -> Result<i32> {
    let (meta, _lock) = find_for_copy(ctx, name, true)?;
    let shown = || format!("{name}:{}", dest.display());
    let owner = if a.archive { None } else { Some((0, 0)) };
    let ids_in_xattrs = ids_in_xattrs()?;
    let op = |source| RootOp::Unpack {
        path: dest.clone(),
        source,
        owner,
        ids_in_xattrs,
    };
    if a.src == "-" {
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        in_container(ctx, &meta, true, op(Source::Stream), Some(&mut input), None)
            .with_context(|| format!("copying to `{}`", shown()))?;
        return Ok(0);
    }
    let src = std::path::absolute(&a.src).with_context(|| format!("`{}`", a.src))?;
    let st = if a.follow_link {
        std::fs::metadata(&src)
    } else {
        std::fs::symlink_metadata(&src)
    }
    .with_context(|| format!("`{}`", a.src))?;
    let contents = a.src.ends_with("/.") || a.src == ".";
    let source = match (st.is_dir(), contents) {
        (true, true) => Source::Contents,
        (true, false) => Source::Dir,
        _ => Source::File,
    };
    let host = nix::fcntl::open(
        "/",
        nix::fcntl::OFlag::O_PATH | nix::fcntl::OFlag::O_DIRECTORY | nix::fcntl::OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    )?;
    let opts = PackOptions {
        follow: a.follow_link,
        ids_from_xattrs: false,
    };
    let (mut reader, writer) = std::io::pipe().context("creating a pipe")?;
    std::thread::scope(|s| {
        let src = &src;
        let packing = s.spawn(move || {
            let mut w = std::io::BufWriter::new(writer);
            layer::pack(host.as_fd(), src, &PackDest::Dir, &opts, &mut w)?;
            w.flush()?;
            anyhow::Ok(())
        });
        let copied = in_container(ctx, &meta, true, op(source), Some(&mut reader), None);
        drop(reader);
        let packed = packing.join().expect("the packing thread panicked");
        first_cause(
            packed.with_context(|| format!("reading `{}`", a.src)),
            copied.with_context(|| format!("copying to `{}`", shown())),
        )?;
        Ok(0)
    })
}

/// The error of a copy through a pipe: the producer's, unless it only saw
/// the consumer go away (a broken pipe), which then says why.
fn first_cause(producer: Result<()>, consumer: Result<()>) -> Result<()> {
    match (producer, consumer) {
        (Err(p), Err(c)) if broken_pipe(&p) => Err(c),
        (Err(p), _) => Err(p),
        (Ok(()), c) => c,
    }
}

fn broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The directory a new or replaced `path` goes into.
fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The name `path` ends in.
fn base(path: &Path) -> Result<PathBuf> {
    match path.file_name() {
        Some(n) if n != OsStr::from_bytes(b".") => Ok(PathBuf::from(n)),
        _ => bail!("`{}` names no file", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::split;
    use std::path::Path;

    #[test]
    fn a_container_path_has_a_colon_before_any_slash() {
        assert_eq!(split("c:/etc"), Some(("c", Path::new("/etc").into())));
        assert_eq!(split("c:etc/x"), Some(("c", Path::new("/etc/x").into())));
        assert_eq!(split("./a:b"), None);
        assert_eq!(split("/tmp/a:b"), None);
        assert_eq!(split(":x"), None);
        assert_eq!(split("plain"), None);
    }
}
