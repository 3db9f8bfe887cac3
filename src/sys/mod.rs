//! The only place with `unsafe`: thin, typed wrappers over syscalls that libc
//! exposes but nix does not (or not in the shape we need). No policy here.

pub mod clock;
pub mod fs;
pub mod landlock;
pub mod memory;
pub mod mount;
pub mod net;
pub mod ns;
pub mod pidfd;
pub mod process;
pub mod sealed_exe;
#[cfg(test)]
pub mod seccomp;
pub mod watch;
