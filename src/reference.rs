//! Image references: parse and normalise like Docker. No I/O.
//!
//! `busybox` is `docker.io/library/busybox:latest`; `localhost/x` stays local;
//! a digest (`name@sha256:…`) may replace or follow the tag.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Reference {
    /// Registry host, with port if any: `docker.io`, `localhost`, `127.0.0.1:5000`.
    pub domain: String,
    /// Repository path inside the registry: `library/busybox`.
    pub path: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl Reference {
    /// Parses and normalises `s`; a missing tag (and digest) becomes `latest`.
    pub fn parse(s: &str) -> Result<Reference, String> {
        Reference::parse_in("docker.io", s)
    }

    /// Like [`Reference::parse`], but a name that carries no registry of its
    /// own is put in `domain` instead of docker.io (short-name resolution
    /// against a search registry). Only docker.io adds `library/`.
    pub fn parse_in(domain: &str, s: &str) -> Result<Reference, String> {
        if s.is_empty() {
            return Err("empty image reference".into());
        }
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => {
                check_digest(d)?;
                (r, Some(d.to_string()))
            }
            None => (s, None),
        };
        // A tag is after the last ':' that follows the last '/'.
        let last_slash = rest.rfind('/').map(|i| i + 1).unwrap_or(0);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
            None => (rest, None),
        };
        if let Some(t) = tag {
            let ok = !t.is_empty()
                && t.len() <= 128
                && t.chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                && t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
            if !ok {
                return Err(format!("invalid tag `{t}` in `{s}`"));
            }
        }
        let (domain, path) = match name.split_once('/') {
            Some((first, rest)) if names_a_registry(first) => (first.to_string(), rest.to_string()),
            _ => (domain.to_string(), name.to_string()),
        };
        let path = if domain == "docker.io" && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        if path.is_empty() || !path.split('/').all(valid_component) {
            return Err(format!(
                "invalid reference format `{s}`: repository names are lowercase letters, digits and separators"
            ));
        }
        let tag = match (tag, &digest) {
            (Some(t), _) => Some(t.to_string()),
            (None, Some(_)) => None,
            (None, None) => Some("latest".to_string()),
        };
        Ok(Reference {
            domain,
            path,
            tag,
            digest,
        })
    }

    /// `docker.io/library/busybox`
    pub fn repository(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }
}

/// Whether `s`, as the user typed it, names no registry: `alpine`,
/// `library/alpine:3`, `user/app@sha256:…` are short names; `docker.io/alpine`,
/// `localhost/x`, `127.0.0.1:5000/x` are not. Docker's rule: the first of
/// several `/`-separated components is a registry when it has a `.` or a `:`
/// or is `localhost`.
pub fn is_short_name(s: &str) -> bool {
    let name = s.split_once('@').map_or(s, |(n, _)| n);
    match name.split_once('/') {
        Some((first, _)) => !names_a_registry(first),
        None => true,
    }
}

fn names_a_registry(first_component: &str) -> bool {
    first_component.contains('.') || first_component.contains(':') || first_component == "localhost"
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.domain, self.path)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

fn valid_component(c: &str) -> bool {
    // [a-z0-9]+ separated by '.', '_', '__' or '-'+.
    !c.is_empty()
        && c.chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || "._-".contains(ch))
        && c.starts_with(|ch: char| ch.is_ascii_alphanumeric())
        && c.ends_with(|ch: char| ch.is_ascii_alphanumeric())
}

fn check_digest(d: &str) -> Result<(), String> {
    match d.split_once(':') {
        Some(("sha256", hex)) if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Ok(())
        }
        _ => Err(format!("invalid digest `{d}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        Reference::parse(s).unwrap().to_string()
    }

    #[test]
    fn short_names_go_to_docker_library() {
        assert_eq!(norm("busybox"), "docker.io/library/busybox:latest");
        assert_eq!(norm("busybox:1.36"), "docker.io/library/busybox:1.36");
        assert_eq!(norm("user/app"), "docker.io/user/app:latest");
    }

    #[test]
    fn domains_and_ports_are_kept() {
        assert_eq!(norm("localhost/x"), "localhost/x:latest");
        assert_eq!(norm("127.0.0.1:5000/a/b:v1"), "127.0.0.1:5000/a/b:v1");
        assert_eq!(norm("quay.io/podman/hello"), "quay.io/podman/hello:latest");
    }

    #[test]
    fn digests_replace_the_default_tag() {
        let d = format!("sha256:{}", "a".repeat(64));
        assert_eq!(
            norm(&format!("busybox@{d}")),
            format!("docker.io/library/busybox@{d}")
        );
        assert_eq!(
            norm(&format!("busybox:1@{d}")),
            format!("docker.io/library/busybox:1@{d}")
        );
    }

    #[test]
    fn short_names_are_told_from_qualified_ones() {
        for short in [
            "alpine",
            "alpine:3",
            "library/alpine",
            "user/app:v1",
            "localhost",
        ] {
            assert!(is_short_name(short), "{short} is a short name");
        }
        let d = format!("sha256:{}", "a".repeat(64));
        assert!(is_short_name(&format!("alpine@{d}")));
        for qualified in [
            "docker.io/alpine",
            "localhost/x",
            "127.0.0.1:5000/a/b:v1",
            "quay.io/podman/hello",
            "registry:5000/x",
        ] {
            assert!(!is_short_name(qualified), "{qualified} names its registry");
        }
    }

    #[test]
    fn a_short_name_can_be_put_in_another_registry() {
        let r = Reference::parse_in("quay.io", "alpine:3").unwrap();
        assert_eq!(r.to_string(), "quay.io/alpine:3");
        let r = Reference::parse_in("localhost:5000", "ns/app").unwrap();
        assert_eq!(r.to_string(), "localhost:5000/ns/app:latest");
        // Only Docker Hub has the implicit `library/`.
        let r = Reference::parse_in("docker.io", "alpine").unwrap();
        assert_eq!(r.to_string(), "docker.io/library/alpine:latest");
        // A name that has its own registry keeps it.
        let r = Reference::parse_in("quay.io", "ghcr.io/x/y").unwrap();
        assert_eq!(r.to_string(), "ghcr.io/x/y:latest");
    }

    #[test]
    fn bad_references_are_refused() {
        for bad in [
            "",
            "Busybox",
            "a:",
            "a:b c",
            "a@sha256:12",
            "-a",
            "a//b",
            "x:-y",
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad} should be refused");
        }
    }
}

/// Arbitrary strings as references (they come from users and from image
/// annotations): never a panic, and what parses prints as itself again.
#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    fn round_trips(s: &str) -> Result<(), TestCaseError> {
        if let Ok(r) = Reference::parse(s) {
            let again = Reference::parse(&r.to_string());
            prop_assert_eq!(again.as_ref(), Ok(&r), "{} printed as {}", s, r);
            let _ = r.repository();
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(crate::proptest_config(256))]

        #[test]
        fn any_string_parses_or_errs(s in any::<String>()) {
            round_trips(&s)?;
        }

        #[test]
        fn reference_shaped_strings_parse_or_err(
            s in "([a-zé.:0-9-]{0,8}/){0,3}[a-zA-Z0-9._é-]{0,10}(:[a-zA-Z0-9._é-]{0,6})?(@sha256:[0-9a-f]{0,64})?",
        ) {
            round_trips(&s)?;
        }
    }
}
