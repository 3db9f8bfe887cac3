//! `berth completion bash|zsh|fish`: clap's static script, and for bash a
//! wrapper that adds image and container names from the store.

use anyhow::Result;

/// Print a shell completion script
#[derive(clap::Args, Debug)]
pub struct Args {
    shell: clap_complete::Shell,
}

pub fn run(a: Args) -> Result<i32> {
    use std::io::Write;
    std::io::stdout().write_all(&script(a.shell))?;
    Ok(0)
}

/// The script `completion` prints and `__gen-docs` commits.
pub fn script(shell: clap_complete::Shell) -> Vec<u8> {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut super::command(), "berth", &mut buf);
    if shell == clap_complete::Shell::Bash {
        buf.extend_from_slice(BASH_NAMES.as_bytes());
    }
    buf
}

/// clap's `_berth` knows flags and fixed values; names live in the store, so
/// this wrapper asks `berth __complete` for them where a verb takes an image
/// or a container, and only while no such name has been given yet.
const BASH_NAMES: &str = r#"
# Image and container names from the store (berth __complete).
_berth_names() {
    _berth "$@"
    local cur=${COMP_WORDS[COMP_CWORD]} verb='' i w positional=0 root=()
    [[ $cur == -* ]] && return
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        if [[ -z $verb ]]; then
            case $w in
                --root) root=(--root "${COMP_WORDS[i+1]}"); ((i++)) ;;
                --log-level) ((i++)) ;;
                -*) ;;
                *) verb=$w ;;
            esac
        elif [[ $w != -* && ${COMP_WORDS[i-1]} != -* ]]; then
            positional=1
        fi
    done
    # After a flag that takes a value clap offers values (or files), not
    # flags: leave those alone.
    if [[ ${COMP_WORDS[COMP_CWORD-1]} == -* ]]; then
        local r
        for r in "${COMPREPLY[@]}"; do [[ $r == -* ]] && break; done
        [[ ${#COMPREPLY[@]} -gt 0 && $r != -* ]] && return
    fi
    local kind
    case $verb in
        run | create) ((positional)) && return; kind=images ;;
        rmi | tag | save | history | push) kind=images ;;
        inspect) kind=all ;;
        rm | start | stop | kill | logs | exec | attach | restart | wait | port | top | \
            commit | diff | export | rename | stats) kind=containers ;;
        *) return ;;
    esac
    local names
    names=$(berth __complete "${root[@]}" "$kind" 2>/dev/null) || return
    # A name goes here: clap's list of flags and placeholders does not.
    COMPREPLY=($(compgen -W "$names" -- "$cur"))
}
complete -F _berth_names -o nosort -o bashdefault -o default berth
"#;
