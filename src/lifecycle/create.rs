//! `create`: a container's record and its bundle, from an image and options
//! the spec layer has checked. Nothing runs yet.

use crate::container::health::OnFailure;
use crate::container::log::LogConfig;
use crate::container::{Containers, Meta, Process, RestartPolicy, State};
use crate::spec::bundle::{self, Bundle};
use crate::spec::{Placement, Prepared};
use anyhow::{Context, Result};

/// What `create` records beside the spec.
pub struct Record<'a> {
    pub name: Option<&'a str>,
    /// The image as the user named it, and its id.
    pub image: &'a str,
    pub image_id: String,
    /// The leading part of the command that is the entrypoint.
    pub entrypoint: Vec<String>,
    pub auto_remove: bool,
    pub stop_signal: Option<String>,
    pub stop_timeout: Option<u32>,
    pub labels: std::collections::BTreeMap<String, String>,
    pub restart: RestartPolicy,
    /// `--log-driver`, `--log-opt`.
    pub log: LogConfig,
    /// The image's healthcheck under the `--health-*` flags.
    pub healthcheck: Option<crate::container::health::HealthConfig>,
    /// berth's command line, as typed.
    pub create_command: Vec<String>,
    /// The process that starts it in the foreground (`run`), recorded with
    /// the container: its start needs no claim, and no other `start` can
    /// take it first.
    pub monitor: Option<Process>,
}

/// A container just made: its record, and its bundle as written beside it
/// (a start in this process need not read it back).
pub struct Created {
    pub meta: Meta,
    pub bundle: Bundle,
}

/// Makes the container: its record (unique name, under the names lock),
/// its directories, /etc files and bundle. On failure nothing is left.
pub fn create(containers: &Containers, prepared: &Prepared, r: Record<'_>) -> Result<Created> {
    // Mounted once: removed when it exits, never started again by a policy.
    let volatile = r.auto_remove
        && matches!(r.restart, RestartPolicy::No)
        && r.healthcheck
            .as_ref()
            .is_none_or(|h| h.on_failure != OnFailure::Restart);
    let meta = containers.create(
        r.name,
        Meta {
            image: r.image.to_string(),
            image_id: r.image_id,
            command: prepared.args.clone(),
            entrypoint: r.entrypoint,
            created: crate::time::now_rfc3339_nanos(),
            state: State::Created,
            auto_remove: r.auto_remove,
            stop_signal: r.stop_signal,
            stop_timeout: r.stop_timeout,
            labels: r.labels,
            restart: r.restart,
            log: r.log,
            healthcheck: r.healthcheck,
            create_command: r.create_command,
            monitor: r.monitor,
            ..Default::default()
        },
    )?;
    crate::logger::phase("create.record");
    let dir = containers.dir_of(&meta.id);
    let made = (|| -> Result<Bundle> {
        let [upper, work, rootfs] = containers.layout().container_rootfs_dirs(&meta.id);
        for d in [&upper, &work, &rootfs] {
            std::fs::create_dir(d).with_context(|| format!("creating `{}`", d.display()))?;
        }
        let (spec, mut extensions) = prepared.finish(&Placement {
            etc_dir: &dir,
            upper,
            work,
            rootfs,
            default_hostname: &meta.id[..12],
            mountpoints: Some(&containers.layout().mountpoints()),
        })?;
        extensions.overlay.volatile = volatile;
        let b = Bundle {
            spec,
            extensions,
            network: prepared.opts.network.clone(),
        };
        bundle::write(&dir, &b)?;
        Ok(b)
    })();
    match made {
        Ok(bundle) => {
            crate::logger::phase("create.bundle");
            Ok(Created { meta, bundle })
        }
        Err(e) => {
            // Listed since its record was saved: moved aside as `rm` does.
            let _ = super::remove_dir(containers, &meta.id);
            Err(e)
        }
    }
}
