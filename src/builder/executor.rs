//! Runs a Dockerfile: the stages the target needs (stages.rs), each
//! instruction either changing the config (config.rs) or making one layer
//! (run.rs, copy.rs, committed by commit.rs), every layer step cached by a
//! key of its parent, its expanded instruction, the build args in effect and
//! — for COPY/ADD — the content it copies (cache.rs).

use super::context::Ignore;
use super::dockerfile::instr::{Instr, Instruction};
use super::run::{ContextViews, StepNetwork};
use super::stages::Stage;
use crate::ident::idmap::IdMapping;
use crate::image::pull::{Observer, PullOptions, PullPolicy};
use crate::image::unpack::Unpacker;
use crate::image::upper::{Access, BuiltLayer};
use crate::store::Store;
use crate::store::digest::Digest;
use crate::store::oci::{Descriptor, History, ImageConfig};
use anyhow::{Result, anyhow};
use std::collections::BTreeMap;
use std::path::PathBuf;

pub struct BuildOptions {
    pub context: PathBuf,
    pub dockerfile: PathBuf,
    pub instructions: Vec<Instr>,
    pub tags: Vec<String>,
    pub build_args: BTreeMap<String, String>,
    pub target: Option<String>,
    pub no_cache: bool,
    /// `--timestamp` or SOURCE_DATE_EPOCH: created times and mtimes clamped to it.
    pub epoch: Option<i64>,
    pub labels: BTreeMap<String, String>,
    /// `--network`: the network RUN steps get unless they say otherwise.
    pub network: StepNetwork,
    /// `--allow network.host` (or `--network host`): a `RUN --network=host` may run.
    pub allow_network_host: bool,
    /// `--secret id=ID,src=FILE`: id → file, mounted only where a RUN asks.
    pub secrets: BTreeMap<String, PathBuf>,
    /// `-q`: no progress, no step output.
    pub quiet: bool,
    /// `--pull`: when `FROM` and `--from` images are fetched from their registry.
    pub pull: PullPolicy,
    pub pull_options: PullOptions,
    /// Where a pull reports its progress.
    pub pull_progress: Box<dyn Observer>,
}

/// A stage as far as it has been built.
#[derive(Clone)]
pub(super) struct State {
    pub config: ImageConfig,
    pub layers: Vec<(BuiltLayer, Descriptor)>,
    /// Cache key of the state: everything that made it.
    pub key: String,
    /// ARG values in scope for this stage.
    pub args: BTreeMap<String, String>,
    pub shell: Vec<String>,
    /// The time the state's newest layer was made: what history and the
    /// image's `created` say, stable across cached rebuilds.
    pub created: String,
}

pub struct Builder<'a> {
    pub(super) store: &'a Store,
    pub(super) opts: BuildOptions,
    pub(super) access: Access,
    pub(super) idmap: String,
    pub(super) mapping: IdMapping,
    pub(super) ignore: Ignore,
    pub(super) views: ContextViews,
    pub(super) stages: Vec<Stage>,
    /// Each stage's result once built, by index.
    pub(super) built: Vec<Option<State>>,
    /// The global ARGs (before the first FROM), with `--build-arg`s applied.
    pub(super) global_args: BTreeMap<String, String>,
    /// The stages the step count covers.
    pub(super) planned: Vec<usize>,
    /// The stage being built: the ones it may name come before it.
    pub(super) at: usize,
    pub(super) step: usize,
    pub(super) steps: usize,
}

pub fn build(store: &Store, opts: BuildOptions) -> Result<Digest> {
    // Scratch dirs and temporary blobs live in the store while we build.
    let _work = store.work_lock(false)?;
    let ignore = Ignore::load(&opts.context, Some(&opts.dockerfile))?;
    let unpacker = Unpacker::for_current_user()?;
    let mut b = Builder {
        store,
        access: Access::of(&unpacker),
        idmap: unpacker.idmap(),
        mapping: IdMapping::for_current_user()?,
        ignore,
        views: ContextViews::default(),
        opts,
        stages: Vec::new(),
        built: Vec::new(),
        global_args: BTreeMap::new(),
        planned: Vec::new(),
        at: 0,
        step: 0,
        steps: 0,
    };
    b.run()
}

impl Builder<'_> {
    fn run(&mut self) -> Result<Digest> {
        let (global, stages) = super::stages::split(&self.opts.instructions)?;
        self.global_args = self.global_args(&global)?;
        self.built = vec![None; stages.len()];
        self.stages = stages;
        let target = self.target()?;
        let needed = self.needed_stages(target);
        self.steps = needed.iter().map(|&i| self.stages[i].body.len() + 1).sum();
        // In file order, as written; a stage named only through a variable
        // (`COPY --from=$X`) is built when the step that names it runs.
        // One at a time: RUN steps fork containers from this process, and
        // no other thread may be alive when it forks (DESIGN.md), so
        // independent stages are not built concurrently.
        self.planned = needed.clone();
        for idx in needed {
            self.stage(idx)?;
        }
        let state = self.stage(target)?;
        self.commit_image(&state)
    }

    pub(super) fn say(&mut self, i: &Instr) {
        self.step += 1;
        if self.opts.quiet {
            return;
        }
        eprintln!(
            "STEP {}/{}: {}",
            self.step,
            self.steps,
            crate::term::escape(&i.original)
        );
    }

    /// Runs one instruction of the current stage.
    pub(super) fn instruction(&mut self, st: &mut State, i: &Instr) -> Result<()> {
        match &i.op {
            Instruction::Run(r) => self.run_step(st, r),
            Instruction::Copy(c) => self.copy_step(st, i, &super::copy::CopyArgs::copy(c)),
            Instruction::Add(a) => self.copy_step(st, i, &super::copy::CopyArgs::add(a)),
            Instruction::Arg(decls) => {
                self.arg(st, i, decls)?;
                Self::no_layer(st, i);
                Ok(())
            }
            Instruction::From(_) => Err(anyhow!("FROM inside a stage")),
            op => {
                super::config::apply(st, i, op)?;
                Self::no_layer(st, i);
                Ok(())
            }
        }
    }

    /// Records a config-only instruction in the key and the history.
    fn no_layer(st: &mut State, i: &Instr) {
        st.key = super::cache::key_of(&[&st.key, &i.original]);
        st.config.history.push(History {
            created: Some(st.created.clone()),
            created_by: Some(format!("/bin/sh -c #(nop) {}", i.original)),
            empty_layer: true,
            ..Default::default()
        });
    }

    pub(super) fn created(&self) -> String {
        crate::time::rfc3339(self.opts.epoch.unwrap_or_else(crate::time::now_epoch))
    }
}

/// `Dockerfile:LINE: msg`, unless `msg` already names a line.
pub(super) fn at_line(i: &Instr, e: &anyhow::Error) -> anyhow::Error {
    let msg = format!("{e:#}");
    if msg.starts_with("Dockerfile:") {
        anyhow!(msg)
    } else {
        anyhow!("Dockerfile:{}: {msg}", i.line)
    }
}
