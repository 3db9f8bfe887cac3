//! The Dockerfile front end: the parser (text → instructions with line
//! numbers), the checks BuildKit makes before building, word expansion with
//! the ARG/ENV scope, and heredocs. Pure: no files, no processes.

// Parts of the parser's API (dumps, directives) serve only its tests so far.
#![allow(dead_code, unused_imports)]

mod check;
mod expand;
mod heredoc;
pub mod instr;
mod parser;

#[cfg(test)]
mod corpus_tests;

pub(crate) use check::{FromLine, check, from};
pub(crate) use expand::{expand, expand_words};
pub(crate) use heredoc::Heredoc;
pub(crate) use parser::{
    Args, Directive, Dockerfile, Flag, Instruction, Keyword, Pair, ParseError, parse, quoted_words,
};
