//! The command line: one file per verb. Nothing imports cli.

pub fn main() -> i32 {
    0
}
