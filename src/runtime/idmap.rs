//! Id mappings: /etc/subuid, /etc/subgid, newuidmap/newgidmap, single-id fallback.
// TEMPORARY interface stubs, replaced by the userns branch.
#![allow(dead_code)]
#[derive(Clone, Debug)]
pub struct IdMapping;
impl IdMapping {
    pub fn for_current_user() -> anyhow::Result<IdMapping> {
        Ok(IdMapping)
    }
    pub fn has_range(&self) -> bool {
        false
    }
    pub fn describe(&self) -> String {
        String::new()
    }
}
