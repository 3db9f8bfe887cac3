//! `berth version`

use super::output::{self, Format};
use anyhow::Result;

/// Show berth's version
#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

pub fn run(a: Args) -> Result<i32> {
    let v = serde_json::json!({
        "Version": env!("CARGO_PKG_VERSION"),
        "OsArch": format!("linux/{}", crate::store::oci::host_arch()),
    });
    match a.format {
        Format::Json => output::json(&v)?,
        Format::Table => {
            println!("Version:  {}", env!("CARGO_PKG_VERSION"));
            println!("OS/Arch:  linux/{}", crate::store::oci::host_arch());
        }
    }
    Ok(0)
}
