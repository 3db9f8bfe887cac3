//! The reference tools (podman, skopeo, umoci, oci-image-tool) run rootless
//! as the current user, the way ../shared/PEERS.md says they work on these
//! machines: HOME, XDG_RUNTIME_DIR and XDG_CONFIG_HOME point into the test's
//! temp dir, with a containers.conf that needs no cgroups and a storage.conf
//! whose graphroot is in the temp dir too. Nothing here runs a container, so
//! crun and the cgroup v1 problem never come up.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::{Cmd, TestEnv};

pub struct Peer {
    base: PathBuf,
    home: PathBuf,
    run: PathBuf,
    graph: PathBuf,
    runroot: PathBuf,
    used_podman: std::cell::Cell<bool>,
}

impl Peer {
    /// A private podman/skopeo world under `<test dir>/peer`.
    pub fn new(env: &TestEnv) -> Peer {
        let base = env.path("peer");
        let home = base.join("home");
        let run = base.join("run");
        let graph = base.join("graph");
        let runroot = base.join("runroot");
        let conf = home.join(".config/containers");
        std::fs::create_dir_all(&conf).unwrap();
        std::fs::create_dir_all(&run).unwrap();
        std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::fs::write(
            conf.join("containers.conf"),
            "[containers]\ncgroups = \"disabled\"\n\n\
             [engine]\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\n\
             runtime = \"crun\"\n",
        )
        .unwrap();
        // vfs, not overlay: nothing stays mounted in podman's namespace, so
        // the graphroot can be removed when the test ends.
        std::fs::write(
            conf.join("storage.conf"),
            format!(
                "[storage]\ndriver = \"vfs\"\ngraphroot = \"{}\"\nrunroot = \"{}\"\n",
                graph.display(),
                runroot.display()
            ),
        )
        .unwrap();
        std::fs::write(
            conf.join("policy.json"),
            r#"{"default":[{"type":"insecureAcceptAnything"}]}"#,
        )
        .unwrap();
        Peer {
            base,
            home,
            run,
            graph,
            runroot,
            used_podman: std::cell::Cell::new(false),
        }
    }

    /// `TOOL ARGS…` with the peer environment.
    pub fn cmd<S: AsRef<std::ffi::OsStr>>(&self, tool: &str, args: &[S]) -> Cmd {
        let conf = self.home.join(".config/containers");
        let mut c = Cmd::new(tool);
        c.env("HOME", &self.home)
            .env("XDG_RUNTIME_DIR", &self.run)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("CONTAINERS_CONF", conf.join("containers.conf"))
            .env("CONTAINERS_STORAGE_CONF", conf.join("storage.conf"))
            .env("TMPDIR", &self.base)
            .current_dir(&self.base);
        if tool == "skopeo" {
            c.arg("--policy").arg(conf.join("policy.json"));
        }
        c.args(args);
        c
    }

    pub fn podman<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Cmd {
        self.used_podman.set(true);
        self.cmd("podman", args)
    }

    pub fn skopeo<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Cmd {
        self.cmd("skopeo", args)
    }

    /// `podman image inspect REF`, checked: the one object.
    pub fn podman_inspect(&self, reference: &str) -> serde_json::Value {
        let out = self.podman(&["image", "inspect", reference]).run();
        super::assert_ok(&out);
        out.json()[0].clone()
    }

    pub fn dir(&self) -> &Path {
        &self.base
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        if !self.used_podman.get() {
            return;
        }
        // Rootless podman stores files under subordinate ids the user cannot
        // remove by itself, and leaves a pause process (catatonit) behind
        // for its XDG_RUNTIME_DIR. Clean up both; best effort.
        let g = self.graph.display().to_string();
        let r = self.runroot.display().to_string();
        let _ = self
            .podman(&["unshare", "rm", "-rf", g.as_str(), r.as_str()])
            .run();
        if let Ok(pid) = std::fs::read_to_string(self.run.join("libpod/tmp/pause.pid")) {
            let pid = pid.trim();
            if !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) {
                let _ = std::process::Command::new("kill")
                    .args(["-TERM", pid])
                    .status();
            }
        }
    }
}
