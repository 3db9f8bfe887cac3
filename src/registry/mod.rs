//! Talking to image registries: which registry a name means
//! (`registries.conf`, short names, mirrors, blocked registries), the
//! credentials for it (`auth.json`, credential helpers), and the registry v2
//! API over HTTP(S) with its Basic and Bearer token authentication. It moves
//! bytes and manifests; what they become in the store is `image/`'s job.

#[expect(dead_code, reason = "`berth login` and `logout` use it next")]
mod authfile;
#[expect(dead_code, reason = "`berth login`, pull and push use it next")]
mod conf;

#[expect(unused_imports, reason = "used by the verbs next")]
pub use authfile::AuthFiles;
#[expect(unused_imports, reason = "used by the verbs next")]
pub use conf::{Endpoint, Registries};

/// A user name and its password or token, for one registry.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub secret: String,
}

/// The secret never reaches a log line or an error through `{:?}`.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("secret", &"<hidden>")
            .finish()
    }
}
