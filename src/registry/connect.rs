//! From an endpoint and the user's flags to a client: the credentials come
//! from `--creds`, else the auth files and credential helpers for the host.

use super::{AuthFiles, Client, ClientOptions, Credentials, Endpoint};
use anyhow::Result;
use std::path::PathBuf;

/// The user's registry flags (`--tls-verify`, `--cert-dir`, `--authfile`,
/// `--creds`), the same for every registry a command talks to.
#[derive(Clone, Debug, Default)]
pub struct Access {
    pub tls_verify: Option<bool>,
    pub cert_dir: Option<PathBuf>,
    pub authfile: Option<PathBuf>,
    pub credentials: Option<Credentials>,
}

impl Client {
    /// A client for `endpoint`'s registry with the user's access flags.
    pub fn connect(endpoint: &Endpoint, access: &Access) -> Result<Client> {
        let credentials = match &access.credentials {
            Some(c) => Some(c.clone()),
            None => AuthFiles::new(access.authfile.clone())
                .credentials_for(&endpoint.host, &endpoint.repo)?,
        };
        Client::new(
            &endpoint.host,
            ClientOptions {
                tls_verify: access.tls_verify,
                cert_dir: access.cert_dir.clone(),
                insecure: endpoint.insecure,
                credentials,
            },
        )
    }
}
