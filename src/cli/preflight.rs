//! The preflight: the environment problems berth knows to cause failures
//! (user namespaces switched off, newuidmap without its privilege, a run
//! directory of another user's, an unusable /dev/net/tun, a full disk), each
//! found by looking, and said as one line with what to do. `berth info`
//! lists them all; a failed `run`, `create`, `start` or `build` puts the
//! one behind its error (matched by what failed) in front of it.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

/// One problem found: what it is and what to do, in one line.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Problem {
    /// A short stable name: `userns`, `newuidmap`, `runtime-dir`, `tun`, `disk`.
    pub check: &'static str,
    pub message: String,
}

/// Every problem found for a store at `root`.
pub fn problems(root: &Path) -> Vec<Problem> {
    let mut found = Vec::new();
    let mut add = |check, message: String| found.push(Problem { check, message });
    if let Some(m) = userns_off() {
        add("userns", m);
    }
    if let Some(m) = newuidmap_unprivileged() {
        add("newuidmap", m);
    }
    if let Some(m) = runtime_dir_not_ours() {
        add("runtime-dir", m);
    }
    if let Some(m) = tun_unusable() {
        add("tun", m);
    }
    if let Some(m) = disk_full(root) {
        add("disk", m);
    }
    found
}

fn sysctl(name: &str) -> Option<String> {
    let path = format!("/proc/sys/{}", name.replace('.', "/"));
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
}

/// Unprivileged user namespaces switched off, by the sysctl that does it
/// here (max_user_namespaces is per user namespace: a parent may have set
/// it to 0 for this one).
fn userns_off() -> Option<String> {
    if nix::unistd::geteuid().is_root() {
        return None;
    }
    if sysctl("kernel.unprivileged_userns_clone").as_deref() == Some("0") {
        return Some(
            "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0): \
             run `sudo sysctl -w kernel.unprivileged_userns_clone=1`"
                .into(),
        );
    }
    if sysctl("user.max_user_namespaces").as_deref() == Some("0") {
        return Some(
            "no user namespace may be created here (user.max_user_namespaces = 0): \
             run `sudo sysctl -w user.max_user_namespaces=15000`, or run berth outside the sandbox that set it"
                .into(),
        );
    }
    if sysctl("kernel.apparmor_restrict_unprivileged_userns").as_deref() == Some("1") {
        return Some(
            "AppArmor restricts unprivileged user namespaces \
             (kernel.apparmor_restrict_unprivileged_userns = 1): give berth an AppArmor profile \
             with `userns,` or run `sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`"
                .into(),
        );
    }
    // None of the switches is off, yet a limit may bind higher up (a parent
    // namespace's user.max_user_namespaces, a sandbox's seccomp): try.
    let probe = std::process::Command::new(crate::ident::idmap::find_tool("unshare")?)
        .args(["-U", "true"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .output()
        .ok()?;
    if !probe.status.success() {
        let said = String::from_utf8_lossy(&probe.stderr);
        let said = said.lines().next().unwrap_or("").trim();
        return Some(format!(
            "creating a user namespace fails here ({said}): a parent namespace or sandbox forbids them \
             (user.max_user_namespaces in an enclosing namespace, a seccomp filter): run berth outside it"
        ));
    }
    None
}

/// newuidmap/newgidmap present and needed (a subuid range) but neither
/// setuid root nor holding file capabilities: writing a range would fail.
fn newuidmap_unprivileged() -> Option<String> {
    if nix::unistd::geteuid().is_root()
        || !crate::ident::idmap::IdMapping::for_current_user().is_ok_and(|m| m.has_range())
    {
        return None;
    }
    for tool in ["newuidmap", "newgidmap"] {
        let path = crate::ident::idmap::find_tool(tool)?;
        let file = std::fs::File::open(&path).ok()?;
        let meta = file.metadata().ok()?;
        let setuid_root = meta.uid() == 0 && meta.permissions().mode() & 0o4000 != 0;
        let caps =
            crate::sys::fs::fgetxattr(std::os::fd::AsFd::as_fd(&file), c"security.capability")
                .ok()
                .flatten()
                .is_some();
        if !setuid_root && !caps {
            return Some(format!(
                "`{}` is neither setuid root nor has file capabilities, so the subuid range cannot be mapped: \
                 run `sudo setcap cap_setuid+ep {}` (cap_setgid+ep for newgidmap) or reinstall the uidmap package",
                path.display(),
                path.display()
            ));
        }
    }
    None
}

/// $XDG_RUNTIME_DIR of another user (kept by `su` or `sudo`) or missing.
fn runtime_dir_not_ours() -> Option<String> {
    let dir = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty())?;
    let uid = nix::unistd::geteuid().as_raw();
    let dir = Path::new(&dir);
    match std::fs::metadata(dir) {
        Ok(m) if m.uid() == uid => None,
        Ok(m) => Some(format!(
            "XDG_RUNTIME_DIR `{}` belongs to uid {}, not to you (uid {uid}): after `su` or `sudo`, \
             log in as the user (`machinectl shell USER@`, `sudo -iu USER`) or set XDG_RUNTIME_DIR to a 0700 dir of your own",
            dir.display(),
            m.uid()
        )),
        Err(e) => Some(format!(
            "XDG_RUNTIME_DIR `{}`: {e}: create it (0700, yours) or unset XDG_RUNTIME_DIR",
            dir.display()
        )),
    }
}

/// /dev/net/tun, which pasta needs for a private network.
fn tun_unusable() -> Option<String> {
    match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/net/tun")
    {
        Ok(_) => None,
        Err(e) => Some(format!(
            "/dev/net/tun: {e}: containers need it for their own network (pasta): \
             load the tun module and make it 0666, or run with --network none or host"
        )),
    }
}

/// The filesystem of the store (or its nearest existing parent) full.
fn disk_full(root: &Path) -> Option<String> {
    let existing = root.ancestors().find(|p| p.exists())?;
    let st = nix::sys::statvfs::statvfs(existing).ok()?;
    let free = st.blocks_available() as u64 * st.fragment_size() as u64;
    let inodes = st.files_available() as u64;
    let total_inodes = st.files() as u64;
    if free < 1 << 20 || (total_inodes > 0 && inodes == 0) {
        return Some(format!(
            "the filesystem of `{}` is full ({} free{}): free some space \
             (`berth system prune`, `berth rmi`) or use --root on another filesystem",
            existing.display(),
            super::output::human_size(free),
            if inodes == 0 { ", no inodes left" } else { "" }
        ));
    }
    None
}

/// An error of a verb that runs containers or builds, with the problem the
/// preflight finds behind it (when one matches what failed) put first.
pub fn explain(e: anyhow::Error, root: &Path) -> anyhow::Error {
    let text = format!("{e:#}");
    let enospc = e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .and_then(|io| io.raw_os_error())
            .is_some_and(|n| n == libc::ENOSPC || n == libc::EDQUOT)
    }) || text.contains("No space left on device");
    let related = |check: &str| match check {
        "userns" => text.contains("namespace"),
        "newuidmap" => {
            text.contains("newuidmap") || text.contains("newgidmap") || text.contains("id maps")
        }
        "runtime-dir" => text.contains("XDG_RUNTIME_DIR"),
        "tun" => text.contains("pasta") || text.contains("/dev/net/tun"),
        "disk" => enospc,
        _ => false,
    };
    match problems(root).into_iter().find(|p| related(p.check)) {
        Some(p) => e.context(p.message),
        None => e,
    }
}
