//! `berth __complete images|containers|all`: the names a shell completes,
//! one per line, for the bash completion script. Internal: no help, no page.

use crate::container::Containers;
use crate::layout::Layout;

/// The internal verb's name.
pub const SUBCOMMAND: &str = "__complete";

/// Prints the names; any failure prints nothing (a completion must never
/// show an error in the middle of a command line) and exits 1.
pub fn run(args: &[std::ffi::OsString]) -> i32 {
    // `--root DIR` when the command line being completed names one.
    let (root, args) = match args {
        [flag, dir, rest @ ..] if flag == "--root" => (Some(dir.into()), rest),
        _ => (None, args),
    };
    let layout = Layout::pick(root);
    let kind = args.first().and_then(|a| a.to_str()).unwrap_or("");
    let mut names = Vec::new();
    if matches!(kind, "images" | "all")
        && let Some(store) = crate::store::Store::open_existing(layout.root())
    {
        let Ok(images) = store.images() else { return 1 };
        for i in images {
            names.extend(i.names.iter().map(|n| short(n).to_string()));
        }
    }
    if matches!(kind, "containers" | "all") {
        let Ok(list) = Containers::new(&layout).list() else {
            return 1;
        };
        names.extend(list.into_iter().map(|m| m.name));
    }
    names.sort();
    names.dedup();
    for n in names {
        // Names are validated on the way in; a control character would
        // still only reach the shell's word list, never a terminal.
        if !n.chars().any(char::is_control) {
            println!("{n}");
        }
    }
    0
}

/// What a user types: `docker.io/library/busybox:latest` → `busybox:latest`.
fn short(name: &str) -> &str {
    name.strip_prefix("docker.io/library/")
        .or_else(|| name.strip_prefix("docker.io/"))
        .unwrap_or(name)
}
