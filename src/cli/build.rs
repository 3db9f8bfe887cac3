//! `berth build [-f FILE] [-t REF]… CONTEXT`

use super::Ctx;
use super::progress::Progress;
use super::registry_opts::AccessFlags;
use crate::builder::StepNetwork;
use crate::builder::executor::{BuildOptions, build};
use crate::image::pull::PullPolicy;
use crate::reference::Reference;
use anyhow::{Context, Result, anyhow};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Build an image from a Dockerfile
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The build context directory
    context: PathBuf,
    /// The Dockerfile (default: CONTEXT/Dockerfile; `-` for stdin)
    #[arg(short, long, value_name = "FILE")]
    file: Option<PathBuf>,
    /// Name the image (repeatable)
    #[arg(short, long = "tag", value_name = "REF")]
    tag: Vec<String>,
    /// Set a build argument
    #[arg(long, value_name = "K=V")]
    build_arg: Vec<String>,
    /// Build up to this stage
    #[arg(long, value_name = "STAGE")]
    target: Option<String>,
    /// Run every step again
    #[arg(long)]
    no_cache: bool,
    /// Add a label to the image
    #[arg(long, value_name = "K=V")]
    label: Vec<String>,
    /// Clamp created times and file mtimes to this epoch (reproducible builds)
    #[arg(long, value_name = "SECONDS")]
    timestamp: Option<i64>,
    /// Write the image id to FILE
    #[arg(long, value_name = "FILE")]
    iidfile: Option<PathBuf>,
    /// Network for RUN steps: private (default: pasta's user-mode network, as `berth run`; no access to the host's loopback), none, or host (which also allows `RUN --network=host`)
    #[arg(long, default_value = "private", value_name = "MODE")]
    network: String,
    /// Grant an entitlement (repeatable): network.host lets `RUN --network=host` steps use the host's network and `ADD <url>` fetch from host-only addresses (loopback, link-local)
    #[arg(long, value_name = "ENTITLEMENT")]
    allow: Vec<String>,
    /// A secret for `RUN --mount=type=secret`: id=ID,src=FILE (never stored in the image or the cache)
    #[arg(long, value_name = "id=ID,src=FILE")]
    secret: Vec<String>,
    /// When to pull FROM images: always, missing, never, newer (`--pull` alone: newer, as podman)
    #[arg(long, default_value = "missing", value_name = "POLICY", num_args = 0..=1,
          default_missing_value = "true", value_parser = super::registry_opts::pull_policy)]
    pull: PullPolicy,
    /// The platform of FROM images to pull, as os/arch[/variant] [default: this machine's]
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    platform: Option<String>,
    #[command(flatten)]
    access: AccessFlags,
    /// Print only the image id
    #[arg(short, long)]
    quiet: bool,
}

fn kv(list: &[String], what: &str) -> Result<BTreeMap<String, String>> {
    list.iter()
        .map(|s| match s.split_once('=') {
            Some((k, v)) => Ok((k.to_string(), v.to_string())),
            None => std::env::var(s)
                .map(|v| (s.clone(), v))
                .map_err(|_| anyhow!("invalid {what} `{s}`: expected K=V")),
        })
        .collect()
}

fn secrets(list: &[String]) -> Result<BTreeMap<String, PathBuf>> {
    let mut out = BTreeMap::new();
    for s in list {
        let (mut id, mut src) = (None, None);
        for part in s.split(',') {
            match part.split_once('=') {
                Some(("id", v)) => id = Some(v.to_string()),
                Some(("src" | "source", v)) => src = Some(PathBuf::from(v)),
                _ => anyhow::bail!("invalid --secret `{s}`: expected id=ID,src=FILE"),
            }
        }
        let (Some(id), Some(src)) = (id, src) else {
            anyhow::bail!("invalid --secret `{s}`: expected id=ID,src=FILE");
        };
        if !src.is_file() {
            anyhow::bail!("secret `{id}`: `{}` is not a file", src.display());
        }
        out.insert(id, std::fs::canonicalize(&src)?);
    }
    Ok(out)
}

pub fn run(ctx: &Ctx, mut a: Args) -> Result<i32> {
    // RUN steps are containers: protect the binary before reading stdin.
    crate::runtime::binary_guard::ensure()?;
    // `-` as the context: a tar of it on stdin, unpacked (safely) to a temp dir.
    let mut stdin_dockerfile = None;
    let _stdin_context = if a.context.as_os_str() == "-" {
        if a.file.as_deref().is_some_and(|f| f.as_os_str() == "-") {
            anyhow::bail!("the context and the Dockerfile cannot both come from stdin");
        }
        let dir = tempfile::Builder::new()
            .prefix("berth-context-")
            .tempdir()?;
        let ownership = if nix::unistd::geteuid().is_root() {
            crate::layer::Ownership::Preserve
        } else {
            crate::layer::Ownership::Xattr
        };
        match stdin_context()? {
            StdinContext::Tar(input) => {
                let input = crate::layer::decompress(std::io::BufReader::new(input))?;
                crate::layer::apply(input, dir.path(), &crate::layer::ApplyOptions { ownership })
                    .context("reading the build context from stdin")?;
            }
            // Docker's `build - < Dockerfile`: the Dockerfile alone, no context.
            StdinContext::Dockerfile(text) => stdin_dockerfile = Some(text),
        }
        a.context = dir.path().to_path_buf();
        Some(dir)
    } else {
        if !a.context.is_dir() {
            anyhow::bail!(
                "the build context `{}` is not a directory: name the directory holding \
                 the Dockerfile and the files it copies, or `-` for stdin",
                a.context.display()
            );
        }
        None
    };
    let dockerfile = a
        .file
        .clone()
        .unwrap_or_else(|| a.context.join("Dockerfile"));
    let text = if let Some(text) = stdin_dockerfile {
        text
    } else if dockerfile.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).context("reading the Dockerfile from stdin")?
    } else if a.file.is_none() && !dockerfile.exists() {
        // A context from stdin lives in a temp dir the user never named.
        let context = match &_stdin_context {
            Some(_) => "the build context tar on stdin".to_string(),
            None => format!("the build context `{}`", a.context.display()),
        };
        anyhow::bail!("no Dockerfile in {context}: add one, or name it with -f");
    } else {
        std::fs::read_to_string(&dockerfile)
            .with_context(|| format!("reading `{}`", dockerfile.display()))?
    };
    let instructions = crate::builder::instr::parse(&text).map_err(|e| anyhow!("{e}"))?;
    let tags = a
        .tag
        .iter()
        .map(|t| {
            Reference::parse(t)
                .map(|r| r.to_string())
                .map_err(anyhow::Error::msg)
        })
        .collect::<Result<Vec<_>>>()?;
    let epoch = a.timestamp.or_else(|| {
        std::env::var("SOURCE_DATE_EPOCH")
            .ok()
            .and_then(|s| s.parse().ok())
    });
    let network = match a.network.as_str() {
        "none" => StepNetwork::None,
        "private" | "default" | "pasta" | "bridge" => StepNetwork::Private,
        "host" => StepNetwork::Host,
        other => anyhow::bail!("invalid --network `{other}`: use private, none or host"),
    };
    // BuildKit's entitlements: a Dockerfile alone cannot reach the host's
    // network (its loopback services); the user says so on the command line.
    let mut allow_network_host = network == StepNetwork::Host;
    for e in &a.allow {
        match e.as_str() {
            "network.host" => allow_network_host = true,
            other => {
                anyhow::bail!("invalid --allow `{other}`: the only entitlement is network.host")
            }
        }
    }
    if !a.context.is_dir() {
        anyhow::bail!("build context `{}` is not a directory", a.context.display());
    }
    let store = ctx.store()?;
    let id = build(
        &store,
        BuildOptions {
            context: a.context.clone(),
            dockerfile,
            instructions,
            tags,
            build_args: kv(&a.build_arg, "--build-arg")?,
            target: a.target.clone(),
            no_cache: a.no_cache,
            epoch,
            labels: kv(&a.label, "--label")?,
            network,
            allow_network_host,
            secrets: secrets(&a.secret)?,
            quiet: a.quiet,
            pull: a.pull,
            pull_options: a.access.pull_options(a.platform.as_deref())?,
            pull_progress: Box::new(Progress::new(a.quiet)),
        },
    )?;
    if let Some(f) = &a.iidfile {
        std::fs::write(f, id.to_string()).with_context(|| format!("writing `{}`", f.display()))?;
    }
    let tag = a.tag.first().cloned().unwrap_or_default();
    super::events::image(ctx, "build", id.hex(), &tag);
    println!("{}", id.hex());
    Ok(0)
}

/// What `build -` found on stdin.
enum StdinContext {
    /// A tar of the context (plain, gzip or zstd), its head put back.
    Tar(Box<dyn std::io::Read>),
    /// A Dockerfile's text: Docker builds it with an empty context.
    Dockerfile(String),
}

/// Tells a context tar from a Dockerfile by the first 512 bytes: a
/// compression magic or tar's `ustar` at offset 257 means a tar.
fn stdin_context() -> Result<StdinContext> {
    use std::io::Read;
    let mut stdin = std::io::stdin().lock();
    let mut head = Vec::with_capacity(512);
    (&mut stdin)
        .take(512)
        .read_to_end(&mut head)
        .context("reading the build context from stdin")?;
    if head.is_empty() {
        anyhow::bail!(
            "`build -` read nothing from stdin: pipe a Dockerfile or a tar of the context"
        );
    }
    let compressed = !matches!(
        crate::layer::classify(&head),
        crate::layer::Compression::None
    );
    if compressed || crate::layer::is_tar_header(&head) {
        let rest = std::io::stdin();
        return Ok(StdinContext::Tar(Box::new(
            std::io::Cursor::new(head).chain(rest),
        )));
    }
    let mut bytes = head;
    stdin
        .read_to_end(&mut bytes)
        .context("reading the Dockerfile from stdin")?;
    let text = String::from_utf8(bytes).map_err(|_| {
        anyhow!("stdin is neither a tar of the build context nor a Dockerfile (text)")
    })?;
    Ok(StdinContext::Dockerfile(text))
}
