//! Runs a Dockerfile: stages in order (only those the target needs), each
//! instruction either changing the config or making one layer, every layer
//! step cached by a key of its parent, its expanded instruction, the build
//! args in effect and — for COPY/ADD — the content it copies.

use super::context::{self, Ignore};
use super::dockerfile::instr::Instr;
use super::steps::{Access, BuiltLayer, CopyOp, commit_upper, scratch_dir};
use crate::ident::idmap::IdMapping;
use crate::ident::users;
use crate::image::unpack::{Unpacker, ensure_layers, remove_layer_tree};
use crate::net::fetch::download;
use crate::runtime::monitor::{self, Options};
use crate::runtime::spec::{self, Spec};
use crate::runtime::{caps, seccomp};
use crate::store::Store;
use crate::store::digest::Digest;
use crate::store::oci::{self, Descriptor, History, ImageConfig, Manifest, RootFs};
use anyhow::{Context, Result, anyhow, bail};
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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
    /// `--network host`: RUN steps use the host's network unless they say otherwise.
    pub network_host: bool,
    /// `--allow network.host` (or `--network host`): a `RUN --network=host` may run.
    pub allow_network_host: bool,
    /// `--secret id=ID,src=FILE`: id → file, mounted only where a RUN asks.
    pub secrets: BTreeMap<String, PathBuf>,
    /// `-q`: no progress, no step output.
    pub quiet: bool,
}

#[derive(Clone)]
struct State {
    config: ImageConfig,
    layers: Vec<(BuiltLayer, Descriptor)>,
    /// Cache key of the state: everything that made it.
    key: String,
    /// ARG values in scope for this stage.
    args: BTreeMap<String, String>,
    shell: Vec<String>,
    /// The time the state's newest layer was made: what history and the
    /// image's `created` say, stable across cached rebuilds.
    created: String,
}

/// What a RUN's flags add to its container.
struct RunExtras {
    /// Hash of the context content bind-mounted into the step.
    content: String,
    /// `sharing=locked` cache mounts, held until the RUN ends.
    locks: Vec<crate::store::Lock>,
    mounts: Vec<spec::Mount>,
    /// Scratch dirs made for the mounts, removed after the RUN.
    scratch: Vec<PathBuf>,
    /// Mount targets missing from the image: removed from the layer afterwards.
    stubs: Vec<String>,
    network_host: bool,
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
struct ContextViews(BTreeMap<String, PathBuf>);

impl Drop for ContextViews {
    fn drop(&mut self) {
        for d in self.0.values() {
            let _ = remove_layer_tree(d);
        }
    }
}

/// `p` as a tar stream if it is a tar archive: plain, gzip, zstd, bzip2 or
/// xz (what ADD unpacks), recognised by magic bytes and the `ustar` header.
fn open_archive(p: &Path) -> Option<Box<dyn std::io::Read>> {
    use std::io::{BufRead, BufReader, Read};
    let open = || std::fs::File::open(p).ok().map(BufReader::new);
    let mut probe = open()?;
    let head = probe.fill_buf().ok()?.to_vec();
    let mut reader: Box<dyn Read> = if head.starts_with(b"BZh") {
        Box::new(bzip2::bufread::MultiBzDecoder::new(open()?))
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Box::new(lzma_rust2::XzReader::new(open()?, true))
    } else {
        crate::layer::decompress(open()?).ok()?
    };
    let mut block = [0u8; 512];
    reader.read_exact(&mut block).ok()?;
    if &block[257..262] != b"ustar" {
        return None;
    }
    // The block we read goes back in front of the stream.
    Some(Box::new(std::io::Cursor::new(block).chain(reader)))
}

/// The scratch dirs a COPY/ADD fills (downloads, heredocs, unpacked
/// archives): removed when dropped, so a source that fails halfway (a
/// refused or failed download, a bad heredoc name) leaves none in the store.
#[derive(Default)]
struct Scratch(Vec<PathBuf>);

impl Scratch {
    fn make(&mut self, store: &Store) -> Result<PathBuf> {
        let d = scratch_dir(store)?;
        self.0.push(d.clone());
        Ok(d)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for d in &self.0 {
            let _ = remove_layer_tree(d);
        }
    }
}

/// Whether `p` (absolute in the image) is in one of `layers`. Looked up
/// fd-relative without following symlinks: a layer's absolute symlink would
/// otherwise be followed on the host (`/x -> /home/USER`).
fn exists_in(layers: &[PathBuf], p: &str) -> bool {
    layers
        .iter()
        .any(|l| crate::layer::exists_beneath(l, Path::new(p)))
}

struct Stage {
    name: Option<String>,
    from: Instr,
    body: Vec<Instr>,
}

pub struct Builder<'a> {
    store: &'a Store,
    opts: BuildOptions,
    access: Access,
    idmap: String,
    mapping: IdMapping,
    ignore: Ignore,
    views: ContextViews,
    done: Vec<(Option<String>, State)>,
    step: usize,
    steps: usize,
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
        done: Vec::new(),
        step: 0,
        steps: 0,
    };
    b.run()
}

impl Builder<'_> {
    fn run(&mut self) -> Result<Digest> {
        let (global, stages) = split_stages(&self.opts.instructions)?;
        let mut global_args = BTreeMap::new();
        for i in &global {
            if i.keyword != "ARG" {
                bail!(err(i, &format!("{} must come after FROM", i.keyword)));
            }
            for (k, v) in &i.pairs {
                // Earlier global ARGs are in scope for later defaults.
                let scope = global_args.clone();
                let lookup = move |n: &str| scope.get(n).cloned();
                let v = match (self.opts.build_args.get(k), v) {
                    (Some(b), _) => b.clone(),
                    (None, Some(v)) => super::dockerfile::expand(v, i.escape, &lookup)
                        .map_err(|e| anyhow!(err(i, &format!("{e:#}"))))?,
                    (None, None) => String::new(),
                };
                global_args.insert(k.clone(), v);
            }
        }
        let last = match &self.opts.target {
            Some(t) => stages
                .iter()
                .position(|s| s.name.as_deref() == Some(t.as_str()))
                .ok_or_else(|| anyhow!("target stage `{t}` not found"))?,
            None => stages.len() - 1,
        };
        let needed = needed_stages(&stages, last);
        self.steps = needed.iter().map(|&i| stages[i].body.len() + 1).sum();
        let mut result = None;
        for (idx, stage) in stages.iter().enumerate() {
            if !needed.contains(&idx) {
                self.done.push((stage.name.clone(), empty_state()));
                continue;
            }
            let state = self.run_stage(stage, &global_args)?;
            if idx == last {
                result = Some(self.commit_image(&state)?);
            }
            self.done.push((stage.name.clone(), state));
        }
        result.ok_or_else(|| anyhow!("no stage to build"))
    }

    fn say(&mut self, i: &Instr) {
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

    fn run_stage(&mut self, stage: &Stage, global: &BTreeMap<String, String>) -> Result<State> {
        self.say(&stage.from);
        let lookup = |k: &str| global.get(k).cloned();
        let base = expand(&first_word(&stage.from.text), &lookup);
        let mut st = self
            .from(&base)
            .map_err(|e| anyhow!(err(&stage.from, &format!("{e:#}"))))?;
        // The base image's ONBUILD triggers run first, as Docker does; the
        // new image does not inherit them.
        let triggers = st.config.config.extra.remove("OnBuild");
        for t in triggers
            .iter()
            .filter_map(|v| v.as_array())
            .flatten()
            .filter_map(|t| t.as_str())
        {
            let parsed = super::dockerfile::instr::parse_fragment(t)
                .map_err(|e| anyhow!(err(&stage.from, &format!("ONBUILD {t}: {e}"))))?;
            for i in parsed {
                self.instruction(&mut st, &i)
                    .map_err(|e| anyhow!(err(&stage.from, &format!("ONBUILD {t}: {e:#}"))))?;
            }
        }
        for i in &stage.body {
            self.say(i);
            self.instruction(&mut st, i).map_err(|e| {
                let msg = format!("{e:#}");
                if msg.starts_with("Dockerfile:") {
                    anyhow!(msg)
                } else {
                    anyhow!(err(i, &msg))
                }
            })?;
        }
        Ok(st)
    }

    fn from(&mut self, base: &str) -> Result<State> {
        if base == "scratch" {
            let mut s = empty_state();
            s.created = self.created();
            return Ok(s);
        }
        if let Some((_, s)) = self
            .done
            .iter()
            .rev()
            .find(|(n, _)| n.as_deref() == Some(base))
        {
            let mut s = s.clone();
            s.args.clear();
            return Ok(s);
        }
        let img = self.store.resolve(base).with_context(|| {
            format!("FROM `{base}` (berth has no registry client yet: import or load it first)")
        })?;
        let chains = ensure_layers(self.store, &img)?;
        let chains: Vec<Digest> = chains.into_iter().rev().collect();
        let layers = image_layers(&img, chains);
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

    fn instruction(&mut self, st: &mut State, i: &Instr) -> Result<()> {
        let env = st.config.config.env.clone().unwrap_or_default();
        let args = st.args.clone();
        let lookup = move |k: &str| {
            env.iter()
                .rev()
                .find_map(|e| e.strip_prefix(&format!("{k}=")).map(String::from))
                .or_else(|| args.get(k).cloned())
        };
        let c = &mut st.config.config;
        let mut empty_layer = true;
        match i.keyword.as_str() {
            "ARG" => {
                for (k, v) in &i.pairs {
                    let v = match (self.opts.build_args.get(k), v) {
                        (Some(b), _) => b.clone(),
                        (None, Some(v)) => super::dockerfile::expand(v, i.escape, &lookup)?,
                        (None, None) => builtin_arg(k).unwrap_or_default(),
                    };
                    st.args.insert(k.clone(), v);
                }
            }
            "ENV" => {
                let env = c.env.get_or_insert_with(Vec::new);
                for (k, v) in &i.pairs {
                    let v =
                        super::dockerfile::expand(v.as_deref().unwrap_or(""), i.escape, &lookup)?;
                    env.retain(|e| e.split('=').next() != Some(k.as_str()));
                    env.push(format!("{k}={v}"));
                }
            }
            "LABEL" => {
                let labels = c.labels.get_or_insert_with(Default::default);
                for (k, v) in &i.pairs {
                    let k = super::dockerfile::expand(k, i.escape, &lookup)?;
                    labels.insert(
                        k,
                        super::dockerfile::expand(v.as_deref().unwrap_or(""), i.escape, &lookup)?,
                    );
                }
            }
            "EXPOSE" => {
                let ports = c.exposed_ports.get_or_insert_with(Default::default);
                for p in i.text.split_whitespace() {
                    let p = expand(p, &lookup);
                    let p = if p.contains('/') {
                        p
                    } else {
                        format!("{p}/tcp")
                    };
                    ports.insert(p, serde_json::json!({}));
                }
            }
            "USER" => c.user = Some(expand(i.text.trim(), &lookup)),
            "WORKDIR" => {
                let w = expand(i.text.trim(), &lookup);
                let base = c.working_dir.clone().unwrap_or_else(|| "/".into());
                c.working_dir = Some(if w.starts_with('/') {
                    w
                } else {
                    format!("{}/{w}", base.trim_end_matches('/'))
                });
            }
            "CMD" => c.cmd = Some(command_of(i, &st.shell)),
            "ENTRYPOINT" => c.entrypoint = Some(command_of(i, &st.shell)),
            "STOPSIGNAL" => c.stop_signal = Some(expand(i.text.trim(), &lookup)),
            "VOLUME" => {
                let vols = c.volumes.get_or_insert_with(Default::default);
                let list = i
                    .json
                    .clone()
                    .unwrap_or_else(|| i.text.split_whitespace().map(String::from).collect());
                for v in list {
                    vols.insert(expand(&v, &lookup), serde_json::json!({}));
                }
            }
            "SHELL" => {
                st.shell = i
                    .json
                    .clone()
                    .ok_or_else(|| anyhow!("SHELL requires the JSON form"))?
            }
            "MAINTAINER" => st.config.author = Some(i.text.trim().to_string()),
            "HEALTHCHECK" => {
                let mut hc = serde_json::json!({"Test": healthcheck(i)});
                for (flag, field) in [
                    ("interval", "Interval"),
                    ("timeout", "Timeout"),
                    ("start-period", "StartPeriod"),
                    ("start-interval", "StartInterval"),
                ] {
                    if let Some(v) = i.flag(flag) {
                        let ns = go_duration(v)
                            .ok_or_else(|| anyhow!("invalid HEALTHCHECK --{flag} `{v}`"))?;
                        hc[field] = serde_json::json!(ns);
                    }
                }
                if let Some(r) = i.flag("retries") {
                    hc["Retries"] = serde_json::json!(
                        r.parse::<u64>()
                            .map_err(|_| anyhow!("invalid HEALTHCHECK --retries `{r}`"))?
                    );
                }
                c.extra.insert("Healthcheck".into(), hc);
            }
            "ONBUILD" => {
                let list = c
                    .extra
                    .entry("OnBuild")
                    .or_insert_with(|| serde_json::json!([]));
                if let Some(a) = list.as_array_mut() {
                    a.push(serde_json::json!(i.text.trim()));
                }
            }
            "RUN" => {
                empty_layer = false;
                self.run_step(st, i)?;
            }
            "COPY" | "ADD" => {
                empty_layer = false;
                self.copy_step(st, i, &lookup)?;
            }
            other => bail!("unknown instruction: {other}"),
        }
        if empty_layer {
            st.key = key_of(&[&st.key, &i.original]);
            st.config.history.push(History {
                created: Some(st.created.clone()),
                created_by: Some(format!("/bin/sh -c #(nop) {}", i.original)),
                empty_layer: true,
                ..Default::default()
            });
        }
        Ok(())
    }

    fn created(&self) -> String {
        crate::time::rfc3339(self.opts.epoch.unwrap_or_else(crate::time::now_epoch))
    }

    /// Makes `upper` the step's layer on top of `st`, remembered under `key`.
    fn commit_step(
        &self,
        st: &mut State,
        upper: &Path,
        key: String,
        created_by: String,
    ) -> Result<()> {
        let parent = st.layers.last().map(|(l, _)| l.chain.clone());
        let mut l = commit_upper(
            self.store,
            &self.access,
            &self.idmap,
            upper,
            parent.as_ref(),
            self.opts.epoch,
        )?;
        l.created = Some(self.created());
        self.remember(&key, &l)?;
        self.add_layer(st, key, l, created_by);
        Ok(())
    }

    fn cache_path(&self, key: &str) -> PathBuf {
        self.store
            .root()
            .join("cache")
            .join(Digest::of(key.as_bytes()).hex())
    }

    /// A cached layer for `key`, if it and its blob are still there.
    fn cached(&self, key: &str) -> Option<BuiltLayer> {
        if self.opts.no_cache {
            return None;
        }
        let l: BuiltLayer =
            serde_json::from_slice(&std::fs::read(self.cache_path(key)).ok()?).ok()?;
        (self.store.layer_dir(&l.chain).is_dir() && self.store.has_blob(&l.diff_id)).then_some(l)
    }

    fn remember(&self, key: &str, l: &BuiltLayer) -> Result<()> {
        let dir = self.store.root().join("cache");
        crate::store::private_dir(&dir)?;
        crate::store::write_atomic(&self.cache_path(key), &serde_json::to_vec(l)?)
    }

    fn add_layer(&self, st: &mut State, key: String, l: BuiltLayer, created_by: String) {
        st.created = l.created.clone().unwrap_or_else(|| self.created());
        let desc = Descriptor::new(oci::MEDIA_LAYER_TAR, l.diff_id.clone(), l.size);
        st.config.rootfs.diff_ids.push(l.diff_id.clone());
        st.layers.push((l, desc));
        st.key = key;
        st.config.history.push(History {
            created: Some(st.created.clone()),
            created_by: Some(created_by),
            ..Default::default()
        });
    }

    fn run_step(&mut self, st: &mut State, i: &Instr) -> Result<()> {
        let script = match (&i.json, i.heredocs.as_slice()) {
            (Some(_), _) => None,
            (None, []) => Some(i.text.clone()),
            // `RUN <<EOF`: the body is the script.
            (None, [h])
                if i.text.trim().starts_with("<<")
                    && !i.text.trim().contains(char::is_whitespace) =>
            {
                Some(h.content.clone())
            }
            // Heredocs feeding a command: hand the shell its own heredocs back.
            (None, docs) => {
                let mut s = i.text.clone();
                s.push('\n');
                for h in docs {
                    s.push_str(&h.content);
                    s.push_str(&h.name);
                    s.push('\n');
                }
                Some(s)
            }
        };
        let argv = match (&i.json, script) {
            (Some(v), _) => v.clone(),
            (None, script) => st.shell.iter().cloned().chain(script).collect(),
        };
        let mut env = st.config.config.env.clone().unwrap_or_default();
        for (k, v) in &st.args {
            if !env.iter().any(|e| e.starts_with(&format!("{k}="))) {
                env.push(format!("{k}={v}"));
            }
        }
        let args_text: Vec<String> = st.args.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let mut extras = self.run_extras(st, i)?;
        // Mount specs are part of the key; a secret's content never is.
        let mount_text: Vec<&str> = i
            .flags
            .iter()
            .filter(|(k, _)| k == "mount" || k == "network")
            .map(|(_, v)| v.as_str())
            .collect();
        let key = key_of(&[
            &st.key,
            "RUN",
            &argv.join("\0"),
            &args_text.join("\0"),
            &mount_text.join("\0"),
            &extras.content,
        ]);
        let created_by = match &i.json {
            Some(_) => format!("RUN {}", argv.join(" ")),
            None => format!("/bin/sh -c {}", i.text),
        };
        if let Some(l) = self.cached(&key) {
            if !self.opts.quiet {
                eprintln!("--> Using cache {}", l.chain.short());
            }
            // A `bind,from=STAGE` source was copied to compute the key.
            for d in &extras.scratch {
                let _ = remove_layer_tree(d);
            }
            self.add_layer(st, key, l, created_by);
            return Ok(());
        }
        self.materialise_views(&mut extras)?;
        let upper = scratch_dir(self.store)?;
        let work = scratch_dir(self.store)?;
        let target = scratch_dir(self.store)?;
        let etc_dir = scratch_dir(self.store)?;
        let result =
            self.run_container(st, &argv, env, &extras, [&upper, &work, &target, &etc_dir]);
        let tail = std::fs::read_to_string(etc_dir.join("output.log"))
            .map(|log| {
                let lines: Vec<&str> = log.lines().collect();
                lines[lines.len().saturating_sub(5)..].join(" | ")
            })
            .unwrap_or_default();
        for d in [&work, &target, &etc_dir, &target.with_extension("empty")]
            .into_iter()
            .chain(&extras.scratch)
        {
            let _ = remove_layer_tree(d);
        }
        // Mount points the runtime had to create are not part of the layer.
        // The step controls the upper dir: it may have moved the stub's
        // parent away and put a symlink to the host in its place, so the
        // stub is removed only where it is reachable without a symlink;
        // anywhere else it is the step's own content, left as it is.
        for t in &extras.stubs {
            if let Err(e) = crate::layer::remove_beneath(&upper, Path::new(t)) {
                log::debug!("RUN: leaving mount point `{t}` in the layer: {e}");
            }
        }
        match result {
            Ok(0) => {}
            Ok(code) => {
                let _ = remove_layer_tree(&upper);
                if tail.is_empty() {
                    bail!("RUN {}: exit status {code}", i.text.trim());
                }
                bail!(
                    "RUN {}: exit status {code}; last output: {tail}",
                    i.text.trim()
                );
            }
            Err(e) => {
                let _ = remove_layer_tree(&upper);
                return Err(e);
            }
        }
        self.commit_step(st, &upper, key, created_by)
    }

    /// `RUN --mount=…` and `RUN --network=…`.
    fn run_extras(&self, st: &State, i: &Instr) -> Result<RunExtras> {
        let mut x = RunExtras {
            content: String::new(),
            locks: Vec::new(),
            mounts: Vec::new(),
            scratch: Vec::new(),
            stubs: Vec::new(),
            network_host: self.opts.network_host,
            views: Vec::new(),
        };
        if let Some(n) = i.flag("network") {
            x.network_host = match n {
                "host" if !self.opts.allow_network_host => bail!(
                    "RUN --network=host: network.host is not allowed \
                     (use `berth build --allow network.host` to allow it)"
                ),
                "host" => true,
                "none" | "default" => false,
                other => bail!("invalid RUN --network `{other}`: use none, host or default"),
            };
        }
        let lowers: Vec<PathBuf> = st
            .layers
            .iter()
            .map(|(l, _)| self.store.layer_dir(&l.chain))
            .collect();
        for (k, spec) in &i.flags {
            if k != "mount" {
                continue;
            }
            let mut view = None;
            let mut kv: BTreeMap<&str, &str> = BTreeMap::new();
            for part in spec.split(',') {
                let (a, b) = part.split_once('=').unwrap_or((part, "true"));
                kv.insert(a, b);
            }
            let kind = kv.get("type").copied().unwrap_or("bind");
            let target = kv
                .get("target")
                .or(kv.get("dst"))
                .or(kv.get("destination"))
                .map(|t| t.to_string());
            let readonly = |default: bool| match (kv.get("rw"), kv.get("readonly").or(kv.get("ro")))
            {
                (Some(&"true"), _) => false,
                (_, Some(&"true")) => true,
                _ => default,
            };
            let (source, target, ro) = match kind {
                "cache" => {
                    let target =
                        target.ok_or_else(|| anyhow!("--mount type=cache needs a target"))?;
                    let id = kv
                        .get("id")
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| target.clone());
                    let dir = self
                        .store
                        .root()
                        .join("cache-mounts")
                        .join(Digest::of(id.as_bytes()).hex());
                    crate::store::private_dir(&dir)?;
                    match kv.get("sharing").copied().unwrap_or("shared") {
                        "shared" | "private" => {}
                        // One RUN at a time in this cache (berth builds its
                        // stages one after the other; other builds wait).
                        "locked" => x
                            .locks
                            .push(crate::store::flock(&dir.with_extension("lock"), true)?),
                        other => bail!(
                            "invalid --mount sharing `{other}`: use shared, private or locked"
                        ),
                    }
                    (dir, target, readonly(false))
                }
                "bind" => {
                    let target =
                        target.ok_or_else(|| anyhow!("--mount type=bind needs a target"))?;
                    let src = kv.get("source").or(kv.get("src")).copied().unwrap_or("/");
                    let rel = src.trim_start_matches('/');
                    if Path::new(rel)
                        .components()
                        .any(|c| matches!(c, std::path::Component::ParentDir))
                    {
                        bail!("--mount source `{src}` may not contain `..`");
                    }
                    let source = match kv.get("from") {
                        None => {
                            // No symlink on the way, nor at the end: a bind
                            // follows it to wherever it points on the host.
                            let p = context::within(&self.opts.context, rel)
                                .ok_or_else(|| anyhow!("--mount source `{src}` not found in the context (symlinks are not followed)"))?;
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
                                bail!(
                                    "--mount source `{src}`: no such file or directory (excluded by .dockerignore)"
                                );
                            }
                            // What the step sees is part of its cache key.
                            let mut h = Sha256::new();
                            context::hash_tree(&mut h, &self.opts.context, &rel, &self.ignore)?;
                            let content = hex::encode(h.finalize());
                            x.content.push_str(&content);
                            // A directory with nothing excluded in it is bound
                            // as it is; otherwise a filtered copy is, made
                            // only if the step runs (see `materialise_views`).
                            if p.symlink_metadata().is_ok_and(|m| m.is_dir()) {
                                let skip = context::excluded_under(
                                    &self.opts.context,
                                    &rel,
                                    &self.ignore,
                                )?;
                                if !skip.is_empty() {
                                    view = Some(ContextView {
                                        src: p.clone(),
                                        skip,
                                        key: format!("{rel}\0{content}"),
                                    });
                                }
                            }
                            p
                        }
                        Some(stage) => {
                            // The stage's merged view of `source`: its layers
                            // copied bottom first into a scratch dir for this RUN.
                            let other = self.stage_state(stage)?;
                            let hits: Vec<PathBuf> = other
                                .layers
                                .iter()
                                .filter_map(|(l, _)| {
                                    context::within(&self.store.layer_dir(&l.chain), rel)
                                })
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
                            if top_is_dir {
                                scratch.join("view")
                            } else {
                                scratch.join("view").join(&name)
                            }
                        }
                    };
                    // Writes to a bind are never kept, and never reach the context.
                    (source, target, true)
                }
                "tmpfs" => {
                    let target =
                        target.ok_or_else(|| anyhow!("--mount type=tmpfs needs a target"))?;
                    x.mounts.push(spec::tmpfs(
                        &target,
                        kv.get("size")
                            .map(|s| format!("size={s}"))
                            .as_deref()
                            .unwrap_or(""),
                    ));
                    if !exists_in(&lowers, &target) {
                        x.stubs.push(target);
                    }
                    continue;
                }
                "secret" => {
                    let id = kv.get("id").map(|s| s.to_string()).or_else(|| {
                        target
                            .as_ref()
                            .and_then(|t| t.rsplit('/').next().map(String::from))
                    });
                    let id = id.ok_or_else(|| anyhow!("--mount type=secret needs an id"))?;
                    let target = target.unwrap_or_else(|| format!("/run/secrets/{id}"));
                    let source = match self.opts.secrets.get(&id) {
                        Some(p) => p.clone(),
                        None if kv.get("required") == Some(&"true") => {
                            bail!("secret `{id}` was not given (use --secret id={id},src=FILE)")
                        }
                        None => continue,
                    };
                    (source, target, true)
                }
                other => bail!("unknown --mount type `{other}`: use bind, cache, tmpfs or secret"),
            };
            if !source.exists() {
                bail!("--mount source `{}` does not exist", source.display());
            }
            // mount(2) follows a symlink at the source: never let it.
            if source
                .symlink_metadata()
                .is_ok_and(|m| m.file_type().is_symlink())
            {
                bail!("--mount source `{}` is a symlink", target);
            }
            if !exists_in(&lowers, &target) {
                x.stubs.push(target.clone());
            }
            if let Some(v) = view {
                x.views.push((x.mounts.len(), v));
            }
            x.mounts.push(spec::Mount {
                kind: spec::MountKind::Bind {
                    source,
                    readonly: ro,
                },
                dest: target,
                seed: false,
            });
        }
        Ok(x)
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
        mut env: Vec<String>,
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
        let layer_dirs: Vec<PathBuf> = lowerdirs
            .iter()
            .map(|l| self.store.layers_dir().join(l))
            .collect();
        let c = &st.config.config;
        let user_spec = c.user.clone().unwrap_or_default();
        let user = users::resolve_in_layers(&user_spec, &[], &layer_dirs)?;
        if !env.iter().any(|e| e.starts_with("PATH=")) {
            env.insert(0, format!("PATH={}", spec::DEFAULT_PATH));
        }
        let caps = caps::default_set();
        let hostname = "berth-build".to_string();
        let etc = crate::runtime::rootfs::write_etc_files(etc_dir, &hostname, &[], &[])?;
        let mapping = self.mapping.clone().for_process(user.uid, user.gid);
        let spec = Spec {
            args: argv.to_vec(),
            env,
            cwd: c
                .working_dir
                .clone()
                .filter(|w| !w.is_empty())
                .unwrap_or_else(|| "/".into()),
            hostname,
            rootfs: spec::Rootfs {
                layers_dir: self.store.layers_dir(),
                lowerdirs,
                upper: upper.to_path_buf(),
                work: work.to_path_buf(),
                target: target.to_path_buf(),
            },
            mounts: extras.mounts.clone(),
            read_only: false,
            privileged: false,
            no_new_privs: true,
            seccomp: seccomp::default_programs(&caps)?,
            caps,
            rlimits: Vec::new(),
            has_id_range: mapping.has_range(),
            uid: user.uid,
            gid: user.gid,
            groups: user.groups,
            new_netns: !extras.network_host,
            init: false,
            preserve_fds: 0,
        };
        // The step's output is progress, not the build's result: stdout goes to stderr.
        // -q: the step's output goes to a log whose tail a failure reports.
        let quiet_log = if self.opts.quiet {
            Some(
                std::fs::File::create(etc_dir.join("output.log"))
                    .context("creating the step's log")?,
            )
        } else {
            None
        };
        let before_exec = || -> Result<()> {
            if let Some(log) = &quiet_log {
                nix::unistd::dup2_stdout(log)?;
                nix::unistd::dup2_stderr(log)?;
            } else {
                nix::unistd::dup2_stdout(std::io::stderr())
                    .context("redirecting the step's output")?;
            }
            let null = std::fs::File::open("/dev/null")?;
            nix::unistd::dup2_stdin(&null)?;
            Ok(())
        };
        let mut on_created = |_pid| Ok(());
        let out = monitor::run(Options {
            spec: &spec,
            etc: &etc,
            mapping: &mapping,
            sig_proxy: true,
            on_created: &mut on_created,
            child_before_exec: &before_exec,
            tty: None,
            stdin_open: false,
        })?;
        match out {
            Ok(e) => Ok(e.0),
            Err(f) => Err(anyhow!(f.message)),
        }
    }

    fn copy_step(
        &mut self,
        st: &mut State,
        i: &Instr,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<()> {
        let words: Vec<String> = match &i.json {
            Some(v) => v.iter().map(|w| expand(w, lookup)).collect(),
            None => i
                .text
                .split_whitespace()
                .map(|w| expand(w, lookup))
                .collect(),
        };
        if words.len() < 2 {
            bail!("{} requires at least two arguments", i.keyword);
        }
        let (srcs, dest) = words.split_at(words.len() - 1);
        let dest = &dest[0];
        let workdir = st
            .config
            .config
            .working_dir
            .clone()
            .unwrap_or_else(|| "/".into());
        let dest_abs = if dest.starts_with('/') {
            dest.clone()
        } else {
            format!("{}/{dest}", workdir.trim_end_matches('/'))
        };
        let dest_abs = normalize(&dest_abs);
        // A directory already in the image at the destination takes the sources
        // inside it. Looked up without following the layers' symlinks: on the
        // host they would lead out of the layer.
        let in_image = dest_abs == "/"
            || st.layers.iter().any(|(l, _)| {
                crate::layer::lstat_beneath(&self.store.layer_dir(&l.chain), Path::new(&dest_abs))
                    .is_ok_and(|m| m.st_mode & libc::S_IFMT == libc::S_IFDIR)
            });
        // The WORKDIR is a directory even before anything is in it.
        let in_image = in_image
            || st
                .config
                .config
                .working_dir
                .as_deref()
                .map(normalize)
                .as_deref()
                == Some(dest_abs.as_str());
        let dest_is_dir = dest.ends_with('/')
            || dest.ends_with("/.")
            || dest == "."
            || srcs.len() > 1
            || in_image;
        let owner = match i.flag("chown") {
            Some(spec) => {
                let layer_dirs: Vec<PathBuf> = st
                    .layers
                    .iter()
                    .rev()
                    .map(|(l, _)| self.store.layer_dir(&l.chain))
                    .collect();
                let u = users::resolve_in_layers(&expand(spec, lookup), &[], &layer_dirs)?;
                Some((u.uid, u.gid))
            }
            None => None,
        };
        let chmod = match i.flag("chmod") {
            Some(m) if super::steps::chmod_mode(m, 0o644, false).is_some() => Some(m.to_string()),
            Some(m) => bail!("invalid --chmod `{m}`: use an octal or symbolic mode"),
            None => None,
        };
        let mut hasher = Sha256::new();
        let mut ops = Vec::new();
        let from_expanded = i.flag("from").map(|f| expand(f, lookup));
        let from = from_expanded.as_deref();
        let mut unmatched_globs = 0;
        let mut inline_dir: Option<PathBuf> = None;
        let mut scratch = Scratch::default();
        // `--exclude=PATTERN` (repeatable) and `--parents`; `--link` changes
        // nothing here: every COPY already makes an independent layer.
        let excludes = context::Ignore::parse(
            &i.flags
                .iter()
                .filter(|(k, _)| k == "exclude")
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        );
        let parents = i
            .flag("parents")
            .is_some_and(|v| v.is_empty() || v == "true");
        if i.keyword == "COPY" && srcs.iter().any(|s| s.contains("://")) {
            bail!("COPY cannot fetch URLs: use ADD");
        }
        for src in srcs {
            let heredoc = src
                .strip_prefix("<<")
                .map(|n| n.trim_start_matches('-').trim_matches(['"', '\'']))
                .and_then(|n| i.heredocs.iter().find(|h| h.name == n));
            let url = (i.keyword == "ADD"
                && (src.starts_with("http://") || src.starts_with("https://")))
            .then_some(src.as_str());
            let found: Vec<(PathBuf, String)> = match (heredoc, from) {
                // `ADD URL`: downloaded, checked against --checksum, copied as a file.
                _ if url.is_some() => {
                    let dir = match &inline_dir {
                        Some(d) => d.clone(),
                        None => inline_dir.insert(scratch.make(self.store)?).clone(),
                    };
                    let (file, name, digest) =
                        download(src, &dir, i.flag("checksum"), self.opts.allow_network_host)
                            .map_err(|e| anyhow!("ADD {src}: {e:#}"))?;
                    hasher.update(digest.as_bytes());
                    vec![(file, name)]
                }
                // `COPY <<EOF /dst`: the body becomes a file.
                (Some(h), _) => {
                    let dir = match &inline_dir {
                        Some(d) => d.clone(),
                        None => inline_dir.insert(scratch.make(self.store)?).clone(),
                    };
                    if h.name.is_empty() || h.name.contains('/') || h.name == "." || h.name == ".."
                    {
                        bail!("invalid heredoc name `{}`", h.name);
                    }
                    let file = dir.join(&h.name);
                    std::fs::write(&file, &h.content)?;
                    hasher.update(h.name.as_bytes());
                    hasher.update(h.content.as_bytes());
                    vec![(file, h.name.clone())]
                }
                (None, None) => {
                    let is_glob = src.contains(['*', '?', '[']);
                    let paths = match context::expand_source(&self.opts.context, src, &self.ignore)
                    {
                        Ok(p) => p,
                        // A wildcard that matches nothing is fine while another source matches.
                        Err(_) if is_glob && srcs.len() > 1 => {
                            unmatched_globs += 1;
                            continue;
                        }
                        Err(e) => bail!("{} failed: {e}", i.keyword),
                    };
                    for p in &paths {
                        context::hash_tree(&mut hasher, &self.opts.context, p, &self.ignore)?;
                    }
                    paths
                        .into_iter()
                        .map(|p| (self.opts.context.join(&p), p))
                        .collect()
                }
                (None, Some(stage)) => {
                    let other = self.stage_state(stage)?;
                    hasher.update(other.key.as_bytes());
                    hasher.update(src.as_bytes());
                    // Wildcards match in every layer; each match is copied from
                    // each layer that has it, bottom first (later layers win).
                    let no_ignore = context::Ignore::parse("");
                    let mut rels: Vec<String> = Vec::new();
                    for (l, _) in &other.layers {
                        if let Ok(found) =
                            context::expand_source(&self.store.layer_dir(&l.chain), src, &no_ignore)
                        {
                            rels.extend(found);
                        }
                    }
                    rels.sort();
                    rels.dedup();
                    let mut hits: Vec<(PathBuf, String)> = Vec::new();
                    for rel in &rels {
                        for (l, _) in &other.layers {
                            if let Some(p) = context::within(&self.store.layer_dir(&l.chain), rel) {
                                hits.push((p, rel.clone()));
                            }
                        }
                    }
                    if hits.is_empty() {
                        bail!(
                            "{} failed: {src}: no such file or directory in `{stage}`",
                            i.keyword
                        );
                    }
                    hits
                }
            };
            for (host, rel) in found {
                // ADD unpacks a local tar archive (plain, gzip, zstd, bzip2 or xz) into the destination.
                let archive =
                    if i.keyword == "ADD" && from.is_none() && heredoc.is_none() && url.is_none() {
                        // Only a regular file: a symlink would be followed out of the context.
                        host.symlink_metadata()
                            .is_ok_and(|m| m.is_file())
                            .then(|| open_archive(&host))
                            .flatten()
                    } else {
                        None
                    };
                let host = match archive {
                    Some(tar) => {
                        let dir = scratch.make(self.store)?;
                        let own = if nix::unistd::geteuid().is_root() {
                            crate::layer::Ownership::Preserve
                        } else {
                            crate::layer::Ownership::Xattr
                        };
                        let unpacked = crate::layer::apply(
                            tar,
                            &dir,
                            &crate::layer::ApplyOptions { ownership: own },
                        );
                        if let Err(e) = unpacked {
                            return Err(e.context(format!("ADD failed: unpacking `{rel}`")));
                        }
                        dir
                    }
                    None => host,
                };
                let is_dir = host.symlink_metadata().map(|m| m.is_dir()).unwrap_or(false);
                let base = Path::new(&rel)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let dst = if parents && !rel.is_empty() {
                    format!("{}/{}", dest_abs.trim_end_matches('/'), rel)
                } else if is_dir {
                    dest_abs.clone()
                } else if dest_is_dir {
                    format!("{}/{base}", dest_abs.trim_end_matches('/'))
                } else {
                    dest_abs.clone()
                };
                if !rel.is_empty() && excludes.excluded(&rel) {
                    continue;
                }
                let mut skip = if is_dir
                    && from.is_none()
                    && heredoc.is_none()
                    && host.starts_with(&self.opts.context)
                {
                    context::excluded_under(&self.opts.context, &rel, &self.ignore)?
                } else {
                    Vec::new()
                };
                // --exclude patterns match paths relative to the copied directory.
                if is_dir && i.flags.iter().any(|(k, _)| k == "exclude") {
                    skip.extend(context::excluded_under(&host, "", &excludes)?);
                }
                ops.push(CopyOp {
                    skip,
                    keep_owner: false,
                    src: host,
                    dst: PathBuf::from(dst.trim_start_matches('/')),
                    contents: is_dir,
                    owner,
                    chmod: chmod.clone(),
                });
            }
        }
        if ops.is_empty() && unmatched_globs > 0 {
            bail!("{} failed: no source files were specified", i.keyword);
        }
        let content = hex::encode(hasher.finalize());
        let key = key_of(&[&st.key, &i.original, &content]);
        let created_by = format!(
            "/bin/sh -c #(nop) {} {}:{content} in {dest}",
            i.keyword,
            if from.is_some() { "dir" } else { "file" }
        );
        if let Some(l) = self.cached(&key) {
            drop(scratch);
            if !self.opts.quiet {
                eprintln!("--> Using cache {}", l.chain.short());
            }
            self.add_layer(st, key, l, created_by);
            return Ok(());
        }
        let upper = scratch_dir(self.store)?;
        let copied = self.access.copy(&upper, &ops);
        drop(scratch);
        if let Err(e) = copied {
            let _ = remove_layer_tree(&upper);
            return Err(e.context(format!("{} failed", i.keyword)));
        }
        self.commit_step(st, &upper, key, created_by)
    }

    fn stage_state(&self, name: &str) -> Result<State> {
        if let Some((_, s)) = self
            .done
            .iter()
            .rev()
            .find(|(n, _)| n.as_deref() == Some(name))
        {
            return Ok(s.clone());
        }
        if let Ok(idx) = name.parse::<usize>()
            && let Some((_, s)) = self.done.get(idx)
        {
            return Ok(s.clone());
        }
        let img = self
            .store
            .resolve(name)
            .with_context(|| format!("COPY --from=`{name}`"))?;
        let chains: Vec<Digest> = ensure_layers(self.store, &img)?.into_iter().rev().collect();
        let layers = image_layers(&img, chains);
        Ok(State {
            config: img.config.clone(),
            layers,
            key: format!("image {}", img.id()),
            args: BTreeMap::new(),
            shell: vec![],
            created: String::new(),
        })
    }

    fn commit_image(&self, st: &State) -> Result<Digest> {
        let mut config = st.config.clone();
        config.created = Some(st.created.clone());
        config.architecture = oci::host_arch().into();
        config.os = "linux".into();
        config.rootfs = RootFs {
            kind: "layers".into(),
            diff_ids: st.layers.iter().map(|(l, _)| l.diff_id.clone()).collect(),
        };
        if !self.opts.labels.is_empty() {
            let labels = config.config.labels.get_or_insert_with(Default::default);
            labels.extend(self.opts.labels.clone());
        }
        let config_bytes = serde_json::to_vec(&config)?;
        let lock = self.store.lock()?;
        let config_digest = self.store.put_blob(&config_bytes)?;
        let manifest = Manifest::new(
            Descriptor::new(
                oci::MEDIA_CONFIG,
                config_digest.clone(),
                config_bytes.len() as u64,
            ),
            st.layers.iter().map(|(_, d)| d.clone()).collect(),
        );
        let bytes = serde_json::to_vec(&manifest)?;
        let digest = self.store.put_blob(&bytes)?;
        self.store
            .add_image(&lock, &digest, bytes.len() as u64, &self.opts.tags)?;
        Ok(config_digest)
    }
}

/// `/a/./b/` → `/a/b`
fn normalize(p: &str) -> String {
    // `..` resolves lexically and stops at `/`, as in Docker: a destination
    // never leaves the image root.
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    format!("/{}", parts.join("/"))
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

/// An image's layers as a build state holds them, with their chain ids (bottom first).
fn image_layers(
    img: &crate::store::images::Image,
    chains: Vec<Digest>,
) -> Vec<(BuiltLayer, Descriptor)> {
    img.manifest
        .layers
        .iter()
        .zip(img.diff_ids())
        .zip(chains)
        .map(|((d, diff), chain)| {
            (
                BuiltLayer {
                    chain,
                    diff_id: diff.clone(),
                    size: d.size,
                    created: None,
                },
                d.clone(),
            )
        })
        .collect()
}

fn empty_state() -> State {
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

fn err(i: &Instr, msg: &str) -> String {
    format!("Dockerfile:{}: {msg}", i.line)
}

fn key_of(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())
}

fn first_word(s: &str) -> String {
    s.split_whitespace().next().unwrap_or("").to_string()
}

fn command_of(i: &Instr, shell: &[String]) -> Vec<String> {
    match &i.json {
        Some(v) => v.clone(),
        None => shell.iter().cloned().chain([i.text.clone()]).collect(),
    }
}

/// A Go duration (`30s`, `1m30s`, `500ms`) in nanoseconds.
fn go_duration(s: &str) -> Option<u64> {
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let v: f64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let mult = match &rest[..u] {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        total += v * mult;
        rest = &rest[u..];
    }
    Some(total as u64)
}

fn healthcheck(i: &Instr) -> Vec<String> {
    // Flags were parsed out; skip their words in the text.
    let mut t = i.text.trim();
    while let Some(r) = t.strip_prefix("--") {
        t = r
            .split_once(char::is_whitespace)
            .map(|(_, b)| b.trim_start())
            .unwrap_or("");
    }
    if t.eq_ignore_ascii_case("NONE") {
        return vec!["NONE".into()];
    }
    let cmd = t.strip_prefix("CMD").map(str::trim).unwrap_or(t);
    match serde_json::from_str::<Vec<String>>(cmd) {
        Ok(v) => std::iter::once("CMD".to_string()).chain(v).collect(),
        Err(_) => vec!["CMD-SHELL".into(), cmd.into()],
    }
}

/// BuildKit's word expansion (`$V`, `${V:-w}`, …) with quote removal; a
/// word it cannot expand is kept as written.
fn expand(word: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    super::dockerfile::expand(word, '\\', lookup).unwrap_or_else(|_| word.to_string())
}

fn split_stages(all: &[Instr]) -> Result<(Vec<Instr>, Vec<Stage>)> {
    let mut global = Vec::new();
    let mut stages: Vec<Stage> = Vec::new();
    for i in all {
        if i.keyword == "FROM" {
            let words: Vec<&str> = i.text.split_whitespace().collect();
            let name = match words.as_slice() {
                [_, as_, n] if as_.eq_ignore_ascii_case("as") => Some(n.to_ascii_lowercase()),
                [_] => None,
                _ => bail!(err(i, "FROM requires one image, optionally `AS name`")),
            };
            stages.push(Stage {
                name,
                from: i.clone(),
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

/// The stages `last` needs (FROM a stage, COPY --from a stage), including itself.
fn needed_stages(stages: &[Stage], last: usize) -> Vec<usize> {
    let mut need = vec![last];
    let mut i = 0;
    while i < need.len() {
        let at = need[i];
        let s = &stages[at];
        let mut refs: Vec<String> = Vec::new();
        for b in &s.body {
            refs.extend(b.flag("from").map(String::from));
            // RUN --mount=…,from=STAGE
            for (k, v) in &b.flags {
                if k == "mount" {
                    refs.extend(
                        v.split(',')
                            .filter_map(|p| p.strip_prefix("from="))
                            .map(String::from),
                    );
                }
            }
        }
        refs.push(first_word(&s.from.text));
        for r in refs {
            let found: Vec<usize> = if r.contains('$') {
                // Named through an ARG: any earlier stage may be it.
                (0..at).collect()
            } else {
                stages
                    .iter()
                    .position(|x| x.name.as_deref() == Some(r.as_str()))
                    .or_else(|| r.parse().ok())
                    .into_iter()
                    .collect()
            };
            for idx in found {
                if idx < stages.len() && !need.contains(&idx) {
                    need.push(idx);
                }
            }
        }
        i += 1;
    }
    need.sort_unstable();
    need
}
