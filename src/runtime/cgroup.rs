//! What berth can say about cgroups: why it cannot enforce resource limits
//! (`--memory`, `--cpus`, `--pids-limit`) or freeze a container (`pause`).
//!
//! Rootless, both need a cgroup v2 subtree delegated to the user (a systemd
//! user slice); cgroup v1 is never delegated to an unprivileged user. berth
//! does not create a cgroup per container yet, so even where one could be
//! had it says so, in one line, rather than silently ignoring the request.

use std::path::Path;

/// Why this machine gives berth no cgroup to limit or freeze a container
/// with, as one clause.
pub fn unavailable_why() -> String {
    let unified = Path::new("/sys/fs/cgroup/cgroup.controllers").exists();
    if !unified {
        let hybrid = Path::new("/sys/fs/cgroup/unified/cgroup.controllers").exists();
        return format!(
            "cgroups here are v1{}, which is never delegated to an unprivileged user; \
             it needs a delegated cgroup v2 subtree (a systemd user slice on a cgroup v2 system)",
            if hybrid { " (hybrid)" } else { "" }
        );
    }
    let own = std::fs::read_to_string("/proc/self/cgroup")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("0::").map(str::to_string))
        })
        .unwrap_or_default();
    let dir = Path::new("/sys/fs/cgroup").join(own.trim_start_matches('/'));
    let delegated = nix::unistd::access(&dir, nix::unistd::AccessFlags::W_OK).is_ok();
    if delegated {
        format!(
            "berth does not create a cgroup per container yet (your cgroup v2 subtree `{own}` is delegated)"
        )
    } else {
        format!(
            "your cgroup v2 subtree `{own}` is not delegated to you \
             (a systemd user slice is: `systemd-run --user --scope berth …`), \
             and berth does not create a cgroup per container yet"
        )
    }
}
