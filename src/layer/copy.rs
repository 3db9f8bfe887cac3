//! COPY and ADD into a layer: the sources a build resolved (host paths in
//! the context, a download, another stage's layer) copied into an upper
//! directory with their owner and mode. Runs as berth, or in the user
//! namespace helper when the layer's files belong to subordinate ids.

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Paths as their bytes in serde: a file name, a context or `--root` need
/// not be UTF-8, and serde's `PathBuf` refuses what is not (a helper job
/// holding such a path could not be sent).
pub mod raw_path {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    use std::path::{Path, PathBuf};

    pub fn serialize<S: Serializer>(p: &Path, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(p.as_os_str().as_bytes())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PathBuf, D::Error> {
        let bytes = Vec::<u8>::deserialize(d)?;
        Ok(PathBuf::from(std::ffi::OsString::from_vec(bytes)))
    }
}

/// A list of paths as their bytes (see [`raw_path`]).
pub mod raw_paths {
    use serde::ser::SerializeSeq;
    use serde::{Deserialize, Deserializer, Serializer};
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    use std::path::PathBuf;

    pub fn serialize<S: Serializer>(v: &[PathBuf], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for p in v {
            seq.serialize_element(p.as_os_str().as_bytes())?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<PathBuf>, D::Error> {
        let all = Vec::<Vec<u8>>::deserialize(d)?;
        Ok(all
            .into_iter()
            .map(|b| PathBuf::from(std::ffi::OsString::from_vec(b)))
            .collect())
    }
}

/// One thing COPY/ADD puts into the new layer.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct CopyOp {
    /// A host path: in the context, or in an unpacked layer (`--from`).
    #[serde(with = "raw_path")]
    pub src: PathBuf,
    /// Relative to the upper directory.
    #[serde(with = "raw_path")]
    pub dst: PathBuf,
    /// Copy a directory's contents (not the directory itself).
    pub contents: bool,
    pub owner: Option<(u32, u32)>,
    /// `--chmod`: octal (`0755`) or symbolic (`u+x,go-w`), see [`chmod_mode`].
    pub chmod: Option<String>,
    /// Paths under `src` that `.dockerignore` excludes.
    #[serde(default, with = "raw_paths")]
    pub skip: Vec<PathBuf>,
    /// Keep the source's owners (a stage's view for RUN --mount) instead of
    /// `owner` or root.
    #[serde(default)]
    pub keep_owner: bool,
}

/// Carries out `ops` in order into `upper`.
pub fn apply_copy(upper: &Path, ops: &[CopyOp]) -> Result<()> {
    for op in ops {
        // The destination is relative and free of `..` (the executor made it
        // so); still, nothing on the way may be a symlink an earlier op
        // planted, or the write would land on the host (we may be root).
        if op.dst.is_absolute()
            || op
                .dst
                .components()
                .any(|c| matches!(c, std::path::Component::ParentDir))
        {
            bail!("copy destination `{}` leaves the layer", op.dst.display());
        }
        let mut at = upper.to_path_buf();
        if let Some(parent) = op.dst.parent() {
            for c in parent.components() {
                at.push(c);
                if fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink()) {
                    bail!(
                        "copy destination `{}` goes through a symlink",
                        op.dst.display()
                    );
                }
            }
        }
        let dst = upper.join(&op.dst);
        if let Some(parent) = dst.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("creating `{}`", parent.display()))?;
        }
        let meta =
            fs::symlink_metadata(&op.src).with_context(|| format!("`{}`", op.src.display()))?;
        if meta.is_dir() && op.contents {
            if fs::symlink_metadata(&dst).is_ok_and(|m| m.file_type().is_symlink()) {
                fs::remove_file(&dst)?;
            }
            fs::create_dir_all(&dst)?;
            copy_dir_contents(&op.src, &dst, op)?;
        } else {
            copy_one(&op.src, &dst, op)?;
        }
    }
    Ok(())
}

fn copy_dir_contents(src: &Path, dst: &Path, op: &CopyOp) -> Result<()> {
    let mut names: Vec<_> = fs::read_dir(src)?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<std::io::Result<_>>()?;
    names.sort();
    for n in names {
        let from = src.join(&n);
        if !op.skip.contains(&from) {
            copy_one(&from, &dst.join(&n), op)?;
        }
    }
    Ok(())
}

fn copy_one(src: &Path, dst: &Path, op: &CopyOp) -> Result<()> {
    let meta = fs::symlink_metadata(src).with_context(|| format!("`{}`", src.display()))?;
    let ft = meta.file_type();
    if let Ok(old) = fs::symlink_metadata(dst)
        && !(old.is_dir() && ft.is_dir())
    {
        if old.is_dir() {
            fs::remove_dir_all(dst)?
        } else {
            fs::remove_file(dst)?
        }
    }
    if std::os::unix::fs::FileTypeExt::is_char_device(&ft) && meta.rdev() == 0 {
        return Ok(()); // an overlay whiteout in a --from layer: nothing to copy
    }
    if ft.is_dir() {
        if !dst.exists() {
            fs::create_dir(dst).with_context(|| format!("creating `{}`", dst.display()))?;
        }
        copy_dir_contents(src, dst, op)?;
    } else if ft.is_symlink() {
        std::os::unix::fs::symlink(fs::read_link(src)?, dst)?;
    } else if ft.is_file() {
        fs::copy(src, dst).with_context(|| format!("copying `{}`", src.display()))?;
    } else {
        return Ok(());
    }
    let (uid, gid) = if op.keep_owner {
        (meta.uid(), meta.gid())
    } else {
        op.owner.unwrap_or((0, 0))
    };
    if nix::unistd::geteuid().is_root() {
        nix::unistd::fchownat(
            nix::fcntl::AT_FDCWD,
            dst,
            Some(uid.into()),
            Some(gid.into()),
            nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW,
        )
        .with_context(|| format!("chown {uid}:{gid} `{}`", dst.display()))?;
    }
    if !ft.is_symlink() {
        let old = meta.mode() & 0o7777;
        let mode = match &op.chmod {
            Some(spec) => chmod_mode(spec, old, ft.is_dir()).unwrap_or(old),
            None => old,
        };
        fs::set_permissions(dst, fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

/// The mode `spec` gives a file whose mode is `old`: octal (`755`, `0644`)
/// or chmod(1)'s symbolic form (`u+x`, `go-w`, `a=r,u+w`, `+X`). None if
/// `spec` is not a mode.
pub fn chmod_mode(spec: &str, old: u32, is_dir: bool) -> Option<u32> {
    if !spec.is_empty() && spec.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return u32::from_str_radix(spec, 8).ok().filter(|m| *m <= 0o7777);
    }
    let mut mode = old;
    for clause in spec.split(',') {
        let who_end = clause.find(['+', '-', '=']).filter(|&i| i < clause.len())?;
        let (who, rest) = clause.split_at(who_end);
        let mut mask = 0;
        for c in who.chars() {
            mask |= match c {
                'u' => 0o4700,
                'g' => 0o2070,
                'o' => 0o0007,
                'a' => 0o6777,
                _ => return None,
            };
        }
        if who.is_empty() {
            mask = 0o6777;
        }
        let (op, perms) = rest.split_at(1);
        let mut bits = 0;
        for c in perms.chars() {
            bits |= match c {
                'r' => 0o444,
                'w' => 0o222,
                'x' => 0o111,
                'X' if is_dir || old & 0o111 != 0 => 0o111,
                'X' => 0,
                's' => 0o6000,
                't' => 0o1000,
                _ => return None,
            };
        }
        let bits = bits & (mask | if perms.contains('t') { 0o1000 } else { 0 });
        mode = match op {
            "+" => mode | bits,
            "-" => mode & !bits,
            _ => (mode & !mask) | bits,
        };
    }
    Some(mode & 0o7777)
}

#[cfg(test)]
mod tests {
    use super::chmod_mode;

    #[test]
    fn octal_and_symbolic_modes() {
        assert_eq!(chmod_mode("755", 0o600, false), Some(0o755));
        assert_eq!(chmod_mode("u+x", 0o644, false), Some(0o744));
        assert_eq!(chmod_mode("go-r", 0o644, false), Some(0o600));
        assert_eq!(chmod_mode("a=r,u+w", 0o777, false), Some(0o644));
        assert_eq!(chmod_mode("+X", 0o644, true), Some(0o755));
        assert_eq!(chmod_mode("+X", 0o644, false), Some(0o644));
        assert_eq!(chmod_mode("bogus", 0o644, false), None);
        assert_eq!(chmod_mode("99", 0o644, false), None);
    }
}
