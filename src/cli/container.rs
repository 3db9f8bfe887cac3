//! `berth container VERB`: the container verbs under their group name, as
//! podman and Docker accept them.

use super::Ctx;
use anyhow::Result;

#[derive(clap::Subcommand, Debug)]
/// Manage containers
pub enum Verb {
    Commit(super::commit::Args),
    Diff(super::diff::Args),
}

pub fn run(ctx: &Ctx, v: Verb) -> Result<i32> {
    match v {
        Verb::Commit(a) => super::commit::run(ctx, a),
        Verb::Diff(a) => super::diff::run(ctx, a),
    }
}
