//! What berth's runtime takes beside the OCI runtime spec: the parts of a
//! container OCI cannot express. Everything else (process, root, hostname,
//! mounts, namespaces, id mappings, masked paths) is in the
//! `oci_spec::runtime::Spec` it is given with these.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// berth's own extensions to the OCI runtime spec.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Extensions {
    /// The overlay the spec's `root.path` is mounted from (OCI has only a
    /// ready root directory).
    pub overlay: Overlay,
    /// Compiled filters, installed last; empty = unconfined. Compiled by the
    /// caller so bad profiles fail before the container exists.
    #[serde(with = "bpf_serde")]
    pub seccomp: Vec<seccompiler::BpfProgram>,
    /// `--init`: pid 1 stays berth's reaper and the command runs as its child.
    pub init: bool,
    /// `--preserve-fds N`: fds 3..3+N go to the container's process open;
    /// every other fd above 2 is closed at its exec.
    pub preserve_fds: u32,
    /// The spec's bind mounts (indices into its `mounts`) that are named
    /// volumes used for the first time: filled from the image's content at
    /// their destination before they are mounted, as Docker does. By index,
    /// not destination: only that mount is filled, never a host bind.
    pub seed: Vec<usize>,
    /// The spec's mounts (indices) of files berth generated, /etc/hostname,
    /// hosts and resolv.conf: their targets are not made in a volume or a
    /// host directory mounted over their parent (see `plan::Mount`).
    #[serde(default)]
    pub generated: Vec<usize>,
}

/// The root's layers, mounted as one overlay at the spec's `root.path`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Overlay {
    /// `<root>/layers`: lowerdirs are given relative to it (the mount data is one page).
    pub layers_dir: PathBuf,
    /// Chain ids of the layers, top first.
    pub lowerdirs: Vec<String>,
    pub upper: PathBuf,
    pub work: PathBuf,
    /// Mounted with overlayfs' `volatile`: no sync of the filesystem under
    /// `upper` when the mount goes, nor for the container's fsyncs. For a
    /// container mounted once and removed when it exits (`--rm` with no
    /// restart), as podman does: its writable layer does not outlive it,
    /// so a crash loses nothing a user keeps. Without it, the unmount at
    /// every exit wrote back every dirty file of that filesystem, berth's
    /// or not (`ovl_sync_fs`). A volatile mount leaves `work/work/incompat/
    /// volatile` behind, and overlayfs refuses to mount that pair again.
    #[serde(default)]
    pub volatile: bool,
    /// A shared read-only layer above `lowerdirs` holding the mount points
    /// of berth's /etc files (`spec::mountpoints`); none: the container
    /// makes them in its writable layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mountpoints: Option<PathBuf>,
}

impl Overlay {
    /// The lower layers as overlayfs' `lowerdir` lists them (top first):
    /// the shared mount points as their path, then the chain ids, relative
    /// to `layers_dir`, where the mount is made (the mount data escapes
    /// what needs it: `sys::mount::overlay_data`).
    pub fn lower_list(&self) -> Vec<String> {
        (self.mountpoints.iter())
            .map(|m| m.to_string_lossy().into_owned())
            .chain(self.lowerdirs.iter().cloned())
            .collect()
    }
}

/// Compiled filters as `[code, jt, jf, k]` rows: a container's `berth.json`
/// keeps what `create` compiled, so `start` and `exec` install exactly that
/// (a profile file changed later changes nothing, as with podman's
/// config.json) and compile nothing.
mod bpf_serde {
    use seccompiler::{BpfProgram, sock_filter};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    type Row = (u16, u8, u8, u32);

    pub fn serialize<S: Serializer>(progs: &[BpfProgram], s: S) -> Result<S::Ok, S::Error> {
        let rows: Vec<Vec<Row>> = progs
            .iter()
            .map(|p| p.iter().map(|f| (f.code, f.jt, f.jf, f.k)).collect())
            .collect();
        rows.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<BpfProgram>, D::Error> {
        let rows = Vec::<Vec<Row>>::deserialize(d)?;
        Ok(rows
            .into_iter()
            .map(|p| {
                p.into_iter()
                    .map(|(code, jt, jf, k)| sock_filter { code, jt, jf, k })
                    .collect()
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overlay(root: &str, mountpoints: Option<&str>) -> Overlay {
        Overlay {
            layers_dir: std::path::Path::new(root).join("layers"),
            lowerdirs: vec!["aa".into(), "bb".into()],
            upper: std::path::Path::new(root).join("containers/c/upper"),
            work: std::path::Path::new(root).join("containers/c/work"),
            volatile: false,
            mountpoints: mountpoints.map(PathBuf::from),
        }
    }

    #[test]
    fn the_shared_mount_points_go_above_the_layers() {
        let o = overlay(
            "/r:o,ot",
            Some("/r:o,ot/mountpoints/etc-0755-0.000000000-hosts"),
        );
        assert_eq!(
            o.lower_list(),
            ["/r:o,ot/mountpoints/etc-0755-0.000000000-hosts", "aa", "bb"]
        );
        assert_eq!(overlay("/r", None).lower_list(), ["aa", "bb"]);
    }
}
