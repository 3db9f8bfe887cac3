//! The Dockerfile front end: the parser (text → instructions with line
//! numbers), the checks BuildKit makes before building, the typed
//! instructions the executor runs ([`instr`]), word expansion with the
//! ARG/ENV scope, and heredocs. Pure: no files, no processes.

mod check;
mod expand;
mod heredoc;
pub(crate) mod instr;
mod mount;
mod parser;

#[cfg(test)]
mod corpus_tests;
#[cfg(test)]
mod proptests;

pub(crate) use check::check;
#[cfg(test)]
pub(crate) use expand::count_steps as count_pattern_steps;
pub(crate) use expand::expand;
pub(crate) use expand::step as pattern_step;
pub(crate) use heredoc::{Heredoc, expand_body};
pub(crate) use mount::{MountType, RunMount, Sharing};
