//! Running containers: the monitor in berth's process, the child in the new
//! namespaces. No network code, no index.json: takes a [`spec::Spec`] and
//! lowerdirs.

pub mod caps;
pub mod child;
pub mod idmap;
pub mod monitor;
pub mod network;
pub mod rootfs;
pub mod seccomp;
pub mod spec;
pub mod syscalls;
pub mod userns;
pub mod users;
