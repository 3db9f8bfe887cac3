//! The container's network.
//!
//! - `none`: a new network namespace with only `lo`, brought up by the child
//!   ([`loopback_up`]), as Docker does.

use anyhow::{Context, Result};

/// Brings `lo` up in the current network namespace (the child's, before it
/// drops capabilities): Docker's `--network none` has a working loopback.
pub fn loopback_up() -> Result<()> {
    crate::sys::net::set_link_up("lo").context("bringing up `lo` in the container")
}
