//! `berth build`: the Dockerfile front end ([`dockerfile`]) and the back
//! end that runs it: the build context (.dockerignore, content hashes), the
//! steps that make layers, and the executor, split by job: stages and the
//! ARG scope, config-only instructions, RUN and its mounts, COPY/ADD, the
//! cache and the commit of layers and images.

mod cache;
mod commit;
mod config;
pub mod context;
mod copy;
pub mod dockerfile;
pub mod executor;
mod run;
mod stages;
pub mod steps;

pub(crate) use dockerfile::instr;
pub use run::StepNetwork;
