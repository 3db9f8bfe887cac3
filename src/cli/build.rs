//! `berth build [-f FILE] [-t REF]… CONTEXT`

use super::Ctx;
use crate::build::executor::{BuildOptions, build};
use crate::reference::Reference;
use anyhow::{Context, Result, anyhow};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Build an image from a Dockerfile
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The build context directory
    context: PathBuf,
    /// The Dockerfile (default: CONTEXT/Dockerfile; `-` for stdin)
    #[arg(short, long, value_name = "FILE")]
    file: Option<PathBuf>,
    /// Name the image (repeatable)
    #[arg(short, long = "tag", value_name = "REF")]
    tag: Vec<String>,
    /// Set a build argument
    #[arg(long, value_name = "K=V")]
    build_arg: Vec<String>,
    /// Build up to this stage
    #[arg(long, value_name = "STAGE")]
    target: Option<String>,
    /// Run every step again
    #[arg(long)]
    no_cache: bool,
    /// Add a label to the image
    #[arg(long, value_name = "K=V")]
    label: Vec<String>,
    /// Clamp created times and file mtimes to this epoch (reproducible builds)
    #[arg(long, value_name = "SECONDS")]
    timestamp: Option<i64>,
    /// Write the image id to FILE
    #[arg(long, value_name = "FILE")]
    iidfile: Option<PathBuf>,
    /// Network for RUN steps: none (default) or host
    #[arg(long, default_value = "none", value_name = "MODE")]
    network: String,
    /// Print only the image id
    #[arg(short, long)]
    quiet: bool,
}

fn kv(list: &[String], what: &str) -> Result<BTreeMap<String, String>> {
    list.iter()
        .map(|s| match s.split_once('=') {
            Some((k, v)) => Ok((k.to_string(), v.to_string())),
            None => std::env::var(s)
                .map(|v| (s.clone(), v))
                .map_err(|_| anyhow!("invalid {what} `{s}`: expected K=V")),
        })
        .collect()
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let dockerfile = a
        .file
        .clone()
        .unwrap_or_else(|| a.context.join("Dockerfile"));
    let text = if dockerfile.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).context("reading the Dockerfile from stdin")?
    } else {
        std::fs::read_to_string(&dockerfile)
            .with_context(|| format!("reading `{}`", dockerfile.display()))?
    };
    let instructions = crate::build::instr::parse(&text).map_err(|e| anyhow!("{e}"))?;
    let tags = a
        .tag
        .iter()
        .map(|t| {
            Reference::parse(t)
                .map(|r| r.to_string())
                .map_err(anyhow::Error::msg)
        })
        .collect::<Result<Vec<_>>>()?;
    let epoch = a.timestamp.or_else(|| {
        std::env::var("SOURCE_DATE_EPOCH")
            .ok()
            .and_then(|s| s.parse().ok())
    });
    let network_host = match a.network.as_str() {
        "none" | "default" | "private" => false,
        "host" => true,
        other => anyhow::bail!("invalid --network `{other}`: use none or host"),
    };
    if !a.context.is_dir() {
        anyhow::bail!("build context `{}` is not a directory", a.context.display());
    }
    let store = ctx.store()?;
    let id = build(
        &store,
        BuildOptions {
            context: a.context.clone(),
            dockerfile,
            instructions,
            tags,
            build_args: kv(&a.build_arg, "--build-arg")?,
            target: a.target.clone(),
            no_cache: a.no_cache,
            epoch,
            labels: kv(&a.label, "--label")?,
            network_host,
        },
    )?;
    if let Some(f) = &a.iidfile {
        std::fs::write(f, id.to_string()).with_context(|| format!("writing `{}`", f.display()))?;
    }
    let _ = a.quiet;
    println!("{}", id.hex());
    Ok(0)
}
