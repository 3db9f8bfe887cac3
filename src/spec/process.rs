//! The container's process from the image's config and the user's
//! overrides: the command (ENTRYPOINT + CMD, as Docker combines them), the
//! environment, the user and the id mapping that user needs.

use crate::ident::idmap::IdMapping;
use crate::ident::users::{self, User};
use crate::runtime::plan::DEFAULT_PATH;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// ENTRYPOINT + CMD as Docker combines them: `--entrypoint` replaces the
/// image's (empty clears it) and drops the image's CMD; a command given
/// replaces CMD.
pub fn command(
    image_entrypoint: Option<&[String]>,
    image_cmd: Option<&[String]>,
    entrypoint: Option<&str>,
    command: &[String],
) -> Vec<String> {
    let entry: Vec<String> = match entrypoint {
        Some("") => vec![],
        Some(e) => vec![e.to_string()],
        None => image_entrypoint.unwrap_or_default().to_vec(),
    };
    let cmd = if !command.is_empty() {
        command.to_vec()
    } else if entrypoint.is_some() {
        vec![]
    } else {
        image_cmd.unwrap_or_default().to_vec()
    };
    entry.into_iter().chain(cmd).collect()
}

/// Sets `KEY=VALUE` over `env`: an earlier value of KEY goes, the new one is last.
pub fn set_env(env: &mut Vec<String>, kv: String) {
    let key = kv.split('=').next().unwrap_or("").to_string();
    env.retain(|e| e.split('=').next() != Some(key.as_str()));
    env.push(kv);
}

/// `-e K=V` as given; `-e K` takes K from berth's environment (dropped when unset).
pub fn env_value(e: &str) -> Option<String> {
    if e.contains('=') {
        Some(e.to_string())
    } else {
        std::env::var(e).ok().map(|v| format!("{e}={v}"))
    }
}

/// `--env-file` files then `-e` values, in order, as `KEY=VALUE`.
pub fn env_overrides(files: &[PathBuf], env: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(f)
            .with_context(|| format!("reading env file `{}`", f.display()))?;
        out.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .filter_map(env_value),
        );
    }
    out.extend(env.iter().filter_map(|e| env_value(e)));
    Ok(out)
}

/// The image's environment with the overrides set over it, a default PATH
/// first when there is none, and TERM for a terminal.
pub fn environment(image: Option<&[String]>, overrides: &[String], tty: bool) -> Vec<String> {
    let mut env = image.unwrap_or_default().to_vec();
    for kv in overrides {
        set_env(&mut env, kv.clone());
    }
    if !has(&env, "PATH") {
        env.insert(0, format!("PATH={DEFAULT_PATH}"));
    }
    if tty && !has(&env, "TERM") {
        env.push("TERM=xterm".into());
    }
    env
}

pub fn has(env: &[String], key: &str) -> bool {
    env.iter()
        .any(|e| e.strip_prefix(key).is_some_and(|r| r.starts_with('=')))
}

/// `--userns`: only keep-id changes anything.
pub fn parse_userns(mode: Option<&str>) -> Result<bool> {
    match mode {
        None | Some("") | Some("host") | Some("private") => Ok(false),
        Some("keep-id") => Ok(true),
        Some(other) => bail!("invalid --userns `{other}`: use keep-id"),
    }
}

/// The user the process runs as (from `-u`, keep-id's own ids, or the
/// image's USER), looked up in the image's layers, and the id mapping it
/// needs: the user's range, or their one id placed where the process runs.
pub fn user_and_mapping(
    user: Option<&str>,
    image_user: Option<&str>,
    group_add: &[String],
    keep_id: bool,
    base: IdMapping,
    layers: &[PathBuf],
    image: &str,
) -> Result<(User, IdMapping)> {
    let (host_uid, host_gid) = (
        nix::unistd::getuid().as_raw(),
        nix::unistd::getgid().as_raw(),
    );
    let spec = match (user, keep_id) {
        (Some(u), _) => u.to_string(),
        (None, true) => format!("{host_uid}:{host_gid}"),
        (None, false) => image_user.unwrap_or_default().to_string(),
    };
    let u = users::resolve_in_layers(&spec, group_add, layers)
        .with_context(|| format!("resolving user `{spec}` in `{image}`"))?;
    let mapping = if keep_id && !nix::unistd::geteuid().is_root() {
        base.keep_id(host_uid, host_gid)
    } else {
        base.for_process(u.uid, u.gid)
    };
    if mapping.host_uid(u.uid).is_none() || mapping.host_gid(u.gid).is_none() {
        bail!(
            "user `{spec}` ({}:{}) is outside this user's id mapping",
            u.uid,
            u.gid
        );
    }
    Ok((u, mapping))
}

/// `--stop-signal`: a name (with or without SIG, any case) or a number.
pub fn check_stop_signal(sig: &str) -> Result<()> {
    let name = sig.to_ascii_uppercase();
    let name = if name.starts_with("SIG") {
        name
    } else {
        format!("SIG{name}")
    };
    let numeric = sig
        .parse::<i32>()
        .ok()
        .and_then(|n| nix::sys::signal::Signal::try_from(n).ok());
    if numeric.is_none() && name.parse::<nix::sys::signal::Signal>().is_err() {
        bail!("invalid --stop-signal `{sig}`");
    }
    Ok(())
}

/// The layers' directories, top first, for lookups in the image.
pub fn layer_dirs(layers_dir: &Path, lowerdirs: &[String]) -> Vec<PathBuf> {
    lowerdirs.iter().map(|l| layers_dir.join(l)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ident::idmap::IdRange;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn entrypoint_and_cmd_combine_as_in_docker() {
        let (ep, cmd) = (v(&["/ep", "-x"]), v(&["default"]));
        let run = |e: Option<&str>, c: &[&str]| command(Some(&ep), Some(&cmd), e, &v(c));
        assert_eq!(run(None, &[]), v(&["/ep", "-x", "default"]));
        assert_eq!(run(None, &["mine"]), v(&["/ep", "-x", "mine"]));
        // --entrypoint drops the image's CMD too.
        assert_eq!(run(Some("/other"), &[]), v(&["/other"]));
        assert_eq!(run(Some("/other"), &["a"]), v(&["/other", "a"]));
        assert_eq!(run(Some(""), &["sh"]), v(&["sh"]));
        assert_eq!(run(Some(""), &[]), Vec::<String>::new());
        assert_eq!(command(None, None, None, &[]), Vec::<String>::new());
    }

    #[test]
    fn env_overrides_replace_by_key_and_path_comes_first() {
        let image = v(&["A=1", "B=2"]);
        let env = environment(Some(&image), &v(&["A=3", "C=4=5"]), false);
        assert_eq!(
            env,
            v(&[&format!("PATH={DEFAULT_PATH}"), "B=2", "A=3", "C=4=5"])
        );
        let env = environment(Some(&v(&["PATH=/x", "TERM=dumb"])), &[], true);
        assert_eq!(env, v(&["PATH=/x", "TERM=dumb"]));
        assert_eq!(environment(None, &[], true).last().unwrap(), "TERM=xterm");
        // `PATHX` is not `PATH`.
        assert!(!has(&v(&["PATHX=1"]), "PATH"));
    }

    #[test]
    fn env_files_skip_comments_and_take_unset_keys_from_berth() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("e");
        std::fs::write(&f, "# c\n\n X=1 \nBERTH_SPEC_TEST_UNSET_VAR\n").unwrap();
        let got = env_overrides(&[f], &v(&["Y=2"])).unwrap();
        assert_eq!(got, v(&["X=1", "Y=2"]));
        assert!(env_overrides(&[dir.path().join("missing")], &[]).is_err());
    }

    #[test]
    fn users_resolve_in_the_image_and_must_be_mapped() {
        let dir = tempfile::tempdir().unwrap();
        let etc = dir.path().join("l1/etc");
        std::fs::create_dir_all(&etc).unwrap();
        std::fs::write(etc.join("passwd"), "root:x:0:0::/root:/bin/sh\napp:x:70000:70000::/home/app:/bin/sh\nweb:x:33:33::/var/www:/bin/sh\n").unwrap();
        std::fs::write(etc.join("group"), "root:x:0:\nweb:x:33:\n").unwrap();
        let layers = layer_dirs(dir.path(), &v(&["l1"]));
        let range = |host| IdMapping {
            uids: vec![IdRange {
                container: 0,
                host,
                size: 65536,
            }],
            gids: vec![IdRange {
                container: 0,
                host,
                size: 65536,
            }],
        };
        let (u, _) =
            user_and_mapping(None, Some("web"), &[], false, range(100000), &layers, "img").unwrap();
        assert_eq!(
            (u.uid, u.gid, u.home.as_deref()),
            (33, 33, Some("/var/www"))
        );
        // `-u` wins over the image's USER.
        let (u, _) = user_and_mapping(
            Some("0"),
            Some("web"),
            &[],
            false,
            range(100000),
            &layers,
            "img",
        )
        .unwrap();
        assert_eq!(u.uid, 0);
        let e = user_and_mapping(Some("app"), None, &[], false, range(100000), &layers, "img")
            .unwrap_err();
        assert!(
            format!("{e:#}").contains("outside this user's id mapping"),
            "{e:#}"
        );
        let e = user_and_mapping(
            Some("nobody"),
            None,
            &[],
            false,
            range(100000),
            &layers,
            "img",
        )
        .unwrap_err();
        assert!(
            format!("{e:#}").starts_with("resolving user `nobody` in `img`"),
            "{e:#}"
        );
    }

    #[test]
    fn userns_and_stop_signals() {
        assert!(!parse_userns(None).unwrap());
        assert!(parse_userns(Some("keep-id")).unwrap());
        assert!(parse_userns(Some("auto")).is_err());
        for ok in ["TERM", "sigkill", "SIGUSR1", "9"] {
            assert!(check_stop_signal(ok).is_ok(), "{ok}");
        }
        for bad in ["NOPE", "999", ""] {
            assert!(check_stop_signal(bad).is_err(), "{bad}");
        }
    }
}
