//! The typed instructions the executor consumes: one variant per keyword,
//! each with its own flags already parsed (`--mount`, `--chown`, `--chmod`,
//! `--from`, HEALTHCHECK's durations), arguments still as written (quotes
//! in, variables unexpanded): expansion needs the ARG/ENV scope in effect
//! when the step runs, which only the executor has.

use super::mount::RunMount;
use super::parser::{self, Args, Flag, Keyword, ParseError};
use super::{Heredoc, check};

/// One instruction with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Instr {
    pub line: usize,
    /// The instruction as written, for progress, history and cache keys.
    pub original: String,
    /// The escape character (`# escape=` directive).
    pub escape: char,
    pub op: Instruction,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Instruction {
    From(From),
    Arg(Vec<ArgDecl>),
    /// `key=value` pairs, raw (quotes and escapes in) for word expansion.
    Env(Vec<(String, String)>),
    Label(Vec<(String, String)>),
    Run(Run),
    Copy(Copy),
    Add(Add),
    Cmd(Command),
    Entrypoint(Command),
    /// The JSON form, the only one SHELL takes.
    Shell(Vec<String>),
    User(String),
    Workdir(String),
    Stopsignal(String),
    Maintainer(String),
    Expose(Vec<String>),
    Volume(Vec<String>),
    Healthcheck(Healthcheck),
    /// The trigger as written, run by images built FROM this one.
    Onbuild(String),
}

/// `FROM IMAGE [AS NAME]`. `--platform` is accepted and ignored: berth
/// builds for the machine it runs on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct From {
    /// Not yet expanded: `FROM $BASE` takes the global ARGs.
    pub image: String,
    /// Lower case, as BuildKit compares stage names.
    pub name: Option<String>,
}

/// `ARG NAME[=DEFAULT]`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ArgDecl {
    pub name: String,
    /// Raw, for word expansion.
    pub default: Option<String>,
}

/// Exec form or shell form.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Command {
    Exec(Vec<String>),
    Shell(String),
}

/// `RUN [--mount=…]… [--network=…] COMMAND`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Run {
    pub cmd: Command,
    pub heredocs: Vec<Heredoc>,
    pub mounts: Vec<RunMount>,
    pub network: Option<Network>,
    /// `--mount` and `--network` as written: part of the step's cache key.
    pub flags_key: Vec<String>,
}

/// `RUN --network=…`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Network {
    /// `default`: the build's network (`berth build --network`).
    Default,
    /// `none`: only a loopback of the step's own.
    None,
    Host,
}

/// `--chown=USER[:GROUP]`, expanded and resolved in the image when the step runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Chown(pub String);

/// `--chmod=MODE`, octal or symbolic; checked when the step runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Chmod(pub String);

/// What COPY and ADD share: sources, destination and how files land.
/// `--link` is accepted and changes nothing: every COPY already makes an
/// independent layer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Files {
    /// Sources then the destination, raw.
    pub args: Vec<String>,
    pub heredocs: Vec<Heredoc>,
    pub chown: Option<Chown>,
    pub chmod: Option<Chmod>,
    /// `--exclude=PATTERN`, repeatable.
    pub exclude: Vec<String>,
}

/// `COPY [--from=…] [--parents] …`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Copy {
    pub files: Files,
    /// A stage name or index, or an image; raw.
    pub from: Option<String>,
    pub parents: bool,
}

/// `ADD [--checksum=…] …`: COPY plus URLs and local archives.
/// `--keep-git-dir` and `--unpack` are accepted and have no effect: berth
/// fetches no git sources and always unpacks local archives.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Add {
    pub files: Files,
    pub checksum: Option<String>,
}

/// `HEALTHCHECK NONE` or `HEALTHCHECK [OPTIONS] CMD …`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Healthcheck {
    None,
    Cmd(HealthCmd),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HealthCmd {
    pub test: Command,
    /// Durations in nanoseconds, as the image config stores them.
    pub interval: Option<u64>,
    pub timeout: Option<u64>,
    pub start_period: Option<u64>,
    pub start_interval: Option<u64>,
    pub retries: Option<u64>,
}

/// Parses a Dockerfile with the BuildKit-compatible parser, runs its
/// pre-build checks, and types each instruction for the executor.
pub(crate) fn parse(text: &str) -> Result<Vec<Instr>, ParseError> {
    let df = parser::parse(text)?;
    check(&df)?;
    df.instructions
        .iter()
        .map(|i| typed(i, df.escape))
        .collect()
}

/// Parses instructions without the whole-file checks (an ONBUILD trigger
/// is one instruction with no FROM of its own).
pub(crate) fn parse_fragment(text: &str) -> Result<Vec<Instr>, ParseError> {
    let df = parser::parse(text)?;
    df.instructions
        .iter()
        .map(|i| typed(i, df.escape))
        .collect()
}

fn typed(i: &parser::Instruction, escape: char) -> Result<Instr, ParseError> {
    let fail = |message: String| ParseError {
        line: i.line,
        message,
    };
    let op = match i.keyword {
        Keyword::From => {
            let f = check::from(i)?;
            Instruction::From(From {
                image: f.image,
                name: f.name,
            })
        }
        Keyword::Arg => Instruction::Arg(
            i.arg_pairs()
                .into_iter()
                .map(|(name, default)| ArgDecl { name, default })
                .collect(),
        ),
        Keyword::Env => Instruction::Env(pairs(&i.args)),
        Keyword::Label => Instruction::Label(pairs(&i.args)),
        Keyword::Run => Instruction::Run(run(i).map_err(fail)?),
        Keyword::Copy => Instruction::Copy(Copy {
            files: files(i),
            from: flag(&i.flags, "from"),
            parents: bool_flag(&i.flags, "parents"),
        }),
        Keyword::Add => Instruction::Add(Add {
            files: files(i),
            checksum: flag(&i.flags, "checksum"),
        }),
        Keyword::Cmd => Instruction::Cmd(command(&i.args)),
        Keyword::Entrypoint => Instruction::Entrypoint(command(&i.args)),
        Keyword::Shell => match &i.args {
            Args::Json(v) => Instruction::Shell(v.clone()),
            _ => return Err(fail("SHELL requires the JSON form".into())),
        },
        Keyword::User => Instruction::User(text(&i.args)),
        Keyword::Workdir => Instruction::Workdir(text(&i.args)),
        Keyword::Stopsignal => Instruction::Stopsignal(text(&i.args)),
        Keyword::Maintainer => Instruction::Maintainer(text(&i.args)),
        Keyword::Expose => Instruction::Expose(list(&i.args)),
        Keyword::Volume => Instruction::Volume(list(&i.args)),
        Keyword::Healthcheck => Instruction::Healthcheck(healthcheck(i).map_err(fail)?),
        Keyword::Onbuild => Instruction::Onbuild(after_keyword(&i.original)),
    };
    Ok(Instr {
        line: i.line,
        original: i.original.clone(),
        escape,
        op,
    })
}

/// The value of the last `--name`; `Some("")` for a bare `--name`.
fn flag(flags: &[Flag], name: &str) -> Option<String> {
    flags
        .iter()
        .rev()
        .find(|f| f.name == name)
        .map(|f| f.value.clone().unwrap_or_default())
}

/// A boolean flag: bare, or `=true`.
fn bool_flag(flags: &[Flag], name: &str) -> bool {
    flag(flags, name).is_some_and(|v| v.is_empty() || v == "true")
}

fn pairs(args: &Args) -> Vec<(String, String)> {
    match args {
        Args::Pairs(p) => p.iter().map(|p| (p.key.clone(), p.value.clone())).collect(),
        _ => Vec::new(),
    }
}

fn command(args: &Args) -> Command {
    match args {
        Args::Json(v) => Command::Exec(v.clone()),
        Args::Shell(s) | Args::Text(s) => Command::Shell(s.clone()),
        Args::Words(w) => Command::Shell(w.join(" ")),
        _ => Command::Shell(String::new()),
    }
}

fn text(args: &Args) -> String {
    match args {
        Args::Shell(s) | Args::Text(s) => s.trim().to_string(),
        Args::Words(w) | Args::Json(w) => w.join(" "),
        _ => String::new(),
    }
}

fn list(args: &Args) -> Vec<String> {
    match args {
        Args::Json(v) | Args::Words(v) => v.clone(),
        Args::Shell(s) | Args::Text(s) => s.split_whitespace().map(String::from).collect(),
        _ => Vec::new(),
    }
}

/// The text after the keyword, as written.
fn after_keyword(original: &str) -> String {
    original
        .trim_start()
        .split_once(char::is_whitespace)
        .map(|(_, r)| r.trim().to_string())
        .unwrap_or_default()
}

fn run(i: &parser::Instruction) -> Result<Run, String> {
    let mut r = Run {
        cmd: command(&i.args),
        heredocs: i.heredocs.clone(),
        mounts: Vec::new(),
        network: None,
        flags_key: Vec::new(),
    };
    for f in &i.flags {
        let v = f.value.as_deref().unwrap_or("");
        match f.name.as_str() {
            "mount" => r.mounts.push(RunMount::parse(v)?),
            "network" => {
                r.network = Some(match v {
                    "host" => Network::Host,
                    "none" => Network::None,
                    "default" => Network::Default,
                    other => {
                        return Err(format!(
                            "invalid RUN --network `{other}`: use none, host or default"
                        ));
                    }
                })
            }
            // `--security` and `--device` are accepted and have no effect:
            // a build step always runs with the default confinement.
            _ => continue,
        }
        r.flags_key.push(v.to_string());
    }
    Ok(r)
}

fn files(i: &parser::Instruction) -> Files {
    Files {
        args: list(&i.args),
        heredocs: i.heredocs.clone(),
        chown: flag(&i.flags, "chown").map(Chown),
        chmod: flag(&i.flags, "chmod").map(Chmod),
        exclude: i
            .flags
            .iter()
            .filter(|f| f.name == "exclude")
            .filter_map(|f| f.value.clone())
            .collect(),
    }
}

fn healthcheck(i: &parser::Instruction) -> Result<Healthcheck, String> {
    let Args::Health { kind, cmd } = &i.args else {
        return Err("HEALTHCHECK requires an argument: CMD … or NONE".into());
    };
    if kind.eq_ignore_ascii_case("none") {
        return Ok(Healthcheck::None);
    }
    let duration = |name: &str| -> Result<Option<u64>, String> {
        flag(&i.flags, name)
            .map(|v| go_duration(&v).ok_or_else(|| format!("invalid HEALTHCHECK --{name} `{v}`")))
            .transpose()
    };
    let retries = flag(&i.flags, "retries")
        .map(|r| {
            r.parse::<u64>()
                .map_err(|_| format!("invalid HEALTHCHECK --retries `{r}`"))
        })
        .transpose()?;
    Ok(Healthcheck::Cmd(HealthCmd {
        test: command(cmd),
        interval: duration("interval")?,
        timeout: duration("timeout")?,
        start_period: duration("start-period")?,
        start_interval: duration("start-interval")?,
        retries,
    }))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn one(src: &str) -> Instruction {
        parse(&format!("FROM a\n{src}")).unwrap().remove(1).op
    }

    fn error(src: &str) -> String {
        parse(&format!("FROM a\n{src}")).unwrap_err().to_string()
    }

    #[test]
    fn copy_flags_are_typed() {
        let Instruction::Copy(c) = one(
            "COPY --from=build --chown=1:2 --chmod=755 --parents --exclude=*.md --exclude=x a b /d/",
        ) else {
            panic!("not a COPY");
        };
        assert_eq!(c.from.as_deref(), Some("build"));
        assert!(c.parents);
        assert_eq!(c.files.chown, Some(Chown("1:2".into())));
        assert_eq!(c.files.chmod, Some(Chmod("755".into())));
        assert_eq!(c.files.exclude, ["*.md", "x"]);
        assert_eq!(c.files.args, ["a", "b", "/d/"]);
    }

    #[test]
    fn add_takes_a_checksum_and_json_form() {
        let Instruction::Add(a) = one("ADD --checksum=sha256:00 [\"http://x/y\", \"/z\"]") else {
            panic!("not an ADD");
        };
        assert_eq!(a.checksum.as_deref(), Some("sha256:00"));
        assert_eq!(a.files.args, ["http://x/y", "/z"]);
    }

    #[test]
    fn run_mounts_and_network_are_typed() {
        let Instruction::Run(r) = one("RUN --network=host --mount=type=cache,target=/c make")
        else {
            panic!("not a RUN");
        };
        assert_eq!(r.network, Some(Network::Host));
        assert_eq!(r.mounts.len(), 1);
        assert_eq!(r.cmd, Command::Shell("make".into()));
        assert_eq!(r.flags_key, ["host", "type=cache,target=/c"]);
    }

    #[test]
    fn bad_run_flags_name_the_line() {
        assert_eq!(
            error("RUN --network=bridge true"),
            "Dockerfile:2: invalid RUN --network `bridge`: use none, host or default"
        );
        assert_eq!(
            error("RUN --mount=type=cache,target=/c,colour=red true"),
            "Dockerfile:2: --mount: unexpected key `colour` in `colour=red`"
        );
    }

    #[test]
    fn healthcheck_options_are_typed() {
        let Instruction::Healthcheck(Healthcheck::Cmd(h)) =
            one("HEALTHCHECK --interval=1m30s --retries=3 CMD [\"true\"]")
        else {
            panic!("not a HEALTHCHECK CMD");
        };
        assert_eq!(h.interval, Some(90_000_000_000));
        assert_eq!(h.retries, Some(3));
        assert_eq!(h.timeout, None);
        assert_eq!(h.test, Command::Exec(vec!["true".into()]));
        assert_eq!(
            one("HEALTHCHECK NONE"),
            Instruction::Healthcheck(Healthcheck::None)
        );
        assert_eq!(
            error("HEALTHCHECK --timeout=soon CMD true"),
            "Dockerfile:2: invalid HEALTHCHECK --timeout `soon`"
        );
    }

    #[test]
    fn from_and_onbuild_keep_what_the_executor_needs() {
        let all = parse("ARG B=x\nFROM $B AS Base\nONBUILD RUN echo hi\n").unwrap();
        assert_eq!(
            all[1].op,
            Instruction::From(From {
                image: "$B".into(),
                name: Some("base".into())
            })
        );
        assert_eq!(all[2].op, Instruction::Onbuild("RUN echo hi".into()));
    }

    #[test]
    fn go_durations() {
        assert_eq!(go_duration("500ms"), Some(500_000_000));
        assert_eq!(go_duration("1h"), Some(3_600_000_000_000));
        assert_eq!(go_duration("5"), None);
        assert_eq!(go_duration("5x"), None);
    }
}
