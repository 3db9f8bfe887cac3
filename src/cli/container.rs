//! `berth container VERB`: the container verbs under their group name, as
//! podman and Docker accept them, and `container prune`, which has no
//! top-level form.

use super::Ctx;
use anyhow::Result;

#[derive(clap::Subcommand, Debug)]
/// Manage containers
#[command(defer = true)]
pub enum Verb {
    Attach(super::attach::Args),
    Commit(super::commit::Args),
    Cp(super::cp::Args),
    Create(Box<super::create::Args>),
    Diff(super::diff::Args),
    Exec(super::exec::Args),
    Export(super::export::Args),
    Inspect(super::inspect::Args),
    Kill(super::kill::Args),
    Logs(super::logs::Args),
    #[command(visible_aliases = ["ls", "list"])]
    Ps(super::ps::Args),
    Pause(super::pause::Args),
    Port(super::port::Args),
    Prune(super::prune::Args),
    Rename(super::rename::Args),
    Restart(super::restart::Args),
    Rm(super::rm::Args),
    Run(Box<super::run::Args>),
    Start(super::start::Args),
    Stats(super::stats::Args),
    Stop(super::stop::Args),
    Top(super::top::Args),
    Unpause(super::pause::Args),
    Wait(super::wait::Args),
}

pub fn run(ctx: &Ctx, v: Verb) -> Result<i32> {
    match v {
        Verb::Attach(a) => super::attach::run(ctx, a),
        Verb::Commit(a) => super::commit::run(ctx, a),
        Verb::Cp(a) => super::cp::run(ctx, a),
        Verb::Create(a) => super::create::run(ctx, *a),
        Verb::Diff(a) => super::diff::run(ctx, a),
        Verb::Exec(a) => super::exec::run(ctx, a),
        Verb::Export(a) => super::export::run(ctx, a),
        Verb::Inspect(a) => super::inspect::run(ctx, a),
        Verb::Kill(a) => super::kill::run(ctx, a),
        Verb::Logs(a) => super::logs::run(ctx, a),
        Verb::Ps(a) => super::ps::run(ctx, a),
        Verb::Pause(a) => super::pause::pause(ctx, a),
        Verb::Port(a) => super::port::run(ctx, a),
        Verb::Prune(a) => super::prune::run(ctx, a),
        Verb::Rename(a) => super::rename::run(ctx, a),
        Verb::Restart(a) => super::restart::run(ctx, a),
        Verb::Rm(a) => super::rm::run(ctx, a),
        Verb::Run(a) => super::run::run(ctx, *a),
        Verb::Start(a) => super::start::run(ctx, a),
        Verb::Stats(a) => super::stats::run(ctx, a),
        Verb::Stop(a) => super::stop::run(ctx, a),
        Verb::Top(a) => super::top::run(ctx, a),
        Verb::Unpause(a) => super::pause::unpause(ctx, a),
        Verb::Wait(a) => super::wait::run(ctx, a),
    }
}
