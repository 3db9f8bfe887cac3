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
    /// Heredoc bodies, in order: (delimiter, body).
    pub heredocs: Vec<(String, String)>,
    /// The instruction as written, for history and errors.
    pub original: String,
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

/// A line-oriented reading of a Dockerfile: comments, `\` continuations,
/// leading `--flag=value`s, JSON or shell arguments. The full BuildKit
/// grammar (directives, heredocs) lives in the parser; this is the fallback
/// shape the executor is tested with.
pub fn parse_simple(text: &str) -> Result<Vec<Instr>, String> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((i, raw)) = lines.next() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut full = line.to_string();
        while full.ends_with('\\') {
            full.pop();
            match lines.next() {
                Some((_, l)) if l.trim_start().starts_with('#') => {}
                Some((_, l)) => full.push_str(l.trim_end()),
                None => break,
            }
        }
        let (kw, rest) = full.split_once(char::is_whitespace).unwrap_or((&full, ""));
        let mut rest = rest.trim_start();
        let mut flags = Vec::new();
        while let Some(f) = rest.strip_prefix("--") {
            let (flag, after) = f.split_once(char::is_whitespace).unwrap_or((f, ""));
            let (k, v) = flag.split_once('=').unwrap_or((flag, ""));
            flags.push((k.to_string(), v.to_string()));
            rest = after.trim_start();
        }
        let json = if rest.starts_with('[') {
            serde_json::from_str::<Vec<String>>(rest).ok()
        } else {
            None
        };
        out.push(Instr {
            line: i + 1,
            keyword: kw.to_ascii_uppercase(),
            flags,
            json,
            text: rest.to_string(),
            heredocs: Vec::new(),
            original: full.clone(),
        });
    }
    Ok(out)
}
