//! Containers over their life, with no daemon: `create` (an image and
//! prepared options → a record and its bundle), `start` in the foreground
//! (berth's own process is the monitor) or detached (berth re-executed as a
//! small per-container monitor), and `stop`/`kill`/`wait`, which work from
//! the recorded processes through pidfds; what they changed (`diff`) and
//! turning them into images (`commit`); `exec` runs one more command in a
//! running one. The CLI's verbs are thin over this.

pub mod commit;
pub mod create;
pub mod exec;
pub mod health;
pub mod monitor;
pub mod start;
pub mod stop;

use crate::container::Containers;

/// Removes container `id`'s directory as every removal does: moved aside
/// (`Containers::retire`: out of the listings, locked), then emptied. False
/// when there was nothing left to remove (a racing removal took it).
pub fn remove_dir(containers: &Containers, id: &str) -> anyhow::Result<bool> {
    let Some(retired) = containers.retire(id)? else {
        return Ok(false);
    };
    crate::helper::remove_tree(&retired.path)?;
    Ok(true)
}
