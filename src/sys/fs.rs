//! Filesystem syscalls: openat2 and friends.

