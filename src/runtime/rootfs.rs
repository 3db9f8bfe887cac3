//! The container's filesystem, set up in the child inside its user and mount
//! namespaces: overlay root, /proc, /dev, /sys, then pivot_root, then the
//! mounts that name container paths.
//!
//! Ordering matters twice. proc and sysfs can only be mounted while a fully
//! visible instance is still in the mount namespace (the kernel's
//! mount_too_revealing check), so they go in before pivot_root. Everything
//! whose destination is a path the image controls (volumes, /etc files,
//! masks) is mounted after pivot_root, when an absolute symlink in the image
//! resolves inside the container and cannot reach the host; the host side of
//! those binds is opened as an O_PATH fd before and mounted through
//! /proc/self/fd.

use super::extensions::Overlay;
use super::plan::{Mount, MountKind, Plan};
use anyhow::{Context, Result, bail};
use nix::mount::{MntFlags, MsFlags, mount, umount2};
use std::fs;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

const DEVICES: &[&str] = &["null", "zero", "full", "random", "urandom", "tty"];

pub fn setup(spec: &Plan<'_>) -> Result<()> {
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .context("making / private in the container's mount namespace")?;
    // Host sides of binds, opened while the host is still visible.
    let binds: Vec<(OwnedFd, &Mount)> = spec
        .mounts
        .iter()
        .filter_map(|m| match &m.kind {
            MountKind::Bind { source, .. } => Some((source, m)),
            MountKind::Tmpfs { .. } => None,
        })
        .map(|(source, m)| {
            crate::sys::mount::clone_tree(source)
                .with_context(|| format!("bind mount source `{}`", source.display()))
                .map(|fd| (fd, m))
        })
        .collect::<Result<_>>()?;

    let root = &spec.root;
    mount_overlay(spec.overlay, root)?;
    crate::logger::phase("child.overlay");
    let proc_dir = top_dir(root, "proc")?;
    mount(
        Some("proc"),
        &proc_dir,
        Some("proc"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        None::<&str>,
    )
    .context("mounting /proc in the container")?;
    mount_sys(spec, &top_dir(root, "sys")?)?;
    mount_dev(spec, &top_dir(root, "dev")?)?;

    std::env::set_current_dir(root).context("entering the container root")?;
    nix::unistd::pivot_root(".", ".").context("pivot_root into the container root")?;
    // The old root is stacked under the new one at "/": detach it.
    umount2(".", MntFlags::MNT_DETACH).context("detaching the host root")?;
    std::env::set_current_dir("/")?;
    crate::logger::phase("child.pivot_root");

    // The mounts of the tmpfs berth made here: a bind of a host directory
    // that is on a tmpfs (the host's /tmp, /dev/shm) is the user's too.
    let mut own_tmpfs: Vec<u64> = Vec::new();
    for m in &spec.mounts {
        match &m.kind {
            MountKind::Tmpfs { options } => {
                let target = container_path(Path::new(&m.dest), true)?;
                let at = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&target));
                let (flags, data) = mount_options(options);
                mount(
                    Some("tmpfs"),
                    at.as_str(),
                    Some("tmpfs"),
                    flags,
                    Some(data.as_str()),
                )
                .with_context(|| format!("mounting tmpfs on `{}`", m.dest))?;
                own_tmpfs.push(mount_id(&container_path(Path::new(&m.dest), true)?)?);
            }
            MountKind::Bind { readonly, .. } => {
                if m.generated && !generated_target_allowed(Path::new(&m.dest), &own_tmpfs)? {
                    log::debug!(
                        "`{}` not bound: its directory is a mount of the user's without it",
                        m.dest
                    );
                    continue;
                }
                let fd = &binds
                    .iter()
                    .find(|(_, b)| std::ptr::eq(*b, m))
                    .expect("opened above")
                    .0;
                let is_dir =
                    nix::sys::stat::fstat(fd).map(|s| s.st_mode & libc::S_IFMT == libc::S_IFDIR)?;
                let seeded = m.seed
                    && seed_volume(fd, Path::new(&m.dest))
                        .with_context(|| format!("filling volume `{}` from the image", m.dest))?;
                bind_fd(fd, Path::new(&m.dest), is_dir, *readonly)
                    .with_context(|| format!("mounting volume on `{}`", m.dest))?;
                if seeded {
                    // The volume has moved on to its target: the scratch point is an
                    // empty dir again, and the next new volume is seeded through it.
                    fs::remove_dir(SEED_SCRATCH).with_context(|| {
                        format!("removing `{SEED_SCRATCH}` after filling `{}`", m.dest)
                    })?;
                }
            }
        }
    }
    for p in &spec.masked {
        mask(p).with_context(|| format!("masking {p}"))?;
    }
    for p in &spec.readonly_paths {
        if Path::new(p).exists() {
            mount(
                Some(p.as_str()),
                p.as_str(),
                None::<&str>,
                MsFlags::MS_BIND | MsFlags::MS_REC,
                None::<&str>,
            )
            .with_context(|| format!("binding {p}"))?;
            remount_ro(Path::new(p)).with_context(|| format!("making {p} read-only"))?;
        }
    }
    if spec.read_only {
        remount_ro(Path::new("/")).context("making the root filesystem read-only")?;
    }
    Ok(())
}

fn mount_overlay(r: &Overlay, target: &Path) -> Result<()> {
    // Relative lowerdirs keep the mount data under one page for deep images.
    std::env::set_current_dir(&r.layers_dir)
        .with_context(|| format!("entering `{}`", r.layers_dir.display()))?;
    let data = crate::sys::mount::overlay_data(
        &r.lower_list(),
        Some((&r.upper, &r.work)),
        if r.volatile { ",volatile" } else { "" },
    );
    let forced_copy = std::env::var_os("BERTH_NO_OVERLAY").is_some();
    let mount_with = |data: &str| {
        mount(
            Some("overlay"),
            target,
            Some("overlay"),
            MsFlags::empty(),
            Some(data),
        )
    };
    let overlay = if forced_copy {
        Err(nix::errno::Errno::EPERM)
    } else {
        match mount_with(&data) {
            // A kernel before 5.10 has no `volatile`: mount without it.
            Err(nix::errno::Errno::EINVAL) if r.volatile => {
                mount_with(data.trim_end_matches(",volatile"))
            }
            other => other,
        }
    };
    if let Err(e) = overlay {
        log::warn!(
            "overlayfs refused ({e}): copying the image's layers instead (slower, uses more disk)"
        );
        copy_layers(r, target).context("copying the image's layers into the container root")?;
        // pivot_root needs a mount point.
        mount(
            Some(target),
            target,
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )
        .context("binding the container root")?;
    }
    Ok(())
}

/// Where a new volume is filled, in our own /dev tmpfs.
const SEED_SCRATCH: &str = "/dev/.berth-seed";

/// Copies the image's content at `dest` into a new volume: the volume is
/// attached at [`SEED_SCRATCH`], filled, and then moved to `dest` by the
/// caller's attach (move_mount moves an attached tree), which then removes the
/// scratch dir. Returns whether the scratch point was used.
fn seed_volume(fd: &OwnedFd, dest: &Path) -> Result<bool> {
    let Some(src) = image_dir(dest) else {
        return Ok(false);
    };
    let scratch = Path::new(SEED_SCRATCH);
    fs::create_dir(scratch).with_context(|| format!("creating `{SEED_SCRATCH}`"))?;
    crate::sys::mount::attach(fd, scratch)?;
    // Through our own fd to the directory checked above: nothing of the
    // container runs yet that could swap what is below it.
    let src_path = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&src));
    copy_tree(Path::new(&src_path), scratch)?;
    Ok(true)
}

/// The image's directory at `dest`, if there is one: resolved inside the
/// root, without /proc magic links and without leaving the root's own mount
/// (RESOLVE_NO_XDEV). An image's `/data -> /proc/self/fd/3` (or `/proc`,
/// `/dev`, a volume mounted before) is not the image's content, and
/// copying it would copy whatever a host fd or the kernel shows there.
fn image_dir(dest: &Path) -> Option<OwnedFd> {
    use crate::sys::fs::{RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_XDEV, openat2};
    use std::os::unix::ffi::OsStrExt;
    let root = fs::File::open("/").ok()?;
    let c = std::ffi::CString::new(dest.as_os_str().as_bytes()).ok()?;
    openat2(
        std::os::fd::AsFd::as_fd(&root),
        &c,
        libc::O_PATH | libc::O_DIRECTORY,
        0,
        RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
    )
    .ok()
}

/// The copy fallback: layers applied bottom first into the (empty) root,
/// overlay whiteouts (0:0 character devices) and opaque markers honoured.
fn copy_layers(r: &Overlay, target: &Path) -> Result<()> {
    for layer in r.lowerdirs.iter().rev() {
        copy_tree(&r.layers_dir.join(layer), target)?;
    }
    Ok(())
}

fn copy_tree(src: &Path, dst: &Path) -> Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    if crate::sys::fs::is_overlay_opaque(src) && dst.is_dir() {
        fs::remove_dir_all(dst)?;
        fs::create_dir(dst)?;
    }
    for entry in fs::read_dir(src).with_context(|| format!("reading `{}`", src.display()))? {
        let entry = entry?;
        let (from, to) = (entry.path(), dst.join(entry.file_name()));
        let meta = entry.metadata()?;
        let ft = meta.file_type();
        let is_whiteout = std::os::unix::fs::FileTypeExt::is_char_device(&ft) && meta.rdev() == 0;
        if let Ok(old) = fs::symlink_metadata(&to)
            && (is_whiteout || !(old.is_dir() && ft.is_dir()))
        {
            if old.is_dir() {
                fs::remove_dir_all(&to)?
            } else {
                fs::remove_file(&to)?
            }
        }
        if is_whiteout {
            continue;
        }
        if ft.is_dir() {
            if !to.exists() {
                fs::create_dir(&to)?;
            }
            copy_tree(&from, &to)?;
        } else if ft.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(&from)?, &to)?;
        } else if ft.is_file() {
            fs::copy(&from, &to).with_context(|| format!("copying `{}`", from.display()))?;
        } else {
            continue;
        }
        let _ = nix::unistd::fchownat(
            nix::fcntl::AT_FDCWD,
            &to,
            Some(meta.uid().into()),
            Some(meta.gid().into()),
            nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW,
        );
        if !ft.is_symlink() {
            fs::set_permissions(&to, fs::Permissions::from_mode(meta.mode() & 0o7777))?;
        }
    }
    Ok(())
}

/// `<root>/<name>` as a real directory (created if missing; a symlink there is refused).
fn top_dir(root: &Path, name: &str) -> Result<PathBuf> {
    let p = root.join(name);
    match fs::symlink_metadata(&p) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => bail!("the image's /{name} is not a directory"),
        Err(_) => {
            fs::create_dir(&p).with_context(|| format!("creating /{name} in the container"))?
        }
    }
    Ok(p)
}

fn mount_sys(spec: &Plan<'_>, dir: &Path) -> Result<()> {
    let flags = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC | MsFlags::MS_RDONLY;
    // sysfs needs a network namespace of our own; otherwise bind the host's.
    if spec.new_netns && mount(Some("sysfs"), dir, Some("sysfs"), flags, None::<&str>).is_ok() {
        return Ok(());
    }
    // Every mount under /sys read-only (cgroup hierarchies included), not just the top.
    let tree = crate::sys::mount::clone_tree(Path::new("/sys")).context("cloning /sys")?;
    crate::sys::mount::set_readonly_recursive(&tree).context("making /sys read-only")?;
    crate::sys::mount::attach(&tree, dir).context("binding /sys into the container")
}

fn mount_dev(spec: &Plan<'_>, dev: &Path) -> Result<()> {
    mount(
        Some("tmpfs"),
        dev,
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_STRICTATIME,
        Some("mode=755,size=65536k"),
    )
    .context("mounting /dev in the container")?;
    for d in DEVICES {
        let target = dev.join(d);
        fs::File::create(&target).with_context(|| format!("creating /dev/{d}"))?;
        mount(
            Some(Path::new("/dev").join(d).as_path()),
            &target,
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )
        .with_context(|| format!("binding /dev/{d}"))?;
    }
    let pts = dev.join("pts");
    fs::create_dir(&pts)?;
    // gid=5 (tty) only where the mapping has it; the kernel refuses unmapped ids.
    let mut opts = "newinstance,ptmxmode=0666,mode=0620".to_string();
    if spec.has_id_range {
        opts.push_str(",gid=5");
    }
    mount(
        Some("devpts"),
        &pts,
        Some("devpts"),
        MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
        Some(opts.as_str()),
    )
    .context("mounting /dev/pts in the container")?;
    std::os::unix::fs::symlink("pts/ptmx", dev.join("ptmx"))?;
    let shm = dev.join("shm");
    fs::create_dir(&shm)?;
    mount(
        Some("shm"),
        &shm,
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        Some("mode=1777,size=65536k"),
    )
    .context("mounting /dev/shm in the container")?;
    let mq = dev.join("mqueue");
    fs::create_dir(&mq)?;
    mount(
        Some("mqueue"),
        &mq,
        Some("mqueue"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        None::<&str>,
    )
    .context("mounting /dev/mqueue in the container")?;
    for (link, target) in [
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ] {
        std::os::unix::fs::symlink(target, dev.join(link))?;
    }
    Ok(())
}

/// Binds the object `fd` refers to onto `dest` (created as a file or dir).
fn bind_fd(fd: &OwnedFd, dest: &Path, is_dir: bool, readonly: bool) -> Result<()> {
    if readonly {
        crate::sys::mount::set_readonly_recursive(fd).context("making the bind read-only")?;
    }
    let target = container_path(dest, is_dir)?;
    crate::sys::mount::attach_at(fd, &target)?;
    Ok(())
}

/// Whether berth's generated file at `dest` may be bound: its target
/// exists, or its directory is on the container's own root or one of the
/// tmpfs berth mounted for it (`own_tmpfs`, their mount ids), where making
/// the target touches nothing that outlives the container. A volume or a
/// host directory mounted on `/etc` is the user's, even when the host's
/// directory is itself on a tmpfs: berth makes nothing in it (the file is
/// then not bound).
fn generated_target_allowed(dest: &Path, own_tmpfs: &[u64]) -> Result<bool> {
    use crate::sys::fs::{RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, openat2};
    use std::os::unix::ffi::OsStrExt;
    let root = fs::File::open("/").context("opening the container root")?;
    let resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    let open = |p: &Path| {
        let c = std::ffi::CString::new(p.as_os_str().as_bytes())?;
        openat2(
            std::os::fd::AsFd::as_fd(&root),
            &c,
            libc::O_PATH,
            0,
            resolve,
        )
        .map_err(anyhow::Error::from)
    };
    if open(dest).is_ok() {
        return Ok(true);
    }
    // The nearest directory that exists is where `container_path` would
    // start making things.
    let Some(dir) = dest.ancestors().skip(1).find_map(|p| open(p).ok()) else {
        return Ok(true);
    };
    let id = mount_id(&dir)?;
    Ok(own_tmpfs.contains(&id) || id == mount_id(&root)?)
}

/// The id of the mount an fd is on, from `/proc/self/fdinfo` (the
/// container's own /proc, mounted by now).
fn mount_id(fd: &impl std::os::fd::AsRawFd) -> Result<u64> {
    let path = format!("/proc/self/fdinfo/{}", fd.as_raw_fd());
    let text = fs::read_to_string(&path).with_context(|| format!("reading `{path}`"))?;
    text.lines()
        .find_map(|l| l.strip_prefix("mnt_id:"))
        .and_then(|v| v.trim().parse().ok())
        .with_context(|| format!("no mnt_id in `{path}`"))
}

/// `rw,nosuid,size=1m` → the flags mount(2) takes and the data tmpfs parses.
fn mount_options(options: &str) -> (MsFlags, String) {
    let mut flags = MsFlags::empty();
    let mut data = Vec::new();
    for o in options.split(',').filter(|o| !o.is_empty()) {
        match o {
            "rw" | "exec" | "suid" | "dev" => {}
            "ro" => flags |= MsFlags::MS_RDONLY,
            "nosuid" => flags |= MsFlags::MS_NOSUID,
            "nodev" => flags |= MsFlags::MS_NODEV,
            "noexec" => flags |= MsFlags::MS_NOEXEC,
            other => data.push(other),
        }
    }
    (flags, data.join(","))
}

/// An O_PATH fd of `dest` inside the container root (we are past pivot_root),
/// created (as a directory or an empty file) when missing. Every lookup stays
/// in the root (RESOLVE_IN_ROOT) and refuses /proc magic links, so a symlink
/// the image planted cannot steer a mount onto a host object or a detached
/// mount still held open as an fd.
pub(super) fn container_path(dest: &Path, is_dir: bool) -> Result<OwnedFd> {
    use crate::sys::fs::{RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, openat2};
    use std::ffi::CString;
    use std::os::fd::AsFd;
    use std::os::unix::ffi::OsStrExt;
    let root = nix::fcntl::open(
        "/",
        nix::fcntl::OFlag::O_PATH | nix::fcntl::OFlag::O_DIRECTORY | nix::fcntl::OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    )?;
    let resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    let rel: Vec<&std::ffi::OsStr> = dest.iter().filter(|c| *c != "/" && *c != ".").collect();
    let cpath = |n: usize| -> Result<CString> {
        let joined: Vec<&[u8]> = rel[..n].iter().map(|c| c.as_bytes()).collect();
        let j = if n == 0 {
            b".".to_vec()
        } else {
            joined.join(&b"/"[..])
        };
        Ok(CString::new(j)?)
    };
    let open = |n: usize| {
        openat2(
            root.as_fd(),
            &cpath(n).unwrap_or_default(),
            libc::O_PATH,
            0,
            resolve,
        )
    };
    if let Ok(fd) = open(rel.len()) {
        return Ok(fd);
    }
    for n in 1..=rel.len() {
        match open(n) {
            Ok(_) => continue,
            // Only a missing name is made; a magic link (ELOOP, EXDEV) is
            // refused as what it is, not reported as already existing.
            Err(e) if e.raw_os_error() != Some(libc::ENOENT) => {
                return Err(e)
                    .with_context(|| format!("resolving `{}` in the container", dest.display()));
            }
            Err(_) => {}
        }
        let parent = open(n - 1)
            .with_context(|| format!("resolving `{}` in the container", dest.display()))?;
        let parent = openat2(
            parent.as_fd(),
            c".",
            libc::O_DIRECTORY | libc::O_RDONLY,
            0,
            0,
        )?;
        let name = rel[n - 1];
        if n < rel.len() || is_dir {
            nix::sys::stat::mkdirat(
                parent.as_fd(),
                name,
                nix::sys::stat::Mode::from_bits_truncate(0o755),
            )
            .with_context(|| format!("creating `{}` in the container", dest.display()))?;
        } else {
            nix::fcntl::openat(
                parent.as_fd(),
                name,
                nix::fcntl::OFlag::O_CREAT
                    | nix::fcntl::OFlag::O_EXCL
                    | nix::fcntl::OFlag::O_NOFOLLOW
                    | nix::fcntl::OFlag::O_WRONLY
                    | nix::fcntl::OFlag::O_CLOEXEC,
                nix::sys::stat::Mode::from_bits_truncate(0o644),
            )
            .with_context(|| format!("creating `{}` in the container", dest.display()))?;
        }
    }
    open(rel.len()).with_context(|| format!("resolving `{}` in the container", dest.display()))
}

/// Read-only remount of a bind, keeping the flags the kernel locks in a
/// user namespace (nosuid, nodev, noexec…): dropping them would be refused.
fn remount_ro(p: &Path) -> Result<()> {
    let st = nix::sys::statvfs::statvfs(p)?;
    let mut flags = MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY;
    use nix::sys::statvfs::FsFlags;
    for (f, m) in [
        (FsFlags::ST_NOSUID, MsFlags::MS_NOSUID),
        (FsFlags::ST_NODEV, MsFlags::MS_NODEV),
        (FsFlags::ST_NOEXEC, MsFlags::MS_NOEXEC),
        (FsFlags::ST_NOATIME, MsFlags::MS_NOATIME),
        (FsFlags::ST_NODIRATIME, MsFlags::MS_NODIRATIME),
        (FsFlags::ST_RELATIME, MsFlags::MS_RELATIME),
    ] {
        if st.flags().contains(f) {
            flags |= m;
        }
    }
    mount(None::<&str>, p, None::<&str>, flags, None::<&str>)?;
    Ok(())
}

fn mask(p: &str) -> Result<()> {
    let meta = match fs::metadata(p) {
        Ok(m) => m,
        Err(_) => return Ok(()),
    };
    if meta.is_dir() {
        mount(
            Some("tmpfs"),
            p,
            Some("tmpfs"),
            MsFlags::MS_RDONLY,
            Some("size=0"),
        )?;
    } else {
        mount(
            Some("/dev/null"),
            p,
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )?;
    }
    Ok(())
}
