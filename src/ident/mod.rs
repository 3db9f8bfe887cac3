//! Identity: who the container's ids are on the host. The user's
//! /etc/subuid and /etc/subgid ranges and the id mapping made of them
//! (newuidmap/newgidmap, or the one-id fallback), spawning a process in a
//! user namespace with that mapping, and users/groups looked up in an
//! image's /etc files. Below `image` and `runtime`, which both need it.

pub mod idmap;
pub mod userns;
pub mod users;
