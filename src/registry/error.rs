//! The typed root of every error the registry client returns: what went
//! wrong (a kind callers can match on, e.g. to treat a missing manifest as
//! "not there" rather than a failure) and where (host, repository). Callers
//! get it wrapped in `anyhow` and find it again with `downcast_ref`.

use std::fmt;

/// What kind of failure: the distinctions callers act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// 401 even after authenticating: missing or wrong credentials.
    Unauthorized,
    /// 403: authenticated, but not allowed.
    Denied,
    /// 404: no such manifest, blob or repository.
    NotFound,
    /// 429 after the bounded retries.
    TooManyRequests,
    /// No connection: name resolution, refused, reset, timed out, 5xx.
    Unreachable,
    /// The TLS handshake failed (untrusted certificate, wrong name, …).
    Tls,
    /// The registry answered something the protocol does not allow.
    Protocol,
}

/// A registry failure. Its Display is one line: `HOST[/REPO]: problem`.
/// It never holds a secret: messages are built from statuses, the
/// registry's own error text and transport errors, never from headers we
/// sent.
#[derive(Debug)]
pub struct Error {
    pub kind: ErrorKind,
    pub host: String,
    pub repo: Option<String>,
    pub message: String,
}

impl Error {
    pub(crate) fn new(
        kind: ErrorKind,
        host: &str,
        repo: Option<&str>,
        message: impl Into<String>,
    ) -> Error {
        Error {
            kind,
            host: host.to_string(),
            repo: repo.map(str::to_string),
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repo {
            Some(r) => write!(f, "{}/{}: {}", self.host, r, self.message),
            None => write!(f, "{}: {}", self.host, self.message),
        }
    }
}

impl std::error::Error for Error {}

/// The registry's own explanation from an error body
/// (`{"errors":[{"code":"…","message":"…"}]}`), joined into one line and
/// bounded, or None when the body is not that.
pub(crate) fn registry_message(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Body {
        errors: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    let b: Body = serde_json::from_slice(body).ok()?;
    let parts: Vec<String> = b
        .errors
        .iter()
        .map(|e| match (e.code.is_empty(), e.message.is_empty()) {
            (false, false) if !e.message.eq_ignore_ascii_case(&e.code.replace('_', " ")) => {
                format!("{} ({})", e.message, e.code)
            }
            (_, false) => e.message.clone(),
            _ => e.code.to_lowercase().replace('_', " "),
        })
        .filter(|s| !s.is_empty())
        .collect();
    if parts.is_empty() {
        return None;
    }
    let mut s = parts.join("; ").replace(['\n', '\r'], " ");
    if s.len() > 300 {
        let mut cut = 300;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_one_line_naming_host_and_repo() {
        let e = Error::new(
            ErrorKind::NotFound,
            "quay.io",
            Some("a/b"),
            "manifest unknown",
        );
        assert_eq!(e.to_string(), "quay.io/a/b: manifest unknown");
        let e = Error::new(ErrorKind::Unreachable, "127.0.0.1:5000", None, "refused");
        assert_eq!(e.to_string(), "127.0.0.1:5000: refused");
    }

    #[test]
    fn registry_message_reads_the_errors_array() {
        let body =
            br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{}}]}"#;
        assert_eq!(registry_message(body).unwrap(), "manifest unknown");
        let body = br#"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}"#;
        assert_eq!(
            registry_message(body).unwrap(),
            "requested access to the resource is denied (DENIED)"
        );
        let body = br#"{"errors":[{"code":"UNAUTHORIZED"}]}"#;
        assert_eq!(registry_message(body).unwrap(), "unauthorized");
        assert_eq!(registry_message(b"<html>"), None);
        assert_eq!(registry_message(br#"{"errors":[]}"#), None);
    }
}
