//! A container's spec as an OCI bundle's `config.json`, for a peer runtime
//! (`crun run --bundle`) or, next, a container directory that is a bundle.
//!
//! What OCI cannot carry stays behind in berth's extensions: the overlay
//! (the bundle's root is a ready directory), the compiled seccomp filters
//! (a peer runs the bundle unfiltered unless given a profile), `--init` and
//! the first-use filling of named volumes.

use anyhow::{Context, Result};
use oci_spec::runtime::Spec;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Writes `spec` as `<bundle>/config.json`, its root at `rootfs` (kept as
/// given: relative to the bundle, or absolute). Returns the file's path.
#[cfg_attr(
    not(test),
    expect(
        dead_code,
        reason = "the container lifecycle (create, berth oci) writes bundles next"
    )
)]
pub fn write_config(spec: &Spec, bundle: &Path, rootfs: &Path) -> Result<PathBuf> {
    let mut spec = spec.clone();
    if let Some(root) = spec.root_mut() {
        root.set_path(rootfs.to_path_buf());
    }
    let json = serde_json::to_vec_pretty(&spec).context("serialising the runtime spec")?;
    let path = bundle.join("config.json");
    // Never through a symlink someone left at the name.
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)
        .and_then(|mut f| f.write_all(&json))
        .with_context(|| format!("writing `{}`", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ident::idmap::{IdMapping, IdRange};
    use crate::runtime::plan::Plan;
    use crate::spec::{ContainerOptions, Image, Placement, parse_volume, prepare};
    use crate::store::oci::RunConfig;
    use oci_spec::runtime::{Capability, LinuxNamespaceType};

    /// A spec from an image config and `run`-like options, in `dir`.
    fn spec_in(
        dir: &Path,
        opts: impl FnOnce(&mut ContainerOptions),
    ) -> (Spec, crate::runtime::extensions::Extensions) {
        let cfg = RunConfig {
            env: Some(vec!["PATH=/bin".into(), "A=1".into()]),
            entrypoint: Some(vec!["/bin/sh".into(), "-c".into()]),
            cmd: Some(vec!["echo hi".into()]),
            working_dir: Some("/w".into()),
            ..Default::default()
        };
        let image = Image {
            name: "img",
            config: &cfg,
            layers_dir: dir.join("layers"),
            lowerdirs: vec!["l1".into()],
        };
        let mut o = ContainerOptions::new(crate::runtime::network::Plan::new("none", &[]).unwrap());
        o.session_env = true;
        opts(&mut o);
        // Podman's convention: the user's own id, then the subuid range.
        let ranges = vec![
            IdRange {
                container: 0,
                host: 1000,
                size: 1,
            },
            IdRange {
                container: 1,
                host: 100000,
                size: 65536,
            },
        ];
        let base = IdMapping {
            uids: ranges.clone(),
            gids: ranges,
        };
        let p = prepare(image, o, base).unwrap();
        p.finish(&Placement {
            etc_dir: dir,
            upper: dir.join("upper"),
            work: dir.join("work"),
            rootfs: dir.join("rootfs"),
            default_hostname: "0123456789ab",
        })
        .unwrap()
    }

    #[test]
    fn config_json_is_a_runtime_spec_that_reads_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        std::fs::create_dir(&src).unwrap();
        let (spec, ext) = spec_in(dir.path(), |o| {
            o.env = vec!["A=2".into()];
            let (m, _) = parse_volume(&format!("{}:/data:ro", src.display()), dir.path()).unwrap();
            o.mounts = vec![(m, false)];
        });
        let path = write_config(&spec, dir.path(), Path::new("rootfs")).unwrap();
        let back = Spec::load(&path).unwrap();
        let p = back.process().as_ref().unwrap();
        assert_eq!(back.version(), "1.0.2");
        assert_eq!(back.root().as_ref().unwrap().path(), Path::new("rootfs"));
        assert_eq!(
            p.args().as_deref().unwrap(),
            ["/bin/sh", "-c", "echo hi"].map(String::from)
        );
        assert_eq!(
            p.env().as_deref().unwrap(),
            ["PATH=/bin", "HOSTNAME=0123456789ab", "A=2", "HOME=/"].map(String::from)
        );
        assert_eq!(p.cwd(), Path::new("/w"));
        assert_eq!((p.user().uid(), p.user().gid()), (0, 0));
        let bounding = p
            .capabilities()
            .as_ref()
            .unwrap()
            .bounding()
            .clone()
            .unwrap();
        assert!(bounding.contains(&Capability::Chown) && !bounding.contains(&Capability::SysAdmin));
        assert_eq!(back.hostname().as_deref(), Some("0123456789ab"));
        let mounts: Vec<(String, String)> = back
            .mounts()
            .iter()
            .flatten()
            .map(|m| {
                (
                    m.destination().display().to_string(),
                    m.typ().clone().unwrap(),
                )
            })
            .collect();
        let want = [
            ("/proc", "proc"),
            ("/dev", "tmpfs"),
            ("/dev/pts", "devpts"),
            ("/dev/shm", "tmpfs"),
            ("/dev/mqueue", "mqueue"),
            ("/sys", "sysfs"),
            ("/etc/hostname", "bind"),
            ("/etc/hosts", "bind"),
            ("/etc/resolv.conf", "bind"),
            ("/data", "bind"),
        ]
        .map(|(d, t)| (d.to_string(), t.to_string()));
        assert_eq!(mounts, want);
        let linux = back.linux().as_ref().unwrap();
        let ns: Vec<LinuxNamespaceType> = linux
            .namespaces()
            .iter()
            .flatten()
            .map(|n| n.typ())
            .collect();
        assert!(
            ns.contains(&LinuxNamespaceType::User) && ns.contains(&LinuxNamespaceType::Network)
        );
        assert_eq!(linux.uid_mappings().as_ref().unwrap().len(), 2);
        assert!(
            linux
                .masked_paths()
                .as_ref()
                .unwrap()
                .contains(&"/proc/kcore".to_string())
        );
        // What berth's own runtime reads from it is what it was given.
        let (mut a, b) = (
            Plan::new(&spec, &ext).unwrap(),
            Plan::new(&back, &ext).unwrap(),
        );
        a.root = b.root.clone();
        assert_eq!(format!("{:?}", a.mounts), format!("{:?}", b.mounts));
        assert_eq!(
            (a.args, a.env, a.caps, a.mapping),
            (b.args, b.env, b.caps, b.mapping)
        );
        assert!(b.mounts.iter().any(|m| m.dest == "/data"
            && m.kind
                == crate::runtime::plan::MountKind::Bind {
                    source: src.clone(),
                    readonly: true
                }));
    }

    #[test]
    fn privileged_masks_nothing_and_host_network_shares_the_namespace() {
        let dir = tempfile::tempdir().unwrap();
        let (spec, _) = spec_in(dir.path(), |o| {
            o.privileged = true;
            o.network = crate::runtime::network::Plan::new("host", &[]).unwrap();
        });
        let linux = spec.linux().as_ref().unwrap();
        assert!(linux.masked_paths().is_none() && linux.readonly_paths().is_none());
        assert!(
            !linux
                .namespaces()
                .iter()
                .flatten()
                .any(|n| n.typ() == LinuxNamespaceType::Network)
        );
        let caps = spec
            .process()
            .as_ref()
            .unwrap()
            .capabilities()
            .as_ref()
            .unwrap();
        assert!(
            caps.bounding()
                .as_ref()
                .unwrap()
                .contains(&Capability::SysAdmin)
        );
    }
}
