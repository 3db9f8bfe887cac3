//! `berth export [-o FILE] CONTAINER`

use super::Ctx;
use super::cp::{find_for_copy, ids_in_xattrs, in_container};
use crate::helper::RootOp;
use crate::layer::PackDest;
use anyhow::{Context, Result, bail};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// Export a container's filesystem as a tar archive
///
/// The container's files as it sees them (its image's layers and its own
/// changes, flattened), with their ids, modes and xattrs, in a stable
/// order: what `berth import` and `podman import` take.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Write to FILE instead of stdout
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// The container
    container: String,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    if a.output.is_none() && std::io::stdout().is_terminal() {
        bail!("refusing to write a tar archive to a terminal: use -o FILE or redirect stdout");
    }
    let (meta, _lock) = find_for_copy(ctx, &a.container, false)?;
    let op = RootOp::Pack {
        path: "/".into(),
        dest: PackDest::Dir,
        follow: false,
        ids_from_xattrs: ids_in_xattrs()?,
    };
    let what = || format!("exporting container `{}`", meta.name);
    match &a.output {
        None => {
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            in_container(ctx, &meta, false, op, None, Some(&mut out)).with_context(what)?;
            out.flush()?;
        }
        Some(path) => {
            // Beside the file, renamed over it once complete: a failed
            // export leaves no half archive under the name.
            let dir = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => std::path::Path::new("."),
            };
            let mut tmp = tempfile::NamedTempFile::new_in(dir)
                .with_context(|| format!("creating a file in `{}`", dir.display()))?;
            {
                let mut out = std::io::BufWriter::new(tmp.as_file_mut());
                in_container(ctx, &meta, false, op, None, Some(&mut out)).with_context(what)?;
                out.flush()?;
            }
            // A new file's mode, as a shell redirection would give it.
            use std::os::unix::fs::PermissionsExt;
            let mode = 0o666 & !current_umask();
            tmp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(mode))?;
            tmp.persist(path)
                .with_context(|| format!("writing `{}`", path.display()))?;
        }
    }
    Ok(0)
}

/// The process umask (read by setting it, then putting it back).
fn current_umask() -> u32 {
    use nix::sys::stat::{Mode, umask};
    let old = umask(Mode::from_bits_truncate(0o022));
    umask(old);
    old.bits()
}
