//! Listings: aligned tables, `--format json`, and `-q` ids, the same way for
//! every verb.

use crate::term::escape;
use anyhow::Result;
use std::borrow::Cow;
use std::io::Write;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
}

/// A `--format` as typed: `table` (or none), `json`, or a Go template,
/// which is checked here, before anything is read or asked.
pub fn format_or_template(f: Option<&str>) -> Result<(Format, Option<crate::template::Template>)> {
    use anyhow::Context;
    Ok(match f {
        None | Some("table") => (Format::Table, None),
        Some("json") => (Format::Json, None),
        Some(f) => (
            Format::Table,
            Some(crate::template::Template::parse(f).with_context(|| format!("--format `{f}`"))?),
        ),
    })
}

/// Prints rows under a header, columns padded to their widest cell. Cells are
/// escaped (names, commands and history come from images and containers).
pub fn table(header: &[&str], rows: &[Vec<String>]) -> Result<()> {
    let rows: Vec<Vec<Cow<str>>> = rows
        .iter()
        .map(|r| r.iter().map(|c| escape(c)).collect())
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = std::io::stdout().lock();
    let mut line = |cells: Vec<&str>| -> std::io::Result<()> {
        let last = cells.len() - 1;
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            s.push_str(c);
            if i < last {
                s.push_str(&" ".repeat(widths[i] - c.chars().count() + 2));
            }
        }
        writeln!(out, "{}", s.trim_end())
    };
    line(header.to_vec())?;
    for r in &rows {
        line(r.iter().map(|c| c.as_ref()).collect())?;
    }
    Ok(())
}

pub fn json(value: &impl serde::Serialize) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

/// One item a line (`-q`), escaped like table cells.
pub fn lines<I: IntoIterator<Item = String>>(items: I) -> Result<()> {
    let mut out = std::io::stdout().lock();
    for i in items {
        writeln!(out, "{}", escape(&i))?;
    }
    Ok(())
}

/// Sizes as podman prints them: "1.2 MB", decimal units.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    // Three significant digits, trailing zeros dropped: go-units' "%.3g".
    let digits = if v >= 100.0 {
        0
    } else if v >= 10.0 {
        1
    } else {
        2
    };
    let mut n = format!("{v:.digits$}");
    if n.contains('.') {
        n = n.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    format!("{n} {}", UNITS[u])
}
