//! `berth build`: the Dockerfile language and its executor. The front end:
//! the parser (text → instructions with line numbers), the checks BuildKit
//! makes before building, word expansion with the ARG/ENV scope, and
//! heredocs. The back end: the build context (.dockerignore, content
//! hashes), the steps that make layers, and the stage executor with its cache.

// Parts of the parser's API (dumps, directives) serve only its tests so far.
#![allow(dead_code, unused_imports)]

mod check;
pub mod context;
pub mod executor;
mod expand;
mod fetch;
mod heredoc;
pub mod instr;
mod parser;
pub mod steps;

#[cfg(test)]
mod corpus_tests;

pub(crate) use check::{FromLine, check, from};
pub(crate) use expand::{expand, expand_words};
pub(crate) use heredoc::Heredoc;
pub(crate) use parser::{
    Args, Directive, Dockerfile, Flag, Instruction, Keyword, Pair, ParseError, parse, quoted_words,
};
