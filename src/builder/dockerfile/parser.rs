//! Dockerfile text → instructions, keeping line numbers; BuildKit's
//! `frontend/dockerfile/parser` rules, quirks included, so the same file
//! means the same thing to berth as to `docker build`:
//!
//! - parser directives (`# syntax=`, `# escape=`, `# check=`) count only
//!   before any instruction, comment or blank line;
//! - a line ending in the escape character continues on the next one;
//!   comment lines and blank lines inside a continuation are skipped, the
//!   next line's leading whitespace is kept;
//! - RUN/COPY/ADD (also under ONBUILD) in shell form read heredoc bodies
//!   after their line;
//! - arguments are split per instruction (JSON or shell form, words,
//!   `key=value` pairs), quotes kept: expansion and unquoting happen at
//!   build time (expand.rs), with the ARG/ENV scope then in effect.
//!
//! Pure: a string in, a [`Dockerfile`] or a [`ParseError`] out.

use std::fmt;

use super::heredoc::{self, Heredoc};

/// A parse error: `Dockerfile:LINE: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParseError {
    /// 1-based line where the offending instruction starts.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Dockerfile:{}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

fn err<T>(line: usize, message: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError {
        line,
        message: message.into(),
    })
}

macro_rules! keywords {
    ($($k:ident $s:literal,)*) => {
        /// An instruction's name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub(crate) enum Keyword { $($k,)* }

        impl Keyword {
            pub(crate) const ALL: &[Keyword] = &[$(Keyword::$k,)*];

            /// The name as Dockerfiles spell it, upper case.
            pub(crate) fn as_str(self) -> &'static str {
                match self { $(Keyword::$k => $s,)* }
            }
        }
    };
}

keywords! {
    Add "ADD",
    Arg "ARG",
    Cmd "CMD",
    Copy "COPY",
    Entrypoint "ENTRYPOINT",
    Env "ENV",
    Expose "EXPOSE",
    From "FROM",
    Healthcheck "HEALTHCHECK",
    Label "LABEL",
    Maintainer "MAINTAINER",
    Onbuild "ONBUILD",
    Run "RUN",
    Shell "SHELL",
    Stopsignal "STOPSIGNAL",
    User "USER",
    Volume "VOLUME",
    Workdir "WORKDIR",
}

impl Keyword {
    /// Case-insensitive, as instructions are.
    pub(crate) fn parse(s: &str) -> Option<Keyword> {
        Keyword::ALL
            .iter()
            .copied()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
    }

    /// May read heredoc bodies after the line.
    fn takes_heredocs(self) -> bool {
        matches!(self, Keyword::Run | Keyword::Copy | Keyword::Add)
    }
}

impl fmt::Display for Keyword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `--name=value` (or a bare `--name`) before an instruction's arguments.
/// Quotes and backslash escapes inside a flag are already removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Flag {
    pub name: String,
    pub value: Option<String>,
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(f, "--{}={v}", self.name),
            None => write!(f, "--{}", self.name),
        }
    }
}

/// One `key=value` of ENV or LABEL, quotes and escapes still in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pair {
    pub key: String,
    pub value: String,
    /// The legacy `ENV key value…` form: `value` is the rest of the line.
    pub legacy: bool,
}

/// An instruction's arguments, split as its keyword dictates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Args {
    /// Nothing after the keyword (and flags).
    Empty,
    /// Exec form, `["a", "b"]`, JSON-decoded: RUN, CMD, ENTRYPOINT, SHELL,
    /// COPY, ADD, VOLUME, HEALTHCHECK CMD.
    Json(Vec<String>),
    /// Shell form: the rest of the line, continuations joined.
    Shell(String),
    /// One string: USER, WORKDIR, STOPSIGNAL, MAINTAINER.
    Text(String),
    /// Whitespace-separated words: FROM, EXPOSE, COPY/ADD/VOLUME outside
    /// exec form; for ARG quote-aware (`a="x y"` stays one word).
    Words(Vec<String>),
    /// ENV, LABEL.
    Pairs(Vec<Pair>),
    /// HEALTHCHECK `NONE`, or `CMD` and a command (`Json`/`Shell`/`Empty`).
    Health { kind: String, cmd: Box<Args> },
    /// The instruction ONBUILD registers.
    Onbuild(Box<Instruction>),
}

/// One instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Instruction {
    pub keyword: Keyword,
    pub flags: Vec<Flag>,
    pub args: Args,
    /// Bodies of `<<EOF` openers on the line, in order.
    pub heredocs: Vec<Heredoc>,
    /// The logical line: continuations joined, comments dropped.
    pub original: String,
    /// 1-based first and last source line (heredoc bodies included).
    pub line: usize,
    pub end_line: usize,
}

impl Instruction {
    /// The value of `--name`; `Some("")` for a bare `--name`.
    pub(crate) fn flag(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .rev()
            .find(|f| f.name == name)
            .map(|f| f.value.as_deref().unwrap_or(""))
    }

    /// The exec-form vector, or None for shell form and the rest.
    #[cfg(test)]
    pub(crate) fn json(&self) -> Option<&[String]> {
        match &self.args {
            Args::Json(v) => Some(v),
            _ => None,
        }
    }

    /// ARG's `name[=default]` words as `(name, default)`; the default keeps
    /// its quotes for [`expand`](super::expand::expand).
    pub(crate) fn arg_pairs(&self) -> Vec<(String, Option<String>)> {
        match (&self.keyword, &self.args) {
            (Keyword::Arg, Args::Words(ws)) => ws
                .iter()
                .map(|w| match w.split_once('=') {
                    Some((k, v)) => (k.to_string(), Some(v.to_string())),
                    None => (w.clone(), None),
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// BuildKit's parse dump: `keyword ["--flag"…] "arg"…`.
    #[cfg(test)]
    pub(crate) fn dump(&self) -> String {
        let mut s = self.keyword.as_str().to_ascii_lowercase();
        if !self.flags.is_empty() {
            let flags: Vec<String> = self
                .flags
                .iter()
                .map(|f| go_quote(&f.to_string()))
                .collect();
            s.push_str(" [");
            s.push_str(&flags.join(" "));
            s.push(']');
        }
        self.args.dump_into(&mut s);
        s
    }
}

#[cfg(test)]
impl Args {
    fn dump_into(&self, s: &mut String) {
        let mut arg = |a: &str| {
            s.push(' ');
            s.push_str(&go_quote(a));
        };
        match self {
            Args::Empty => {}
            Args::Json(v) | Args::Words(v) => v.iter().for_each(|a| arg(a)),
            Args::Shell(a) | Args::Text(a) => arg(a),
            Args::Pairs(ps) => {
                for p in ps {
                    arg(&p.key);
                    arg(&p.value);
                    arg(if p.legacy { "" } else { "=" });
                }
            }
            Args::Health { kind, cmd } => {
                arg(kind);
                cmd.dump_into(s);
            }
            Args::Onbuild(i) => {
                s.push_str(" (");
                s.push_str(&i.dump());
                s.push(')');
            }
        }
    }
}

/// A parser directive from the top of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Directive {
    /// Lower case: `syntax`, `escape` or `check`.
    pub name: String,
    pub value: String,
    pub line: usize,
}

/// A parsed Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dockerfile {
    pub instructions: Vec<Instruction>,
    pub directives: Vec<Directive>,
    /// The escape (and line-continuation) character: `\` or `` ` ``.
    pub escape: char,
    /// Deprecated constructs met (empty continuation lines), one line each.
    pub warnings: Vec<String>,
}

impl Dockerfile {
    /// First and last line of the instructions.
    #[cfg(test)]
    pub(crate) fn lines(&self) -> (usize, usize) {
        let first = self.instructions.first().map_or(0, |i| i.line);
        let last = self.instructions.last().map_or(0, |i| i.end_line);
        (first, last)
    }

    #[cfg(test)]
    pub(crate) fn directive(&self, name: &str) -> Option<&str> {
        self.directives
            .iter()
            .find(|d| d.name == name)
            .map(|d| d.value.as_str())
    }

    /// BuildKit's parse dump, one `(…)` line per instruction.
    #[cfg(test)]
    pub(crate) fn dump(&self) -> String {
        let lines: Vec<String> = self
            .instructions
            .iter()
            .map(|i| format!("({})", i.dump()))
            .collect();
        lines.join("\n")
    }
}

/// Directive scanning state: directives are looked for until the first line
/// that is not one.
struct Directives {
    escape: char,
    found: Vec<Directive>,
    done: bool,
}

impl Directives {
    fn check(&mut self, line: &str, lineno: usize) -> Result<(), ParseError> {
        if self.done {
            return Ok(());
        }
        let Some((name, value)) = directive(line) else {
            self.done = true;
            return Ok(());
        };
        let name = name.to_ascii_lowercase();
        if !matches!(name.as_str(), "syntax" | "escape" | "check") {
            self.done = true;
            return Ok(());
        }
        if self.found.iter().any(|d| d.name == name) {
            return err(
                lineno,
                format!("only one {name} parser directive can be used"),
            );
        }
        if name == "escape" {
            self.escape = match value {
                "\\" => '\\',
                "`" => '`',
                v => {
                    return err(
                        lineno,
                        format!("invalid escape token `{v}`: must be ` or \\"),
                    );
                }
            };
        }
        self.found.push(Directive {
            name,
            value: value.to_string(),
            line: lineno,
        });
        Ok(())
    }
}

/// `#` name `=` value, spaces allowed around each part; name is
/// `[A-Za-z][A-Za-z0-9]*`, value non-empty.
fn directive(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix('#')?.trim_start();
    let end = rest
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())))
        .map_or(rest.len(), |(i, _)| i);
    let (name, rest) = rest.split_at(end);
    let value = rest.trim_start().strip_prefix('=')?.trim();
    (!name.is_empty() && !value.is_empty()).then_some((name, value))
}

fn is_comment(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

/// The whitespace BuildKit splits instructions at (not newlines, not Unicode).
fn is_sep(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\u{b}' | '\u{c}' | '\r')
}

/// Splits at the first run of separators: `(head, rest)`.
fn split2(s: &str) -> (&str, Option<&str>) {
    match s.find(is_sep) {
        Some(i) => (&s[..i], Some(s[i..].trim_start_matches(is_sep))),
        None => (s, None),
    }
}

/// Strips a trailing line-continuation: the escape character, then only
/// spaces/tabs, not itself escaped. Returns the text and whether the
/// logical line ends here.
fn trim_continuation(line: &str, escape: char) -> (String, bool) {
    let t = line.trim_end_matches([' ', '\t']);
    if let Some(body) = t.strip_suffix(escape)
        && !body.ends_with(escape)
    {
        return (body.to_string(), false);
    }
    (line.to_string(), true)
}

/// Parses a Dockerfile.
pub(crate) fn parse(src: &str) -> Result<Dockerfile, ParseError> {
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    let lines: Vec<&str> = src.split_inclusive('\n').collect();
    let mut dirs = Directives {
        escape: '\\',
        found: Vec::new(),
        done: false,
    };
    let mut instructions = Vec::new();
    let mut warnings = Vec::new();
    let mut next = 0; // index of the next unread line; its number is next + 1
    while next < lines.len() {
        next += 1;
        let start = next;
        let text = trim_newline(lines[start - 1]).trim_start();
        dirs.check(text, start)?;
        let text = if text.starts_with('#') { "" } else { text };
        let (mut line, mut done) = trim_continuation(text, dirs.escape);
        if done && line.is_empty() {
            continue;
        }
        let mut empty_continuation = false;
        while !done && next < lines.len() {
            next += 1;
            let text = trim_newline(lines[next - 1]);
            if is_comment(text) {
                continue;
            }
            if text.trim_start().is_empty() {
                empty_continuation = true;
                continue;
            }
            let (more, end) = trim_continuation(text, dirs.escape);
            line.push_str(&more);
            done = end;
        }
        if line.trim().is_empty() {
            // Only escape characters and blank lines: nothing to run.
            continue;
        }
        let mut ins = instruction(&line, dirs.escape, start).map_err(|message| ParseError {
            line: start,
            message,
        })?;
        if empty_continuation {
            warnings.push(format!(
                "Dockerfile:{start}: empty continuation line (deprecated; will become an error)"
            ));
        }
        if let Some(kw) = heredoc_keyword(&ins) {
            let openers = heredoc::openers(&line).map_err(|message| ParseError {
                line: start,
                message,
            })?;
            for mut doc in openers {
                let mut terminated = false;
                while next < lines.len() {
                    next += 1;
                    let raw = lines[next - 1];
                    let mut candidate = trim_newline(raw);
                    if doc.chomp {
                        candidate = candidate.trim_start_matches('\t');
                    }
                    if candidate == doc.name {
                        terminated = true;
                        break;
                    }
                    doc.content.push_str(raw);
                }
                if !terminated {
                    return err(start, format!("{kw}: unterminated heredoc `{}`", doc.name));
                }
                if doc.chomp {
                    doc.content = heredoc::chomp(&doc.content);
                }
                ins.heredocs.push(doc);
            }
        }
        ins.end_line = next;
        if let Args::Onbuild(inner) = &mut ins.args {
            inner.end_line = next;
        }
        instructions.push(ins);
    }
    if instructions.is_empty() {
        return err(lines.len().max(1), "file with no instructions");
    }
    Ok(Dockerfile {
        instructions,
        directives: dirs.found,
        escape: dirs.escape,
        warnings,
    })
}

/// RUN/COPY/ADD in shell form (or under ONBUILD) read heredoc bodies.
fn heredoc_keyword(ins: &Instruction) -> Option<Keyword> {
    let i = match &ins.args {
        Args::Onbuild(inner) => inner,
        _ => ins,
    };
    (i.keyword.takes_heredocs() && !matches!(i.args, Args::Json(_))).then_some(i.keyword)
}

fn trim_newline(s: &str) -> &str {
    s.trim_end_matches(['\r', '\n'])
}

/// One logical line → an instruction (without heredoc bodies).
fn instruction(line: &str, escape: char, lineno: usize) -> Result<Instruction, String> {
    let (word, rest) = split2(line.trim());
    let Some(keyword) = Keyword::parse(word) else {
        return Err(unknown_instruction(word));
    };
    let (rest, flags) = match rest {
        Some(r) => {
            let (rest, words) = extract_flags(r);
            (rest, to_flags(words))
        }
        None => (String::new(), Vec::new()),
    };
    let rest = rest.trim();
    let args = match keyword {
        Keyword::Add | Keyword::Copy | Keyword::Volume => match json(rest)? {
            Some(v) => Args::Json(v),
            None => words(rest),
        },
        Keyword::Cmd | Keyword::Entrypoint | Keyword::Run | Keyword::Shell => maybe_json(rest)?,
        Keyword::Arg => {
            let w = quoted_words(rest, escape);
            if w.is_empty() {
                Args::Empty
            } else {
                Args::Words(w)
            }
        }
        Keyword::Env | Keyword::Label => pairs(rest, keyword, escape)?,
        Keyword::Expose | Keyword::From => words(rest),
        Keyword::Healthcheck => {
            let (kind, cmd) = match rest.find(char::is_whitespace) {
                Some(i) => (&rest[..i], rest[i..].trim_start()),
                None => (rest, ""),
            };
            if kind.is_empty() {
                Args::Empty
            } else {
                Args::Health {
                    kind: kind.to_string(),
                    cmd: Box::new(maybe_json(cmd)?),
                }
            }
        }
        Keyword::Maintainer | Keyword::Stopsignal | Keyword::User | Keyword::Workdir => {
            if rest.is_empty() {
                Args::Empty
            } else {
                Args::Text(rest.to_string())
            }
        }
        Keyword::Onbuild => {
            if rest.is_empty() {
                Args::Empty
            } else {
                Args::Onbuild(Box::new(instruction(rest, escape, lineno)?))
            }
        }
    };
    Ok(Instruction {
        keyword,
        flags,
        args,
        heredocs: Vec::new(),
        original: line.to_string(),
        line: lineno,
        end_line: lineno,
    })
}

fn unknown_instruction(word: &str) -> String {
    let upper = word.to_ascii_uppercase();
    let near = Keyword::ALL
        .iter()
        .map(|k| (distance(&upper, k.as_str()), k))
        .min_by_key(|&(d, _)| d)
        .filter(|&(d, _)| d <= 2);
    match near {
        Some((_, k)) => format!("unknown instruction: {word} (did you mean {k}?)"),
        None => format!("unknown instruction: {word}"),
    }
}

/// Levenshtein distance, for the "did you mean" hint.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, &cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + usize::from(ca != cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Leading `--name[=value]` words → flags; returns the rest of the line.
/// A lone `--` ends the flags and is dropped. Inside a flag, quotes group
/// and are removed, and `\` escapes the next character (always `\`, whatever
/// the escape directive says, as in BuildKit).
fn extract_flags(line: &str) -> (String, Vec<String>) {
    let cs: Vec<(usize, char)> = line.char_indices().collect();
    let mut words = Vec::new();
    let mut i = 0;
    loop {
        while i < cs.len() && cs[i].1.is_whitespace() {
            i += 1;
        }
        if i == cs.len() {
            break;
        }
        if !(cs[i].1 == '-' && cs.get(i + 1).is_some_and(|c| c.1 == '-')) {
            return (line[cs[i].0..].to_string(), words);
        }
        let mut word = String::new();
        let mut quote = None;
        while i < cs.len() {
            let c = cs[i].1;
            i += 1;
            match quote {
                None if c.is_whitespace() => break,
                None if c == '\'' || c == '"' => quote = Some(c),
                Some(q) if c == q => quote = None,
                _ if c == '\\' => {
                    if i < cs.len() {
                        word.push(cs[i].1);
                        i += 1;
                    }
                }
                _ => word.push(c),
            }
        }
        if word == "--" {
            let rest = cs.get(i).map_or("", |&(b, _)| &line[b..]);
            return (rest.to_string(), words);
        }
        words.push(word);
    }
    (String::new(), words)
}

fn to_flags(words: Vec<String>) -> Vec<Flag> {
    words
        .into_iter()
        .map(|w| {
            let w = w.strip_prefix("--").unwrap_or(&w);
            match w.split_once('=') {
                Some((n, v)) => Flag {
                    name: n.to_string(),
                    value: Some(v.to_string()),
                },
                None => Flag {
                    name: w.to_string(),
                    value: None,
                },
            }
        })
        .collect()
}

/// Exec form: `Ok(Some)` for a JSON array of strings, `Ok(None)` when the
/// text is not valid JSON (it is then shell form), an error for a valid
/// array holding anything but strings. Text after the array is ignored, as
/// Go's `json.Decoder` does.
fn json(rest: &str) -> Result<Option<Vec<String>>, String> {
    let rest = rest.trim_start();
    if !rest.starts_with('[') {
        return Ok(None);
    }
    let mut values = serde_json::Deserializer::from_str(rest).into_iter::<serde_json::Value>();
    let Some(Ok(serde_json::Value::Array(items))) = values.next() else {
        return Ok(None);
    };
    items
        .into_iter()
        .map(|v| match v {
            serde_json::Value::String(s) => Ok(s),
            _ => Err(
                "when using JSON array syntax, arrays must be comprised of strings only"
                    .to_string(),
            ),
        })
        .collect::<Result<_, _>>()
        .map(Some)
}

fn maybe_json(rest: &str) -> Result<Args, String> {
    if rest.is_empty() {
        return Ok(Args::Empty);
    }
    Ok(match json(rest)? {
        Some(v) => Args::Json(v),
        None => Args::Shell(rest.to_string()),
    })
}

fn words(rest: &str) -> Args {
    if rest.is_empty() {
        return Args::Empty;
    }
    Args::Words(
        rest.split(is_sep)
            .filter(|w| !w.is_empty())
            .map(String::from)
            .collect(),
    )
}

/// ENV/LABEL: `k=v k2=v2…`, or the legacy `k value…`, decided by whether
/// the first word has an `=`.
fn pairs(rest: &str, keyword: Keyword, escape: char) -> Result<Args, String> {
    let ws = quoted_words(rest, escape);
    let Some(first) = ws.first() else {
        return Ok(Args::Empty);
    };
    if !first.contains('=') {
        let (key, value) = split2(rest);
        let Some(value) = value else {
            return Err(format!("{keyword} must have two arguments"));
        };
        return Ok(Args::Pairs(vec![Pair {
            key: key.to_string(),
            value: value.to_string(),
            legacy: true,
        }]));
    }
    ws.into_iter()
        .map(|w| match w.split_once('=') {
            Some((k, v)) => Ok(Pair {
                key: k.to_string(),
                value: v.to_string(),
                legacy: false,
            }),
            None => Err(format!(
                "syntax error: can't find = in `{w}`; must be of the form: name=value"
            )),
        })
        .collect::<Result<_, _>>()
        .map(Args::Pairs)
}

/// Splits at unquoted whitespace, keeping quotes and escapes in the words
/// (`a="b c"` is one word `a="b c"`). The escape character escapes the next
/// character, except inside single quotes; at the very end it is dropped.
pub(crate) fn quoted_words(rest: &str, escape: char) -> Vec<String> {
    let cs: Vec<char> = rest.chars().collect();
    let mut words = Vec::new();
    let mut word = String::new();
    let mut blank_ok = false; // a quoted empty string is still a word
    let mut quote: Option<char> = None;
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        i += 1;
        // The escape character (never a quote or a blank) keeps the next
        // character, outside quotes and inside double ones.
        if c == escape && quote != Some('\'') {
            let Some(&n) = cs.get(i) else { break };
            word.push(c);
            word.push(n);
            i += 1;
            continue;
        }
        match quote {
            None if c.is_whitespace() => {
                if blank_ok || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                blank_ok = false;
            }
            None => {
                if c == '\'' || c == '"' {
                    quote = Some(c);
                    blank_ok = true;
                }
                word.push(c);
            }
            Some(q) => {
                if c == q {
                    quote = None;
                }
                word.push(c);
            }
        }
    }
    if blank_ok || !word.is_empty() {
        words.push(word);
    }
    words
}

/// Go's `strconv.Quote`, which the dump format uses.
#[cfg(test)]
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if !go_printable(c) => {
                if (c as u32) < 0x10000 {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Close to Go's `strconv.IsPrint`: no controls, no spaces but U+0020, no
/// invisible formatting characters.
#[cfg(test)]
fn go_printable(c: char) -> bool {
    !(c.is_control()
        || (c.is_whitespace() && c != ' ')
        || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}')
        || ('\u{e000}'..='\u{f8ff}').contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(src: &str) -> Instruction {
        let mut df = parse(src).unwrap();
        assert_eq!(df.instructions.len(), 1, "{}", df.dump());
        df.instructions.remove(0)
    }

    fn error(src: &str) -> String {
        parse(src).unwrap_err().to_string()
    }

    #[test]
    fn unknown_instruction_names_line_and_suggests() {
        assert_eq!(
            error("FROM a\n\n# c\nRUNN make\n"),
            "Dockerfile:4: unknown instruction: RUNN (did you mean RUN?)"
        );
        assert_eq!(
            error("FROM a\nfrobnicate x\n"),
            "Dockerfile:2: unknown instruction: frobnicate"
        );
    }

    #[test]
    fn keywords_are_case_insensitive() {
        let i = one("from Alpine AS Build");
        assert_eq!(i.keyword, Keyword::From);
        assert_eq!(
            i.args,
            Args::Words(vec!["Alpine".into(), "AS".into(), "Build".into()])
        );
    }

    #[test]
    fn flags_are_parsed_as_flags() {
        let i =
            one("RUN --mount=type=cache,target=/root/.cache --network=none --privileged make\n");
        assert_eq!(i.flag("mount"), Some("type=cache,target=/root/.cache"));
        assert_eq!(i.flag("network"), Some("none"));
        assert_eq!(i.flag("privileged"), Some(""));
        assert_eq!(i.flags[2].value, None);
        assert_eq!(i.args, Args::Shell("make".into()));
        let i = one("COPY --from=build --chown=\"a b\":c --chmod=0755 /out /usr/bin/\n");
        assert_eq!(i.flag("from"), Some("build"));
        assert_eq!(i.flag("chown"), Some("a b:c"));
        assert_eq!(i.args, Args::Words(vec!["/out".into(), "/usr/bin/".into()]));
        // A single dash is an argument; `--` ends the flags.
        let i = one("COPY -- --weird /dst");
        assert!(i.flags.is_empty());
        assert_eq!(i.args, Args::Words(vec!["--weird".into(), "/dst".into()]));
        let i = one("FROM --platform=$BUILDPLATFORM golang:1.22 AS build");
        assert_eq!(i.flag("platform"), Some("$BUILDPLATFORM"));
    }

    #[test]
    fn json_and_shell_forms() {
        assert_eq!(
            one("CMD [\"a\", \"b c\"]").json(),
            Some(&["a".to_string(), "b c".to_string()][..])
        );
        assert_eq!(
            one("ENTRYPOINT echo [\"a\"]").args,
            Args::Shell("echo [\"a\"]".into())
        );
        // Text after the array is ignored, as BuildKit's json.Decoder does.
        assert_eq!(one("CMD [\"a\"] b").json(), Some(&["a".to_string()][..]));
        assert_eq!(one("SHELL [\"/bin/sh\", \"-c\"]").json().unwrap().len(), 2);
        assert_eq!(
            error("FROM a\nRUN [\"a\", 1]"),
            "Dockerfile:2: when using JSON array syntax, arrays must be comprised of strings only"
        );
        assert_eq!(
            one("VOLUME [\"/a\", \"/b\"]").args,
            Args::Json(vec!["/a".into(), "/b".into()])
        );
        assert_eq!(
            one("VOLUME /a /b").args,
            Args::Words(vec!["/a".into(), "/b".into()])
        );
    }

    #[test]
    fn env_label_arg_pairs() {
        let i = one("ENV A=1 B=\"two words\" C=a\\ b");
        let Args::Pairs(ps) = &i.args else { panic!() };
        let kv: Vec<(&str, &str, bool)> =
            ps.iter().map(|p| (&*p.key, &*p.value, p.legacy)).collect();
        assert_eq!(
            kv,
            [
                ("A", "1", false),
                ("B", "\"two words\"", false),
                ("C", "a\\ b", false)
            ]
        );
        let i = one("ENV PATH /usr/bin:$PATH  more");
        assert_eq!(
            i.args,
            Args::Pairs(vec![Pair {
                key: "PATH".into(),
                value: "/usr/bin:$PATH  more".into(),
                legacy: true
            }])
        );
        assert_eq!(
            error("FROM a\nENV PATH"),
            "Dockerfile:2: ENV must have two arguments"
        );
        assert_eq!(
            error("FROM a\nLABEL a=b c"),
            "Dockerfile:2: syntax error: can't find = in `c`; must be of the form: name=value"
        );
        assert_eq!(
            one("ARG a b=\"x y\" c=").args,
            Args::Words(vec!["a".into(), "b=\"x y\"".into(), "c=".into()])
        );
        assert_eq!(
            one("ARG a b=\"x y\" c=").arg_pairs(),
            [
                ("a".into(), None),
                ("b".into(), Some("\"x y\"".into())),
                ("c".into(), Some(String::new()))
            ]
        );
    }

    #[test]
    fn healthcheck_forms() {
        assert_eq!(
            one("HEALTHCHECK NONE").args,
            Args::Health {
                kind: "NONE".into(),
                cmd: Box::new(Args::Empty)
            }
        );
        let i = one("HEALTHCHECK --interval=5s CMD [\"curl\", \"-f\", \"localhost\"]");
        assert_eq!(i.flag("interval"), Some("5s"));
        assert_eq!(
            i.args,
            Args::Health {
                kind: "CMD".into(),
                cmd: Box::new(Args::Json(vec![
                    "curl".into(),
                    "-f".into(),
                    "localhost".into()
                ]))
            }
        );
    }

    #[test]
    fn onbuild_wraps_an_instruction() {
        let i = one("ONBUILD COPY --from=x . /app");
        let Args::Onbuild(inner) = &i.args else {
            panic!()
        };
        assert_eq!(inner.keyword, Keyword::Copy);
        assert_eq!(inner.flag("from"), Some("x"));
        assert_eq!(i.dump(), "onbuild (copy [\"--from=x\"] \".\" \"/app\")");
    }

    #[test]
    fn directives_only_at_the_top() {
        let df = parse("# syntax=docker/dockerfile:1\n# escape=`\nFROM a\nRUN x `\n  y\n").unwrap();
        assert_eq!(df.escape, '`');
        assert_eq!(df.directive("syntax"), Some("docker/dockerfile:1"));
        assert_eq!(df.instructions[1].args, Args::Shell("x   y".into()));
        assert_eq!(df.instructions[1].line, 4);
        assert_eq!(df.instructions[1].end_line, 5);
        // After a blank line, a comment or an unknown directive: a comment.
        for src in [
            "\n# escape=`\nFROM a\n",
            "# hi\n# escape=`\nFROM a\n",
            "# foo=bar\n# escape=`\nFROM a\n",
        ] {
            let df = parse(src).unwrap();
            assert_eq!(df.escape, '\\', "{src:?}");
        }
        assert_eq!(
            error("# escape=`\n# escape=\\\nFROM a"),
            "Dockerfile:2: only one escape parser directive can be used"
        );
        assert_eq!(
            error("# escape=x\nFROM a"),
            "Dockerfile:1: invalid escape token `x`: must be ` or \\"
        );
        // With ` as escape, a Windows path's backslashes are plain.
        let df = parse("# escape=`\nFROM a\nCOPY a C:\\dir\\\n").unwrap();
        assert_eq!(
            df.instructions[1].args,
            Args::Words(vec!["a".into(), "C:\\dir\\".into()])
        );
    }

    #[test]
    fn continuations_skip_comments_and_blank_lines() {
        let df =
            parse("FROM a\nRUN a \\\n# comment\n\n  b \\\n    # indented comment\n  c\nRUN d\n")
                .unwrap();
        let run = &df.instructions[1];
        assert_eq!(run.args, Args::Shell("a   b   c".into()));
        assert_eq!((run.line, run.end_line), (2, 7));
        assert_eq!(df.instructions[2].line, 8);
        assert_eq!(df.warnings.len(), 1);
        // An escaped escape does not continue the line.
        let df = parse("FROM a\nENV A=x\\\\\nENV B=y\n").unwrap();
        assert_eq!(df.instructions.len(), 3);
    }

    #[test]
    fn crlf_and_bom() {
        let df = parse("\u{feff}# escape=`\r\nFROM a\r\nRUN x `\r\n y\r\n").unwrap();
        assert_eq!(df.escape, '`');
        assert_eq!(df.instructions[1].args, Args::Shell("x  y".into()));
    }

    #[test]
    fn heredocs_read_bodies_and_keep_lines() {
        let src = "FROM a\nRUN <<EOF\necho hi\n\techo tab\nEOF\nRUN ok\n";
        let df = parse(src).unwrap();
        let run = &df.instructions[1];
        assert_eq!(run.args, Args::Shell("<<EOF".into()));
        assert_eq!(run.heredocs.len(), 1);
        assert_eq!(run.heredocs[0].name, "EOF");
        assert_eq!(run.heredocs[0].content, "echo hi\n\techo tab\n");
        assert!(run.heredocs[0].expand);
        assert_eq!((run.line, run.end_line), (2, 5));
        assert_eq!(df.instructions[2].line, 6);
        // Several on one line are read in order; `<<-` strips tabs, also
        // before the delimiter; a quoted delimiter turns expansion off.
        let src = "FROM a\nCOPY <<one <<-\"two\" /dst/\n1\none\n\t2\n\ttwo\nRUN ok\n";
        let copy = &parse(src).unwrap().instructions[1];
        let docs: Vec<(&str, &str, bool, bool)> = copy
            .heredocs
            .iter()
            .map(|h| (&*h.name, &*h.content, h.expand, h.chomp))
            .collect();
        assert_eq!(
            docs,
            [("one", "1\n", true, false), ("two", "2\n", false, true)]
        );
        assert_eq!(
            copy.args,
            Args::Words(vec!["<<one".into(), "<<-\"two\"".into(), "/dst/".into()])
        );
        assert_eq!((copy.line, copy.end_line), (2, 6));
    }

    #[test]
    fn heredoc_edge_cases() {
        assert_eq!(
            error("FROM a\nRUN <<EOF\necho\n"),
            "Dockerfile:2: RUN: unterminated heredoc `EOF`"
        );
        // Exec form and other instructions read no bodies.
        let df = parse("FROM a\nRUN [\"cat\", \"<<EOF\"]\nENV A=<<EOF\n").unwrap();
        assert!(df.instructions.iter().all(|i| i.heredocs.is_empty()));
        // Under ONBUILD, with a continuation before the opener.
        let df = parse("FROM a\nONBUILD RUN \\\n  cat <<X\nbody\nX\n").unwrap();
        let ob = &df.instructions[1];
        assert_eq!(ob.heredocs[0].content, "body\n");
        assert_eq!((ob.line, ob.end_line), (2, 5));
        // A body line that looks like an instruction or a comment is body.
        let df = parse("FROM a\nRUN <<EOF\n# not a comment\nFROM b \\\nEOF\n").unwrap();
        assert_eq!(df.instructions.len(), 2);
        assert_eq!(
            df.instructions[1].heredocs[0].content,
            "# not a comment\nFROM b \\\n"
        );
    }

    #[test]
    fn no_instructions_is_an_error() {
        assert_eq!(error(""), "Dockerfile:1: file with no instructions");
        assert_eq!(
            error("# a\n\n# b\n"),
            "Dockerfile:3: file with no instructions"
        );
        assert_eq!(error("\\\n\n"), "Dockerfile:2: file with no instructions");
    }

    #[test]
    fn go_quote_matches_strconv() {
        assert_eq!(go_quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(go_quote("\u{0}\u{1b}\u{7f}\t\n"), r#""\x00\x1b\x7f\t\n""#);
        assert_eq!(go_quote("♥ é"), "\"♥ é\"");
        assert_eq!(
            go_quote("\u{a0}\u{200b}\u{1f600}"),
            "\"\\u00a0\\u200b\u{1f600}\""
        );
    }

    #[test]
    fn hostile_input_errors_instead_of_panicking() {
        for src in [
            "RUN \u{0}",
            "FROM\t",
            "ENV =",
            "ENV \"",
            "LABEL '",
            "COPY --",
            "COPY --x=\"",
            "RUN <<\"",
            "RUN <<'EOF",
            "HEALTHCHECK \u{a0}",
            "ONBUILD",
            "ONBUILD ONBUILD RUN x",
            "CMD [",
            "CMD [\"\\ud800\"]",
            "ARG \\",
            "\\",
            "`",
            "# escape=`\n`",
            "RUN 99999999999<<EOF\nEOF",
            "EXPOSE \u{85}",
        ] {
            let _ = parse(src);
        }
    }
}
