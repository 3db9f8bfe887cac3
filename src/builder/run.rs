//! RUN: the command (exec form, shell form, heredoc scripts), its
//! `--mount`s (bind from the context or a stage, cache, tmpfs, secret) and
//! `--network`, the container that runs it, and the layer its writes make.

use super::context;
use super::dockerfile::instr::{Command, Network, Run};
use super::dockerfile::{MountType, RunMount, Sharing};
use super::executor::{Builder, State};
use super::steps::scratch_dir;
use crate::helper::remove_tree;
use crate::layer::CopyOp;
use crate::runtime::network;
use crate::spec::launch::{self, Launch, Stdio};
use crate::spec::{self, ContainerOptions, Placement};
use crate::store::digest::Digest;
use anyhow::{Context, Result, anyhow, bail};
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The network a RUN step gets: `berth build --network`, or the step's own
/// `RUN --network`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepNetwork {
    /// Its own network namespace with only loopback.
    None,
    /// Its own network namespace with pasta's user-mode network (as `berth
    /// run`'s default): the internet, not the host's loopback services.
    Private,
    /// The host's (needs the network.host entitlement).
    Host,
}

impl StepNetwork {
    /// The mode's name for `runtime::network::Plan::new`.
    pub fn as_str(self) -> &'static str {
        match self {
            StepNetwork::None => "none",
            StepNetwork::Private => "private",
            StepNetwork::Host => "host",
        }
    }

    /// For a failed step's message.
    fn describe(self) -> &'static str {
        match self {
            StepNetwork::None => "none, only loopback; drop `--network none` for a private one",
            StepNetwork::Private => "private, through pasta",
            StepNetwork::Host => "host",
        }
    }
}

/// What a RUN's flags add to its container.
pub(super) struct RunExtras {
    /// Hash of the context content bind-mounted into the step.
    content: String,
    /// `sharing=locked` cache mounts, held until the RUN ends.
    locks: Vec<crate::layout::Lock>,
    mounts: Vec<spec::Mount>,
    /// Scratch dirs made for the mounts, removed after the RUN.
    scratch: Vec<PathBuf>,
    /// Mount targets missing from the image: removed from the layer afterwards.
    stubs: Vec<String>,
    network: StepNetwork,
    /// Binds of context directories holding ignored files, by index in
    /// `mounts`: their filtered copy is made only if the step runs.
    views: Vec<(usize, ContextView)>,
}

/// A context directory as `.dockerignore` filters it, for a bind mount.
struct ContextView {
    /// The directory in the context.
    src: PathBuf,
    /// What `.dockerignore` excludes under it.
    skip: Vec<PathBuf>,
    /// Its path and filtered content hash: the same key, the same copy.
    key: String,
}

/// The filtered copies of context directories made for bind mounts: once
/// per build and content, reused by later steps, removed with the build.
#[derive(Default)]
pub(super) struct ContextViews(BTreeMap<String, PathBuf>);

impl Drop for ContextViews {
    fn drop(&mut self) {
        for d in self.0.values() {
            let _ = remove_tree(d);
        }
    }
}

/// A bind mount a `--mount` asks for, before it is checked and added.
struct Bind {
    source: PathBuf,
    target: String,
    readonly: bool,
    view: Option<ContextView>,
}

/// Whether `p` (absolute in the image) is in one of `layers`. Looked up
/// fd-relative without following symlinks: a layer's absolute symlink would
/// otherwise be followed on the host (`/x -> /home/USER`).
fn exists_in(layers: &[PathBuf], p: &str) -> bool {
    layers
        .iter()
        .any(|l| crate::layer::exists_beneath(l, Path::new(p)))
}

/// The argv a RUN runs: exec form as it is; shell form, a heredoc script,
/// or a command fed by heredocs through the stage's shell.
fn argv(r: &Run, shell: &[String]) -> Vec<String> {
    let text = match &r.cmd {
        Command::Exec(v) => return v.clone(),
        Command::Shell(s) => s,
    };
    let script = match r.heredocs.as_slice() {
        [] => text.clone(),
        // `RUN <<EOF`: the body is the script.
        [h] if text.trim().starts_with("<<") && !text.trim().contains(char::is_whitespace) => {
            h.content.clone()
        }
        // Heredocs feeding a command: hand the shell its own heredocs back;
        // it expands an unquoted one's body, as BuildKit leaves it to.
        docs => {
            let mut s = text.clone();
            s.push('\n');
            for h in docs {
                s.push_str(&h.content);
                s.push_str(&h.name);
                s.push('\n');
            }
            s
        }
    };
    shell.iter().cloned().chain([script]).collect()
}

/// The last lines of a quiet step's log, for its failure.
fn log_tail(etc_dir: &Path) -> String {
    std::fs::read_to_string(etc_dir.join("output.log"))
        .map(|log| {
            let lines: Vec<&str> = log.lines().collect();
            lines[lines.len().saturating_sub(5)..].join(" | ")
        })
        .unwrap_or_default()
}

impl Builder<'_> {
    pub(super) fn run_step(&mut self, st: &mut State, r: &Run) -> Result<()> {
        let text = match &r.cmd {
            Command::Shell(s) => s.as_str(),
            Command::Exec(_) => "",
        };
        let argv = argv(r, &st.shell);
        let mut env = st.config.config.env.clone().unwrap_or_default();
        for (k, v) in &st.args {
            if !env.iter().any(|e| e.starts_with(&format!("{k}="))) {
                env.push(format!("{k}={v}"));
            }
        }
        let args_text: Vec<String> = st.args.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let mut extras = self.run_extras(st, r)?;
        // Mount specs are part of the key; a secret's content never is.
        let key = super::cache::key_of(&[
            &st.key,
            "RUN",
            &argv.join("\0"),
            &args_text.join("\0"),
            &r.flags_key.join("\0"),
            &extras.content,
        ]);
        let created_by = match &r.cmd {
            Command::Exec(_) => format!("RUN {}", argv.join(" ")),
            Command::Shell(s) => format!("/bin/sh -c {s}"),
        };
        if let Some(l) = self.cached(&key) {
            if !self.opts.quiet {
                eprintln!("--> Using cache {}", l.chain.short());
            }
            // A `bind,from=STAGE` source was copied while the mounts were
            // prepared; a cached step does not need it.
            for d in &extras.scratch {
                let _ = remove_tree(d);
            }
            self.add_layer(st, key, l, created_by);
            return Ok(());
        }
        self.materialise_views(&mut extras)?;
        let upper = scratch_dir(self.store)?;
        let result = self.run_in_scratch(st, &argv, env, &extras, &upper);
        match result {
            Ok((0, _)) => {}
            Ok((code, tail)) => {
                let _ = remove_tree(&upper);
                // The network is named: a step that fails for the lack of
                // one (`apt-get update` under `--network none`) shows only
                // DNS errors of its own.
                let net = extras.network.describe();
                if tail.is_empty() {
                    bail!("RUN {}: exit status {code} (network: {net})", text.trim());
                }
                bail!(
                    "RUN {}: exit status {code} (network: {net}); last output: {tail}",
                    text.trim()
                );
            }
            Err(e) => {
                let _ = remove_tree(&upper);
                return Err(e);
            }
        }
        self.commit_step(st, &upper, key, created_by)
    }

    /// Runs the step's container over `upper` with scratch work, mount
    /// point and /etc dirs, removed afterwards with the mounts' own; returns
    /// the exit status and, with `-q`, the tail of its output.
    fn run_in_scratch(
        &self,
        st: &State,
        argv: &[String],
        env: Vec<String>,
        extras: &RunExtras,
        upper: &Path,
    ) -> Result<(i32, String)> {
        let work = scratch_dir(self.store)?;
        let target = scratch_dir(self.store)?;
        let etc_dir = scratch_dir(self.store)?;
        let result = self.run_container(st, argv, env, extras, [upper, &work, &target, &etc_dir]);
        let tail = log_tail(&etc_dir);
        for d in [&work, &target, &etc_dir, &target.with_extension("empty")]
            .into_iter()
            .chain(&extras.scratch)
        {
            let _ = remove_tree(d);
        }
        // Mount points the runtime had to create are not part of the layer.
        // The step controls the upper dir: it may have moved the stub's
        // parent away and put a symlink to the host in its place, so the
        // stub is removed only where it is reachable without a symlink;
        // anywhere else it is the step's own content, left as it is.
        for t in &extras.stubs {
            if let Err(e) = crate::layer::remove_beneath(upper, Path::new(t)) {
                log::debug!("RUN: leaving mount point `{t}` in the layer: {e}");
            }
        }
        result.map(|code| (code, tail))
    }

    /// `RUN --mount=…` and `RUN --network=…`.
    fn run_extras(&mut self, st: &State, r: &Run) -> Result<RunExtras> {
        let mut x = RunExtras {
            content: String::new(),
            locks: Vec::new(),
            mounts: Vec::new(),
            scratch: Vec::new(),
            stubs: Vec::new(),
            network: self.step_network(r.network)?,
            views: Vec::new(),
        };
        let lowers: Vec<PathBuf> = st
            .layers
            .iter()
            .map(|(l, _)| self.store.layer_dir(&l.chain))
            .collect();
        for m in &r.mounts {
            if !m.unapplied.is_empty() {
                log::debug!(
                    "RUN --mount: berth does not apply `{}`",
                    m.unapplied.join(",")
                );
            }
            let bind = match m.kind {
                MountType::Cache => self.cache_mount(m, &mut x)?,
                MountType::Bind => self.bind_mount(m, &mut x)?,
                MountType::Secret => match self.secret_mount(m)? {
                    Some(b) => b,
                    None => continue,
                },
                MountType::Tmpfs => {
                    let target = m
                        .target
                        .clone()
                        .ok_or_else(|| anyhow!("--mount type=tmpfs needs a target"))?;
                    let size = m.size.map(|s| format!("size={s}")).unwrap_or_default();
                    x.mounts.push(spec::tmpfs(&target, &size));
                    if !exists_in(&lowers, &target) {
                        x.stubs.push(target);
                    }
                    continue;
                }
                MountType::Ssh => {
                    bail!("--mount type=ssh is not supported: berth forwards no SSH agent")
                }
            };
            add_bind(&mut x, bind, &lowers)?;
        }
        Ok(x)
    }

    /// The network the step gets: the build's, unless `RUN --network` says.
    fn step_network(&self, n: Option<Network>) -> Result<StepNetwork> {
        Ok(match n {
            None | Some(Network::Default) => self.opts.network,
            Some(Network::Host) if !self.opts.allow_network_host => bail!(
                "RUN --network=host: network.host is not allowed \
                 (use `berth build --allow network.host` to allow it)"
            ),
            Some(Network::Host) => StepNetwork::Host,
            Some(Network::None) => StepNetwork::None,
        })
    }

    /// `type=cache`: a directory under `<root>/cache-mounts` by id.
    fn cache_mount(&self, m: &RunMount, x: &mut RunExtras) -> Result<Bind> {
        let target = m
            .target
            .clone()
            .ok_or_else(|| anyhow!("--mount type=cache needs a target"))?;
        let id = m.id.clone().unwrap_or_else(|| target.clone());
        let id = Digest::of(id.as_bytes());
        let dir = self.store.layout().cache_mount(id.hex());
        crate::layout::private_dir(&dir)?;
        match m.sharing.unwrap_or(Sharing::Shared) {
            Sharing::Shared | Sharing::Private => {}
            // One RUN at a time in this cache (berth builds its
            // stages one after the other; other builds wait).
            Sharing::Locked => x.locks.push(crate::layout::flock(
                &self.store.layout().cache_mount_lock(id.hex()),
                true,
            )?),
        }
        Ok(Bind {
            source: dir,
            target,
            readonly: m.readonly.unwrap_or(false),
            view: None,
        })
    }

    /// `type=secret`: the file `--secret id=…` gave, or nothing when it
    /// was not given and the mount is not `required`.
    fn secret_mount(&self, m: &RunMount) -> Result<Option<Bind>> {
        let id = m.id.clone().or_else(|| {
            m.target
                .as_ref()
                .and_then(|t| t.rsplit('/').next().map(String::from))
        });
        let id = id.ok_or_else(|| anyhow!("--mount type=secret needs an id"))?;
        let target = m
            .target
            .clone()
            .unwrap_or_else(|| format!("/run/secrets/{id}"));
        let source = match self.opts.secrets.get(&id) {
            Some(p) => p.clone(),
            None if m.required => {
                bail!("secret `{id}` was not given (use --secret id={id},src=FILE)")
            }
            None => return Ok(None),
        };
        Ok(Some(Bind {
            source,
            target,
            readonly: true,
            view: None,
        }))
    }

    /// `type=bind`: a context path, or a stage's. Writes to a bind are
    /// never kept, and never reach the context: it is always read-only.
    fn bind_mount(&mut self, m: &RunMount, x: &mut RunExtras) -> Result<Bind> {
        let target = m
            .target
            .clone()
            .ok_or_else(|| anyhow!("--mount type=bind needs a target"))?;
        let src = m.source.as_deref().unwrap_or("/");
        let rel = src.trim_start_matches('/');
        if Path::new(rel)
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
        {
            bail!("--mount source `{src}` may not contain `..`");
        }
        let (source, view) = match &m.from {
            None => self.context_bind(src, rel, x)?,
            Some(stage) => (self.stage_bind(stage, src, rel, x)?, None),
        };
        Ok(Bind {
            source,
            target,
            readonly: true,
            view,
        })
    }

    /// A bind of `rel` in the context, with its content hash in the key.
    fn context_bind(
        &self,
        src: &str,
        rel: &str,
        x: &mut RunExtras,
    ) -> Result<(PathBuf, Option<ContextView>)> {
        // No symlink on the way, nor at the end: a bind
        // follows it to wherever it points on the host.
        let p = context::within(&self.opts.context, rel).ok_or_else(|| {
            anyhow!("--mount source `{src}` not found in the context (symlinks are not followed)")
        })?;
        if p.symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
        {
            bail!("--mount source `{src}` is a symlink");
        }
        // The step sees the context as COPY does, as
        // BuildKit sends it: without what .dockerignore
        // excludes (`.env`, keys), which it could
        // otherwise print or bake into the layer.
        let rel = rel
            .split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .collect::<Vec<_>>()
            .join("/");
        if !context::visible(&self.opts.context, &rel, &self.ignore) {
            bail!("--mount source `{src}`: no such file or directory (excluded by .dockerignore)");
        }
        // What the step sees is part of its cache key.
        let mut h = Sha256::new();
        context::hash_tree(&mut h, &self.opts.context, &rel, &self.ignore)?;
        let content = hex::encode(h.finalize());
        x.content.push_str(&content);
        // A directory with nothing excluded in it is bound
        // as it is; otherwise a filtered copy is, made
        // only if the step runs (see `materialise_views`).
        let mut view = None;
        if p.symlink_metadata().is_ok_and(|m| m.is_dir()) {
            let skip = context::excluded_under(&self.opts.context, &rel, &self.ignore)?;
            if !skip.is_empty() {
                view = Some(ContextView {
                    src: p.clone(),
                    skip,
                    key: format!("{rel}\0{content}"),
                });
            }
        }
        Ok((p, view))
    }

    /// The stage's merged view of `rel`: its layers copied bottom first
    /// into a scratch dir for this RUN.
    fn stage_bind(
        &mut self,
        stage: &str,
        src: &str,
        rel: &str,
        x: &mut RunExtras,
    ) -> Result<PathBuf> {
        let other = self.stage_state(stage)?;
        // The step's key covers what it sees: the other stage's (or image's)
        // key and the path, as COPY --from's does. Without them a changed
        // stage reused the step's old layer.
        x.content.push_str(&format!("from {}\0{rel}\0", other.key));
        let hits: Vec<PathBuf> = other
            .layers
            .iter()
            .filter_map(|(l, _)| context::within(&self.store.layer_dir(&l.chain), rel))
            .collect();
        if hits.is_empty() {
            bail!("--mount source `{src}` not found in `{stage}`");
        }
        let scratch = scratch_dir(self.store)?;
        x.scratch.push(scratch.clone());
        let name = Path::new(rel)
            .file_name()
            .map(PathBuf::from)
            .unwrap_or_else(|| "root".into());
        let ops: Vec<CopyOp> = hits
            .into_iter()
            .map(|h| {
                // A symlink at the source is copied as one, never followed.
                let is_dir = h.symlink_metadata().is_ok_and(|m| m.is_dir());
                CopyOp {
                    src: h,
                    dst: if is_dir {
                        PathBuf::from("view")
                    } else {
                        PathBuf::from("view").join(&name)
                    },
                    contents: is_dir,
                    owner: None,
                    chmod: None,
                    skip: Vec::new(),
                    keep_owner: true,
                }
            })
            .collect();
        let top_is_dir = ops.last().is_some_and(|o| o.contents);
        self.access.copy(&scratch, &ops)?;
        Ok(if top_is_dir {
            scratch.join("view")
        } else {
            scratch.join("view").join(&name)
        })
    }

    /// Points the binds of context directories holding ignored files at a
    /// filtered copy in the build's scratch space. A copy, not hardlinks:
    /// the bind is read-only, but a link would still be the user's own file.
    fn materialise_views(&mut self, x: &mut RunExtras) -> Result<()> {
        for (idx, v) in x.views.drain(..) {
            let dir = match self.views.0.get(&v.key) {
                Some(d) => d.clone(),
                None => {
                    let d = scratch_dir(self.store)?;
                    // Recorded first: a failed copy is removed with the rest.
                    self.views.0.insert(v.key.clone(), d.clone());
                    let op = CopyOp {
                        src: v.src.clone(),
                        dst: PathBuf::from("view"),
                        contents: true,
                        owner: None,
                        chmod: None,
                        skip: v.skip,
                        keep_owner: true,
                    };
                    self.access.copy(&d, &[op]).with_context(|| {
                        format!("copying `{}` for a bind mount", v.src.display())
                    })?;
                    d
                }
            };
            if let spec::MountKind::Bind { source, .. } = &mut x.mounts[idx].kind {
                log::debug!(
                    "RUN: bind of `{}` filtered by .dockerignore: `{}`",
                    v.src.display(),
                    dir.display()
                );
                *source = dir.join("view");
            }
        }
        Ok(())
    }

    fn run_container(
        &self,
        st: &State,
        argv: &[String],
        env: Vec<String>,
        extras: &RunExtras,
        [upper, work, target, etc_dir]: [&Path; 4],
    ) -> Result<i32> {
        let mut lowerdirs: Vec<String> = st
            .layers
            .iter()
            .rev()
            .map(|(l, _)| l.chain.hex().to_string())
            .collect();
        // FROM scratch: overlay needs a lowerdir, so an empty one beside the
        // mount point (removed by the caller with the other scratch dirs).
        if lowerdirs.is_empty() {
            let empty = target.with_extension("empty");
            std::fs::create_dir_all(&empty)?;
            lowerdirs.push(
                empty
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
        let image = spec::Image {
            name: "the build stage",
            config: &st.config.config,
            layers_dir: self.store.layers_dir(),
            lowerdirs,
        };
        // The step's argv as it is (no ENTRYPOINT), its env over the image's.
        let network = network::Plan::new(extras.network.as_str(), &[])?;
        let mut opts = ContainerOptions::new(network);
        opts.entrypoint = Some(String::new());
        opts.command = argv.to_vec();
        let image_env = st.config.config.env.clone().unwrap_or_default();
        opts.env = env.into_iter().filter(|e| !image_env.contains(e)).collect();
        opts.hostname = Some("berth-build".into());
        opts.mounts = extras.mounts.iter().map(|m| (m.clone(), false)).collect();
        let prepared = spec::prepare(image, opts, self.mapping.clone())?;
        let (spec, extensions) = prepared.finish(&Placement {
            etc_dir,
            upper: upper.to_path_buf(),
            work: work.to_path_buf(),
            rootfs: target.to_path_buf(),
            default_hostname: "berth-build",
            // A step's writable layer is its image layer: the mount points
            // it makes there are dropped from the diff as before.
            mountpoints: None,
        })?;
        // -q: the step's output goes to a log whose tail a failure reports.
        let log = if self.opts.quiet {
            Some(
                std::fs::File::create(etc_dir.join("output.log"))
                    .context("creating the step's log")?,
            )
        } else {
            None
        };
        let launch = Launch {
            stdio: Stdio::Step { log },
            sig_proxy: true,
            network: &prepared.opts.network,
            dir: etc_dir,
            on_cloned: &mut |_pid| Ok(()),
            on_created: &mut |_pid| Ok(()),
            on_started: &mut || crate::runtime::monitor::Settle::Awake,
            watch: Default::default(),
            ticker: None,
        };
        launch::run(&spec, &extensions, launch)?.map_err(|f| anyhow!(f.message))
    }
}

/// Checks a bind's source and adds it to the step's mounts.
fn add_bind(x: &mut RunExtras, b: Bind, lowers: &[PathBuf]) -> Result<()> {
    if !b.source.exists() {
        bail!("--mount source `{}` does not exist", b.source.display());
    }
    // mount(2) follows a symlink at the source: never let it.
    if b.source
        .symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink())
    {
        bail!("--mount source `{}` is a symlink", b.target);
    }
    if !exists_in(lowers, &b.target) {
        x.stubs.push(b.target.clone());
    }
    if let Some(v) = b.view {
        x.views.push((x.mounts.len(), v));
    }
    x.mounts.push(spec::Mount {
        kind: spec::MountKind::Bind {
            source: b.source,
            readonly: b.readonly,
        },
        dest: b.target,
        seed: false,
        generated: false,
    });
    Ok(())
}
