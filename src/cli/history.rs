//! `berth history IMAGE`

use super::Ctx;
use super::output::{self, Format};
use crate::template::default_header;
use anyhow::{Context, Result};
use serde_json::json;
use std::io::Write;

/// Show how an image was made, newest step first
#[derive(clap::Args, Debug)]
pub struct Args {
    image: String,
    /// Do not truncate the CREATED BY column
    #[arg(long)]
    no_trunc: bool,
    /// Print only the layer ids
    #[arg(short, long)]
    quiet: bool,
    /// json, table, or a Go template (`{{.ID}} {{.CreatedBy}}`, `table {{.ID}}\t{{.Size}}`)
    #[arg(long, value_name = "FORMAT")]
    format: Option<String>,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    // The user's template is checked before anything is read.
    let (format, template) = output::format_or_template(a.format.as_deref())?;
    let store = ctx.store()?;
    let img = store
        .resolve(&a.image)
        .with_context(|| format!("history of `{}`", a.image))?;
    // Walk history oldest first, pairing non-empty entries with layers.
    let mut layers = img.manifest.layers.iter();
    let mut rows = Vec::new();
    let history = if img.config.history.is_empty() {
        img.manifest
            .layers
            .iter()
            .map(|_| Default::default())
            .collect()
    } else {
        img.config.history.clone()
    };
    for (n, h) in history.iter().enumerate() {
        let layer = if h.empty_layer { None } else { layers.next() };
        let id = match (n + 1 == history.len(), layer) {
            (true, _) => img.id().hex().to_string(),
            (false, _) => "<missing>".into(),
        };
        rows.push((id, h.clone(), layer.map(|l| l.size).unwrap_or(0)));
    }
    rows.reverse();
    if let Some(t) = template {
        // podman history's fields.
        let fields: Vec<serde_json::Value> = rows
            .iter()
            .map(|(id, h, size)| {
                let created = h.created.as_deref().and_then(crate::time::parse_rfc3339);
                json!({
                    "ID": id,
                    "Created": created.map(crate::time::ago).unwrap_or_default(),
                    "CreatedAt": h.created.clone().unwrap_or_default(),
                    "CreatedBy": h.created_by.clone().unwrap_or_default(),
                    "Size": output::human_size(*size),
                    "Comment": h.comment.clone().unwrap_or_default(),
                })
            })
            .collect();
        let text = t
            .render_all(&fields, &default_header)
            .with_context(|| format!("--format `{}`", a.format.as_deref().unwrap_or_default()))?;
        std::io::stdout().lock().write_all(text.as_bytes())?;
        return Ok(0);
    }
    match format {
        Format::Json => output::json(
            &rows
                .iter()
                .map(|(id, h, size)| {
                    json!({"id": id, "created": h.created, "createdBy": h.created_by, "size": size, "comment": h.comment})
                })
                .collect::<Vec<_>>(),
        )?,
        Format::Table if a.quiet => output::lines(rows.into_iter().map(|r| r.0))?,
        Format::Table => {
            let table: Vec<Vec<String>> = rows
                .into_iter()
                .map(|(id, h, size)| {
                    let mut by = h.created_by.unwrap_or_default();
                    if !a.no_trunc && by.chars().count() > 45 {
                        by = by.chars().take(42).collect::<String>() + "...";
                    }
                    let id = if a.no_trunc || id.len() < 12 { id } else { id[..12].to_string() };
                    let created = h.created.as_deref().and_then(crate::time::parse_rfc3339).map(crate::time::ago);
                    vec![id, created.unwrap_or_default(), by, output::human_size(size), h.comment.unwrap_or_default()]
                })
                .collect();
            output::table(&["ID", "CREATED", "CREATED BY", "SIZE", "COMMENT"], &table)?
        }
    }
    Ok(0)
}
