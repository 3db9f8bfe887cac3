//! Namespace syscalls: unshare and friends.
