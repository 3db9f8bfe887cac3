//! The instructions that only change the image config: ENV, LABEL, EXPOSE,
//! USER, WORKDIR, CMD, ENTRYPOINT, STOPSIGNAL, VOLUME, SHELL, MAINTAINER,
//! HEALTHCHECK, ONBUILD. Words are expanded with the scope as it was when
//! the instruction started (`ENV A=1 B=$A` sees the old `A`, as BuildKit).

use super::dockerfile::instr::{Command, Healthcheck, Instr, Instruction};
use super::executor::State;
use super::stages::Scope;
use anyhow::{Result, bail};

/// Applies a config-only instruction to `st`.
pub(super) fn apply(st: &mut State, i: &Instr, op: &Instruction) -> Result<()> {
    let scope = Scope::of(st);
    let c = &mut st.config.config;
    match op {
        Instruction::Env(pairs) => {
            let pairs = expand_pairs(&scope, i, pairs)?;
            let env = c.env.get_or_insert_with(Vec::new);
            for (k, v) in pairs {
                env.retain(|e| e.split('=').next() != Some(k.as_str()));
                env.push(format!("{k}={v}"));
            }
        }
        Instruction::Label(pairs) => {
            let labels = c.labels.get_or_insert_with(Default::default);
            for (k, v) in pairs {
                labels.insert(scope.expand(i, k)?, scope.expand(i, v)?);
            }
        }
        Instruction::Expose(ports) => {
            let exposed = c.exposed_ports.get_or_insert_with(Default::default);
            for p in ports {
                let p = scope.expand(i, p)?;
                let p = if p.contains('/') {
                    p
                } else {
                    format!("{p}/tcp")
                };
                exposed.insert(p, serde_json::json!({}));
            }
        }
        Instruction::User(u) => c.user = Some(scope.expand(i, u)?),
        Instruction::Workdir(w) => {
            let w = scope.expand(i, w)?;
            let base = c.working_dir.clone().unwrap_or_else(|| "/".into());
            c.working_dir = Some(if w.starts_with('/') {
                w
            } else {
                format!("{}/{w}", base.trim_end_matches('/'))
            });
        }
        Instruction::Cmd(cmd) => c.cmd = Some(command(cmd, &st.shell)),
        Instruction::Entrypoint(cmd) => c.entrypoint = Some(command(cmd, &st.shell)),
        Instruction::Stopsignal(s) => c.stop_signal = Some(scope.expand(i, s)?),
        Instruction::Volume(list) => {
            let vols = c.volumes.get_or_insert_with(Default::default);
            for v in list {
                vols.insert(scope.expand(i, v)?, serde_json::json!({}));
            }
        }
        Instruction::Shell(argv) => st.shell = argv.clone(),
        Instruction::Maintainer(m) => st.config.author = Some(m.clone()),
        Instruction::Healthcheck(h) => {
            c.extra.insert("Healthcheck".into(), healthcheck(h));
        }
        Instruction::Onbuild(trigger) => {
            let list = c
                .extra
                .entry("OnBuild")
                .or_insert_with(|| serde_json::json!([]));
            if let Some(a) = list.as_array_mut() {
                a.push(serde_json::json!(trigger));
            }
        }
        Instruction::From(_)
        | Instruction::Arg(_)
        | Instruction::Run(_)
        | Instruction::Copy(_)
        | Instruction::Add(_) => bail!("not a config instruction: {}", i.original),
    }
    Ok(())
}

/// ENV's values, all expanded before any is set.
fn expand_pairs(
    scope: &Scope,
    i: &Instr,
    pairs: &[(String, String)],
) -> Result<Vec<(String, String)>> {
    pairs
        .iter()
        .map(|(k, v)| Ok((k.clone(), scope.expand(i, v)?)))
        .collect()
}

/// CMD/ENTRYPOINT: exec form as it is, shell form through the stage's SHELL.
pub(super) fn command(cmd: &Command, shell: &[String]) -> Vec<String> {
    match cmd {
        Command::Exec(v) => v.clone(),
        Command::Shell(s) => shell.iter().cloned().chain([s.clone()]).collect(),
    }
}

/// The image config's `Healthcheck`: Docker's `Test` array and nanoseconds.
fn healthcheck(h: &Healthcheck) -> serde_json::Value {
    let h = match h {
        Healthcheck::None => return serde_json::json!({"Test": ["NONE"]}),
        Healthcheck::Cmd(h) => h,
    };
    let test: Vec<String> = match &h.test {
        Command::Exec(v) => std::iter::once("CMD".to_string())
            .chain(v.iter().cloned())
            .collect(),
        Command::Shell(s) => vec!["CMD-SHELL".into(), s.clone()],
    };
    let mut hc = serde_json::json!({ "Test": test });
    for (v, field) in [
        (h.interval, "Interval"),
        (h.timeout, "Timeout"),
        (h.start_period, "StartPeriod"),
        (h.start_interval, "StartInterval"),
        (h.retries, "Retries"),
    ] {
        if let Some(v) = v {
            hc[field] = serde_json::json!(v);
        }
    }
    hc
}
