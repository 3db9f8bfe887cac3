//! `--format` templates: the subset of Go's text/template that people script
//! `podman ps`, `images` and `inspect` with, rendered against JSON values.
//!
//! What is understood: literal text; actions `{{.}}`, `{{.Field}}`,
//! `{{.A.B}}`; the functions `json`, `index`, `join`, `lower`, `upper`;
//! pipelines (`{{.Names | json}}`); string and number literals; the `{{-`
//! and `-}}` trim markers. As podman (containers/common `report`), a
//! template's `\t` and `\n` are a tab and a newline, a `table ` prefix asks
//! for a header row and turns the text's spaces into column breaks, every
//! template ends in a newline, and the result is aligned like Go's
//! tabwriter (min width 12, padding 2). Control flow (`range`, `if`, …) is
//! refused by name rather than misread.
//!
//! Values print as Go's `%v` does: strings bare, arrays `[a b]`, objects
//! `map[k:v]` with sorted keys, null `<nil>`. Every value is escaped for the
//! terminal as it is substituted ([`crate::term::escape`]): names, commands
//! and labels come from users and images; the template's own tabs and
//! newlines are kept.

use crate::term::{escape, escape_json};
use anyhow::{Result, anyhow, bail};
use serde_json::Value;
use std::fmt::Write as _;

/// A parsed template.
#[derive(Debug)]
pub struct Template {
    table: bool,
    nodes: Vec<Node>,
}

#[derive(Debug)]
enum Node {
    Text(String),
    /// Commands of a pipeline: each one's result is the last argument of
    /// the next.
    Action(Vec<Command>),
}

#[derive(Debug)]
enum Command {
    Arg(Arg),
    Call(Func, Vec<Arg>),
}

#[derive(Debug, Clone)]
enum Arg {
    /// `.` (empty) or `.A.B`.
    Field(Vec<String>),
    Str(String),
    Int(i64),
}

#[derive(Debug, Clone, Copy)]
enum Func {
    Json,
    Index,
    Join,
    Lower,
    Upper,
}

impl Template {
    /// Parses `src` as the user typed it (`table ` prefix and `\t` escapes
    /// included). Errors say what is wrong in one line; the caller names
    /// the template.
    pub fn parse(src: &str) -> Result<Template> {
        // containers/common's NormalizeFormat, on the whole text as it does.
        let table = src.starts_with("table ");
        let mut body = if table {
            src.replace("table ", "")
                .replace("\\t", "\t")
                .replace("\\n", "\n")
                .replace(' ', "\t")
        } else {
            src.replace("\\t", "\t").replace("\\n", "\n")
        };
        if !body.ends_with('\n') {
            body.push('\n');
        }
        let mut nodes = Vec::new();
        let mut rest = body.as_str();
        let mut trim_next = false;
        loop {
            let (mut text, after) = match rest.find("{{") {
                Some(i) => (&rest[..i], Some(&rest[i + 2..])),
                None => (rest, None),
            };
            if trim_next {
                text = text.trim_start();
            }
            let Some(after) = after else {
                push_text(&mut nodes, text);
                break;
            };
            let (mut inner, tail) =
                split_action(after).ok_or_else(|| anyhow!("unclosed action (no `}}}}`)"))?;
            if let Some(i) = inner
                .strip_prefix('-')
                .filter(|i| i.starts_with(char::is_whitespace))
            {
                text = text.trim_end();
                inner = i;
            }
            trim_next = false;
            if let Some(i) = inner
                .strip_suffix('-')
                .filter(|i| i.ends_with(char::is_whitespace))
            {
                trim_next = true;
                inner = i;
            }
            push_text(&mut nodes, text);
            let inner = inner.trim();
            if !(inner.starts_with("/*") && inner.ends_with("*/")) {
                nodes.push(Node::Action(parse_pipeline(inner)?));
            }
            rest = tail;
        }
        Ok(Template { table, nodes })
    }

    /// Renders every item, under a header row when the template is a table
    /// (each action's header is `header(field)` of its last field name),
    /// aligned in columns. Nothing is returned partly: an error in any item
    /// is the whole result.
    pub fn render_all(&self, items: &[Value], header: &dyn Fn(&str) -> String) -> Result<String> {
        let mut out = String::new();
        if self.table {
            out.push_str(&self.header(header));
        }
        for v in items {
            out.push_str(&self.render(v)?);
        }
        Ok(align(&out))
    }

    /// One item, unaligned.
    pub fn render(&self, v: &Value) -> Result<String> {
        let mut out = String::new();
        for n in &self.nodes {
            match n {
                Node::Text(t) => out.push_str(t),
                Node::Action(cmds) => {
                    let value = eval(cmds, v)?;
                    match value {
                        Out::Value(v) => out.push_str(&escape(&go_print(&v))),
                        Out::Json(j) => out.push_str(&escape_json(&j)),
                    }
                }
            }
        }
        Ok(out)
    }

    fn header(&self, header: &dyn Fn(&str) -> String) -> String {
        let mut out = String::new();
        for n in &self.nodes {
            match n {
                Node::Text(t) => out.push_str(t),
                Node::Action(cmds) => {
                    let field = cmds.iter().rev().find_map(|c| {
                        let args: &[Arg] = match c {
                            Command::Arg(a) => std::slice::from_ref(a),
                            Command::Call(_, args) => args,
                        };
                        args.iter().find_map(|a| match a {
                            Arg::Field(path) => path.last(),
                            _ => None,
                        })
                    });
                    if let Some(f) = field {
                        out.push_str(&header(f));
                    }
                }
            }
        }
        out
    }
}

/// The column header podman derives from a field name: its camel-case words,
/// upper-cased (`CreatedAt` → `CREATED AT`, `ImageID` → `IMAGE ID`).
pub fn default_header(field: &str) -> String {
    let chars: Vec<char> = field.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let boundary = (c.is_uppercase() && prev.is_lowercase())
                || (c.is_uppercase() && prev.is_uppercase() && next_lower)
                || (c.is_ascii_digit() != prev.is_ascii_digit());
            if boundary {
                out.push(' ');
            }
        }
        out.extend(c.to_uppercase());
    }
    out
}

fn push_text(nodes: &mut Vec<Node>, text: &str) {
    if !text.is_empty() {
        nodes.push(Node::Text(text.to_string()));
    }
}

/// The action's inside and what follows its `}}`, skipping `}}` inside
/// string literals.
fn split_action(s: &str) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < b.len() {
        match (quote, b[i]) {
            (Some(b'"'), b'\\') => i += 1,
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, c @ (b'"' | b'`')) => quote = Some(c),
            (None, b'}') if b.get(i + 1) == Some(&b'}') => return Some((&s[..i], &s[i + 2..])),
            (None, _) => {}
        }
        i += 1;
    }
    None
}

#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Str(String),
    Pipe,
}

fn tokens(s: &str) -> Result<Vec<Token>> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '|' => {
                chars.next();
                out.push(Token::Pipe);
            }
            '"' => {
                chars.next();
                let mut lit = String::new();
                loop {
                    match chars.next() {
                        None => bail!("unterminated string"),
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some('n') => lit.push('\n'),
                            Some('t') => lit.push('\t'),
                            Some(c @ ('"' | '\\')) => lit.push(c),
                            Some(c) => bail!("unknown escape `\\{c}` in a string"),
                            None => bail!("unterminated string"),
                        },
                        Some(c) => lit.push(c),
                    }
                }
                out.push(Token::Str(lit));
            }
            '`' => {
                chars.next();
                let lit: String = chars.by_ref().take_while(|&c| c != '`').collect();
                out.push(Token::Str(lit));
            }
            _ => {
                let mut w = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || c == '|' || c == '"' {
                        break;
                    }
                    w.push(c);
                    chars.next();
                }
                out.push(Token::Word(w));
            }
        }
    }
    Ok(out)
}

fn parse_pipeline(s: &str) -> Result<Vec<Command>> {
    let toks = tokens(s)?;
    if toks.is_empty() {
        bail!("empty action `{{{{}}}}`");
    }
    let mut cmds = Vec::new();
    for (i, part) in toks.split(|t| *t == Token::Pipe).enumerate() {
        let Some((first, args)) = part.split_first() else {
            bail!("missing command in a pipeline");
        };
        let cmd = match first {
            Token::Word(w)
                if !w.starts_with('.') && !w.starts_with(|c: char| c.is_ascii_digit()) =>
            {
                let f = match w.as_str() {
                    "json" => Func::Json,
                    "index" => Func::Index,
                    "join" => Func::Join,
                    "lower" => Func::Lower,
                    "upper" => Func::Upper,
                    "range" | "if" | "with" | "else" | "end" | "define" | "template" | "block" => {
                        bail!("`{w}` is not supported in berth's templates")
                    }
                    _ if w.starts_with('$') => bail!("variables (`{w}`) are not supported"),
                    _ => bail!("function `{w}` not defined"),
                };
                let args = args.iter().map(arg).collect::<Result<Vec<_>>>()?;
                let given = args.len() + usize::from(i > 0);
                let ok = match f {
                    Func::Json | Func::Lower | Func::Upper => given == 1,
                    Func::Join => given == 2,
                    Func::Index => given >= 1,
                };
                if !ok {
                    bail!("wrong number of arguments for `{w}`");
                }
                Command::Call(f, args)
            }
            t => {
                if !args.is_empty() || i > 0 {
                    bail!("`{s}`: a value cannot take arguments");
                }
                Command::Arg(arg(t)?)
            }
        };
        cmds.push(cmd);
    }
    Ok(cmds)
}

fn arg(t: &Token) -> Result<Arg> {
    match t {
        Token::Str(s) => Ok(Arg::Str(s.clone())),
        Token::Word(w) if w == "." => Ok(Arg::Field(Vec::new())),
        Token::Word(w) if w.starts_with('.') => {
            let path: Vec<String> = w[1..].split('.').map(str::to_string).collect();
            if path
                .iter()
                .any(|p| p.is_empty() || !p.chars().all(|c| c.is_alphanumeric() || c == '_'))
            {
                bail!("bad field `{w}`");
            }
            Ok(Arg::Field(path))
        }
        Token::Word(w) => w
            .parse()
            .map(Arg::Int)
            .map_err(|_| anyhow!("unexpected `{w}`")),
        Token::Pipe => bail!("unexpected `|`"),
    }
}

/// What an action gives: a value to print as Go does, or `json`'s text.
enum Out {
    Value(Value),
    Json(String),
}

fn eval(cmds: &[Command], dot: &Value) -> Result<Out> {
    let mut prev: Option<Out> = None;
    for c in cmds {
        let out = match c {
            Command::Arg(a) => Out::Value(value_of(a, dot)?),
            Command::Call(f, args) => {
                let mut vals = args
                    .iter()
                    .map(|a| value_of(a, dot))
                    .collect::<Result<Vec<_>>>()?;
                match prev.take() {
                    Some(Out::Value(v)) => vals.push(v),
                    Some(Out::Json(j)) => vals.push(Value::String(j)),
                    None => {}
                }
                call(*f, vals)?
            }
        };
        prev = Some(out);
    }
    Ok(prev.unwrap_or(Out::Value(Value::Null)))
}

fn value_of(a: &Arg, dot: &Value) -> Result<Value> {
    match a {
        Arg::Str(s) => Ok(Value::String(s.clone())),
        Arg::Int(n) => Ok(Value::from(*n)),
        Arg::Field(path) => {
            let mut v = dot;
            for name in path {
                v = match v {
                    Value::Object(m) => m.get(name),
                    _ => None,
                }
                .ok_or_else(|| anyhow!("can't evaluate field {name}"))?;
            }
            Ok(v.clone())
        }
    }
}

fn call(f: Func, mut vals: Vec<Value>) -> Result<Out> {
    let s = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => go_print(other),
    };
    Ok(match f {
        Func::Json => Out::Json(serde_json::to_string(&vals[0])?),
        Func::Lower => Out::Value(Value::String(s(&vals[0]).to_lowercase())),
        Func::Upper => Out::Value(Value::String(s(&vals[0]).to_uppercase())),
        Func::Join => {
            let sep = s(&vals[1]);
            match &vals[0] {
                Value::Array(a) => Out::Value(Value::String(
                    a.iter().map(s).collect::<Vec<_>>().join(&sep),
                )),
                other => bail!("join of a {}, not a list", kind(other)),
            }
        }
        Func::Index => {
            let mut v = vals.remove(0);
            for key in vals {
                v = match (&v, &key) {
                    // A missing key gives the zero value, as Go's index of a map.
                    (Value::Object(m), Value::String(k)) => {
                        m.get(k).cloned().unwrap_or(Value::String(String::new()))
                    }
                    (Value::Array(a), Value::Number(n)) => {
                        let i = n.as_u64().and_then(|i| usize::try_from(i).ok());
                        match i.and_then(|i| a.get(i)) {
                            Some(x) => x.clone(),
                            None => bail!("index out of range: {n}"),
                        }
                    }
                    (Value::Null, _) => Value::String(String::new()),
                    (v, k) => bail!("can't index a {} with {}", kind(v), go_print(k)),
                };
            }
            Out::Value(v)
        }
    })
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "nil",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "map",
    }
}

/// `v` as Go's `fmt.Sprint` shows it.
pub fn go_print(v: &Value) -> String {
    let mut s = String::new();
    print_into(&mut s, v);
    s
}

fn print_into(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("<nil>"),
        Value::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) => out.push_str(s),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                print_into(out, x);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push_str("map[");
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                print_into(out, &m[k]);
            }
            out.push(']');
        }
    }
}

/// Aligns tab-separated cells as Go's tabwriter does with podman's settings
/// (min width 12, padding 2, spaces): a cell is a tab-terminated run of
/// text, a column's width is set by the consecutive lines that have that
/// cell, and the text after a line's last tab is not padded.
pub fn align(text: &str) -> String {
    const MIN_WIDTH: usize = 12;
    const PADDING: usize = 2;
    let lines: Vec<Vec<&str>> = text
        .split_inclusive('\n')
        .map(|l| l.split('\t').collect())
        .collect();
    if lines.iter().all(|l| l.len() == 1) {
        return text.to_string();
    }
    // widths[line][col]: the padded width of each terminated cell.
    let mut widths: Vec<Vec<usize>> = lines.iter().map(|l| vec![0; l.len() - 1]).collect();
    let max_cols = lines.iter().map(|l| l.len() - 1).max().unwrap_or(0);
    for col in 0..max_cols {
        let mut start = 0;
        while start < lines.len() {
            if lines[start].len() - 1 <= col {
                start += 1;
                continue;
            }
            let mut end = start;
            while end < lines.len() && lines[end].len() - 1 > col {
                end += 1;
            }
            let w = (start..end)
                .map(|i| lines[i][col].chars().count() + PADDING)
                .max()
                .unwrap_or(0)
                .max(MIN_WIDTH);
            for row in &mut widths[start..end] {
                row[col] = w;
            }
            start = end;
        }
    }
    let mut out = String::with_capacity(text.len() * 2);
    for (cells, ws) in lines.iter().zip(&widths) {
        let last = cells.len() - 1;
        for (i, c) in cells.iter().enumerate() {
            out.push_str(c);
            if i < last {
                let pad = ws[i].saturating_sub(c.chars().count());
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(tpl: &str, v: Value) -> String {
        Template::parse(tpl).unwrap().render(&v).unwrap()
    }

    fn error(tpl: &str, v: Value) -> String {
        match Template::parse(tpl) {
            Err(e) => format!("{e:#}"),
            Ok(t) => format!("{:#}", t.render(&v).unwrap_err()),
        }
    }

    fn ctr() -> Value {
        json!({
            "ID": "0123456789ab",
            "Names": "web",
            "Labels": {"k": "v", "a": "b c"},
            "Ports": [],
            "State": {"Pid": 42, "Running": true, "Status": "running"},
            "Command": ["sh", "-c", "echo hi"],
            "Size": null,
        })
    }

    #[test]
    fn fields_and_nested_fields_print_as_go_prints_them() {
        assert_eq!(render("{{.Names}}", ctr()), "web\n");
        assert_eq!(render("{{.State.Pid}}", ctr()), "42\n");
        assert_eq!(render("{{.State.Running}}", ctr()), "true\n");
        assert_eq!(render("{{.Command}}", ctr()), "[sh -c echo hi]\n");
        assert_eq!(render("{{.Labels}}", ctr()), "map[a:b c k:v]\n");
        assert_eq!(render("{{.Ports}}", ctr()), "[]\n");
        assert_eq!(render("{{.Size}}", ctr()), "<nil>\n");
        assert_eq!(
            render("{{.State}}", ctr()),
            "map[Pid:42 Running:true Status:running]\n"
        );
    }

    #[test]
    fn literal_text_and_escapes_surround_the_values() {
        assert_eq!(
            render("id={{.ID}} name={{.Names}}", ctr()),
            "id=0123456789ab name=web\n"
        );
        assert_eq!(
            render(r"{{.ID}}\n{{.Names}}\n", ctr()),
            "0123456789ab\nweb\n"
        );
        // Without `table` a tab still aligns: podman writes through a tabwriter.
        let t = Template::parse(r"{{.ID}}\t{{.Names}}").unwrap();
        assert_eq!(
            t.render_all(&[ctr()], &default_header).unwrap(),
            "0123456789ab  web\n"
        );
        assert_eq!(render("{{- .Names -}}  \n", ctr()), "web");
        assert_eq!(render("a  {{- .Names}}", ctr()), "aweb\n");
        assert_eq!(render("{{/* a comment */}}x", ctr()), "x\n");
    }

    #[test]
    fn json_index_join_and_pipelines() {
        assert_eq!(
            render("{{json .Labels}}", ctr()),
            "{\"a\":\"b c\",\"k\":\"v\"}\n"
        );
        assert_eq!(
            render("{{.Labels | json}}", ctr()),
            "{\"a\":\"b c\",\"k\":\"v\"}\n"
        );
        assert_eq!(render(r#"{{index .Labels "k"}}"#, ctr()), "v\n");
        assert_eq!(render(r#"{{index .Labels "none"}}"#, ctr()), "\n");
        assert_eq!(render("{{index .Command 2}}", ctr()), "echo hi\n");
        assert_eq!(render(r#"{{join .Command ","}}"#, ctr()), "sh,-c,echo hi\n");
        assert_eq!(render("{{upper .Names}}", ctr()), "WEB\n");
        assert_eq!(render("{{.Names | upper | lower}}", ctr()), "web\n");
        let all: Value = serde_json::from_str(render("{{json .}}", ctr()).trim()).unwrap();
        assert_eq!(all, ctr());
        assert_eq!(render(r#"{{"}}"}}"#, ctr()), "}}\n");
    }

    #[test]
    fn a_table_has_a_header_row_and_aligned_columns() {
        let t = Template::parse(r"table {{.ID}}\t{{.Names}}\t{{.State.Status}}").unwrap();
        let other = json!({"ID": "ffffffffffff", "Names": "a-much-longer-name", "State": {"Status": "exited"}});
        let header = |f: &str| match f {
            "ID" => "CONTAINER ID".to_string(),
            f => default_header(f),
        };
        assert_eq!(
            t.render_all(&[ctr(), other], &header).unwrap(),
            "CONTAINER ID  NAMES               STATUS\n\
             0123456789ab  web                 running\n\
             ffffffffffff  a-much-longer-name  exited\n"
        );
        // Spaces between a table's actions are column breaks too.
        let t = Template::parse("table {{.ID}} {{.Names}}").unwrap();
        assert_eq!(
            t.render_all(&[], &default_header).unwrap(),
            "ID          NAMES\n"
        );
    }

    #[test]
    fn headers_are_the_field_names_words_upper_cased() {
        assert_eq!(default_header("CreatedAt"), "CREATED AT");
        assert_eq!(default_header("ImageID"), "IMAGE ID");
        assert_eq!(default_header("ID"), "ID");
        assert_eq!(default_header("Names"), "NAMES");
    }

    #[test]
    fn an_unknown_field_is_named_in_the_error() {
        assert_eq!(error("{{.Nope}}", ctr()), "can't evaluate field Nope");
        assert_eq!(error("{{.State.Nope}}", ctr()), "can't evaluate field Nope");
        assert_eq!(error("{{.Names.X}}", ctr()), "can't evaluate field X");
    }

    #[test]
    fn what_is_not_understood_is_refused_in_one_line() {
        for (tpl, needle) in [
            ("{{.Names", "unclosed action"),
            ("{{range .Names}}{{end}}", "`range` is not supported"),
            ("{{if .Names}}x{{end}}", "`if` is not supported"),
            ("{{nosuch .Names}}", "function `nosuch` not defined"),
            ("{{$x}}", "variables"),
            ("{{}}", "empty action"),
            ("{{json}}", "wrong number of arguments"),
            ("{{.Names .ID}}", "cannot take arguments"),
            (r#"{{index .Labels "k}}"#, "unclosed action"),
            ("{{index .Command 9}}", "index out of range: 9"),
            ("{{.a..b}}", "bad field"),
        ] {
            let e = error(tpl, ctr());
            assert!(e.contains(needle), "{tpl}: {e}");
            assert!(!e.contains('\n'), "{tpl}: {e}");
        }
    }

    #[test]
    fn values_are_escaped_for_the_terminal_but_the_template_is_not() {
        let v = json!({"Names": "x\x1b[2K\rberth: fake\tcol", "L": {"k": "\u{9b}31m"}});
        assert_eq!(
            render(r"{{.Names}}\t{{json .L}}", v),
            "x\\x1b[2K\\rberth: fake\\tcol\t{\"k\":\"\\u009b31m\"}\n"
        );
    }

    #[test]
    fn alignment_follows_column_blocks_as_tabwriter() {
        // The middle line has one cell: the columns above and below it are
        // separate blocks.
        assert_eq!(
            align("a\tb\tc\nsingle\nlongest-first-cell\tx\n"),
            "a           b           c\nsingle\nlongest-first-cell  x\n"
        );
        assert_eq!(align("no tabs\n"), "no tabs\n");
    }

    proptest::proptest! {
        #[test]
        fn any_template_parses_or_fails_without_panicking(s in "\\PC{0,40}") {
            if let Ok(t) = Template::parse(&s) {
                let _ = t.render_all(&[ctr()], &default_header);
            }
        }

        #[test]
        fn literal_text_renders_as_itself(s in "[a-zA-Z0-9 ,.:;=/_-]{0,40}") {
            proptest::prop_assume!(!s.starts_with("table "));
            proptest::prop_assert_eq!(render(&s, ctr()), format!("{s}\n"));
        }
    }
}
