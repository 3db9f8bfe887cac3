//! The command line: one file per verb, each a clap `Args` and a `run`.
//! Nothing imports cli.

mod attach;
mod build;
mod builder;
mod commit;
mod complete;
mod completion;
mod container;
mod container_opts;
mod cp;
mod create;
mod df;
mod diff;
mod docs;
mod events;
mod exec;
mod export;
mod generate;
mod healthcheck;
mod history;
mod image;
mod images;
mod import;
mod info;
mod inspect;
mod kill;
mod load;
mod login;
mod logs;
mod manifest;
mod network;
mod output;
mod pause;
mod port;
mod preflight;
mod progress;
mod prune;
mod ps;
mod pull;
mod push;
mod quadlet;
mod reflog;
mod registry_opts;
mod rename;
mod restart;
mod rm;
mod rmi;
mod run;
mod save;
mod sbom;
mod scan;
mod search;
mod start;
mod stats;
mod stop;
mod system;
mod tag;
mod top;
mod version;
mod volume;
mod wait;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// A daemonless, rootless container engine.
#[derive(Parser, Debug)]
#[command(
    name = "berth",
    version,
    disable_help_subcommand = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Directory for images, layers and containers
    /// [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]
    #[arg(long, global = true, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Log messages at this level and above to stderr: error, warn, info, debug, trace
    #[arg(long, global = true, value_name = "LEVEL")]
    log_level: Option<String>,
    /// Where events are recorded and `events` reads them: file (under the root), journald, none
    /// [default: containers.conf's events_logger, else file]
    #[arg(long, global = true, value_name = "BACKEND")]
    events_backend: Option<String>,
    #[command(subcommand)]
    verb: Verb,
}

// `defer`red: clap builds a verb's flags, and its `about`, only when that
// verb is parsed: building all of them took ~0.5 ms of every `berth run`.
// `berth --help`, which lists every verb with what it does, and every
// other error, are rendered from the whole tree (see `parse`).
#[derive(Subcommand, Debug)]
#[command(defer = true)]
enum Verb {
    Attach(attach::Args),
    Build(Box<build::Args>),
    Create(Box<create::Args>),
    Start(start::Args),
    Stats(stats::Args),
    Stop(stop::Args),
    Kill(kill::Args),
    Wait(wait::Args),
    Restart(restart::Args),
    Rename(rename::Args),
    Exec(exec::Args),
    #[command(subcommand)]
    Builder(builder::Verb),
    Commit(commit::Args),
    #[command(subcommand)]
    Container(container::Verb),
    Diff(diff::Args),
    Events(events::Args),
    Cp(cp::Args),
    Export(export::Args),
    #[command(subcommand)]
    Generate(generate::Verb),
    #[command(subcommand)]
    Image(image::Verb),
    Images(images::Args),
    Import(import::Args),
    Inspect(inspect::Args),
    #[command(subcommand)]
    Healthcheck(healthcheck::Verb),
    Info(info::Args),
    History(history::Args),
    Tag(tag::TagArgs),
    Top(top::Args),
    Untag(tag::UntagArgs),
    Pause(pause::Args),
    Unpause(pause::Args),
    Port(port::Args),
    Ps(ps::Args),
    Pull(pull::Args),
    Push(push::Args),
    Rm(rm::Args),
    Rmi(rmi::Args),
    Run(Box<run::Args>),
    Save(save::Args),
    Sbom(sbom::Args),
    Scan(scan::Args),
    Search(search::Args),
    Load(load::Args),
    Login(login::LoginArgs),
    Logout(login::LogoutArgs),
    Logs(logs::Args),
    #[command(subcommand)]
    Manifest(manifest::Verb),
    #[command(subcommand)]
    Network(network::Verb),
    #[command(subcommand)]
    System(system::Verb),
    Version(version::Args),
    #[command(subcommand)]
    Volume(volume::Verb),
    Completion(completion::Args),
}

/// What a verb needs from the global flags.
pub struct Ctx {
    pub layout: crate::layout::Layout,
}

impl Ctx {
    pub fn root(&self) -> &std::path::Path {
        self.layout.root()
    }

    pub fn store(&self) -> anyhow::Result<crate::store::Store> {
        crate::store::Store::open(self.root())
    }
}

/// The command line as clap reads it: only the verb given has its flags
/// built ([`Verb`] is deferred), and clap's tree is left to the process's
/// end instead of freed (freeing it cost a third as much as building it).
fn parse(args: &[std::ffi::OsString]) -> Result<Cli, clap::Error> {
    use clap::{CommandFactory, FromArgMatches};
    let mut cmd = std::mem::ManuallyDrop::new(Cli::command());
    cmd.try_get_matches_from_mut(args)
        .and_then(|mut m| Cli::from_arg_matches_mut(&mut m))
        .or_else(|_| {
            // Help, a version, a mistake: said from the whole tree, so
            // what it lists (the verbs, "did you mean") is all there.
            let mut cmd = std::mem::ManuallyDrop::new(command());
            cmd.try_get_matches_from_mut(args)
                .and_then(|mut m| Cli::from_arg_matches_mut(&mut m))
                .map_err(|e| e.format(&mut cmd))
        })
}

/// Runs berth and returns the process exit code.
pub fn main() -> i32 {
    crate::logger::init_phases();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == crate::helper::SUBCOMMAND) {
        return crate::helper::serve();
    }
    if args
        .get(1)
        .is_some_and(|a| a == crate::lifecycle::monitor::SUBCOMMAND)
    {
        return crate::lifecycle::monitor::serve(&args);
    }
    // Internal verbs, kept out of clap so no help, man page or completion
    // lists them.
    if args.get(1).is_some_and(|a| a == docs::SUBCOMMAND) {
        return docs::run(&args[2..]).unwrap_or_else(|e| report(&e));
    }
    if args.get(1).is_some_and(|a| a == complete::SUBCOMMAND) {
        return complete::run(&args[2..]);
    }
    // The Quadlet generator: systemd runs it by a symlink's name.
    if let Some(argv0) = args.first()
        && quadlet::is_generator_name(argv0)
    {
        return quadlet::main(argv0, &args[1..]);
    }
    if args.get(1).is_some_and(|a| a == quadlet::SUBCOMMAND) {
        return quadlet::main(&args[0], &args[2..]);
    }
    let cli = match parse(&args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 125 } else { 0 };
            if e.use_stderr() {
                // The first line names the problem, as every berth error does; the
                // rest is clap's own help for it (the missing argument, "did you
                // mean", the allowed values, the usage line), which a one-line cut
                // would lose.
                let msg = e.render().to_string();
                let msg = msg.trim_end().trim_start_matches("error: ");
                eprintln!("berth: {msg}");
            } else {
                let _ = e.print();
            }
            return code;
        }
    };
    if let Err(e) = crate::logger::init(cli.log_level.as_deref()) {
        eprintln!("berth: {e}");
        return 125;
    }
    if let Err(e) = crate::events::configure(cli.events_backend.as_deref()) {
        return report(&e);
    }
    let ctx = Ctx {
        layout: crate::layout::Layout::pick(cli.root),
    };
    crate::store::history::set_command(reflog::command_line(&args));
    crate::logger::phase("args");
    let result = match cli.verb {
        Verb::Attach(a) => attach::run(&ctx, a),
        Verb::Build(a) => build::run(&ctx, *a).map_err(|e| preflight::explain(e, ctx.root())),
        Verb::Create(a) => create::run(&ctx, *a).map_err(|e| preflight::explain(e, ctx.root())),
        Verb::Start(a) => start::run(&ctx, a).map_err(|e| preflight::explain(e, ctx.root())),
        Verb::Stats(a) => stats::run(&ctx, a),
        Verb::Stop(a) => stop::run(&ctx, a),
        Verb::Kill(a) => kill::run(&ctx, a),
        Verb::Wait(a) => wait::run(&ctx, a),
        Verb::Restart(a) => restart::run(&ctx, a),
        Verb::Rename(a) => rename::run(&ctx, a),
        Verb::Exec(a) => exec::run(&ctx, a),
        Verb::Builder(v) => builder::run(&ctx, v),
        Verb::Commit(a) => commit::run(&ctx, a),
        Verb::Container(v) => container::run(&ctx, v),
        Verb::Diff(a) => diff::run(&ctx, a),
        Verb::Events(a) => events::run(&ctx, a),
        Verb::Cp(a) => cp::run(&ctx, a),
        Verb::Export(a) => export::run(&ctx, a),
        Verb::Generate(v) => generate::run(&ctx, v),
        Verb::Image(v) => image::run(&ctx, v),
        Verb::Images(a) => images::run(&ctx, a),
        Verb::Import(a) => import::run(&ctx, a),
        Verb::Inspect(a) => inspect::run(&ctx, a),
        Verb::Healthcheck(v) => healthcheck::run(&ctx, v),
        Verb::Info(a) => info::run(&ctx, a),
        Verb::History(a) => history::run(&ctx, a),
        Verb::Tag(a) => tag::run_tag(&ctx, a),
        Verb::Top(a) => top::run(&ctx, a),
        Verb::Untag(a) => tag::run_untag(&ctx, a),
        Verb::Pause(a) => pause::pause(&ctx, a),
        Verb::Unpause(a) => pause::unpause(&ctx, a),
        Verb::Port(a) => port::run(&ctx, a),
        Verb::Ps(a) => ps::run(&ctx, a),
        Verb::Pull(a) => pull::run(&ctx, a),
        Verb::Push(a) => push::run(&ctx, a),
        Verb::Rm(a) => rm::run(&ctx, a),
        Verb::Rmi(a) => rmi::run(&ctx, a),
        Verb::Run(a) => run::run(&ctx, *a).map_err(|e| preflight::explain(e, ctx.root())),
        Verb::Save(a) => save::run(&ctx, a),
        Verb::Sbom(a) => sbom::run(&ctx, a),
        Verb::Scan(a) => scan::run(&ctx, a),
        Verb::Search(a) => search::run(a),
        Verb::Load(a) => load::run(&ctx, a),
        Verb::Login(a) => login::run_login(a),
        Verb::Logout(a) => login::run_logout(a),
        Verb::Logs(a) => logs::run(&ctx, a),
        Verb::Manifest(v) => manifest::run(&ctx, v),
        Verb::Network(v) => network::run(&ctx, v),
        Verb::System(v) => system::run(&ctx, v),
        Verb::Version(a) => version::run(a),
        Verb::Volume(v) => volume::run(&ctx, v),
        Verb::Completion(a) => completion::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => report(&e),
    }
}

/// Prints an error as berth's one line and returns 125 (a broken pipe on
/// stdout is not an error: the reader went away).
pub fn report(e: &anyhow::Error) -> i32 {
    // Ctrl-C during a transfer: the shell's convention, 128 + SIGINT.
    if crate::sys::process::interrupted() {
        eprintln!("berth: interrupted");
        return 130;
    }
    if let Some(io) = e.root_cause().downcast_ref::<std::io::Error>()
        && io.kind() == std::io::ErrorKind::BrokenPipe
    {
        return 0;
    }
    // The chain may carry a container's message or an image's strings.
    let text = format!("{e:#}");
    eprintln!("berth: {}", crate::term::escape(&text));
    // The scan gate's refusal lists what it found below its one line.
    if let Some(r) = e.downcast_ref::<crate::vuln::gate::Refused>() {
        for l in r.lines() {
            eprintln!("{}", crate::term::escape(&l));
        }
    }
    125
}

/// The clap command with every verb's flags built (see [`Verb`]), for
/// help, docs and completions.
pub fn command() -> clap::Command {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    cmd.build();
    cmd
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_well_formed() {
        super::command().debug_assert();
    }
}
