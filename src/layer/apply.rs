//! Apply one uncompressed tar layer into its own directory, turning OCI
//! whiteouts into overlayfs ones, without ever writing outside that directory.
//!
//! Security model: the layer directory is opened once; every entry's parent is
//! resolved from that fd with openat2(RESOLVE_BENEATH), so neither `..` nor a
//! symlink planted by an earlier entry can lead outside (the kernel refuses
//! with EXDEV); the last component is always created with O_EXCL/O_NOFOLLOW
//! semantics (open O_CREAT|O_EXCL|O_NOFOLLOW, mkdirat, mknodat, symlinkat,
//! linkat without AT_SYMLINK_FOLLOW), so a symlink there is never followed.
//! Names with `..` or a leading `/` are rejected outright, before any lookup:
//! they are never legitimate in a layer, and refusing them keeps error
//! messages clear. tar-rs only parses; it never touches the filesystem here.

use std::collections::HashMap;
use std::ffi::{CStr, CString, OsStr};
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag};
use nix::sys::stat::{
    FchmodatFlags, Mode, SFlag, UtimensatFlags, fchmod, fchmodat, fstatat, futimens, makedev,
    mkdirat, mknodat, utimensat,
};
use nix::sys::time::TimeSpec;
use nix::unistd::{Gid, Uid, fchown, fchownat, linkat, symlinkat};
use tar::EntryType;

use super::tree::remove_at;
use crate::sys::fs as sysfs;

/// Who owns the extracted files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ownership {
    /// chown entries to their tar uid/gid (we are real root, or root in a user
    /// namespace whose mapping covers the ids). Ids outside the namespace's
    /// mapping (EINVAL from chown) are squashed to 0 with ONE warning per apply.
    Preserve,
    /// We are an unprivileged user with no id range: everything is owned by us;
    /// the entry's original uid, gid and mode are recorded in xattrs
    /// `user.berth.uid`, `user.berth.gid`, `user.berth.mode` (decimal ASCII;
    /// the mode is the permission bits `& 0o7777`, no file type) on regular
    /// files and directories (user xattrs are impossible on symlinks and
    /// special files: skipped there).
    Xattr,
    /// Everything is owned by us and nothing is recorded: files copied out
    /// of a container to the host (`berth cp`), as docker gives them.
    Caller,
}

/// How to apply a layer.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    pub ownership: Ownership,
}

/// What an apply did.
#[derive(Debug, Default)]
pub struct ApplyReport {
    /// Tar entries handled (PAX and GNU long-name headers not counted).
    pub entries: u64,
    /// Bytes of regular-file data written.
    pub bytes: u64,
    /// Character and block devices not created because mknod said EPERM.
    pub skipped_devices: u64,
}

const OPAQUE_MARKER: &[u8] = b".wh..wh..opq";
const WHITEOUT_PREFIX: &[u8] = b".wh.";
const XATTR_OPAQUE: &CStr = crate::sys::fs::OVERLAY_OPAQUE;
const XATTR_UID: &CStr = c"user.berth.uid";
const XATTR_GID: &CStr = c"user.berth.gid";
const XATTR_MODE: &CStr = c"user.berth.mode";
/// Parents are looked up beneath the layer root; magic links (/proc/…/fd) can
/// never appear in a layer and would jump anywhere.
const RESOLVE: u64 = sysfs::RESOLVE_BENEATH | sysfs::RESOLVE_NO_MAGICLINKS;
const COPY_BUF: usize = 256 * 1024;

/// Apply one uncompressed tar layer stream into `dest` (an existing empty dir).
///
/// Reads the tar up to its end-of-archive marker (an archive that simply ends
/// at an entry boundary is accepted too, as Go's archive/tar and tar-rs do);
/// the caller drains any trailing bytes. On error the directory is left
/// half-written: the caller deletes it.
/// XATTR_SIZE_MAX: the largest xattr value the kernel accepts.
const XATTR_VALUE_MAX: usize = 64 * 1024;

/// What the directories' deferred metadata may hold in memory per layer.
const DIRS_KEPT_MAX: usize = 256 << 20;

pub fn apply(tar: impl Read, dest: &Path, opts: &ApplyOptions) -> Result<ApplyReport> {
    let root = nix::fcntl::open(
        dest,
        OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .with_context(|| format!("opening layer directory `{}`", dest.display()))?;
    let opts = ExtractOptions {
        ownership: opts.ownership,
        owner: None,
        rename_top: None,
    };
    run(tar, root, &opts, true)
}

/// How [`extract`] writes a plain tar (not a layer) into a directory.
#[derive(Debug, Clone)]
pub struct ExtractOptions {
    pub ownership: Ownership,
    /// Every entry's owner instead of the tar's (`berth cp` without `-a`).
    pub owner: Option<(u32, u32)>,
    /// Replaces the first component of every name (`berth cp` to a new name).
    pub rename_top: Option<std::ffi::OsString>,
}

/// Extracts a plain tar into the directory `root` (an fd, so that the
/// caller decides how it was reached), with the same guarantees as
/// [`apply`]: nothing is written outside `root`, no symlink is followed.
/// `.wh.` names are files like any other here: only layers have whiteouts.
pub fn extract(tar: impl Read, root: OwnedFd, opts: &ExtractOptions) -> Result<ApplyReport> {
    run(tar, root, opts, false)
}

fn run(tar: impl Read, root: OwnedFd, opts: &ExtractOptions, layer: bool) -> Result<ApplyReport> {
    let mut ex = Extractor {
        root,
        ownership: opts.ownership,
        whiteouts: layer,
        owner: opts.owner,
        rename_top: opts.rename_top.as_ref().map(|n| n.as_bytes().to_vec()),
        report: ApplyReport::default(),
        parent: None,
        dirs: Vec::new(),
        dir_index: HashMap::new(),
        dirs_kept: 0,
        warned_devices: false,
        warned_squash: false,
        buf: vec![0; COPY_BUF],
    };
    let mut archive = super::TarArchive::new(tar);
    for entry in archive.entries().context("reading layer tar")? {
        let mut entry = entry.context("reading layer tar")?;
        let mut name = entry.path_bytes().into_owned();
        if let Some(top) = &ex.rename_top {
            name = renamed(&name, top);
        }
        ex.entry(&mut entry, &name)
            .with_context(|| format!("layer entry `{}`", String::from_utf8_lossy(&name)))?;
    }
    ex.finish_dirs()?;
    Ok(ex.report)
}

/// Ownership, permissions, time and xattrs of one entry.
struct Meta {
    uid: u64,
    gid: u64,
    mode: u32,
    mtime: i64,
    xattrs: Vec<(CString, Vec<u8>)>,
}

/// A directory whose metadata is applied at the end (children change its
/// mtime; a 0555 mode would block its own children).
struct DirMeta {
    path: Vec<u8>,
    depth: usize,
    meta: Meta,
}

struct Extractor {
    root: OwnedFd,
    ownership: Ownership,
    /// `.wh.` names are whiteouts (a layer), or plain names (a copy).
    whiteouts: bool,
    owner: Option<(u32, u32)>,
    rename_top: Option<Vec<u8>>,
    report: ApplyReport,
    /// The last resolved parent directory (entries come grouped by directory).
    /// Dropped whenever anything is removed, since that may invalidate it.
    parent: Option<(CString, OwnedFd)>,
    dirs: Vec<DirMeta>,
    dir_index: HashMap<Vec<u8>, usize>,
    /// Bytes of names and xattrs kept in `dirs` (and its index).
    dirs_kept: usize,
    warned_devices: bool,
    warned_squash: bool,
    buf: Vec<u8>,
}

/// Split an entry name into its components: strip `./` and empty
/// components, and refuse absolute names and `..` anywhere.
fn components(name: &[u8]) -> Result<Vec<&[u8]>> {
    if name.first() == Some(&b'/') || name.split(|&b| b == b'/').any(|c| c == b"..") {
        bail!("path escapes the layer");
    }
    if name.contains(&0) {
        bail!("name contains a NUL byte");
    }
    Ok(name
        .split(|&b| b == b'/')
        .filter(|c| !c.is_empty() && *c != b".")
        .collect())
}

/// `name` with its first component (after any `./`) replaced by `top`.
fn renamed(name: &[u8], top: &[u8]) -> Vec<u8> {
    let trimmed = {
        let mut n = name;
        while let Some(rest) = n.strip_prefix(b"/") {
            n = rest;
        }
        n
    };
    let rest = match trimmed.iter().position(|&b| b == b'/') {
        Some(i) => &trimmed[i..],
        None => &b""[..],
    };
    let mut out = top.to_vec();
    out.extend_from_slice(rest);
    out
}

fn join(comps: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(comps.iter().map(|c| c.len() + 1).sum());
    for (i, c) in comps.iter().enumerate() {
        if i > 0 {
            out.push(b'/');
        }
        out.extend_from_slice(c);
    }
    out
}

fn os(b: &[u8]) -> &OsStr {
    OsStr::from_bytes(b)
}

fn cstring(b: Vec<u8>) -> Result<CString> {
    CString::new(b).map_err(|_| anyhow!("name contains a NUL byte"))
}

fn is_dir(parent: BorrowedFd<'_>, name: &[u8]) -> nix::Result<bool> {
    let st = fstatat(parent, os(name), AtFlags::AT_SYMLINK_NOFOLLOW)?;
    Ok(SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT == SFlag::S_IFDIR)
}

fn meta_of<R: Read>(entry: &mut tar::Entry<'_, R>) -> Result<Meta> {
    let h = entry.header();
    let mut meta = Meta {
        uid: h.uid().context("reading layer tar: uid")?,
        gid: h.gid().context("reading layer tar: gid")?,
        mode: h.mode().context("reading layer tar: mode")? & 0o7777,
        mtime: h.mtime().context("reading layer tar: mtime")? as i64,
        xattrs: Vec::new(),
    };
    let Some(pax) = entry
        .pax_extensions()
        .context("reading layer tar: PAX header")?
    else {
        return Ok(meta);
    };
    for ext in pax {
        let ext = ext.context("reading layer tar: PAX header")?;
        let key = ext.key_bytes();
        let num = || -> Option<u64> { std::str::from_utf8(ext.value_bytes()).ok()?.parse().ok() };
        match key {
            b"uid" => meta.uid = num().ok_or_else(|| anyhow!("bad PAX uid"))?,
            b"gid" => meta.gid = num().ok_or_else(|| anyhow!("bad PAX gid"))?,
            b"mtime" => {
                // "1700000000.123456789": whole seconds are enough.
                let v = std::str::from_utf8(ext.value_bytes()).unwrap_or("");
                if let Ok(s) = v.split('.').next().unwrap_or("").parse::<i64>() {
                    meta.mtime = s;
                }
            }
            _ => {
                let Some(name) = key.strip_prefix(b"SCHILY.xattr.") else {
                    continue;
                };
                // user.overlay.* would let the image steer overlayfs (the layer is
                // mounted with userxattr); user.berth.* would forge ownership we
                // record ourselves. trusted.* and the rest need privileges we
                // must not rely on and are not part of an image's content.
                let wanted = (name.starts_with(b"user.")
                    && !name.starts_with(b"user.overlay.")
                    && !name.starts_with(b"user.berth."))
                    || name == b"security.capability";
                if !wanted {
                    log::debug!("layer: skipping xattr `{}`", String::from_utf8_lossy(name));
                    continue;
                }
                // The kernel takes no value larger (XATTR_SIZE_MAX); a larger
                // one is no image's content, only memory kept until the end.
                if ext.value_bytes().len() > XATTR_VALUE_MAX {
                    bail!(
                        "xattr `{}` is larger than 64 KiB",
                        String::from_utf8_lossy(name)
                    );
                }
                if let Ok(n) = CString::new(name) {
                    meta.xattrs.push((n, ext.value_bytes().to_vec()));
                }
            }
        }
    }
    Ok(meta)
}

impl Extractor {
    fn entry<R: Read>(&mut self, entry: &mut tar::Entry<'_, R>, name: &[u8]) -> Result<()> {
        let etype = entry.header().entry_type();
        if matches!(etype, EntryType::XGlobalHeader) {
            log::debug!("layer: ignoring PAX global header");
            return Ok(());
        }
        let comps = components(name)?;
        self.report.entries += 1;
        let Some((&last, parent_comps)) = comps.split_last() else {
            // `./`: the layer root itself.
            if !etype.is_dir() {
                bail!("the layer root can only be a directory");
            }
            let meta = meta_of(entry)?;
            self.record_dir(Vec::new(), 0, meta)?;
            return Ok(());
        };

        if let Some(target) = last.strip_prefix(WHITEOUT_PREFIX)
            && self.whiteouts
        {
            let (key, parent) = self.parent(parent_comps)?;
            let r = self.whiteout(parent.as_fd(), last, target);
            self.put_parent(key, parent);
            return r;
        }

        let mut meta = meta_of(entry)?;
        if let Some((u, g)) = self.owner {
            (meta.uid, meta.gid) = (u.into(), g.into());
        }
        let (key, parent) = self.parent(parent_comps)?;
        let r = self.create(entry, etype, parent.as_fd(), &comps, meta);
        self.put_parent(key, parent);
        r
    }

    /// Resolve (creating missing directories, mode 0755) the directory
    /// `comps` beneath the layer root, as an O_PATH fd.
    /// Returns the path too, as the key to hand back to [`Self::put_parent`].
    fn parent(&mut self, comps: &[&[u8]]) -> Result<(CString, OwnedFd)> {
        let key = join(comps);
        if let Some((k, fd)) = self.parent.take()
            && k.as_bytes() == key
        {
            return Ok((k, fd));
        }
        let path = if key.is_empty() {
            c".".to_owned()
        } else {
            cstring(key)?
        };
        match self.open_dir(&path) {
            Ok(fd) => return Ok((path, fd)),
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {}
            Err(e) => return Err(self.resolve_error(e)),
        }
        // Slow path: walk down, creating what is missing. Each prefix is still
        // resolved from the root so that RESOLVE_BENEATH judges the whole path.
        let mut fd = self.root.try_clone().context("dup layer root fd")?;
        for i in 0..comps.len() {
            let prefix = cstring(join(&comps[..=i]))?;
            fd = match self.open_dir(&prefix) {
                Ok(fd) => fd,
                Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {
                    let name = os(comps[i]);
                    mkdirat(fd.as_fd(), name, Mode::from_bits_truncate(0o755)).with_context(
                        || format!("creating parent directory `{}`", prefix.to_string_lossy()),
                    )?;
                    // Not subject to the umask: implicit directories are 0755 like Docker's.
                    fchmodat(
                        fd.as_fd(),
                        name,
                        Mode::from_bits_truncate(0o755),
                        FchmodatFlags::FollowSymlink,
                    )
                    .context("setting mode of parent directory")?;
                    sysfs::openat2(
                        fd.as_fd(),
                        &CString::new(comps[i]).expect("checked for NUL"),
                        libc::O_PATH | libc::O_DIRECTORY,
                        0,
                        RESOLVE | sysfs::RESOLVE_NO_SYMLINKS,
                    )
                    .context("opening new parent directory")?
                }
                Err(e) => return Err(self.resolve_error(e)),
            };
        }
        Ok((path, fd))
    }

    fn put_parent(&mut self, key: CString, fd: OwnedFd) {
        self.parent = Some((key, fd));
    }

    fn open_dir(&self, path: &CStr) -> io::Result<OwnedFd> {
        sysfs::openat2(
            self.root.as_fd(),
            path,
            libc::O_PATH | libc::O_DIRECTORY,
            0,
            RESOLVE,
        )
    }

    fn resolve_error(&self, e: io::Error) -> anyhow::Error {
        match e.raw_os_error() {
            Some(libc::EXDEV) => anyhow!("path escapes the layer through a symlink"),
            Some(libc::ENOTDIR) => anyhow!("a parent is not a directory"),
            Some(libc::ENOSYS) => anyhow!(
                "openat2 is not available (Linux 5.6 or later is needed to extract layers safely)"
            ),
            _ => anyhow::Error::new(e).context("resolving parent directory"),
        }
    }

    /// `.wh.NAME` → a 0:0 character device `NAME` (overlayfs whiteout);
    /// `.wh..wh..opq` → `user.overlay.opaque=y` on the parent.
    fn whiteout(&mut self, parent: BorrowedFd<'_>, last: &[u8], target: &[u8]) -> Result<()> {
        if last == OPAQUE_MARKER {
            let dir = nix::fcntl::openat(
                parent,
                ".",
                OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
                Mode::empty(),
            )
            .context("opening directory to mark it opaque")?;
            sysfs::fsetxattr(dir.as_fd(), XATTR_OPAQUE, b"y")
                .context("setting user.overlay.opaque")?;
            return Ok(());
        }
        if target.starts_with(WHITEOUT_PREFIX) {
            // Other AUFS metadata (.wh..wh.plnk, .wh..wh.aufs): not content.
            log::debug!(
                "layer: skipping AUFS metadata `{}`",
                String::from_utf8_lossy(last)
            );
            return Ok(());
        }
        match target {
            b"" | b"." => bail!("invalid whiteout name"),
            b".." => bail!("path escapes the layer"),
            _ => {}
        }
        let mknod = || {
            mknodat(
                parent,
                os(target),
                SFlag::S_IFCHR,
                Mode::empty(),
                makedev(0, 0),
            )
        };
        match mknod() {
            Err(Errno::EEXIST) => {
                self.clear(parent, target)?;
                mknod()
            }
            r => r,
        }
        .context("creating whiteout")?;
        Ok(())
    }

    /// Remove whatever is at `name` so that it can be replaced.
    fn clear(&mut self, parent: BorrowedFd<'_>, name: &[u8]) -> Result<()> {
        // A removed directory may be the cached parent (or contain it).
        self.parent = None;
        remove_at(parent, os(name)).context("replacing existing entry")
    }

    fn create<R: Read>(
        &mut self,
        entry: &mut tar::Entry<'_, R>,
        etype: EntryType,
        parent: BorrowedFd<'_>,
        comps: &[&[u8]],
        meta: Meta,
    ) -> Result<()> {
        let name = *comps.last().expect("non-empty");
        match etype {
            EntryType::Regular | EntryType::Continuous => {
                self.file(entry, parent, name, meta, false)
            }
            EntryType::GNUSparse => self.file(entry, parent, name, meta, true),
            EntryType::Directory => {
                match mkdirat(parent, os(name), Mode::from_bits_truncate(0o700)) {
                    Ok(()) => {}
                    // A directory over a directory merges.
                    Err(Errno::EEXIST) if is_dir(parent, name)? => {}
                    Err(Errno::EEXIST) => {
                        self.clear(parent, name)?;
                        mkdirat(parent, os(name), Mode::from_bits_truncate(0o700))?;
                    }
                    Err(e) => return Err(e).context("creating directory"),
                }
                self.record_dir(join(comps), comps.len(), meta)?;
                Ok(())
            }
            EntryType::Symlink => {
                let target = entry
                    .link_name_bytes()
                    .ok_or_else(|| anyhow!("symlink without a target"))?
                    .into_owned();
                let link = || symlinkat(os(&target), parent, os(name));
                match link() {
                    Err(Errno::EEXIST) => {
                        self.clear(parent, name)?;
                        link()
                    }
                    r => r,
                }
                .context("creating symlink")?;
                self.chown_at(parent, name, &meta)?;
                let t = TimeSpec::new(meta.mtime, 0);
                utimensat(parent, os(name), &t, &t, UtimensatFlags::NoFollowSymlink)
                    .context("setting mtime")?;
                Ok(())
            }
            EntryType::Link => self.hardlink(entry, parent, comps),
            EntryType::Fifo | EntryType::Char | EntryType::Block => {
                self.special(entry, etype, parent, name, meta)
            }
            other => {
                log::debug!("layer: skipping entry of unsupported type {other:?}");
                Ok(())
            }
        }
    }

    fn file<R: Read>(
        &mut self,
        entry: &mut tar::Entry<'_, R>,
        parent: BorrowedFd<'_>,
        name: &[u8],
        meta: Meta,
        sparse: bool,
    ) -> Result<()> {
        let size = entry.size();
        // A GNU sparse entry's holes are made up by tar-rs, not read from the
        // stream, so the decompression bound does not see them: with them,
        // the files of one layer are held to that bound here.
        let max = super::compress::max_decompressed();
        if sparse && self.report.bytes.saturating_add(size) > max {
            bail!(
                "a sparse file of {size} bytes: the layer's files would add up to more than {}",
                super::compress::size(max)
            );
        }
        let flags =
            OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        let mode = Mode::from_bits_truncate(0o600);
        let fd = match nix::fcntl::openat(parent, os(name), flags, mode) {
            Err(Errno::EEXIST) => {
                self.clear(parent, name)?;
                nix::fcntl::openat(parent, os(name), flags, mode)
            }
            r => r,
        }
        .context("creating file")?;
        let mut file = std::fs::File::from(fd);
        let mut done = 0u64;
        loop {
            let n = match entry.read(&mut self.buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e).context("reading layer tar"),
            };
            file.write_all(&self.buf[..n]).context("writing file")?;
            done += n as u64;
        }
        if done != size {
            bail!("reading layer tar: unexpected end of data ({done} of {size} bytes)");
        }
        self.report.bytes += done;
        self.finish_fd(file.as_fd(), &meta, false)
    }

    fn hardlink<R: Read>(
        &mut self,
        entry: &mut tar::Entry<'_, R>,
        parent: BorrowedFd<'_>,
        comps: &[&[u8]],
    ) -> Result<()> {
        let name = *comps.last().expect("non-empty");
        let target = entry
            .link_name_bytes()
            .ok_or_else(|| anyhow!("hardlink without a target"))?
            .into_owned();
        let shown = || String::from_utf8_lossy(&target).into_owned();
        let tcomps =
            components(&target).with_context(|| format!("hardlink target `{}`", shown()))?;
        let Some((&tname, tparent)) = tcomps.split_last() else {
            bail!("hardlink target `{}` is the layer root", shown());
        };
        if tcomps == comps {
            return Ok(()); // a link to itself: nothing to do
        }
        let tpath = if tparent.is_empty() {
            c".".to_owned()
        } else {
            cstring(join(tparent))?
        };
        let tdir = self
            .open_dir(&tpath)
            .map_err(|e| self.resolve_error(e))
            .with_context(|| format!("hardlink target `{}`", shown()))?;
        // No AT_SYMLINK_FOLLOW: a symlink target is linked itself, never followed.
        let link = || linkat(tdir.as_fd(), os(tname), parent, os(name), AtFlags::empty());
        match link() {
            Err(Errno::EEXIST) => {
                self.clear(parent, name)?;
                link()
            }
            r => r,
        }
        .with_context(|| format!("creating hardlink to `{}`", shown()))?;
        Ok(())
    }

    fn special<R: Read>(
        &mut self,
        entry: &mut tar::Entry<'_, R>,
        etype: EntryType,
        parent: BorrowedFd<'_>,
        name: &[u8],
        meta: Meta,
    ) -> Result<()> {
        let h = entry.header();
        let (kind, dev) = match etype {
            EntryType::Fifo => (SFlag::S_IFIFO, 0),
            _ => {
                let major = h
                    .device_major()
                    .context("reading layer tar: device major")?;
                let minor = h
                    .device_minor()
                    .context("reading layer tar: device minor")?;
                let kind = if etype == EntryType::Char {
                    SFlag::S_IFCHR
                } else {
                    SFlag::S_IFBLK
                };
                (
                    kind,
                    makedev(u64::from(major.unwrap_or(0)), u64::from(minor.unwrap_or(0))),
                )
            }
        };
        let perm = Mode::from_bits_truncate(0o600);
        let mknod = || mknodat(parent, os(name), kind, perm, dev);
        let r = match mknod() {
            Err(Errno::EEXIST) => {
                self.clear(parent, name)?;
                mknod()
            }
            r => r,
        };
        match r {
            Ok(()) => {}
            Err(Errno::EPERM) if kind != SFlag::S_IFIFO => {
                self.report.skipped_devices += 1;
                if !self.warned_devices {
                    self.warned_devices = true;
                    log::warn!(
                        "layer: cannot create device nodes here (mknod: EPERM); skipping `{}` and any others in this layer",
                        String::from_utf8_lossy(name)
                    );
                }
                return Ok(());
            }
            Err(e) => return Err(e).context("creating special file"),
        }
        self.chown_at(parent, name, &meta)?;
        // We just created it with mknodat, which does not follow symlinks, and
        // nothing else writes this directory: following is safe.
        fchmodat(
            parent,
            os(name),
            Mode::from_bits_truncate(meta.mode),
            FchmodatFlags::FollowSymlink,
        )
        .context("setting mode")?;
        let t = TimeSpec::new(meta.mtime, 0);
        utimensat(parent, os(name), &t, &t, UtimensatFlags::NoFollowSymlink)
            .context("setting mtime")?;
        Ok(())
    }

    /// Directories' metadata is applied at the end (see [`finish_dirs`]), so
    /// it is kept until then: a budget for the layer, since a small
    /// compressed layer can name many directories with large xattrs.
    fn record_dir(&mut self, path: Vec<u8>, depth: usize, meta: Meta) -> Result<()> {
        let cost = 2 * path.len()
            + meta
                .xattrs
                .iter()
                .map(|(n, v)| n.as_bytes().len() + v.len())
                .sum::<usize>();
        self.dirs_kept = self.dirs_kept.saturating_add(cost);
        if self.dirs_kept > DIRS_KEPT_MAX {
            bail!("the layer's directories' names and xattrs add up to more than 256 MiB");
        }
        if let Some(&i) = self.dir_index.get(&path) {
            self.dirs[i].meta = meta;
            return Ok(());
        }
        self.dir_index.insert(path.clone(), self.dirs.len());
        self.dirs.push(DirMeta { path, depth, meta });
        Ok(())
    }

    /// Apply directories' metadata, deepest first, so that every directory
    /// opened on the way down is still ours and writable.
    fn finish_dirs(&mut self) -> Result<()> {
        let mut dirs = std::mem::take(&mut self.dirs);
        dirs.sort_by_key(|d| std::cmp::Reverse(d.depth));
        for d in &dirs {
            let path = if d.path.is_empty() {
                c".".to_owned()
            } else {
                cstring(d.path.clone())?
            };
            let fd = match sysfs::openat2(
                self.root.as_fd(),
                &path,
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW,
                0,
                RESOLVE,
            ) {
                Ok(fd) => fd,
                // Replaced by a later entry or removed with its parent.
                Err(e)
                    if matches!(
                        e.raw_os_error(),
                        Some(libc::ENOENT | libc::ENOTDIR | libc::ELOOP)
                    ) =>
                {
                    continue;
                }
                Err(e) => {
                    return Err(self.resolve_error(e)).with_context(|| {
                        format!("layer entry `{}`", String::from_utf8_lossy(&d.path))
                    });
                }
            };
            self.finish_fd(fd.as_fd(), &d.meta, true)
                .with_context(|| format!("layer entry `{}`", String::from_utf8_lossy(&d.path)))?;
        }
        Ok(())
    }

    /// chown (which clears setuid and capabilities, so it goes first), xattrs,
    /// then chmod (a read-only inode refuses user xattrs), then times.
    fn finish_fd(&mut self, fd: BorrowedFd<'_>, meta: &Meta, dir: bool) -> Result<()> {
        match self.ownership {
            Ownership::Preserve => {
                let (uid, gid) = (meta.uid, meta.gid);
                self.chown_with(uid, gid, |u, g| fchown(fd, Some(u), Some(g)))?;
            }
            Ownership::Xattr | Ownership::Caller => {}
        }
        for (name, value) in &meta.xattrs {
            if let Err(e) = sysfs::fsetxattr(fd, name, value) {
                log::debug!("layer: setting xattr `{}`: {e}", name.to_string_lossy());
            }
        }
        if self.ownership == Ownership::Xattr {
            for (name, v) in [
                (XATTR_UID, meta.uid),
                (XATTR_GID, meta.gid),
                (XATTR_MODE, u64::from(meta.mode)),
            ] {
                sysfs::fsetxattr(fd, name, v.to_string().as_bytes())
                    .with_context(|| format!("setting {}", name.to_string_lossy()))?;
            }
        }
        fchmod(fd, Mode::from_bits_truncate(meta.mode)).context("setting mode")?;
        let t = TimeSpec::new(meta.mtime, 0);
        futimens(fd, &t, &t).context(if dir {
            "setting directory mtime"
        } else {
            "setting mtime"
        })?;
        Ok(())
    }

    fn chown_at(&mut self, parent: BorrowedFd<'_>, name: &[u8], meta: &Meta) -> Result<()> {
        if self.ownership != Ownership::Preserve {
            return Ok(());
        }
        self.chown_with(meta.uid, meta.gid, |u, g| {
            fchownat(
                parent,
                os(name),
                Some(u),
                Some(g),
                AtFlags::AT_SYMLINK_NOFOLLOW,
            )
        })
    }

    /// chown, squashing ids the user namespace cannot represent (EINVAL, or
    /// too large for 32 bits) to 0, keeping whichever of the two it can.
    fn chown_with(
        &mut self,
        uid: u64,
        gid: u64,
        f: impl Fn(Uid, Gid) -> nix::Result<()>,
    ) -> Result<()> {
        let u = u32::try_from(uid).ok();
        let g = u32::try_from(gid).ok();
        if let (Some(u), Some(g)) = (u, g) {
            match f(Uid::from_raw(u), Gid::from_raw(g)) {
                Ok(()) => return Ok(()),
                Err(Errno::EINVAL) => {}
                Err(e) => return Err(e).with_context(|| format!("chown to {uid}:{gid}")),
            }
        }
        if !self.warned_squash {
            self.warned_squash = true;
            log::warn!(
                "layer: uid/gid {uid}:{gid} (and maybe others) is outside this user namespace's id mapping; owning such files by 0 instead"
            );
        }
        let candidates = [(Some(0), g), (u, Some(0)), (Some(0), Some(0))];
        let mut last = Errno::EINVAL;
        for (cu, cg) in candidates {
            let (Some(cu), Some(cg)) = (cu, cg) else {
                continue;
            };
            match f(Uid::from_raw(cu), Gid::from_raw(cg)) {
                Ok(()) => return Ok(()),
                Err(e) => last = e,
            }
        }
        Err(last).with_context(|| format!("chown to {uid}:{gid} (squashed to 0)"))
    }
}
