//! Running containers: the monitor in berth's process, the child in the new
//! namespaces, and the network helper (pasta) beside it. No index.json: takes a [`spec::Spec`] and
//! lowerdirs.

pub mod binary_guard;
pub mod caps;
pub mod child;
pub mod init;
pub mod monitor;
pub mod network;
pub mod pty;
pub mod rootfs;
pub mod seccomp;
pub mod spec;
pub mod syscalls;
