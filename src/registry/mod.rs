//! Talking to image registries: which registry a name means
//! (`registries.conf`, short names, mirrors, blocked registries), the
//! credentials for it (`auth.json`, credential helpers), and the registry v2
//! API over HTTP(S) with its Basic and Bearer token authentication. It moves
//! bytes and manifests; what they become in the store is `image/`'s job.

mod auth;
mod authfile;
mod client;
mod conf;
mod connect;
mod error;
pub mod search;
mod tls;
mod tls_connector;

pub use auth::Credentials;
pub use authfile::AuthFiles;
pub use client::{Client, ClientOptions, Fetched};
pub use conf::{Endpoint, Registries};
pub use connect::Access;
pub use error::{Error, ErrorKind};
