//! `berth completion bash|zsh|fish`

use anyhow::Result;

/// Print a shell completion script
#[derive(clap::Args, Debug)]
pub struct Args {
    shell: clap_complete::Shell,
}

pub fn run(a: Args) -> Result<i32> {
    let mut cmd = super::command();
    clap_complete::generate(a.shell, &mut cmd, "berth", &mut std::io::stdout());
    Ok(0)
}
