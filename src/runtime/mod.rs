//! Running containers: the monitor in berth's process, the child in the new
//! namespaces, and the network helper (pasta) beside it. Takes an OCI
//! runtime spec and berth's [`extensions::Extensions`]; knows nothing of
//! images, the store or the CLI.

pub mod binary_guard;
pub mod caps;
pub mod cgroup;
pub mod child;
pub mod exec;
pub mod extensions;
pub mod init;
pub mod monitor;
pub mod network;
pub mod plan;
pub mod pty;
pub mod rootfs;
pub mod seccomp;
pub mod syscalls;
