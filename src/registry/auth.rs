//! The pieces of registry authentication that are plain data: reading a
//! `WWW-Authenticate` challenge, the scope strings a Bearer token is asked
//! for, the token issuer's answer, and the cache of tokens by scope. The
//! requests themselves are the client's (`client.rs`).

use base64::Engine as _;
use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

/// A user name and its password or token, resolved by the caller
/// (`auth.json`, a credential helper, `--creds`).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub secret: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl Credentials {
    /// The `Authorization` value for HTTP Basic.
    pub(crate) fn basic(&self) -> String {
        let pair = format!("{}:{}", self.username, self.secret);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    }
}

/// One challenge of a `WWW-Authenticate` header: the scheme, lowercased,
/// and its parameters (names lowercased, values unquoted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Challenge {
    pub scheme: String,
    pub params: Vec<(String, String)>,
}

impl Challenge {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses a `WWW-Authenticate` value (RFC 7235): one or more challenges,
/// each a scheme followed by comma-separated `name=value` parameters whose
/// values may be quoted strings holding commas, spaces and `\"` escapes
/// (`Bearer realm="https://auth.example/token",service="reg",scope="repository:a/b:pull,push"`).
/// A token after a comma that is not followed by `=` starts the next
/// challenge. Malformed trailing text is dropped, never an error: the
/// caller decides what a missing realm means.
pub(crate) fn parse_challenges(header: &str) -> Vec<Challenge> {
    let s = header.as_bytes();
    let mut i = 0;
    let mut out: Vec<Challenge> = Vec::new();
    let skip = |i: &mut usize, also_commas: bool| {
        while *i < s.len() && (s[*i] == b' ' || s[*i] == b'\t' || (also_commas && s[*i] == b',')) {
            *i += 1;
        }
    };
    let token = |i: &mut usize| {
        let start = *i;
        while *i < s.len() && !matches!(s[*i], b' ' | b'\t' | b',' | b'=' | b'"') {
            *i += 1;
        }
        &header[start..*i]
    };
    loop {
        skip(&mut i, true);
        if i >= s.len() {
            break;
        }
        let scheme = token(&mut i);
        if scheme.is_empty() {
            // A stray `=` or `"`: step over it (ASCII, so a char boundary).
            i += 1;
            continue;
        }
        let mut ch = Challenge {
            scheme: scheme.to_ascii_lowercase(),
            params: Vec::new(),
        };
        loop {
            skip(&mut i, true);
            let mark = i;
            let name = token(&mut i);
            skip(&mut i, false);
            if name.is_empty() || i >= s.len() || s[i] != b'=' {
                // Not a parameter: the next challenge's scheme (or junk).
                i = mark;
                break;
            }
            i += 1;
            skip(&mut i, false);
            let value = if i < s.len() && s[i] == b'"' {
                i += 1;
                let mut v = String::new();
                let mut chars = header[i..].char_indices();
                let mut end = header.len();
                while let Some((off, c)) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some((_, n)) = chars.next() {
                                v.push(n);
                            }
                        }
                        '"' => {
                            end = i + off + 1;
                            break;
                        }
                        c => v.push(c),
                    }
                }
                i = end;
                v
            } else {
                token(&mut i).to_string()
            };
            ch.params.push((name.to_ascii_lowercase(), value));
        }
        out.push(ch);
    }
    out
}

/// How the registry wants to be authenticated, from its challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// No challenge seen: requests go out without `Authorization`.
    None,
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
    },
}

impl Scheme {
    /// The scheme a set of challenges asks for: Bearer when offered (it
    /// sends the password only to the token issuer), else Basic.
    pub fn from_challenges(chs: &[Challenge]) -> Option<Scheme> {
        if let Some(b) = chs.iter().find(|c| c.scheme == "bearer")
            && let Some(realm) = b.param("realm").filter(|r| !r.is_empty())
        {
            return Some(Scheme::Bearer {
                realm: realm.to_string(),
                service: b.param("service").map(str::to_string),
            });
        }
        chs.iter()
            .any(|c| c.scheme == "basic")
            .then_some(Scheme::Basic)
    }
}

/// The token scope to pull from `repo`.
pub(crate) fn pull_scope(repo: &str) -> String {
    format!("repository:{repo}:pull")
}

/// The token scope to push to `repo` (a push also reads: HEAD checks).
pub(crate) fn push_scope(repo: &str) -> String {
    format!("repository:{repo}:pull,push")
}

/// The token scope to list the registry's repositories.
pub(crate) const CATALOG_SCOPE: &str = "registry:catalog:*";

/// A token issuer's answer. Docker's issuer says `token`, OAuth2-style
/// ones `access_token`; either will do.
#[derive(serde::Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    token: String,
    #[serde(default)]
    access_token: String,
    #[serde(default)]
    expires_in: u64,
}

/// A bearer token and when to stop using it.
#[derive(Clone)]
pub(crate) struct Token {
    pub value: String,
    expires: Instant,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// How long a token lives when its issuer does not say, and at least: the
/// distribution spec's minimum.
const MIN_TOKEN_LIFE: Duration = Duration::from_secs(60);

/// The longest a token is kept, whatever its issuer says: `expires_in` is
/// the issuer's number, and `Instant + Duration` panics on overflow.
const MAX_TOKEN_LIFE: Duration = Duration::from_secs(24 * 3600);

impl Token {
    /// Reads an issuer's JSON answer, received at `now`. The lifetime is
    /// counted from when berth received the token, not from the issuer's
    /// `issued_at`: this host's clock may disagree with the issuer's, and
    /// the monotonic clock cannot be set back. A few seconds are kept in
    /// hand so a token does not expire between the check and its use.
    pub fn parse(body: &[u8], now: Instant) -> Option<Token> {
        let a: TokenAnswer = serde_json::from_slice(body).ok()?;
        let value = if a.token.is_empty() {
            a.access_token
        } else {
            a.token
        };
        if value.is_empty() {
            return None;
        }
        let life = Duration::from_secs(a.expires_in).clamp(MIN_TOKEN_LIFE, MAX_TOKEN_LIFE);
        Some(Token {
            value,
            expires: now + life - Duration::from_secs(10),
        })
    }

    pub fn bearer(&self) -> String {
        format!("Bearer {}", self.value)
    }
}

/// Tokens by the scopes they were issued for.
#[derive(Default, Debug)]
pub(crate) struct TokenCache {
    tokens: HashMap<String, Token>,
}

impl TokenCache {
    fn key(scopes: &[String]) -> String {
        scopes.join(" ")
    }

    pub fn get(&self, scopes: &[String], now: Instant) -> Option<Token> {
        self.tokens
            .get(&Self::key(scopes))
            .filter(|t| t.expires > now)
            .cloned()
    }

    pub fn put(&mut self, scopes: &[String], t: Token) {
        self.tokens.insert(Self::key(scopes), t);
    }

    pub fn forget(&mut self, scopes: &[String]) {
        self.tokens.remove(&Self::key(scopes));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(c: &Challenge) -> Vec<(&str, &str)> {
        c.params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    #[test]
    fn bearer_challenge_with_commas_inside_the_scope() {
        let h = r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull,push""#;
        let chs = parse_challenges(h);
        assert_eq!(chs.len(), 1);
        assert_eq!(chs[0].scheme, "bearer");
        assert_eq!(
            params(&chs[0]),
            [
                ("realm", "https://auth.docker.io/token"),
                ("service", "registry.docker.io"),
                ("scope", "repository:library/alpine:pull,push"),
            ]
        );
    }

    #[test]
    fn basic_challenge_and_case_of_names() {
        let chs = parse_challenges(r#"basic Realm="Registry Realm""#);
        assert_eq!(chs[0].scheme, "basic");
        assert_eq!(chs[0].param("realm"), Some("Registry Realm"));
        assert_eq!(Scheme::from_challenges(&chs), Some(Scheme::Basic));
    }

    #[test]
    fn several_challenges_in_one_header() {
        let chs = parse_challenges(
            r#"Basic realm="r", Bearer realm="https://t/token", service=reg , error="insufficient_scope""#,
        );
        assert_eq!(chs.len(), 2);
        assert_eq!(params(&chs[0]), [("realm", "r")]);
        assert_eq!(
            params(&chs[1]),
            [
                ("realm", "https://t/token"),
                ("service", "reg"),
                ("error", "insufficient_scope")
            ]
        );
        // Bearer wins over Basic: the password goes to the issuer only.
        assert_eq!(
            Scheme::from_challenges(&chs),
            Some(Scheme::Bearer {
                realm: "https://t/token".into(),
                service: Some("reg".into())
            })
        );
    }

    #[test]
    fn escapes_inside_quotes() {
        let chs = parse_challenges(r#"Bearer realm="a\"b\\c",service="""#);
        assert_eq!(params(&chs[0]), [("realm", "a\"b\\c"), ("service", "")]);
    }

    #[test]
    fn junk_does_not_stall_or_panic() {
        for h in [
            "",
            ",,,",
            "=",
            "Bearer =x",
            "Bearer realm=\"unterminated",
            "Bearer realm",
            "\"\"\"",
            "Bearer realm=\"é\",service=ü",
        ] {
            let _ = parse_challenges(h);
        }
        assert_eq!(parse_challenges("Bearer")[0].scheme, "bearer");
        // A Bearer challenge without a realm cannot be followed.
        assert_eq!(
            Scheme::from_challenges(&parse_challenges("Bearer service=x")),
            None
        );
    }

    #[test]
    fn scopes_name_repository_and_actions() {
        assert_eq!(
            pull_scope("library/alpine"),
            "repository:library/alpine:pull"
        );
        assert_eq!(push_scope("a/b"), "repository:a/b:pull,push");
    }

    #[test]
    fn token_answer_takes_either_field_and_a_minimum_life() {
        let now = Instant::now();
        let t = Token::parse(br#"{"token":"abc","expires_in":300}"#, now).unwrap();
        assert_eq!(t.bearer(), "Bearer abc");
        assert_eq!(t.expires, now + Duration::from_secs(290));
        let t = Token::parse(br#"{"access_token":"xyz"}"#, now).unwrap();
        assert_eq!(t.value, "xyz");
        assert_eq!(t.expires, now + Duration::from_secs(50));
        assert!(Token::parse(br#"{"expires_in":3}"#, now).is_none());
        assert!(Token::parse(b"not json", now).is_none());
    }

    #[test]
    fn cache_forgets_expired_tokens() {
        let now = Instant::now();
        let mut c = TokenCache::default();
        let scopes = vec![pull_scope("a")];
        c.put(&scopes, Token::parse(br#"{"token":"t"}"#, now).unwrap());
        assert!(c.get(&scopes, now).is_some());
        assert!(c.get(&[push_scope("a")], now).is_none());
        assert!(c.get(&scopes, now + Duration::from_secs(61)).is_none());
        c.forget(&scopes);
        assert!(c.get(&scopes, now).is_none());
    }

    #[test]
    fn secrets_stay_out_of_debug() {
        let c = Credentials {
            username: "u".into(),
            secret: "hunter2".into(),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
        let t = Token::parse(br#"{"token":"sekrit"}"#, Instant::now()).unwrap();
        assert!(!format!("{t:?}").contains("sekrit"));
    }

    #[test]
    fn a_huge_expires_in_is_capped_not_a_panic() {
        let now = Instant::now();
        let t = Token::parse(br#"{"token":"t","expires_in":18446744073709551615}"#, now).unwrap();
        assert!(t.expires <= now + MAX_TOKEN_LIFE);
        assert!(t.expires > now + MIN_TOKEN_LIFE);
    }
}
