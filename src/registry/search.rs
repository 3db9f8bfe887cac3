//! `berth search`: what a registry says it holds. Docker Hub has a search
//! API of its own (`index.docker.io/v1/search`, with descriptions, stars and
//! the official flag); other registries only list their repositories
//! (`/v2/_catalog`), which is filtered by the term here, as containers/image
//! does. Neither is a reliable way to tell whether an image exists: that is
//! `head_manifest`'s job.

use super::{Access, Client, ClientOptions, Endpoint, Registries};
use anyhow::{Context, Result};

/// One search result. Text comes from the registry: escape it to print.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Hit {
    /// The registry searched (`docker.io`).
    pub index: String,
    /// The full repository name (`docker.io/library/alpine`).
    pub name: String,
    pub description: String,
    pub stars: u64,
    pub official: bool,
    pub automated: bool,
}

/// Splits a search term into the registry it names, if any, and the words
/// to look for: `quay.io/fedora` → (`quay.io`, `fedora`); `127.0.0.1:5000/`
/// → everything there; `alpine` → no registry. The first component names
/// a registry the way a reference's does: with a `.` or `:`, or `localhost`.
pub fn split_term(term: &str) -> (Option<&str>, &str) {
    match term.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            (Some(first), rest)
        }
        _ => (None, term),
    }
}

/// Searches for `term` as `berth search` does: in the registry the term
/// names (`HOST/words`), else in each of the configured search registries,
/// at most `limit` results from each. A registry that fails is skipped with
/// a warning when another answered; when none did, the first error is
/// returned.
pub fn search(
    registries: &Registries,
    term: &str,
    limit: usize,
    access: &Access,
) -> Result<Vec<Hit>> {
    let (named, words) = split_term(term);
    let hosts = match named {
        Some(h) => vec![h.to_string()],
        None => registries.search_registries(),
    };
    let mut hits = Vec::new();
    let mut first_err = None;
    let mut answered = false;
    for host in &hosts {
        let found = registries
            .registry_endpoint(host)
            .and_then(|e| search_one(&e, words, limit, access))
            .with_context(|| format!("searching {host} for `{words}`"));
        match found {
            Ok(h) => {
                answered = true;
                hits.extend(h);
            }
            Err(e) if hosts.len() > 1 => {
                log::warn!("{e:#}");
                first_err.get_or_insert(e);
            }
            Err(e) => return Err(e),
        }
    }
    match first_err {
        Some(e) if !answered => Err(e),
        _ => Ok(hits),
    }
}

/// Searches one registry.
fn search_one(endpoint: &Endpoint, term: &str, limit: usize, access: &Access) -> Result<Vec<Hit>> {
    let registry = endpoint.host.as_str();
    if registry == "docker.io" {
        let mut hits = hub_search(term, limit, access)?;
        hits.truncate(limit);
        return Ok(hits);
    }
    let client = Client::connect(endpoint, access)?;
    // The catalog has no search: every name is fetched and filtered.
    let all = client.catalog(0)?;
    Ok(all
        .into_iter()
        .filter(|r| r.contains(term))
        .take(limit)
        .map(|r| Hit {
            index: registry.to_string(),
            name: format!("{registry}/{r}"),
            description: String::new(),
            stars: 0,
            official: false,
            automated: false,
        })
        .collect())
}

/// Docker Hub's v1 search, which wants no credentials.
fn hub_search(term: &str, limit: usize, access: &Access) -> Result<Vec<Hit>> {
    if term.is_empty() {
        anyhow::bail!("Docker Hub does not list every image: give a term");
    }
    let client = Client::new(
        "index.docker.io",
        ClientOptions {
            tls_verify: access.tls_verify,
            cert_dir: access.cert_dir.clone(),
            insecure: false,
            credentials: None,
        },
    )?;
    let path = format!(
        "/v1/search?q={}&n={}",
        percent_encode(term),
        limit.clamp(1, 100)
    );
    parse_hub(&client.get_public_json(&path)?)
}

/// Reads Docker Hub's answer: `{"results":[{"name","description",
/// "star_count","is_official","is_automated"}]}`. Names without a
/// namespace are official images, under `library/`.
fn parse_hub(body: &[u8]) -> Result<Vec<Hit>> {
    #[derive(serde::Deserialize)]
    struct Answer {
        #[serde(default)]
        results: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        name: String,
        #[serde(default)]
        description: Option<String>,
        #[serde(default)]
        star_count: u64,
        #[serde(default)]
        is_official: bool,
        #[serde(default)]
        is_automated: bool,
    }
    let a: Answer = serde_json::from_slice(body).map_err(|e| {
        anyhow::anyhow!("docker.io: search answer is not what Docker Hub sends: {e}")
    })?;
    Ok(a.results
        .into_iter()
        .map(|e| {
            let path = if e.name.contains('/') {
                e.name
            } else {
                format!("library/{}", e.name)
            };
            Hit {
                index: "docker.io".to_string(),
                name: format!("docker.io/{path}"),
                description: e.description.unwrap_or_default(),
                stars: e.star_count,
                official: e.is_official,
                automated: e.is_automated,
            }
        })
        .collect())
}

/// The tags of the repository `name` names (a short name resolved as a
/// pull would), at most `limit`; with that repository's full name.
pub fn list_tags(
    registries: &Registries,
    name: &str,
    limit: usize,
    access: &Access,
) -> Result<(String, Vec<String>)> {
    let last = name.rsplit('/').next().unwrap_or("");
    if last.contains(':') || name.contains('@') {
        anyhow::bail!("`{name}`: --list-tags takes a repository, without a tag or digest");
    }
    let r = registries.qualify(name)?;
    let mut endpoint = registries.registry_endpoint(&r.domain)?;
    endpoint.repo = r.path.clone();
    let full = r.repository();
    let mut tags = Client::connect(&endpoint, access)
        .and_then(|c| c.tags(&endpoint.repo))
        .with_context(|| format!("listing the tags of {full}"))?;
    tags.truncate(limit);
    Ok((full, tags))
}

/// `s` made safe as a query value: unreserved bytes as they are, the rest
/// `%XX`.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_term_may_name_its_registry() {
        assert_eq!(split_term("alpine"), (None, "alpine"));
        assert_eq!(split_term("library/alpine"), (None, "library/alpine"));
        assert_eq!(split_term("quay.io/fedora"), (Some("quay.io"), "fedora"));
        assert_eq!(split_term("127.0.0.1:5000/"), (Some("127.0.0.1:5000"), ""));
        assert_eq!(split_term("localhost/x"), (Some("localhost"), "x"));
    }

    #[test]
    fn hub_answers_become_full_names() {
        let body = br#"{"num_results":2,"query":"alp","results":[
            {"name":"alpine","description":"A minimal image","star_count":11000,"is_official":true,"is_automated":false},
            {"name":"someone/alpine-x","description":null,"star_count":3}]}"#;
        let hits = parse_hub(body).unwrap();
        assert_eq!(hits[0].name, "docker.io/library/alpine");
        assert!(hits[0].official);
        assert_eq!(hits[0].stars, 11000);
        assert_eq!(hits[1].name, "docker.io/someone/alpine-x");
        assert_eq!(hits[1].description, "");
        assert!(!hits[1].official);
        assert!(parse_hub(b"<html>").is_err());
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(percent_encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(percent_encode("alpine-3.20_x~"), "alpine-3.20_x~");
    }
}
