//! The registry flags `pull`, `push`, `run`, `build` and `login` share, as
//! podman spells them.

use crate::image::pull::{Platform, PullOptions, PullPolicy};
use crate::registry::{Access, Credentials};
use anyhow::{Result, bail};
use std::path::PathBuf;

#[derive(clap::Args, Debug, Clone, Default)]
pub struct AccessFlags {
    /// Require HTTPS and verify the registry's certificate (default true;
    /// loopback registries may answer plain HTTP)
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub tls_verify: Option<bool>,
    /// Directory of certificates for the registry: *.crt CAs, *.cert/*.key client pairs
    /// [default: certs.d/HOST under $XDG_CONFIG_HOME/containers, /etc/containers, /etc/docker]
    #[arg(long, value_name = "DIR")]
    pub cert_dir: Option<PathBuf>,
    /// Credentials file [default: $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json]
    #[arg(long, value_name = "FILE")]
    pub authfile: Option<PathBuf>,
    /// Credentials for the registry as USER:PASSWORD (instead of the credentials file)
    #[arg(long, value_name = "USER:PASSWORD")]
    pub creds: Option<String>,
}

/// `--pull`'s value: podman's policies, and its `true`/`false` spellings.
pub fn pull_policy(s: &str) -> Result<PullPolicy, String> {
    Ok(match s {
        "always" => PullPolicy::Always,
        "missing" => PullPolicy::Missing,
        "never" | "false" => PullPolicy::Never,
        "newer" | "true" => PullPolicy::Newer,
        _ => return Err(format!("`{s}`: use always, missing, never or newer")),
    })
}

impl AccessFlags {
    /// What a pull needs: these flags and the platform (`--platform`).
    pub fn pull_options(&self, platform: Option<&str>) -> Result<PullOptions> {
        Ok(PullOptions {
            access: self.access()?,
            platform: match platform {
                Some(p) => Platform::parse(p)?,
                None => Platform::host(),
            },
            all_tags: false,
        })
    }

    pub fn access(&self) -> Result<Access> {
        let credentials = match &self.creds {
            None => None,
            Some(c) => {
                let Some((user, secret)) = c.split_once(':').filter(|(u, _)| !u.is_empty()) else {
                    bail!("--creds: expected USER:PASSWORD");
                };
                Some(Credentials {
                    username: user.to_string(),
                    secret: secret.to_string(),
                })
            }
        };
        Ok(Access {
            tls_verify: self.tls_verify,
            cert_dir: self.cert_dir.clone(),
            authfile: self.authfile.clone(),
            credentials,
        })
    }
}
