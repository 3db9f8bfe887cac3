//! `berth save [-o FILE] [--format oci-archive|docker-archive] IMAGE…`

use super::Ctx;
use crate::image::save::{ArchiveFormat, Entry, save};
use crate::reference::Reference;
use anyhow::{Context, Result};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// Write images to a tar archive (stdout unless -o)
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Images by name or id
    #[arg(required = true)]
    images: Vec<String>,
    /// Write to FILE instead of stdout
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Archive format
    #[arg(long, value_enum, default_value = "docker-archive")]
    format: ArchiveFormat,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let store = ctx.store()?;
    let mut entries = Vec::new();
    for spec in &a.images {
        let image = store
            .resolve(spec)
            .with_context(|| format!("saving `{spec}`"))?;
        // Saved by name: that name; by id: every name the image has.
        let names = match Reference::parse(spec).map(|r| r.to_string()) {
            Ok(n) if image.names.contains(&n) => vec![n],
            _ => image.names.clone(),
        };
        entries.push(Entry { image, names });
    }
    match &a.output {
        Some(path) => {
            // Written beside the target and renamed: a failed save leaves no half file.
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            let mut tmp = tempfile::Builder::new()
                .prefix(".berth-save-")
                .tempfile_in(dir)
                .with_context(|| format!("writing `{}`", path.display()))?;
            {
                let mut out = std::io::BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
                save(&store, &entries, a.format, &mut out)?;
                out.flush()?;
            }
            crate::layout::set_readable(tmp.path())?;
            tmp.persist(path)
                .with_context(|| format!("writing `{}`", path.display()))?;
        }
        None => {
            let stdout = std::io::stdout();
            if stdout.is_terminal() {
                anyhow::bail!(
                    "refusing to write an archive to a terminal: use -o FILE or redirect stdout"
                );
            }
            let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
            save(&store, &entries, a.format, &mut out)?;
            out.flush()?;
        }
    }
    Ok(0)
}
