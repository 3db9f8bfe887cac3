//! `berth push [flags] IMAGE [DEST]`

use super::Ctx;
use crate::image::push::{self, CompressionFormat, Destination, ManifestFormat, PushOptions};
use crate::reference::Reference;
use crate::registry::{AuthFiles, Client, ClientOptions, Credentials, Registries};
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
    /// Require HTTPS and verify certificates [default: true, except for
    /// 127.0.0.1/localhost and insecure registries]
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true,
          default_missing_value = "true")]
    tls_verify: Option<bool>,
    /// Certificates for the registry (`*.crt` CAs, `*.cert`/`*.key` client pairs)
    #[arg(long, value_name = "DIR")]
    cert_dir: Option<PathBuf>,
    /// Credentials for the registry [default: from the auth files `berth login` and podman use]
    #[arg(long, value_name = "USER:PASSWORD")]
    creds: Option<String>,
    /// Read credentials from FILE (auth.json format) [env: REGISTRY_AUTH_FILE]
    #[arg(long, value_name = "FILE")]
    authfile: Option<PathBuf>,
    /// No progress lines: only the digest
    #[arg(short, long)]
    quiet: bool,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let dest_text = a.dest.as_deref().unwrap_or(&a.image);
    let what = format!("pushing `{}` to `{dest_text}`", a.image);
    let digest = push_one(ctx, &a).context(what)?;
    if let Some(f) = &a.digestfile {
        std::fs::write(f, digest.to_string())
            .with_context(|| format!("writing `{}`", f.display()))?;
    }
    println!("{digest}");
    Ok(0)
}

fn push_one(ctx: &Ctx, a: &Args) -> Result<crate::store::digest::Digest> {
    let named = destination(a.dest.as_deref().unwrap_or(&a.image))?;
    // registries.conf: a blocked registry is refused, an insecure one may
    // be plain http; a push goes where the name says (no mirrors).
    let endpoint = Registries::load()?.push_endpoint(&named)?;
    let dest = Destination {
        host: endpoint.host,
        repo: endpoint.repo,
        reference: named.tag.unwrap_or_else(|| "latest".into()),
    };
    let credentials = match a.creds.as_deref() {
        Some(c) => Some(credentials(c)?),
        None => AuthFiles::new(a.authfile.clone()).credentials_for(&dest.host, &dest.repo)?,
    };
    let store = ctx.store()?;
    let image = store.resolve(&a.image)?;
    let client = Client::new(
        &dest.host,
        ClientOptions {
            tls_verify: a.tls_verify,
            cert_dir: a.cert_dir.clone(),
            insecure: endpoint.insecure,
            credentials,
        },
    )?;
    let opts = PushOptions {
        format: a.format,
        compression: a.compression_format,
    };
    let quiet = a.quiet;
    let mut progress = |line: &str| {
        if !quiet {
            eprintln!("{}", crate::term::escape(line));
        }
    };
    push::push(&store, &image, &client, &dest, opts, &mut progress)
}

/// `docker://HOST/REPO:TAG` or a plain reference, with a tag.
fn destination(s: &str) -> Result<Reference> {
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

/// `USER:PASSWORD`; the value itself is never in an error.
fn credentials(s: &str) -> Result<Credentials> {
    match s.split_once(':') {
        Some((user, secret)) if !user.is_empty() && !secret.is_empty() => Ok(Credentials {
            username: user.to_string(),
            secret: secret.to_string(),
        }),
        _ => bail!("--creds takes USER:PASSWORD"),
    }
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

    #[test]
    fn credentials_errors_do_not_echo_the_secret() {
        let e = credentials("hunter2").unwrap_err().to_string();
        assert!(!e.contains("hunter2"));
        let c = credentials("u:p:q").unwrap();
        assert_eq!((c.username.as_str(), c.secret.as_str()), ("u", "p:q"));
    }
}
