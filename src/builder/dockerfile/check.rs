//! What BuildKit checks after parsing, before building (its `instructions`
//! layer): the flags each instruction takes, argument counts and forms,
//! ONBUILD triggers, the order of FROM and its stage names. The parser stays
//! permissive (BuildKit's own parser corpus has `COPY --doit=true`); the
//! builder calls [`check`] first so a bad Dockerfile fails before any step
//! runs, with `Dockerfile:LINE: message`.

use super::parser::{Args, Dockerfile, Instruction, Keyword, ParseError};

/// A FROM line: `FROM [--platform=P] IMAGE [AS NAME]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FromLine {
    /// Not yet expanded: `FROM $BASE` is legal (ARG before FROM).
    pub image: String,
    pub platform: Option<String>,
    /// The stage name, lower-cased as BuildKit compares them.
    pub name: Option<String>,
}

/// Checks every instruction; the first problem is the error.
pub(crate) fn check(df: &Dockerfile) -> Result<(), ParseError> {
    let mut seen_from = false;
    let mut stages: Vec<String> = Vec::new();
    for ins in &df.instructions {
        check_one(ins)?;
        match ins.keyword {
            Keyword::From => {
                seen_from = true;
                if let Some(name) = from(ins)?.name {
                    if stages.contains(&name) {
                        return fail(ins, format!("duplicate stage name `{name}`"));
                    }
                    stages.push(name);
                }
            }
            Keyword::Arg => {}
            k if !seen_from => {
                return fail(
                    ins,
                    format!("{k} before the first FROM (only ARG may come before FROM)"),
                );
            }
            _ => {}
        }
    }
    if !seen_from {
        let last = df.instructions.last().map_or(1, |i| i.line);
        return Err(ParseError {
            line: last,
            message: "no FROM instruction: nothing to build".into(),
        });
    }
    Ok(())
}

fn fail<T>(ins: &Instruction, message: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError {
        line: ins.line,
        message: message.into(),
    })
}

/// The parts of a FROM instruction.
pub(crate) fn from(ins: &Instruction) -> Result<FromLine, ParseError> {
    let words: &[String] = match &ins.args {
        Args::Words(w) => w,
        _ => &[],
    };
    let (image, name) = match words {
        [image] => (image, None),
        [image, as_, name] if as_.eq_ignore_ascii_case("as") => {
            (image, Some(name.to_ascii_lowercase()))
        }
        _ => {
            return fail(
                ins,
                "FROM requires either one or three arguments: IMAGE [AS NAME]",
            );
        }
    };
    if let Some(n) = &name {
        let mut cs = n.chars();
        let ok = cs.next().is_some_and(|c| c.is_ascii_lowercase())
            && cs.all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.')
            });
        if !ok {
            return fail(
                ins,
                format!(
                    "invalid stage name `{n}`: must start with a letter and hold only letters, digits, `-`, `_`, `.`"
                ),
            );
        }
    }
    Ok(FromLine {
        image: image.clone(),
        platform: ins.flag("platform").map(str::to_string),
        name,
    })
}

/// The flags each instruction takes, and whether each needs a value.
fn allowed_flags(k: Keyword) -> &'static [(&'static str, bool)] {
    match k {
        Keyword::From => &[("platform", true)],
        Keyword::Run => &[
            ("mount", true),
            ("network", true),
            ("security", true),
            ("device", true),
        ],
        Keyword::Copy => &[
            ("from", true),
            ("chown", true),
            ("chmod", true),
            ("link", false),
            ("parents", false),
            ("exclude", true),
        ],
        Keyword::Add => &[
            ("chown", true),
            ("chmod", true),
            ("link", false),
            ("keep-git-dir", false),
            ("checksum", true),
            ("exclude", true),
            ("unpack", false),
        ],
        Keyword::Healthcheck => &[
            ("interval", true),
            ("timeout", true),
            ("start-period", true),
            ("start-interval", true),
            ("retries", true),
        ],
        _ => &[],
    }
}

fn check_one(ins: &Instruction) -> Result<(), ParseError> {
    let k = ins.keyword;
    for f in &ins.flags {
        match allowed_flags(k).iter().find(|(n, _)| *n == f.name) {
            None => return fail(ins, format!("{k} does not take the flag --{}", f.name)),
            Some((_, true)) if f.value.is_none() => {
                return fail(ins, format!("{k}: missing a value on flag --{}", f.name));
            }
            _ => {}
        }
    }
    let at_least_one = || fail(ins, format!("{k} requires at least one argument"));
    match (k, &ins.args) {
        (Keyword::From, _) => from(ins).map(drop),
        (
            Keyword::Run
            | Keyword::Env
            | Keyword::Label
            | Keyword::Arg
            | Keyword::Expose
            | Keyword::Volume,
            Args::Empty,
        ) => at_least_one(),
        (Keyword::Volume, Args::Json(v)) if v.is_empty() => at_least_one(),
        (Keyword::Env | Keyword::Label, Args::Pairs(ps)) if ps.iter().any(|p| p.key.is_empty()) => {
            fail(ins, format!("{k} names can not be blank"))
        }
        (Keyword::Arg, Args::Words(ws)) if ws.iter().any(|w| w.starts_with('=')) => {
            fail(ins, "ARG names can not be blank")
        }
        (Keyword::Copy | Keyword::Add, args) => {
            let n = match args {
                Args::Json(v) | Args::Words(v) => v.len(),
                _ => 0,
            };
            if n < 2 {
                return fail(
                    ins,
                    format!("{k} requires at least two arguments: source(s) and destination"),
                );
            }
            Ok(())
        }
        (
            Keyword::User | Keyword::Workdir | Keyword::Stopsignal | Keyword::Maintainer,
            Args::Empty,
        ) => fail(ins, format!("{k} requires exactly one argument")),
        (Keyword::Shell, Args::Json(v)) if v.is_empty() => at_least_one(),
        (Keyword::Shell, Args::Json(_)) => Ok(()),
        (Keyword::Shell, _) => fail(ins, "SHELL requires the arguments to be in JSON form"),
        (Keyword::Onbuild, Args::Onbuild(inner)) => match inner.keyword {
            Keyword::Onbuild | Keyword::From | Keyword::Maintainer => fail(
                ins,
                format!("{} isn't allowed as an ONBUILD trigger", inner.keyword),
            ),
            _ => check_one(inner),
        },
        (Keyword::Onbuild, _) => at_least_one(),
        (Keyword::Healthcheck, Args::Health { kind, cmd }) => {
            if kind.eq_ignore_ascii_case("none") {
                if **cmd != Args::Empty || !ins.flags.is_empty() {
                    return fail(ins, "HEALTHCHECK NONE takes no other arguments");
                }
                Ok(())
            } else if kind.eq_ignore_ascii_case("cmd") {
                match &**cmd {
                    Args::Empty => fail(ins, "missing command after HEALTHCHECK CMD"),
                    Args::Json(v) if v.is_empty() => {
                        fail(ins, "missing command after HEALTHCHECK CMD")
                    }
                    _ => Ok(()),
                }
            } else {
                fail(
                    ins,
                    format!("unknown type `{kind}` in HEALTHCHECK (try CMD)"),
                )
            }
        }
        (Keyword::Healthcheck, _) => fail(ins, "HEALTHCHECK requires an argument: CMD … or NONE"),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::parser::parse;
    use super::*;

    fn checked(src: &str) -> Result<(), String> {
        check(&parse(src).map_err(|e| e.to_string())?).map_err(|e| e.to_string())
    }

    #[test]
    fn a_good_multi_stage_file_passes() {
        let src = "# syntax=docker/dockerfile:1\nARG BASE=alpine\nFROM --platform=$BUILDPLATFORM $BASE AS build\n\
                   RUN --mount=type=cache,target=/c --network=none make\nCOPY --from=build --link /a /b\n\
                   ADD --checksum=sha256:00 https://x/y /z\nHEALTHCHECK --interval=5s CMD true\nHEALTHCHECK NONE\n\
                   SHELL [\"/bin/sh\", \"-c\"]\nONBUILD RUN x\nFROM scratch\nCOPY --from=build /a /\n";
        checked(src).unwrap();
    }

    #[test]
    fn from_parts() {
        let df = parse("FROM --platform=linux/arm64 golang:1.22 As Build").unwrap();
        assert_eq!(
            from(&df.instructions[0]).unwrap(),
            FromLine {
                image: "golang:1.22".into(),
                platform: Some("linux/arm64".into()),
                name: Some("build".into())
            }
        );
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            (
                "FROM a\nCOPY --doit=true a b",
                "Dockerfile:2: COPY does not take the flag --doit",
            ),
            (
                "FROM a\nCOPY --from a b",
                "Dockerfile:2: COPY: missing a value on flag --from",
            ),
            (
                "FROM a b",
                "Dockerfile:1: FROM requires either one or three arguments: IMAGE [AS NAME]",
            ),
            (
                "FROM a AS 1x",
                "Dockerfile:1: invalid stage name `1x`: must start with a letter and hold only letters, digits, `-`, `_`, `.`",
            ),
            (
                "FROM a AS x\nFROM b AS X",
                "Dockerfile:2: duplicate stage name `x`",
            ),
            (
                "RUN x\nFROM a",
                "Dockerfile:1: RUN before the first FROM (only ARG may come before FROM)",
            ),
            (
                "ARG A",
                "Dockerfile:1: no FROM instruction: nothing to build",
            ),
            (
                "FROM a\nCOPY a",
                "Dockerfile:2: COPY requires at least two arguments: source(s) and destination",
            ),
            (
                "FROM a\nRUN",
                "Dockerfile:2: RUN requires at least one argument",
            ),
            ("FROM a\nENV =x", "Dockerfile:2: ENV names can not be blank"),
            (
                "FROM a\nWORKDIR",
                "Dockerfile:2: WORKDIR requires exactly one argument",
            ),
            (
                "FROM a\nSHELL /bin/sh -c",
                "Dockerfile:2: SHELL requires the arguments to be in JSON form",
            ),
            (
                "FROM a\nONBUILD FROM b",
                "Dockerfile:2: FROM isn't allowed as an ONBUILD trigger",
            ),
            (
                "FROM a\nONBUILD COPY --bad a b",
                "Dockerfile:2: COPY does not take the flag --bad",
            ),
            (
                "FROM a\nHEALTHCHECK --retries=3 NONE",
                "Dockerfile:2: HEALTHCHECK NONE takes no other arguments",
            ),
            (
                "FROM a\nHEALTHCHECK CMD",
                "Dockerfile:2: missing command after HEALTHCHECK CMD",
            ),
            (
                "FROM a\nHEALTHCHECK CONNECT TCP 7000",
                "Dockerfile:2: unknown type `CONNECT` in HEALTHCHECK (try CMD)",
            ),
        ];
        for (src, want) in cases {
            assert_eq!(checked(src).unwrap_err(), want, "{src:?}");
        }
    }
}
