//! `berth __gen-docs DIR`: writes man/ and completions/ (committed, and a
//! test fails when they are stale).

use anyhow::{Context, Result};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    dir: PathBuf,
}

pub fn run(a: Args) -> Result<i32> {
    let man = a.dir.join("man");
    let comp = a.dir.join("completions");
    std::fs::create_dir_all(&man)?;
    std::fs::create_dir_all(&comp)?;
    let cmd = super::command();
    clap_mangen::generate_to(cmd.clone(), &man).context("writing man pages")?;
    for (shell, file) in [
        (clap_complete::Shell::Bash, "berth.bash"),
        (clap_complete::Shell::Zsh, "_berth"),
        (clap_complete::Shell::Fish, "berth.fish"),
    ] {
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut cmd.clone(), "berth", &mut buf);
        std::fs::write(comp.join(file), buf)?;
    }
    Ok(0)
}
