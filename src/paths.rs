//! Where berth keeps things: `--root`, `$BERTH_ROOT`, XDG. The only code that
//! picks the root and run directories.

use std::path::PathBuf;

/// The root directory: `--root`, else `$BERTH_ROOT`, else
/// `$XDG_DATA_HOME/berth` (`~/.local/share/berth`), or `/var/lib/berth` for uid 0.
pub fn root_dir(flag: Option<PathBuf>) -> PathBuf {
    if let Some(p) = flag {
        return p;
    }
    if let Some(p) = std::env::var_os("BERTH_ROOT").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    if nix::unistd::geteuid().is_root() {
        return PathBuf::from("/var/lib/berth");
    }
    if let Some(p) = std::env::var_os("XDG_DATA_HOME").filter(|p| !p.is_empty()) {
        return PathBuf::from(p).join("berth");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/"));
    home.join(".local/share/berth")
}
