//! `berth scan IMAGE | --sbom FILE | --db-update`: known vulnerabilities
//! of an image's or an SBOM's packages from an OSV database, offline; exit
//! codes for CI.

use super::Ctx;
use crate::vuln::scan::{Filter, Finding};
use crate::vuln::{Severity, db::Db};

use anyhow::{Context, Result, bail};
use std::path::PathBuf;

/// Where `--db-update` fetches from unless told: OSV.dev's exports.
const OSV_URL: &str = "https://osv-vulnerabilities.storage.googleapis.com";

/// Scan an image or an SBOM for known vulnerabilities (OSV), offline
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The image, by name or id
    #[arg(required_unless_present_any = ["sbom", "db_update"], conflicts_with = "sbom")]
    image: Option<String>,
    /// Scan an SPDX 2.x or CycloneDX 1.x JSON SBOM (berth's, syft's, trivy's) instead
    #[arg(long, value_name = "FILE")]
    sbom: Option<PathBuf>,
    /// The OSV database: a directory of OSV JSON records and/or
    /// <ECOSYSTEM>/all.zip exports, or one all.zip [default: <root>/osv]
    #[arg(long, value_name = "DIR|ZIP")]
    db: Option<PathBuf>,
    /// Fetch <URL>/<ECOSYSTEM>/all.zip into the database directory and index it
    #[arg(long)]
    db_update: bool,
    /// Where --db-update fetches from
    #[arg(long, value_name = "URL", env = "BERTH_OSV_URL", default_value = OSV_URL)]
    osv_url: String,
    /// The ecosystems --db-update fetches: Debian, Alpine, crates.io, PyPI, npm, Go [default: all]
    #[arg(long, value_name = "ECOSYSTEM")]
    ecosystem: Vec<String>,
    /// Report only findings at or above this severity
    #[arg(long, value_parser = parse_severity, value_name = "LOW|MEDIUM|HIGH|CRITICAL")]
    severity: Option<Severity>,
    /// Leave out vulnerabilities no version fixes yet
    #[arg(long)]
    ignore_unfixed: bool,
    /// A vulnerability id or alias (CVE) to leave out
    #[arg(long, value_name = "ID")]
    ignore: Vec<String>,
    /// A file of ids to leave out, one a line, # comments (.trivyignore)
    #[arg(long, value_name = "FILE")]
    ignore_file: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    format: ScanFormat,
    /// Exit with this code when findings remain after the filters
    #[arg(long, value_name = "N", default_value_t = 0)]
    exit_code: i32,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ScanFormat {
    #[default]
    Table,
    Json,
    Sarif,
}

pub(super) fn parse_severity(s: &str) -> Result<Severity, String> {
    match Severity::from_name(s) {
        Some(v @ (Severity::Low | Severity::Medium | Severity::High | Severity::Critical)) => Ok(v),
        _ => Err(format!("`{s}` is not LOW, MEDIUM, HIGH or CRITICAL")),
    }
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let db_path = a.db.clone().unwrap_or_else(|| ctx.layout.osv_db());
    if a.db_update {
        let ecos = ecosystems(&a.ecosystem)?;
        let db = crate::vuln::db::update(&db_path, &a.osv_url, &ecos, &ctx.layout.osv_index())
            .with_context(|| format!("updating the OSV database `{}`", db_path.display()))?;
        eprintln!(
            "{}: {} records, version {}",
            db_path.display(),
            db.record_count(),
            db.version()
        );
        if a.sbom.is_none() && a.image.is_none() {
            return Ok(0);
        }
    }
    let mut filter = Filter {
        min: a.severity,
        ignore_unfixed: a.ignore_unfixed,
        ignore: a.ignore.iter().cloned().collect(),
    };
    if let Some(f) = &a.ignore_file {
        let text = std::fs::read_to_string(f)
            .with_context(|| format!("reading the ignore file `{}`", f.display()))?;
        filter
            .ignore
            .extend(crate::vuln::scan::parse_ignore_file(&text));
    }
    let (all, target, version, packages) = match (&a.image, &a.sbom) {
        (Some(image), _) => {
            let store = ctx.store()?;
            let img = store.resolve(image)?;
            let (found, version) = crate::vuln::gate::findings(&ctx.layout, &store, &img, &db_path)
                .with_context(|| format!("scanning `{image}`"))?;
            (found, image.clone(), version, None)
        }
        (None, Some(sbom)) => {
            let doc = crate::vuln::purl::read_document(sbom)?;
            let mut db = Db::open(&db_path, &ctx.layout.osv_index())?;
            let found = crate::vuln::scan::scan(&mut db, &doc.subjects)?;
            let version = db.version().to_string();
            (found, sbom.display().to_string(), version, Some(doc))
        }
        (None, None) => bail!("nothing to scan: give an image or --sbom FILE"),
    };
    let found: Vec<Finding> = all.into_iter().filter(|f| filter.keeps(f)).collect();
    match a.format {
        ScanFormat::Table => table(&found)?,
        ScanFormat::Json => {
            let mut v = serde_json::json!({
                "target": target,
                "database": {"path": db_path, "version": version},
                "findings": found,
            });
            if let Some(doc) = &packages {
                v["packages"] = doc.subjects.len().into();
            }
            super::output::json(&v)?
        }
        ScanFormat::Sarif => super::output::json(&sarif(&found, &target))?,
    }
    if a.format == ScanFormat::Table {
        let unmatched = packages
            .map(|d| {
                format!(
                    " in {} package(s), {} not matchable",
                    d.subjects.len(),
                    d.unmatched
                )
            })
            .unwrap_or_default();
        eprintln!(
            "{} finding(s){unmatched}; OSV database version {version}",
            found.len()
        );
    }
    Ok(if found.is_empty() { 0 } else { a.exit_code })
}

/// The ecosystems to fetch: the ones given (each a supported one, maybe
/// with a release: `Debian:12`), else all of them.
fn ecosystems(given: &[String]) -> Result<Vec<String>> {
    if given.is_empty() {
        return Ok(crate::vuln::ECOSYSTEMS
            .iter()
            .map(|e| e.to_string())
            .collect());
    }
    for e in given {
        let base = e.split(':').next().unwrap_or_default();
        let release_ok = e[base.len()..]
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b':');
        if !crate::vuln::ECOSYSTEMS.contains(&base) || !release_ok {
            bail!(
                "unknown ecosystem `{e}`: berth matches {}",
                crate::vuln::ECOSYSTEMS.join(", ")
            );
        }
    }
    Ok(given.to_vec())
}

/// The findings as a table, every cell escaped (names and versions come
/// from the image, ids from the database).
pub(super) fn table(found: &[Finding]) -> Result<()> {
    let rows: Vec<Vec<String>> = found
        .iter()
        .map(|f| {
            let package = match &f.source {
                Some(src) => format!("{} ({src})", f.package),
                None => f.package.clone(),
            };
            vec![
                package,
                f.version.clone(),
                f.id.clone(),
                f.severity.to_string(),
                f.fixed.clone().unwrap_or_default(),
                f.aliases.join(","),
            ]
        })
        .collect();
    super::output::table(
        &[
            "PACKAGE",
            "VERSION",
            "VULNERABILITY",
            "SEVERITY",
            "FIXED",
            "ALIASES",
        ],
        &rows,
    )
}

/// SARIF 2.1.0: one rule per vulnerability id, one result per affected
/// package, located by its purl.
fn sarif(found: &[Finding], target: &str) -> serde_json::Value {
    let mut ids: Vec<&str> = found.iter().map(|f| f.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    let rules: Vec<serde_json::Value> = ids
        .iter()
        .filter_map(|id| {
            let f = found.iter().find(|f| f.id == *id)?;
            let mut props = serde_json::json!({"tags": ["security", f.severity.name()]});
            if let Some(s) = f.score {
                props["security-severity"] = format!("{s:.1}").into();
            }
            Some(serde_json::json!({
                "id": id,
                "name": id.replace(|c: char| !c.is_ascii_alphanumeric(), ""),
                "shortDescription": {"text": f.summary.clone().unwrap_or_else(|| id.to_string())},
                "helpUri": format!("https://osv.dev/vulnerability/{id}"),
                "properties": props,
            }))
        })
        .collect();
    let results: Vec<serde_json::Value> = found
        .iter()
        .map(|f| {
            let level = match f.severity {
                Severity::Critical | Severity::High => "error",
                Severity::Medium => "warning",
                _ => "note",
            };
            let fix = f
                .fixed
                .as_deref()
                .map(|v| format!("; fixed in {v}"))
                .unwrap_or_default();
            serde_json::json!({
                "ruleId": f.id,
                "ruleIndex": ids.binary_search(&f.id.as_str()).unwrap_or(0),
                "level": level,
                "message": {"text": format!("{} {} is affected by {} ({}){fix}",
                    f.package, f.version, f.id, f.severity)},
                "locations": [{
                    "physicalLocation": {"artifactLocation": {"uri": target}},
                    "logicalLocations": [{"name": f.package, "fullyQualifiedName": f.purl, "kind": "package"}],
                }],
            })
        })
        .collect();
    serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "berth",
                "informationUri": "https://osv.dev",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    })
}
