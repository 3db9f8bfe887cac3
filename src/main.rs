//! berth: parse the command line, set up logging, dispatch to a verb, and turn
//! the outcome into Docker's exit codes (125 = berth failed).

mod builder;
mod cli;
mod container;
mod events;
mod helper;
mod ident;
mod image;
mod layer;
mod layout;
mod lifecycle;
mod logger;
mod net;
mod reference;
mod registry;
mod runtime;
mod sbom;
/// The property tests' settings: `cases` inputs each, and no regression
/// files written into the source tree (a failure prints its input).
#[cfg(test)]
fn proptest_config(cases: u32) -> proptest::test_runner::Config {
    proptest::test_runner::Config {
        cases,
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    }
}

// The unit tests skip as the integration tests do: one definition.
#[cfg(test)]
#[path = "../tests/util/skip.rs"]
mod skip;
mod spec;
mod store;
#[allow(unsafe_code)]
mod sys;
mod systemd;
mod template;
mod term;
mod time;
mod unit;
mod vuln;

#[cfg(test)]
mod layering;

fn main() {
    std::process::exit(cli::main());
}
