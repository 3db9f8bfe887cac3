//! A container's directory as an OCI bundle: `config.json` (the runtime
//! spec, readable by a peer runtime: `crun run --bundle`) beside
//! `berth.json` (what OCI cannot carry: the overlay — the bundle's root is
//! a ready directory —, the compiled seccomp filters, `--init`,
//! `--preserve-fds`, the first-use filling of named volumes, the network
//! plan). `create` writes the pair once; `start` and `exec` read it and run
//! exactly that, so what a container is does not depend on the flags or
//! files of whoever starts it later.

use crate::layout::replace_file;
use crate::runtime::extensions::Extensions;
use crate::runtime::network;
use anyhow::{Context, Result};
use oci_spec::runtime::Spec;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

const CONFIG: &str = "config.json";
const EXTENSIONS: &str = "berth.json";

/// What a container runs: the spec and berth's extensions to it.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub spec: Spec,
    pub extensions: Extensions,
    pub network: network::Plan,
}

#[derive(Serialize, Deserialize)]
struct Extra {
    extensions: Extensions,
    network: network::Plan,
}

/// Writes `spec` as `<bundle>/config.json`, its root at `rootfs` (kept as
/// given: relative to the bundle, or absolute). Returns the file's path.
pub fn write_config(spec: &Spec, bundle: &Path, rootfs: &Path) -> Result<PathBuf> {
    let mut spec = spec.clone();
    if let Some(root) = spec.root_mut() {
        root.set_path(rootfs.to_path_buf());
    }
    let json = serde_json::to_vec_pretty(&spec).context("serialising the runtime spec")?;
    let path = bundle.join(CONFIG);
    // Temp + rename: never through a symlink someone left at the name, and
    // a reader never sees half a file.
    replace_file(&path, &json)?;
    Ok(path)
}

/// Writes the container's bundle into its directory `dir`.
pub fn write(dir: &Path, b: &Bundle) -> Result<()> {
    let extra = Extra {
        extensions: b.extensions.clone(),
        network: b.network.clone(),
    };
    let json = serde_json::to_vec(&extra).context("serialising berth's extensions")?;
    replace_file(&dir.join(EXTENSIONS), &json)?;
    let root = (b.spec.root().as_ref().map(|r| r.path().clone())).unwrap_or_default();
    write_config(&b.spec, dir, &root)?;
    Ok(())
}

/// Reads the bundle `create` wrote into `dir`.
pub fn read(dir: &Path) -> Result<Bundle> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path).with_context(|| format!("reading `{}`", path.display()))
    };
    let spec: Spec = serde_json::from_slice(&read(CONFIG)?)
        .with_context(|| format!("parsing `{}`", dir.join(CONFIG).display()))?;
    let extra: Extra = serde_json::from_slice(&read(EXTENSIONS)?)
        .with_context(|| format!("parsing `{}`", dir.join(EXTENSIONS).display()))?;
    Ok(Bundle {
        spec,
        extensions: extra.extensions,
        network: extra.network,
    })
}

/// The network plan alone from the bundle in `dir` (`ps`, `inspect`,
/// `port`); `None` for a container with no bundle (yet).
pub fn read_network(dir: &Path) -> Result<Option<network::Plan>> {
    #[derive(Deserialize)]
    struct NetworkOnly {
        network: network::Plan,
    }
    let path = dir.join(EXTENSIONS);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading `{}`", path.display())),
    };
    let n: NetworkOnly =
        serde_json::from_slice(&bytes).with_context(|| format!("parsing `{}`", path.display()))?;
    Ok(Some(n.network))
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
            mountpoints: None,
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
            ("/data", "bind"),
            ("/etc/hostname", "bind"),
            ("/etc/hosts", "bind"),
            ("/etc/resolv.conf", "bind"),
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
