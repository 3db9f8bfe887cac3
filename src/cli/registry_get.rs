//! `berth __registry-get HOST REPO REF`: a hidden verb that drives the
//! registry client directly until `pull` and `push` sit on top of it:
//! prints a manifest, streams a blob, lists tags or the catalog, or copies
//! an image to another repository (exercising the push endpoints).

use crate::registry::{Client, ClientOptions, Credentials, Error, ErrorKind, Fetched};
use crate::store::digest::Digest;
use anyhow::{Context, Result, bail};
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Registry host (`docker.io`, `127.0.0.1:5000`)
    host: String,
    /// Repository (`library/alpine`)
    repo: String,
    /// Tag or digest
    reference: Option<String>,
    #[arg(long, value_name = "BOOL")]
    tls_verify: Option<bool>,
    #[arg(long, value_name = "DIR")]
    cert_dir: Option<PathBuf>,
    /// Read `USER:PASSWORD` from stdin
    #[arg(long)]
    creds_stdin: bool,
    /// Only check the credentials (`GET /v2/`)
    #[arg(long)]
    ping: bool,
    /// HEAD the manifest and print its digest
    #[arg(long)]
    head: bool,
    /// Stream this blob to stdout
    #[arg(long, value_name = "DIGEST")]
    blob: Option<String>,
    /// List the repository's tags
    #[arg(long)]
    tags: bool,
    /// List the registry's repositories (at most N; 0 = all)
    #[arg(long, value_name = "N")]
    catalog: Option<usize>,
    /// Copy the image to REPO:TAG on the same registry
    #[arg(long, value_name = "REPO:TAG")]
    copy_to: Option<String>,
    /// With --copy-to: upload every blob instead of mounting it
    #[arg(long)]
    no_mount: bool,
}

pub fn run(a: Args) -> Result<i32> {
    let credentials = if a.creds_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        let line = line.trim_end_matches(['\n', '\r']);
        let Some((u, p)) = line.split_once(':') else {
            bail!("--creds-stdin: expected USER:PASSWORD");
        };
        Some(Credentials {
            username: u.to_string(),
            secret: p.to_string(),
        })
    } else {
        None
    };
    let client = Client::new(
        &a.host,
        ClientOptions {
            tls_verify: a.tls_verify,
            cert_dir: a.cert_dir,
            insecure: false,
            credentials,
        },
    )?;
    let mut out = std::io::stdout().lock();
    if a.ping {
        client.ping()?;
        return Ok(0);
    }
    if a.tags {
        for t in client.tags(&a.repo)? {
            writeln!(out, "{}", crate::term::escape(&t))?;
        }
        return Ok(0);
    }
    if let Some(n) = a.catalog {
        for r in client.catalog(n)? {
            writeln!(out, "{}", crate::term::escape(&r))?;
        }
        return Ok(0);
    }
    if let Some(b) = a.blob {
        let d = Digest::parse(&b)?;
        let mut r = client.get_blob(&a.repo, &d)?;
        std::io::copy(&mut r, &mut out).with_context(|| format!("reading blob {d}"))?;
        return Ok(0);
    }
    let reference = a.reference.as_deref().unwrap_or("latest");
    if a.head {
        match client.head_manifest(&a.repo, reference)? {
            Some(d) => writeln!(out, "{d}")?,
            None => {
                writeln!(out, "none")?;
                return Ok(1);
            }
        }
        return Ok(0);
    }
    if let Some(dest) = a.copy_to {
        let Some((repo, tag)) = dest.rsplit_once(':') else {
            bail!("--copy-to: expected REPO:TAG");
        };
        let d = copy(&client, &a.repo, reference, repo, tag, !a.no_mount)?;
        writeln!(out, "{d}")?;
        return Ok(0);
    }
    let m = match client.get_manifest(&a.repo, reference) {
        Ok(m) => m,
        // Scripts probing for an image get exit 1 for "not there".
        Err(e)
            if e.downcast_ref::<Error>()
                .is_some_and(|e| e.kind == ErrorKind::NotFound) =>
        {
            eprintln!("berth: {}", crate::term::escape(&format!("{e:#}")));
            return Ok(1);
        }
        Err(e) => return Err(e),
    };
    eprintln!("{} {}", crate::term::escape(&m.media_type), m.digest);
    let text = String::from_utf8_lossy(&m.bytes);
    writeln!(out, "{}", crate::term::escape(&text))?;
    Ok(0)
}

/// Copies manifest `reference` of `from` and everything it refers to into
/// `to` as `tag`; returns the pushed digest.
fn copy(
    c: &Client,
    from: &str,
    reference: &str,
    to: &str,
    tag: &str,
    mount: bool,
) -> Result<Digest> {
    let m: Fetched = c.get_manifest(from, reference)?;
    let v: serde_json::Value = serde_json::from_slice(&m.bytes).context("manifest is not JSON")?;
    if let Some(children) = v["manifests"].as_array() {
        for child in children {
            let d = child["digest"].as_str().unwrap_or_default();
            copy(c, from, d, to, d, mount)?;
        }
    } else {
        let mut blobs = vec![&v["config"]];
        blobs.extend(v["layers"].as_array().into_iter().flatten());
        for b in blobs {
            let d = Digest::parse(b["digest"].as_str().unwrap_or_default())?;
            let size = b["size"].as_u64().unwrap_or_default();
            if c.has_blob(to, &d)? {
                eprintln!("{d}: already there");
                continue;
            }
            if mount && c.mount_blob(to, &d, from)? {
                eprintln!("{d}: mounted from {from}");
                continue;
            }
            let mut r = c.get_blob(from, &d)?;
            c.upload_blob(to, &d, size, &mut r)?;
            eprintln!("{d}: uploaded {size} bytes");
        }
    }
    c.put_manifest(to, tag, &m.media_type, &m.bytes)
}
