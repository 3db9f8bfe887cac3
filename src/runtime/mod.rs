//! Running things in user namespaces. Knows nothing of index.json.

pub mod caps;
pub mod idmap;
pub mod seccomp;
pub mod syscalls;
pub mod userns;
