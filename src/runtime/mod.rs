//! Running containers: the monitor in berth's process, the child in the new
//! namespaces. No network code, no index.json: takes a [`spec::Spec`] and
//! lowerdirs.

pub mod caps;
pub mod idmap;
pub mod seccomp;
pub mod syscalls;
pub mod userns;
