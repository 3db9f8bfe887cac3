//! `berth search TERM [--limit N] [--format json|table|TEMPLATE] [--list-tags]`

use super::output::{self, Format};
use super::registry_opts::AccessFlags;
use crate::registry::Registries;
use crate::registry::search::{self, Hit};
use crate::template::{Template, default_header};
use anyhow::Context;
use anyhow::Result;
use serde_json::json;
use std::io::Write;

/// Search a registry for images (Docker Hub's search, or the registry's catalog)
#[derive(clap::Args, Debug)]
pub struct Args {
    /// What to look for; `HOST/TERM` searches that registry, `HOST/` lists it
    term: String,
    /// At most this many results (tags with --list-tags)
    #[arg(long, default_value_t = 25, value_name = "N")]
    limit: usize,
    /// json, table, or a Go template (`{{.Name}}\t{{.Stars}}`; with --list-tags `{{.Name}} {{.Tag}}`)
    #[arg(long, value_name = "FORMAT")]
    format: Option<String>,
    /// List the tags of the repository TERM names
    #[arg(long)]
    list_tags: bool,
    /// Do not truncate descriptions
    #[arg(long)]
    no_trunc: bool,
    #[command(flatten)]
    access: AccessFlags,
}

pub fn run(a: Args) -> Result<i32> {
    if a.limit == 0 {
        anyhow::bail!("--limit must be at least 1");
    }
    // The user's template is checked before the registry is asked.
    let (format, template) = output::format_or_template(a.format.as_deref())?;
    let access = a.access.access()?;
    let registries = Registries::load()?;
    if a.list_tags {
        let (name, tags) = search::list_tags(&registries, &a.term, a.limit, &access)?;
        if let Some(t) = template {
            // podman's fields for a tag listing.
            let fields: Vec<serde_json::Value> = tags
                .iter()
                .map(|t| json!({ "Name": name, "Tag": t }))
                .collect();
            return render(&t, &fields, &a.format);
        }
        if format == Format::Json {
            return output::json(&[json!({ "Name": name, "Tags": tags })]).map(|_| 0);
        }
        let rows: Vec<Vec<String>> = tags.into_iter().map(|t| vec![name.clone(), t]).collect();
        output::table(&["NAME", "TAG"], &rows)?;
        return Ok(0);
    }
    let hits = search::search(&registries, &a.term, a.limit, &access)?;
    if let Some(t) = template {
        let fields: Vec<serde_json::Value> = hits
            .iter()
            .map(|h| {
                let mut v = serde_json::to_value(to_json(h)).unwrap_or_default();
                // The table's truncation applies, as in podman.
                v["Description"] = description(&h.description, a.no_trunc).into();
                v
            })
            .collect();
        return render(&t, &fields, &a.format);
    }
    if format == Format::Json {
        return output::json(&hits.iter().map(to_json).collect::<Vec<_>>()).map(|_| 0);
    }
    let rows: Vec<Vec<String>> = hits
        .iter()
        .map(|h| {
            vec![
                h.name.clone(),
                description(&h.description, a.no_trunc),
                h.stars.to_string(),
                if h.official { "[OK]" } else { "" }.to_string(),
            ]
        })
        .collect();
    output::table(&["NAME", "DESCRIPTION", "STARS", "OFFICIAL"], &rows)?;
    Ok(0)
}

/// The rows through the user's template.
fn render(t: &Template, fields: &[serde_json::Value], src: &Option<String>) -> Result<i32> {
    let text = t
        .render_all(fields, &default_header)
        .with_context(|| format!("--format `{}`", src.as_deref().unwrap_or_default()))?;
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(0)
}

/// One line, and at most 44 characters unless asked (podman's width).
fn description(d: &str, no_trunc: bool) -> String {
    let d = d.split_whitespace().collect::<Vec<_>>().join(" ");
    if no_trunc || d.chars().count() <= 44 {
        return d;
    }
    let cut: String = d.chars().take(41).collect();
    format!("{cut}...")
}

/// podman's JSON keys, in its order, and its values.
#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct JsonHit<'a> {
    index: &'a str,
    name: &'a str,
    description: &'a str,
    stars: u64,
    official: &'static str,
    automated: &'static str,
    tag: &'static str,
}

fn to_json(h: &Hit) -> JsonHit<'_> {
    let ok = |b: bool| if b { "[OK]" } else { "" };
    JsonHit {
        index: &h.index,
        name: &h.name,
        description: &h.description,
        stars: h.stars,
        official: ok(h.official),
        automated: ok(h.automated),
        tag: "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_are_one_line_and_truncated() {
        assert_eq!(description("a\nb\tc", false), "a b c");
        let long = "x".repeat(50);
        assert_eq!(description(&long, false), format!("{}...", "x".repeat(41)));
        assert_eq!(description(&long, true), long);
    }
}
