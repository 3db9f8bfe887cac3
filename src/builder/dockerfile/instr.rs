//! The instruction shape the executor consumes: keyword, flags, and the
//! arguments in JSON or shell form, with the line they start on.

#[derive(Debug, Clone, PartialEq)]
pub struct Instr {
    pub line: usize,
    /// Upper case: `RUN`, `COPY`, …
    pub keyword: String,
    /// `--from=x` → ("from", "x"), in order.
    pub flags: Vec<(String, String)>,
    /// JSON form, when the arguments are a JSON array.
    pub json: Option<Vec<String>>,
    /// The arguments as written (after the flags), continuation lines joined.
    pub text: String,
    /// Heredoc bodies, in order.
    pub heredocs: Vec<super::Heredoc>,
    /// The instruction as written, for history and errors.
    pub original: String,
    /// ENV and LABEL `key=value` pairs, ARG `name[=default]`: raw, quotes
    /// and escapes still in, for BuildKit's word expansion.
    pub pairs: Vec<(String, Option<String>)>,
    /// The escape character (`# escape=` directive).
    pub escape: char,
}

impl Instr {
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses a Dockerfile with the BuildKit-compatible parser, runs its
/// pre-build checks, and flattens each instruction for the executor.
pub fn parse(text: &str) -> Result<Vec<Instr>, super::ParseError> {
    let df = super::parse(text)?;
    super::check(&df)?;
    Ok(df
        .instructions
        .iter()
        .map(|i| flatten(i, df.escape))
        .collect())
}

/// Parses instructions without the whole-file checks (an ONBUILD trigger
/// is one instruction with no FROM of its own).
pub fn parse_fragment(text: &str) -> Result<Vec<Instr>, super::ParseError> {
    let df = super::parse(text)?;
    Ok(df
        .instructions
        .iter()
        .map(|i| flatten(i, df.escape))
        .collect())
}

fn flatten(i: &super::Instruction, escape: char) -> Instr {
    use super::Args;
    let keyword = i.keyword.as_str().to_ascii_uppercase();
    let mut json = None;
    let text = match &i.args {
        Args::Empty => String::new(),
        Args::Json(v) => {
            json = Some(v.clone());
            String::new()
        }
        Args::Shell(s) | Args::Text(s) => s.clone(),
        Args::Words(w) => w.join(" "),
        Args::Pairs(p) => p
            .iter()
            .map(|p| {
                if p.legacy {
                    format!("{} {}", p.key, p.value)
                } else {
                    format!("{}={}", p.key, p.value)
                }
            })
            .collect::<Vec<_>>()
            .join(" "),
        Args::Health { .. } | Args::Onbuild(_) => {
            // The text after the keyword, as written.
            let o = i.original.trim_start();
            o.split_once(char::is_whitespace)
                .map(|(_, r)| r.trim().to_string())
                .unwrap_or_default()
        }
    };
    Instr {
        line: i.line,
        keyword,
        flags: i
            .flags
            .iter()
            .map(|f| (f.name.clone(), f.value.clone().unwrap_or_default()))
            .collect(),
        json,
        text,
        heredocs: i.heredocs.clone(),
        original: i.original.clone(),
        pairs: match &i.args {
            Args::Pairs(p) => p
                .iter()
                .map(|p| (p.key.clone(), Some(p.value.clone())))
                .collect(),
            _ => i.arg_pairs(),
        },
        escape,
    }
}
