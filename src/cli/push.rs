//! `berth push [flags] IMAGE [DEST]`

use super::Ctx;
use super::registry_opts::AccessFlags;
use crate::image::push::{self, CompressionFormat, Destination, ManifestFormat, PushOptions};
use crate::reference::Reference;
use crate::registry::{Client, Registries};
use crate::store::digest::Digest;
use anyhow::{Context, Result, bail};
use std::path::PathBuf;

/// Push an image to a registry
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The image, by name or id
    image: String,
    /// Where to: `[docker://]HOST/REPO[:TAG]` [default: the image's name]
    dest: Option<String>,
    /// Manifest format
    #[arg(long, value_enum, default_value_t)]
    format: ManifestFormat,
    /// How to compress layers stored uncompressed (compressed ones go as they are)
    #[arg(long, value_enum, default_value_t, value_name = "FORMAT")]
    compression_format: CompressionFormat,
    /// Also write the pushed manifest's digest to FILE
    #[arg(long, value_name = "FILE")]
    digestfile: Option<PathBuf>,
    #[command(flatten)]
    access: AccessFlags,
    #[command(flatten)]
    gate: super::create::ScanGate,
    /// No progress lines: only the digest
    #[arg(short, long)]
    quiet: bool,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let dest_text = a.dest.as_deref().unwrap_or(&a.image);
    let what = format!("pushing `{}` to `{dest_text}`", a.image);
    let digest = push_one(ctx, &a).context(what)?;
    super::events::image(ctx, "push", digest.hex(), dest_text);
    report_pushed(&digest, a.digestfile.as_deref())?;
    Ok(0)
}

/// The pushed manifest's digest: on stdout, and in `--digestfile`'s file.
pub(super) fn report_pushed(digest: &Digest, digestfile: Option<&std::path::Path>) -> Result<()> {
    if let Some(f) = digestfile {
        std::fs::write(f, digest.to_string())
            .with_context(|| format!("writing `{}`", f.display()))?;
    }
    println!("{digest}");
    Ok(())
}

fn push_one(ctx: &Ctx, a: &Args) -> Result<crate::store::digest::Digest> {
    let named = destination(a.dest.as_deref().unwrap_or(&a.image))?;
    // registries.conf: a blocked registry is refused, an insecure one may
    // be plain http; a push goes where the name says (no mirrors).
    let endpoint = Registries::load()?.push_endpoint(&named)?;
    let dest = Destination {
        host: endpoint.host.clone(),
        repo: endpoint.repo.clone(),
        reference: named.tag.clone().unwrap_or_else(|| "latest".into()),
    };
    let access = a.access.access()?;
    let store = ctx.store()?;
    let image = store.resolve(&a.image)?;
    // Before anything is sent.
    a.gate.check(ctx, &store, &image, &a.image)?;
    if a.dest.is_none() && !image.names.contains(&named.to_string()) {
        // An id (or a digest) names no repository to push to.
        bail!(
            "no destination: `{}` is not a name of the image; give one",
            a.image
        );
    }
    let client = Client::connect(&endpoint, &access)?;
    let opts = PushOptions {
        format: a.format,
        compression: a.compression_format,
    };
    push::push(
        &store,
        &image,
        &client,
        &dest,
        opts,
        &mut step_lines(a.quiet),
    )
}

/// A push's progress: each step as one escaped line on stderr, unless quiet.
pub(super) fn step_lines(quiet: bool) -> impl FnMut(&str) {
    move |line: &str| {
        if !quiet {
            eprintln!("{}", crate::term::escape(line));
        }
    }
}

/// `docker://HOST/REPO:TAG` or a plain reference, with a tag.
pub(super) fn destination(s: &str) -> Result<Reference> {
    let name = match s.split_once("://") {
        Some(("docker", rest)) => rest,
        Some((transport, _)) => {
            bail!(
                "`{transport}://` destinations are not supported: berth pushes to registries (docker://)"
            )
        }
        None => s,
    };
    let r = Reference::parse(name).map_err(anyhow::Error::msg)?;
    if r.digest.is_some() {
        bail!("a destination names a tag, not a digest: `{name}`");
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_are_references_with_an_optional_docker_transport() {
        let d = destination("docker://127.0.0.1:5000/a/b:v1").unwrap();
        assert_eq!(d.to_string(), "127.0.0.1:5000/a/b:v1");
        assert_eq!(
            destination("alpine").unwrap().to_string(),
            "docker.io/library/alpine:latest"
        );
        let e = destination("dir:///tmp/x").unwrap_err().to_string();
        assert!(
            e.starts_with("`dir://` destinations are not supported"),
            "{e}"
        );
        let digest = format!("alpine@sha256:{}", "a".repeat(64));
        assert!(destination(&digest).is_err());
    }
}
