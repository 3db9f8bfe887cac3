//! Running things in user namespaces. Knows nothing of index.json.

pub mod idmap;
pub mod userns;
