//! `berth sbom IMAGE`: the packages in an image, as a table, berth's own
//! JSON, SPDX 2.3 or CycloneDX 1.5.

use super::Ctx;
use crate::sbom::{self, Sbom, format};
use anyhow::{Context, Result};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

/// List the packages installed in an image (its software bill of materials)
#[derive(clap::Args, Debug)]
pub struct Args {
    image: String,
    /// table, json (berth's own), spdx-json (SPDX 2.3) or cyclonedx-json (CycloneDX 1.5)
    #[arg(long, value_enum, default_value_t = SbomFormat::Table)]
    format: SbomFormat,
    /// Write to FILE (atomically) instead of standard output
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SbomFormat {
    Table,
    Json,
    SpdxJson,
    CyclonedxJson,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let store = ctx.store()?;
    let img = store
        .resolve(&a.image)
        .with_context(|| format!("sbom of `{}`", a.image))?;
    let sbom = sbom::catalog(&store, &img).with_context(|| format!("sbom of `{}`", a.image))?;
    let text = match a.format {
        SbomFormat::Table => table(&sbom),
        SbomFormat::Json => serde_json::to_string_pretty(&sbom)? + "\n",
        SbomFormat::SpdxJson => {
            let doc = format::spdx(&sbom, crate::time::now_epoch());
            serde_json::to_string_pretty(&doc)? + "\n"
        }
        SbomFormat::CyclonedxJson => {
            let mut random = [0u8; 16];
            std::fs::File::open("/dev/urandom")
                .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut random))
                .context("reading /dev/urandom for the BOM's serial number")?;
            let serial = format::uuid_v4(random);
            let doc = format::cyclonedx(&sbom, crate::time::now_epoch(), &serial);
            serde_json::to_string_pretty(&doc)? + "\n"
        }
    };
    match a.output {
        Some(path) => crate::layout::write_atomic(&std::path::absolute(&path)?, text.as_bytes())
            .with_context(|| format!("writing `{}`", path.display()))?,
        None => {
            // Names and versions come from the image: nothing of theirs may
            // drive the terminal (the table is escaped cell by cell).
            let text = match a.format {
                SbomFormat::Table => text,
                _ => crate::term::escape_json(&text).into_owned(),
            };
            std::io::stdout().lock().write_all(text.as_bytes())?;
        }
    }
    Ok(0)
}

/// NAME VERSION TYPE LAYER LICENSES, columns padded, every cell escaped;
/// the OS first and the notes last.
fn table(sbom: &Sbom) -> String {
    use crate::term::escape;
    let mut out = String::new();
    if let Some(os) = &sbom.os {
        let name = os.pretty_name.as_deref().unwrap_or(&os.id);
        let _ = writeln!(out, "OS: {}", escape(name));
    }
    let header = ["NAME", "VERSION", "TYPE", "LAYER", "LICENSES"];
    let rows: Vec<[String; 5]> = sbom
        .packages
        .iter()
        .map(|p| {
            let layer = p.layer.strip_prefix("sha256:").unwrap_or(&p.layer);
            [
                escape(&p.name).into_owned(),
                escape(&p.version).into_owned(),
                p.kind.as_str().to_string(),
                layer.get(..12).unwrap_or(layer).to_string(),
                escape(&p.licenses.join(", ")).into_owned(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut line = |cells: [&str; 5]| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            s.push_str(c);
            if i + 1 < cells.len() {
                s.push_str(&" ".repeat(widths[i] - c.chars().count() + 2));
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(header);
    for r in &rows {
        line([&r[0], &r[1], &r[2], &r[3], &r[4]]);
    }
    for n in &sbom.notes {
        let _ = writeln!(out, "note: {}", escape(n));
    }
    out
}
