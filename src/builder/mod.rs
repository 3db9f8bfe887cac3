//! `berth build`: the Dockerfile front end ([`dockerfile`]) and the back
//! end that runs it: the build context (.dockerignore, content hashes), the
//! steps that make layers, and the stage executor with its cache.

pub mod context;
pub mod dockerfile;
pub mod executor;
pub mod steps;

pub(crate) use dockerfile::instr;
