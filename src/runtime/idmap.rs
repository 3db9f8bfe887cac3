//! Id mappings: /etc/subuid, /etc/subgid, newuidmap/newgidmap, single-id fallback.
