//! Package URLs (github.com/package-url/purl-spec) to what an OSV record
//! names, and the purls of an SPDX 2.x or CycloneDX 1.x JSON document (as
//! berth, syft or trivy write them) for `berth scan --sbom`.
//!
//! A deb is matched by its *source* package, as OSV's Debian records are:
//! syft puts it in the `upstream` qualifier (`upstream=glibc` or
//! `upstream=glibc@2.36-9`), trivy in a `aquasecurity:trivy:SrcName`
//! property. The release comes from the `distro` qualifier
//! (`debian-12`, `alpine-3.18.4`), else from the document's operating
//! system.

use super::Subject;
use anyhow::{Context, Result, bail};
use std::io::Read;

/// A parsed purl: type, namespace, name, version and qualifiers, each
/// percent-decoded.
#[derive(Debug, PartialEq, Eq)]
pub struct Purl {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub version: Option<String>,
    pub qualifiers: Vec<(String, String)>,
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(h) = s.get(i + 1..i + 3)
            && let Ok(v) = u8::from_str_radix(h, 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Purl {
    pub fn parse(s: &str) -> Option<Purl> {
        let rest = s.trim().strip_prefix("pkg:")?.trim_start_matches('/');
        let rest = rest.split('#').next()?;
        let (rest, quals) = match rest.split_once('?') {
            Some((r, q)) => (r, q),
            None => (rest, ""),
        };
        let (path, version) = match rest.rsplit_once('@') {
            // `@` in a namespace is percent-encoded (npm scopes: %40).
            Some((p, v)) if !p.is_empty() => (p, Some(decode(v))),
            _ => (rest, None),
        };
        let (kind, path) = path.split_once('/')?;
        let path = path.trim_matches('/');
        let (namespace, name) = match path.rsplit_once('/') {
            Some((ns, n)) => (
                Some(ns.split('/').map(decode).collect::<Vec<_>>().join("/")),
                n,
            ),
            None => (None, path),
        };
        if name.is_empty() {
            return None;
        }
        let qualifiers = quals
            .split('&')
            .filter_map(|q| q.split_once('='))
            .map(|(k, v)| (k.to_ascii_lowercase(), decode(v)))
            .collect();
        Some(Purl {
            kind: kind.to_ascii_lowercase(),
            namespace,
            name: decode(name),
            version,
            qualifiers,
        })
    }

    pub fn qualifier(&self, k: &str) -> Option<&str> {
        self.qualifiers
            .iter()
            .find(|(q, _)| q == k)
            .map(|(_, v)| v.as_str())
    }
}

/// The operating system an SBOM describes, for purls without `distro`.
#[derive(Debug, Default, Clone)]
pub struct Os {
    pub id: String,
    pub version_id: String,
}

/// The OSV ecosystem of a distribution release: `debian` `12.4` →
/// `Debian:12`, `alpine` `3.18.4` → `Alpine:v3.18`.
pub fn distro_ecosystem(id: &str, version: &str) -> Option<String> {
    let mut parts = version.trim_start_matches('v').split('.');
    let major = parts
        .next()
        .filter(|m| !m.is_empty() && m.bytes().all(|c| c.is_ascii_digit()))?;
    match id.to_ascii_lowercase().as_str() {
        "debian" => Some(format!("Debian:{major}")),
        "alpine" => {
            let minor = parts
                .next()
                .filter(|m| m.bytes().all(|c| c.is_ascii_digit()))?;
            Some(format!("Alpine:v{major}.{minor}"))
        }
        _ => None,
    }
}

/// What a record would name for this purl; `source` is the source package
/// (deb) or origin (apk) when the SBOM knows it. `None` for package types
/// berth does not match (rpm, maven, …).
pub fn subject(purl: &str, source: Option<&str>, os: Option<&Os>) -> Option<Subject> {
    let p = Purl::parse(purl)?;
    let version = p.version.clone()?;
    let (ecosystem, name, version) = match p.kind.as_str() {
        "deb" | "apk" => {
            let distro = p
                .qualifier("distro")
                .and_then(|d| d.rsplit_once('-'))
                .and_then(|(id, v)| distro_ecosystem(id, v))
                .or_else(|| {
                    let os = os?;
                    distro_ecosystem(&os.id, &os.version_id)
                })?;
            let upstream = source.or(p.qualifier("upstream"));
            let (src, src_version) = match upstream {
                Some(u) => match u.split_once('@') {
                    Some((n, v)) => (n.to_string(), Some(v.to_string())),
                    None => (u.to_string(), None),
                },
                None => (p.name.clone(), None),
            };
            (distro, src, src_version.unwrap_or(version))
        }
        "cargo" => ("crates.io".to_string(), p.name.clone(), version),
        "pypi" => (
            "PyPI".to_string(),
            super::normalise_name("PyPI", &p.name),
            version,
        ),
        "npm" => {
            let name = match &p.namespace {
                Some(ns) => format!("{ns}/{}", p.name),
                None => p.name.clone(),
            };
            ("npm".to_string(), name, version)
        }
        "golang" => {
            let name = match &p.namespace {
                Some(ns) => format!("{ns}/{}", p.name),
                None => p.name.clone(),
            };
            ("Go".to_string(), name, version)
        }
        _ => return None,
    };
    // What the user knows the package as: a deb's or apk's own name, an npm
    // or Go package's full path, a PyPI project as spelled.
    let package = match ecosystem.as_str() {
        "npm" | "Go" => name.clone(),
        _ => p.name.clone(),
    };
    Some(Subject {
        ecosystem,
        name,
        version,
        package,
        purl: purl.to_string(),
    })
}

/// An SBOM file's packages: every purl an SPDX 2.x (`packages[].externalRefs`)
/// or CycloneDX 1.x (`components`, nested too) JSON document gives, with the
/// packages berth cannot match counted.
pub struct Document {
    pub subjects: Vec<Subject>,
    pub unmatched: usize,
}

/// SBOMs are big but not that big: a document past this is refused.
const MAX_SBOM: u64 = 512 << 20;

pub fn read_document(path: &std::path::Path) -> Result<Document> {
    let f = std::fs::File::open(path).with_context(|| format!("opening `{}`", path.display()))?;
    let mut buf = Vec::new();
    f.take(MAX_SBOM + 1)
        .read_to_end(&mut buf)
        .with_context(|| format!("reading `{}`", path.display()))?;
    if buf.len() as u64 > MAX_SBOM {
        bail!("`{}` is larger than {} MiB", path.display(), MAX_SBOM >> 20);
    }
    let v: serde_json::Value = serde_json::from_slice(&buf)
        .with_context(|| format!("`{}` is not JSON", path.display()))?;
    parse_document(&v).with_context(|| format!("reading the SBOM `{}`", path.display()))
}

fn parse_document(v: &serde_json::Value) -> Result<Document> {
    let mut found: Vec<(String, Option<String>)> = Vec::new();
    let mut os = None;
    if v.get("spdxVersion").is_some() {
        for p in v["packages"].as_array().into_iter().flatten() {
            if p["primaryPackagePurpose"] == "OPERATING-SYSTEM" {
                os = Some(Os {
                    id: str_of(&p["name"]),
                    version_id: str_of(&p["versionInfo"]),
                });
            }
            let purl = (p["externalRefs"].as_array().into_iter().flatten())
                .find(|r| r["referenceType"] == "purl")
                .map(|r| str_of(&r["referenceLocator"]));
            if let Some(purl) = purl {
                found.push((purl, source_from_spdx(p)));
            }
        }
    } else if v["bomFormat"] == "CycloneDX" {
        let mut stack: Vec<&serde_json::Value> = Vec::new();
        stack.extend(v["metadata"].get("component"));
        stack.extend(v["components"].as_array().into_iter().flatten());
        // Bounded by the document's size: each component is visited once.
        while let Some(c) = stack.pop() {
            stack.extend(c["components"].as_array().into_iter().flatten());
            if c["type"] == "operating-system" {
                os = Some(Os {
                    id: str_of(&c["name"]),
                    version_id: str_of(&c["version"]),
                });
            }
            if let Some(purl) = c["purl"].as_str() {
                let src = (c["properties"].as_array().into_iter().flatten())
                    .find(|p| {
                        matches!(
                            p["name"].as_str(),
                            Some("aquasecurity:trivy:SrcName" | "berth:source")
                        )
                    })
                    .map(|p| str_of(&p["value"]));
                found.push((purl.to_string(), src));
            }
        }
    } else {
        bail!("not an SPDX 2.x or CycloneDX JSON document (no `spdxVersion` or `bomFormat`)");
    }
    let mut subjects = Vec::new();
    let mut unmatched = 0;
    for (purl, src) in &found {
        match subject(purl, src.as_deref(), os.as_ref()) {
            Some(s) => subjects.push(s),
            None => unmatched += 1,
        }
    }
    subjects.sort_by(|a, b| a.purl.cmp(&b.purl));
    subjects.dedup();
    Ok(Document {
        subjects,
        unmatched,
    })
}

/// SPDX has no source-package field; syft's `sourceInfo` says
/// "built package from: NAME VERSION" for some ecosystems, berth's the same.
fn source_from_spdx(p: &serde_json::Value) -> Option<String> {
    let s = p["sourceInfo"].as_str()?;
    let rest = s.strip_prefix("built package from: ")?;
    let mut it = rest.split_whitespace();
    let name = it.next()?;
    Some(match it.next() {
        Some(v) => format!("{name}@{v}"),
        None => name.to_string(),
    })
}

fn str_of(v: &serde_json::Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_parse_with_namespaces_versions_and_qualifiers() {
        let p = Purl::parse("pkg:npm/%40babel/core@7.0.0?x=1#sub").unwrap();
        assert_eq!(p.namespace.as_deref(), Some("@babel"));
        assert_eq!(p.name, "core");
        assert_eq!(p.version.as_deref(), Some("7.0.0"));
        assert_eq!(p.qualifier("x"), Some("1"));
        assert!(Purl::parse("npm/x@1").is_none());
        assert!(Purl::parse("pkg:").is_none());
        assert!(Purl::parse("pkg:deb/").is_none());
    }

    #[test]
    fn subjects_name_what_osv_records_name() {
        let s = subject(
            "pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&upstream=glibc&distro=debian-12.4",
            None,
            None,
        )
        .unwrap();
        assert_eq!(
            (s.ecosystem.as_str(), s.name.as_str(), s.version.as_str()),
            ("Debian:12", "glibc", "2.36-9+deb12u4")
        );
        assert_eq!(s.package, "libc6");
        let s = subject(
            "pkg:deb/debian/libssl3@3.0.11-1",
            Some("openssl@3.0.11-1~deb12u2"),
            None,
        );
        assert!(s.is_none(), "no release known");
        let os = Os {
            id: "debian".into(),
            version_id: "12".into(),
        };
        let s = subject(
            "pkg:deb/debian/libssl3@3.0.11-1",
            Some("openssl"),
            Some(&os),
        )
        .unwrap();
        assert_eq!(
            (s.ecosystem.as_str(), s.name.as_str()),
            ("Debian:12", "openssl")
        );
        let s = subject(
            "pkg:apk/alpine/libcrypto3@3.1.4-r0?distro=alpine-3.18.4&upstream=openssl",
            None,
            None,
        )
        .unwrap();
        assert_eq!(
            (s.ecosystem.as_str(), s.name.as_str()),
            ("Alpine:v3.18", "openssl")
        );
        let s = subject("pkg:pypi/Django_REST.framework@3.0", None, None).unwrap();
        assert_eq!(
            (s.ecosystem.as_str(), s.name.as_str()),
            ("PyPI", "django-rest-framework")
        );
        let s = subject("pkg:golang/github.com/foo/bar@v1.2.3", None, None).unwrap();
        assert_eq!(
            (s.ecosystem.as_str(), s.name.as_str()),
            ("Go", "github.com/foo/bar")
        );
        assert!(subject("pkg:rpm/fedora/bash@5.2", None, None).is_none());
    }
}
