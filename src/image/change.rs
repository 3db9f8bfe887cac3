//! `--change 'CMD ["sh"]'`: the Dockerfile instructions that only touch an
//! image's config (CMD ENTRYPOINT ENV EXPOSE LABEL ONBUILD USER VOLUME
//! WORKDIR STOPSIGNAL), applied to a [`RunConfig`].

use crate::store::oci::RunConfig;
use anyhow::{Result, bail};
use serde_json::Value;

pub fn apply(config: &mut RunConfig, change: &str) -> Result<()> {
    let change = change.trim();
    let (word, rest) = change
        .split_once(char::is_whitespace)
        .unwrap_or((change, ""));
    let rest = rest.trim();
    let bad = |why: &str| anyhow::anyhow!("invalid change `{change}`: {why}");
    match word.to_ascii_uppercase().as_str() {
        "CMD" => config.cmd = Some(command(rest)),
        "ENTRYPOINT" => config.entrypoint = Some(command(rest)),
        "ENV" => {
            let env = config.env.get_or_insert_with(Vec::new);
            for (k, v) in pairs(rest).ok_or_else(|| bad("expected KEY=VALUE"))? {
                env.retain(|e| e.split('=').next() != Some(k.as_str()));
                env.push(format!("{k}={v}"));
            }
        }
        "LABEL" => {
            let labels = config.labels.get_or_insert_with(Default::default);
            for (k, v) in pairs(rest).ok_or_else(|| bad("expected KEY=VALUE"))? {
                labels.insert(k, v);
            }
        }
        "EXPOSE" => {
            let ports = config.exposed_ports.get_or_insert_with(Default::default);
            for p in rest.split_whitespace() {
                let p = if p.contains('/') {
                    p.to_string()
                } else {
                    format!("{p}/tcp")
                };
                ports.insert(p, Value::Object(Default::default()));
            }
        }
        "VOLUME" => {
            let vols = config.volumes.get_or_insert_with(Default::default);
            let list = match serde_json::from_str::<Vec<String>>(rest) {
                Ok(v) => v,
                Err(_) => rest.split_whitespace().map(String::from).collect(),
            };
            for v in list {
                vols.insert(v, Value::Object(Default::default()));
            }
        }
        "ONBUILD" if !rest.is_empty() => {
            let list = config
                .extra
                .entry("OnBuild")
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(list) = list {
                list.push(Value::String(rest.to_string()));
            } else {
                *list = Value::Array(vec![Value::String(rest.to_string())]);
            }
        }
        "USER" if !rest.is_empty() => config.user = Some(rest.to_string()),
        "WORKDIR" if !rest.is_empty() => config.working_dir = Some(rest.to_string()),
        "STOPSIGNAL" if !rest.is_empty() => config.stop_signal = Some(rest.to_string()),
        "USER" | "WORKDIR" | "STOPSIGNAL" | "ONBUILD" => return Err(bad("missing argument")),
        _ => bail!(
            "invalid change `{change}`: only CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME and WORKDIR can be changed"
        ),
    }
    Ok(())
}

/// JSON form (`["a","b"]`) or shell form (`a b` → `/bin/sh -c "a b"`).
fn command(s: &str) -> Vec<String> {
    match serde_json::from_str::<Vec<String>>(s) {
        Ok(v) => v,
        Err(_) => vec!["/bin/sh".into(), "-c".into(), s.into()],
    }
}

/// `K=V K2="v 2"`, or the legacy single pair `K V`.
fn pairs(s: &str) -> Option<Vec<(String, String)>> {
    if s.is_empty() {
        return None;
    }
    let first = s.split_whitespace().next()?;
    if !first.contains('=') {
        let (k, v) = s.split_once(char::is_whitespace).unwrap_or((s, ""));
        return Some(vec![(k.to_string(), v.trim().to_string())]);
    }
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Some(out);
        }
        let key: String = std::iter::from_fn(|| chars.next_if(|&c| c != '=')).collect();
        chars.next()?; // '='
        let mut val = String::new();
        let mut quote = None;
        while let Some(&c) = chars.peek() {
            match (quote, c) {
                (None, c) if c.is_whitespace() => break,
                (None, '"' | '\'') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (_, '\\') => {
                    chars.next();
                    if let Some(n) = chars.next() {
                        val.push(n);
                    }
                    continue;
                }
                (_, c) => val.push(c),
            }
            chars.next();
        }
        if key.is_empty() || quote.is_some() {
            return None;
        }
        out.push((key, val));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_shell_commands() {
        let mut c = RunConfig::default();
        apply(&mut c, r#"CMD ["sh", "-c", "echo hi"]"#).unwrap();
        assert_eq!(c.cmd.clone().unwrap(), ["sh", "-c", "echo hi"]);
        apply(&mut c, "ENTRYPOINT echo hi").unwrap();
        assert_eq!(c.entrypoint.unwrap(), ["/bin/sh", "-c", "echo hi"]);
    }

    #[test]
    fn env_pairs_replace_earlier_values() {
        let mut c = RunConfig::default();
        apply(&mut c, "ENV A=1 B=\"two words\"").unwrap();
        apply(&mut c, "ENV A 3").unwrap();
        assert_eq!(c.env.unwrap(), ["B=two words", "A=3"]);
    }

    #[test]
    fn unknown_instructions_are_refused() {
        let err = apply(&mut RunConfig::default(), "RUN make").unwrap_err();
        assert!(err.to_string().contains("only CMD"), "{err}");
        assert!(apply(&mut RunConfig::default(), "ENV =x").is_err());
    }
}
