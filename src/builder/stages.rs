//! Stages: the Dockerfile split at each FROM, the stage graph (which stages
//! the target needs: FROM <stage>, COPY --from=<stage>, RUN --mount from=<stage>),
//! building a stage on first use, and the ARG/ENV scope every expansion
//! reads. A stage nothing needs is never built, as with BuildKit and buildah.

use super::dockerfile;
use super::dockerfile::instr::{ArgDecl, Instr, Instruction};
use super::executor::{Builder, State, at_line};
use crate::image::unpack::ensure_layers;
use crate::store::digest::Digest;
use crate::store::oci::{self, ImageConfig, RootFs};
use anyhow::{Context, Result, anyhow, bail};
use std::collections::BTreeMap;

/// One stage: its FROM and the instructions after it.
#[derive(Clone)]
pub(super) struct Stage {
    pub name: Option<String>,
    pub from: Instr,
    /// The base as written: an image, a stage or `scratch`.
    pub base: String,
    pub body: Vec<Instr>,
}

/// The instructions before the first FROM, and the stages.
pub(super) fn split(all: &[Instr]) -> Result<(Vec<Instr>, Vec<Stage>)> {
    let mut global = Vec::new();
    let mut stages: Vec<Stage> = Vec::new();
    for i in all {
        if let Instruction::From(f) = &i.op {
            stages.push(Stage {
                name: f.name.clone(),
                from: i.clone(),
                base: f.image.clone(),
                body: Vec::new(),
            });
        } else if let Some(s) = stages.last_mut() {
            s.body.push(i.clone());
        } else {
            global.push(i.clone());
        }
    }
    if stages.is_empty() {
        bail!("Dockerfile: no FROM instruction");
    }
    Ok((global, stages))
}

/// The stage names a stage's steps give without variables: `COPY --from`
/// and `RUN --mount=…,from=`.
fn named_refs(s: &Stage) -> Vec<&str> {
    let mut refs = Vec::new();
    for i in &s.body {
        match &i.op {
            Instruction::Copy(c) => refs.extend(c.from.as_deref()),
            Instruction::Run(r) => refs.extend(r.mounts.iter().filter_map(|m| m.from.as_deref())),
            _ => {}
        }
    }
    refs.retain(|r| !r.contains('$'));
    refs
}

/// The stages `target` needs as the Dockerfile names them (FROM with the
/// global ARGs expanded, as BuildKit does), itself included, in file order.
/// A stage a step names through a variable (`COPY --from=$X`) is found
/// when that step runs.
pub(super) fn needed(
    stages: &[Stage],
    target: usize,
    global_args: &BTreeMap<String, String>,
) -> Vec<usize> {
    let mut need = vec![target];
    let mut i = 0;
    while i < need.len() {
        let at = need[i];
        let s = &stages[at];
        let lookup = |k: &str| global_args.get(k).cloned();
        let base = dockerfile::expand(&s.base, s.from.escape, &lookup).ok();
        let refs = named_refs(s).into_iter().chain(base.as_deref());
        for idx in refs.filter_map(|r| stage_index(stages, r, at)) {
            if !need.contains(&idx) {
                need.push(idx);
            }
        }
        i += 1;
    }
    need.sort_unstable();
    need
}

/// The stage `name` (a name or an index) refers to from stage `at`: only
/// earlier stages can be named.
fn stage_index(stages: &[Stage], name: &str, at: usize) -> Option<usize> {
    stages[..at]
        .iter()
        .rposition(|s| s.name.as_deref() == Some(name))
        .or_else(|| name.parse().ok().filter(|&i: &usize| i < at))
}

impl Builder<'_> {
    /// `--target`'s stage, or the last.
    pub(super) fn target(&self) -> Result<usize> {
        match &self.opts.target {
            Some(t) => self
                .stages
                .iter()
                .position(|s| s.name.as_deref() == Some(t.as_str()))
                .ok_or_else(|| anyhow!("target stage `{t}` not found")),
            None => Ok(self.stages.len() - 1),
        }
    }

    /// The stages `target` needs as the Dockerfile names them: see [`needed`].
    pub(super) fn needed_stages(&self, target: usize) -> Vec<usize> {
        needed(&self.stages, target, &self.global_args)
    }

    /// Stage `idx`'s result, building it first if nothing has yet.
    pub(super) fn stage(&mut self, idx: usize) -> Result<State> {
        if let Some(s) = &self.built[idx] {
            return Ok(s.clone());
        }
        if !self.planned.contains(&idx) {
            // Named through a variable: not in the count made up front.
            self.planned.push(idx);
            self.steps += self.stages[idx].body.len() + 1;
        }
        let outer = std::mem::replace(&mut self.at, idx);
        let st = self.run_stage(idx);
        self.at = outer;
        let st = st?;
        self.built[idx] = Some(st.clone());
        Ok(st)
    }

    fn run_stage(&mut self, idx: usize) -> Result<State> {
        let stage = self.stages[idx].clone();
        self.say(&stage.from);
        let lookup = |k: &str| self.global_args.get(k).cloned();
        let base = dockerfile::expand(&stage.base, stage.from.escape, &lookup)
            .and_then(|base| self.from(&base))
            .map_err(|e| at_line(&stage.from, &e))?;
        let mut st = base;
        self.onbuild(&mut st, &stage.from)?;
        for i in &stage.body {
            self.say(i);
            self.instruction(&mut st, i).map_err(|e| at_line(i, &e))?;
        }
        Ok(st)
    }

    /// The base image's ONBUILD triggers run first, as Docker does; the
    /// new image does not inherit them.
    fn onbuild(&mut self, st: &mut State, from: &Instr) -> Result<()> {
        let triggers = st.config.config.extra.remove("OnBuild");
        for t in triggers
            .iter()
            .filter_map(|v| v.as_array())
            .flatten()
            .filter_map(|t| t.as_str())
        {
            let parsed = dockerfile::instr::parse_fragment(t)
                .map_err(|e| anyhow!("Dockerfile:{}: ONBUILD {t}: {e}", from.line))?;
            for i in parsed {
                self.instruction(st, &i)
                    .map_err(|e| anyhow!("Dockerfile:{}: ONBUILD {t}: {e:#}", from.line))?;
            }
        }
        Ok(())
    }

    /// The state FROM `base` starts with: nothing, an earlier stage or an image.
    fn from(&mut self, base: &str) -> Result<State> {
        if base == "scratch" {
            let mut s = empty_state();
            s.created = self.created();
            return Ok(s);
        }
        if let Some(idx) = self.stages[..self.at]
            .iter()
            .rposition(|s| s.name.as_deref() == Some(base))
        {
            let mut s = self.stage(idx)?;
            s.args.clear();
            return Ok(s);
        }
        let img = self.image(base).with_context(|| format!("FROM `{base}`"))?;
        let chains = ensure_layers(self.store, &img)?;
        let chains: Vec<Digest> = chains.into_iter().rev().collect();
        let layers = super::commit::image_layers(&img, chains);
        let created = self
            .opts
            .epoch
            .map(crate::time::rfc3339)
            .or(img.config.created.clone())
            .unwrap_or_else(|| self.created());
        Ok(State {
            config: img.config.clone(),
            layers,
            key: format!("image {}", img.id()),
            args: BTreeMap::new(),
            shell: vec!["/bin/sh".into(), "-c".into()],
            created,
        })
    }

    /// What `--from=name` (COPY, RUN --mount) reads: an earlier stage,
    /// built now if it was not yet, or an image.
    /// An image a stage starts from or reads, pulled as `--pull` says.
    fn image(&self, name: &str) -> Result<crate::store::images::Image> {
        let o = &self.opts;
        crate::image::pull::ensure(
            self.store,
            name,
            o.pull,
            &o.pull_options,
            o.pull_progress.as_ref(),
        )
    }

    pub(super) fn stage_state(&mut self, name: &str) -> Result<State> {
        if let Some(idx) = stage_index(&self.stages, name, self.at) {
            return self.stage(idx);
        }
        let img = self
            .image(name)
            .with_context(|| format!("--from=`{name}`"))?;
        let chains: Vec<Digest> = ensure_layers(self.store, &img)?.into_iter().rev().collect();
        let layers = super::commit::image_layers(&img, chains);
        Ok(State {
            config: img.config.clone(),
            layers,
            key: format!("image {}", img.id()),
            args: BTreeMap::new(),
            shell: vec![],
            created: String::new(),
        })
    }

    /// The ARGs before the first FROM: earlier ones are in scope for later
    /// defaults; a `--build-arg` wins over a default.
    pub(super) fn global_args(&self, global: &[Instr]) -> Result<BTreeMap<String, String>> {
        let mut args = BTreeMap::new();
        for i in global {
            let Instruction::Arg(decls) = &i.op else {
                bail!("Dockerfile:{}: only ARG may come before FROM", i.line);
            };
            for d in decls {
                let scope = args.clone();
                let lookup = move |n: &str| scope.get(n).cloned();
                let v = match (self.opts.build_args.get(&d.name), &d.default) {
                    (Some(b), _) => b.clone(),
                    (None, Some(v)) => dockerfile::expand(v, i.escape, &lookup)
                        .map_err(|e| anyhow!("Dockerfile:{}: {e:#}", i.line))?,
                    (None, None) => String::new(),
                };
                args.insert(d.name.clone(), v);
            }
        }
        Ok(args)
    }

    /// `ARG` in a stage: a `--build-arg`, the default expanded, or one of
    /// BuildKit's platform ARGs.
    pub(super) fn arg(&self, st: &mut State, i: &Instr, decls: &[ArgDecl]) -> Result<()> {
        let scope = Scope::of(st);
        for d in decls {
            let v = match (self.opts.build_args.get(&d.name), &d.default) {
                (Some(b), _) => b.clone(),
                (None, Some(v)) => scope.expand(i, v)?,
                (None, None) => builtin_arg(&d.name).unwrap_or_default(),
            };
            st.args.insert(d.name.clone(), v);
        }
        Ok(())
    }
}

/// The variables an instruction's words see: the stage's ENV, then its
/// ARGs, as they were when the instruction started.
pub(super) struct Scope {
    env: Vec<String>,
    args: BTreeMap<String, String>,
}

impl Scope {
    pub(super) fn of(st: &State) -> Scope {
        Scope {
            env: st.config.config.env.clone().unwrap_or_default(),
            args: st.args.clone(),
        }
    }

    pub(super) fn get(&self, k: &str) -> Option<String> {
        self.env
            .iter()
            .rev()
            .find_map(|e| e.strip_prefix(k)?.strip_prefix('=').map(String::from))
            .or_else(|| self.args.get(k).cloned())
    }

    /// BuildKit's word expansion with quote removal and the instruction's
    /// escape character; `${V:?msg}` and bad syntax are errors.
    pub(super) fn expand(&self, i: &Instr, word: &str) -> Result<String> {
        dockerfile::expand(word, i.escape, &|k| self.get(k))
    }
}

/// BuildKit's automatic platform ARGs (declared without a default): this
/// machine is both the build and the target platform.
fn builtin_arg(name: &str) -> Option<String> {
    let arch = oci::host_arch();
    Some(match name {
        "BUILDPLATFORM" | "TARGETPLATFORM" => format!("linux/{arch}"),
        "BUILDOS" | "TARGETOS" => "linux".into(),
        "BUILDARCH" | "TARGETARCH" => arch.into(),
        "BUILDVARIANT" | "TARGETVARIANT" => String::new(),
        _ => return None,
    })
}

/// FROM scratch: no layers, a default config.
pub(super) fn empty_state() -> State {
    State {
        config: ImageConfig {
            architecture: oci::host_arch().into(),
            os: "linux".into(),
            rootfs: RootFs {
                kind: "layers".into(),
                diff_ids: vec![],
            },
            ..Default::default()
        },
        layers: Vec::new(),
        key: "scratch".into(),
        created: crate::time::rfc3339(crate::time::now_epoch()),
        args: BTreeMap::new(),
        shell: vec!["/bin/sh".into(), "-c".into()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stages the last one needs, by name (`-` for an unnamed one).
    fn needs(df: &str, build_args: &[(&str, &str)]) -> Vec<String> {
        let all = dockerfile::instr::parse(df).unwrap();
        let (global, stages) = split(&all).unwrap();
        let mut args: BTreeMap<String, String> = BTreeMap::new();
        for i in &global {
            if let Instruction::Arg(decls) = &i.op {
                for d in decls {
                    args.insert(d.name.clone(), d.default.clone().unwrap_or_default());
                }
            }
        }
        args.extend(
            build_args
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        needed(&stages, stages.len() - 1, &args)
            .into_iter()
            .map(|i| stages[i].name.clone().unwrap_or_else(|| "-".into()))
            .collect()
    }

    #[test]
    fn a_stage_nothing_names_is_not_needed() {
        let df = "FROM busybox AS unused\nRUN exit 3\nFROM busybox\nRUN true\n";
        assert_eq!(needs(df, &[]), ["-"]);
    }

    #[test]
    fn from_copy_from_and_mount_from_name_stages() {
        let df = "FROM busybox AS a\nFROM busybox AS b\nFROM a AS c\nFROM busybox AS d\n\
                  FROM busybox AS unused\nFROM c\nCOPY --from=b /x /x\n\
                  RUN --mount=type=bind,from=d,target=/d true\n";
        assert_eq!(needs(df, &[]), ["a", "b", "c", "d", "-"]);
    }

    #[test]
    fn stages_are_named_by_index_and_only_backwards() {
        let df = "FROM busybox AS a\nFROM busybox AS b\nCOPY --from=2 /x /x\nFROM busybox AS c\n";
        assert_eq!(needs(df, &[]), ["c"]);
        let df = "FROM busybox AS a\nFROM busybox\nCOPY --from=0 /y /y\n";
        assert_eq!(needs(df, &[]), ["a", "-"]);
    }

    #[test]
    fn from_takes_the_global_args() {
        let df = "ARG BASE=busybox\nFROM busybox AS broken\nRUN exit 3\nFROM busybox AS dev\nFROM $BASE\n";
        assert_eq!(needs(df, &[]), ["-"]);
        assert_eq!(needs(df, &[("BASE", "dev")]), ["dev", "-"]);
    }

    #[test]
    fn a_stage_named_through_a_variable_waits_for_its_step() {
        let df = "FROM busybox AS a\nFROM busybox\nARG SRC=a\nCOPY --from=$SRC /x /x\n";
        assert_eq!(needs(df, &[]), ["-"]);
    }
}
