//! TLS for one registry host, the way containers/image sets it up
//! (`pkg/tlsclientconfig`): a certificate directory — `--cert-dir`, else the
//! first of `$XDG_CONFIG_HOME/containers/certs.d/HOST[:PORT]`,
//! `/etc/containers/certs.d/…`, `/etc/docker/certs.d/…` that exists — whose
//! `*.crt` files are extra CA certificates and whose `*.cert` + `*.key`
//! pairs are a client certificate. Extra CAs are trusted in addition to the
//! system's, not instead of them: a registry with a private CA may still
//! redirect blob downloads to a CDN with a public certificate.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use ureq::tls::{Certificate, ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig};

/// What a certificate directory holds, by file name.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct CertFiles {
    /// CA certificates (`*.crt`).
    pub cas: Vec<String>,
    /// Client certificate and key pairs (`NAME.cert` + `NAME.key`).
    pub pairs: Vec<(String, String)>,
}

/// Sorts a directory's file names the way containers/image does: `*.crt`
/// are CAs; `*.cert` needs its `*.key` and the other way round (a lone
/// half is an error, not silently ignored: the user meant something);
/// anything else is not ours.
pub(crate) fn classify(names: &[String]) -> Result<CertFiles> {
    let mut names: Vec<&String> = names.iter().collect();
    names.sort();
    let has = |n: &str| names.iter().any(|x| *x == n);
    let mut out = CertFiles::default();
    for n in &names {
        if n.ends_with(".crt") {
            out.cas.push(n.to_string());
        } else if let Some(base) = n.strip_suffix(".cert") {
            let key = format!("{base}.key");
            if !has(&key) {
                bail!("missing key {key} for client certificate {n}");
            }
            out.pairs.push((n.to_string(), key));
        } else if let Some(base) = n.strip_suffix(".key") {
            let cert = format!("{base}.cert");
            if !has(&cert) {
                bail!("missing client certificate {cert} for key {n}");
            }
        }
    }
    Ok(out)
}

/// The certificate directory for `host` (`name[:port]`): `explicit` when
/// given, else the first of the standard places that exists.
pub(crate) fn cert_dir(host: &str, explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(d) = explicit {
        return Some(d.to_path_buf());
    }
    let config_home = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")));
    let mut bases: Vec<PathBuf> = Vec::new();
    if let Some(c) = config_home {
        bases.push(c.join("containers/certs.d"));
    }
    bases.push(PathBuf::from("/etc/containers/certs.d"));
    bases.push(PathBuf::from("/etc/docker/certs.d"));
    bases.into_iter().map(|b| b.join(host)).find(|d| d.is_dir())
}

/// The TLS settings for a registry host: verification off when asked,
/// the system's roots plus the certificate directory's CAs, and its client
/// certificate if any.
pub(crate) fn config(host: &str, explicit_dir: Option<&Path>, verify: bool) -> Result<TlsConfig> {
    let mut b = TlsConfig::builder().disable_verification(!verify);
    let Some(dir) = cert_dir(host, explicit_dir) else {
        return Ok(b.build());
    };
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        // `--cert-dir` must exist; a standard place that vanished is nothing.
        Err(e) if explicit_dir.is_none() && e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(b.build());
        }
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    let mut names = Vec::new();
    for e in entries {
        let e = e.with_context(|| format!("reading {}", dir.display()))?;
        if let Some(n) = e.file_name().to_str() {
            names.push(n.to_string());
        }
    }
    let files = classify(&names).with_context(|| format!("in {}", dir.display()))?;
    if !files.cas.is_empty() {
        let mut roots = system_roots();
        for n in &files.cas {
            let p = dir.join(n);
            let certs = certificates(&p)?;
            if certs.is_empty() {
                bail!("{}: no PEM certificate in it", p.display());
            }
            roots.extend(certs);
        }
        b = b.root_certs(RootCerts::new_with_certs(&roots));
    }
    if let Some((cert, key)) = files.pairs.first() {
        if files.pairs.len() > 1 {
            log::debug!(
                "{}: several client certificates; using {cert}",
                dir.display()
            );
        }
        let chain = certificates(&dir.join(cert))?;
        let key = private_key(&dir.join(key))?;
        b = b.client_cert(Some(ClientCert::new_with_certs(&chain, key)));
    }
    log::debug!("TLS for {host}: certificates from {}", dir.display());
    Ok(b.build())
}

/// The system's CA bundle (`$SSL_CERT_FILE`, else Debian's or Fedora's
/// path), read only when a certificate directory adds CAs: ureq's own
/// roots (webpki) cannot be combined with extra ones, so the system bundle
/// stands in for them. Empty when none is found.
fn system_roots() -> Vec<Certificate<'static>> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(f) = std::env::var_os("SSL_CERT_FILE") {
        candidates.push(f.into());
    }
    candidates.extend(
        [
            "/etc/ssl/certs/ca-certificates.crt",
            "/etc/pki/tls/certs/ca-bundle.crt",
            "/etc/ssl/cert.pem",
        ]
        .map(PathBuf::from),
    );
    for c in candidates {
        if let Ok(certs) = certificates(&c)
            && !certs.is_empty()
        {
            return certs;
        }
    }
    log::debug!("no system CA bundle found; trusting only the certificate directory's CAs");
    Vec::new()
}

fn certificates(path: &Path) -> Result<Vec<Certificate<'static>>> {
    let pem = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item.with_context(|| format!("{}: not valid PEM", path.display()))? {
            PemItem::Certificate(c) => out.push(c),
            _ => continue,
        }
    }
    Ok(out)
}

fn private_key(path: &Path) -> Result<PrivateKey<'static>> {
    let pem = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    for item in ureq::tls::parse_pem(&pem) {
        if let PemItem::PrivateKey(k) =
            item.with_context(|| format!("{}: not valid PEM", path.display()))?
        {
            return Ok(k);
        }
    }
    bail!("{}: no PEM private key in it", path.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn crt_files_are_cas_and_cert_key_pairs_are_client_certs() {
        let f = classify(&names(&[
            "ca.crt",
            "client.key",
            "README",
            "client.cert",
            "other-ca.crt",
        ]))
        .unwrap();
        assert_eq!(f.cas, ["ca.crt", "other-ca.crt"]);
        assert_eq!(f.pairs, [("client.cert".into(), "client.key".into())]);
    }

    #[test]
    fn a_lone_half_of_a_pair_is_an_error() {
        let e = classify(&names(&["client.cert"])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "missing key client.key for client certificate client.cert"
        );
        let e = classify(&names(&["ca.crt", "k.key"])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "missing client certificate k.cert for key k.key"
        );
    }

    #[test]
    fn explicit_cert_dir_wins_and_must_hold_valid_files() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(
            cert_dir("h:1", Some(d.path())),
            Some(d.path().to_path_buf())
        );
        assert!(config("h:1", Some(d.path()), true).is_ok());
        std::fs::write(d.path().join("ca.crt"), "not a certificate").unwrap();
        let e = config("h:1", Some(d.path()), true).unwrap_err();
        assert!(format!("{e:#}").contains("no PEM certificate"), "{e:#}");
        let missing = d.path().join("nope");
        assert!(config("h:1", Some(&missing), true).is_err());
    }
}
