//! Word expansion as the builder applies it to Dockerfile arguments: `$VAR`,
//! `${VAR}`, `${VAR:-w}`, `${VAR:+w}`, `${VAR-w}`, `${VAR+w}`, `${VAR:?w}`,
//! `${VAR#p}`, `${VAR%p}`, `${VAR/p/r}`, quotes and the escape character,
//! with BuildKit's shell-lexer semantics (`frontend/dockerfile/shell`).
//! Not a shell: no command substitution, no field splitting beyond spaces.
//!
//! The parser uses the same lexer, with quotes, escapes and unset variables
//! kept raw, to find heredoc openers on a line (heredoc.rs).

use anyhow::{Context, Result, bail};

/// Expands `word` with the variables `lookup` knows (`None`: unset) and removes
/// quotes and escapes; the result is one string, spaces kept.
pub(crate) fn expand(
    word: &str,
    escape: char,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String> {
    let (s, _) = Lexer::new(escape)
        .process(word, lookup)
        .with_context(|| format!("expanding `{word}`"))?;
    Ok(s)
}

/// Like [`expand`], then splits the result into words at unquoted
/// whitespace (whitespace inside a variable's value splits too, as in sh).
#[cfg(test)]
pub(crate) fn expand_words(
    word: &str,
    escape: char,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<String>> {
    let (_, words) = Lexer::new(escape)
        .process(word, lookup)
        .with_context(|| format!("expanding `{word}`"))?;
    Ok(words)
}

/// The lexer's switches. The defaults expand fully; the raw modes keep the
/// source text so the parser can look at words without interpreting them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lexer {
    pub escape: char,
    /// Keep `'` and `"` in the output.
    pub raw_quotes: bool,
    /// Keep the escape character in the output.
    pub raw_escapes: bool,
    /// Leave `$X` / `${X…}` as written when `X` is unset.
    pub skip_unset: bool,
}

impl Lexer {
    pub(crate) fn new(escape: char) -> Self {
        Lexer {
            escape,
            raw_quotes: false,
            raw_escapes: false,
            skip_unset: false,
        }
    }

    /// The expanded string and its words.
    pub(crate) fn process(
        &self,
        word: &str,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(String, Vec<String>)> {
        let mut st = State {
            lx: self,
            chars: word.chars().collect(),
            pos: 0,
            lookup,
        };
        let (s, words, _) = st.until(&[], false)?;
        Ok((s, words))
    }
}

struct State<'a> {
    lx: &'a Lexer,
    chars: Vec<char>,
    pos: usize,
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

/// Word accumulation: quoted text and escaped characters never split a word;
/// unquoted whitespace (also from a variable's value) does.
#[derive(Default)]
struct Words {
    word: String,
    words: Vec<String>,
    in_word: bool,
}

impl Words {
    fn add_char(&mut self, ch: char) {
        if ch.is_whitespace() {
            if self.in_word && !self.word.is_empty() {
                self.words.push(std::mem::take(&mut self.word));
                self.in_word = false;
            }
        } else {
            self.add_raw_char(ch);
        }
    }
    fn add_raw_char(&mut self, ch: char) {
        self.word.push(ch);
        self.in_word = true;
    }
    fn add_str(&mut self, s: &str) {
        s.chars().for_each(|c| self.add_char(c));
    }
    fn add_raw_str(&mut self, s: &str) {
        self.word.push_str(s);
        self.in_word = true;
    }
    fn finish(mut self) -> Vec<String> {
        if !self.word.is_empty() {
            self.words.push(self.word);
        }
        self.words
    }
}

impl State<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    /// Processes up to (and consumes) one of `stops`, or to the end when
    /// `stops` is empty. Returns the text, its words and the stop found.
    fn until(
        &mut self,
        stops: &[char],
        raw_escapes: bool,
    ) -> Result<(String, Vec<String>, Option<char>)> {
        let raw_escapes = raw_escapes || self.lx.raw_escapes;
        let mut out = String::new();
        let mut words = Words::default();
        while let Some(ch) = self.peek() {
            if stops.contains(&ch) {
                self.pos += 1;
                return Ok((out, words.finish(), Some(ch)));
            }
            match ch {
                '\'' => {
                    let s = self.single_quote()?;
                    out.push_str(&s);
                    words.add_raw_str(&s);
                }
                '"' => {
                    let s = self.double_quote()?;
                    out.push_str(&s);
                    words.add_raw_str(&s);
                }
                '$' => {
                    let s = self.dollar()?;
                    out.push_str(&s);
                    words.add_str(&s);
                }
                _ => {
                    self.pos += 1;
                    if ch == self.lx.escape {
                        if raw_escapes {
                            out.push(ch);
                            words.add_raw_char(ch);
                        }
                        // An escape at the very end is dropped.
                        let Some(c) = self.next() else { break };
                        out.push(c);
                        words.add_raw_char(c);
                    } else {
                        out.push(ch);
                        words.add_char(ch);
                    }
                }
            }
        }
        if let Some(s) = stops.first() {
            bail!("unexpected end of statement while looking for matching {s}");
        }
        Ok((out, words.finish(), None))
    }

    /// `'…'`: everything literal, no escapes (as in sh).
    fn single_quote(&mut self) -> Result<String> {
        self.pos += 1;
        let mut out = String::new();
        if self.lx.raw_quotes {
            out.push('\'');
        }
        loop {
            match self.next() {
                None => {
                    bail!("unexpected end of statement while looking for matching single-quote")
                }
                Some('\'') => {
                    if self.lx.raw_quotes {
                        out.push('\'');
                    }
                    return Ok(out);
                }
                Some(c) => out.push(c),
            }
        }
    }

    /// `"…"`: `$` expands; the escape character escapes only `"`, `$` and
    /// itself, and is kept before anything else.
    fn double_quote(&mut self) -> Result<String> {
        self.pos += 1;
        let mut out = String::new();
        if self.lx.raw_quotes {
            out.push('"');
        }
        loop {
            match self.peek() {
                None => {
                    bail!("unexpected end of statement while looking for matching double-quote")
                }
                Some('"') => {
                    self.pos += 1;
                    if self.lx.raw_quotes {
                        out.push('"');
                    }
                    return Ok(out);
                }
                Some('$') => out.push_str(&self.dollar()?),
                Some(c) => {
                    self.pos += 1;
                    if c == self.lx.escape {
                        match self.peek() {
                            None => continue,
                            Some(n) if n == '"' || n == '$' || n == self.lx.escape => {
                                self.pos += 1;
                                if self.lx.raw_escapes {
                                    out.push(c);
                                }
                                out.push(n);
                            }
                            Some(_) => out.push(c),
                        }
                    } else {
                        out.push(c);
                    }
                }
            }
        }
    }

    fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
    }

    fn dollar(&mut self) -> Result<String> {
        self.pos += 1;
        if self.peek() != Some('{') {
            let name = self.name();
            if name.is_empty() {
                return Ok("$".into());
            }
            return Ok(match self.get(&name) {
                Some(v) => v,
                None if self.lx.skip_unset => format!("${name}"),
                None => String::new(),
            });
        }
        self.pos += 1;
        match self.peek() {
            None => bail!("syntax error: missing '}}'"),
            Some('{' | '}' | ':') => bail!("syntax error: bad substitution"),
            _ => {}
        }
        let name = self.name();
        let value = self.get(&name);
        let Some(ch) = self.next() else {
            bail!("syntax error: missing '}}'")
        };
        match ch {
            '}' => Ok(match value {
                Some(v) => v,
                None if self.lx.skip_unset => format!("${{{name}}}"),
                None => String::new(),
            }),
            ':' | '+' | '-' | '?' | '#' | '%' => {
                let (null_is_unset, op) = if ch == ':' {
                    match self.next() {
                        Some(m @ ('+' | '-' | '?')) => (true, m),
                        Some(m) => bail!("unsupported modifier (:{m}) in substitution"),
                        None => bail!("syntax error: missing '}}'"),
                    }
                } else {
                    (false, ch)
                };
                // Patterns keep their escapes: `\*` is a literal star.
                let pattern = op == '#' || op == '%';
                let word = self.word_to_brace(&['}'], pattern)?.0;
                let colon = if null_is_unset { ":" } else { "" };
                let Some(value) = value else {
                    if self.lx.skip_unset {
                        return Ok(format!("${{{name}{colon}{op}{word}}}"));
                    }
                    return match op {
                        '-' => Ok(word),
                        '?' if word.is_empty() => bail!("{name}: is not allowed to be unset"),
                        '?' => bail!("{name}: {word}"),
                        _ => Ok(String::new()),
                    };
                };
                let null = null_is_unset && value.is_empty();
                match op {
                    '-' => Ok(if null { word } else { value }),
                    '+' => Ok(if null { String::new() } else { word }),
                    '?' if null && word.is_empty() => bail!("{name}: is not allowed to be empty"),
                    '?' if null => bail!("{name}: {word}"),
                    '?' => Ok(value),
                    _ => {
                        let (longest, pat) = match word.strip_prefix(op) {
                            Some(p) => (true, p),
                            None => (false, word.as_str()),
                        };
                        let pat = Glob::new(pat, self.lx.escape);
                        Ok(if op == '#' {
                            pat.trim_prefix(&value, longest)
                        } else {
                            pat.trim_suffix(&value, longest)
                        })
                    }
                }
            }
            '/' => self.replace(&name, value),
            c => bail!("unsupported modifier ({c}) in substitution"),
        }
    }

    /// `${name/pattern/replacement}` and `${name//pattern/replacement}`,
    /// after the first `/`.
    fn replace(&mut self, name: &str, value: Option<String>) -> Result<String> {
        let all = self.peek() == Some('/');
        if all {
            self.pos += 1;
        }
        let (pat, stop) = self.word_to_brace(&['/', '}'], true)?;
        let repl = if stop == Some('/') {
            self.word_to_brace(&['}'], false)?.0
        } else {
            String::new()
        };
        let Some(value) = value else {
            if self.lx.skip_unset {
                let slash = if all { "//" } else { "/" };
                let tail = if stop == Some('/') {
                    format!("/{repl}")
                } else {
                    String::new()
                };
                return Ok(format!("${{{name}{slash}{pat}{tail}}}"));
            }
            return Ok(String::new());
        };
        Ok(Glob::new(&pat, self.lx.escape).replace(&value, &repl, all))
    }

    /// The word inside `${name<op>…}`, up to one of `stops`.
    fn word_to_brace(
        &mut self,
        stops: &[char],
        raw_escapes: bool,
    ) -> Result<(String, Option<char>)> {
        match self.until(stops, raw_escapes) {
            Ok((s, _, stop)) => Ok((s, stop)),
            Err(_) if self.peek().is_none() => bail!("syntax error: missing '}}'"),
            Err(e) => Err(e),
        }
    }

    /// A variable name: letters, digits and `_`; or all digits (positional);
    /// or one special parameter character.
    fn name(&mut self) -> String {
        let mut name = String::new();
        while let Some(ch) = self.peek() {
            if name.is_empty() && ch.is_ascii_digit() {
                while let Some(d) = self.peek().filter(char::is_ascii_digit) {
                    name.push(d);
                    self.pos += 1;
                }
                return name;
            }
            if name.is_empty() && matches!(ch, '@' | '*' | '#' | '?' | '-' | '$' | '!' | '0') {
                self.pos += 1;
                return ch.to_string();
            }
            if !ch.is_alphanumeric() && ch != '_' {
                break;
            }
            name.push(ch);
            self.pos += 1;
        }
        name
    }
}

/// A shell pattern for `#`, `%` and `/`: `*`, `?`, `[…]` (with `!`/`^`
/// negation and ranges) and escaped literals.
struct Glob(Vec<Tok>);

enum Tok {
    Lit(char),
    Any,
    Star,
    Class(bool, Vec<(char, char)>),
}

impl Glob {
    fn new(p: &str, escape: char) -> Glob {
        let cs: Vec<char> = p.chars().collect();
        let mut toks = Vec::new();
        let mut i = 0;
        while i < cs.len() {
            let c = cs[i];
            i += 1;
            match c {
                '*' => toks.push(Tok::Star),
                '?' => toks.push(Tok::Any),
                '[' => {
                    // A class runs to the next `]` that is not its first member;
                    // without one, `[` is literal.
                    let mut j = i;
                    let neg = matches!(cs.get(j), Some('!' | '^'));
                    if neg {
                        j += 1;
                    }
                    let start = j;
                    let mut set = Vec::new();
                    while j < cs.len() && (cs[j] != ']' || j == start) {
                        let lo = cs[j];
                        if cs.get(j + 1) == Some(&'-') && cs.get(j + 2).is_some_and(|&h| h != ']') {
                            set.push((lo, cs[j + 2]));
                            j += 3;
                        } else {
                            set.push((lo, lo));
                            j += 1;
                        }
                    }
                    if j < cs.len() {
                        toks.push(Tok::Class(neg, set));
                        i = j + 1;
                    } else {
                        toks.push(Tok::Lit('['));
                    }
                }
                c if c == escape && i < cs.len() => {
                    toks.push(Tok::Lit(cs[i]));
                    i += 1;
                }
                c => toks.push(Tok::Lit(c)),
            }
        }
        Glob(toks)
    }

    /// Which prefixes of `s` the pattern matches: `out[e]` for `s[..e]`,
    /// and none past the end of `out`.
    ///
    /// A set of positions in the pattern is stepped over `s` (the classic
    /// NFA walk), |pattern| steps per character: every prefix is answered in
    /// one pass, where the backtracking this replaced was exponential in the
    /// number of stars. With `reversed`, the pattern runs backwards over
    /// `s` reversed (every element but a star is one character, so that is
    /// the same language, mirrored): `out[k]` is then for the last k.
    fn prefixes(&self, s: &[char], reversed: bool) -> Vec<bool> {
        let m = self.0.len();
        let tok = |i: usize| &self.0[if reversed { m - 1 - i } else { i }];
        // A star matches nothing too: a position at one reaches the next.
        let close = |at: &mut Vec<bool>| {
            for i in 0..m {
                if at[i] && matches!(tok(i), Tok::Star) {
                    at[i + 1] = true;
                }
            }
        };
        let mut at = vec![false; m + 1];
        at[0] = true;
        close(&mut at);
        let mut out = Vec::with_capacity(s.len() + 1);
        out.push(at[m]);
        let chars: Box<dyn Iterator<Item = &char>> = if reversed {
            Box::new(s.iter().rev())
        } else {
            Box::new(s.iter())
        };
        for &c in chars {
            if !at.contains(&true) {
                // Nothing longer can match: the rest stays unanswered (false).
                break;
            }
            let mut next = vec![false; m + 1];
            for i in (0..m).filter(|&i| at[i]) {
                step();
                match tok(i) {
                    Tok::Star => next[i] = true,
                    Tok::Lit(l) => next[i + 1] |= *l == c,
                    Tok::Any => next[i + 1] = true,
                    Tok::Class(neg, set) => {
                        next[i + 1] |= set.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *neg
                    }
                }
            }
            close(&mut next);
            out.push(next[m]);
            at = next;
        }
        out
    }

    fn trim_prefix(&self, value: &str, longest: bool) -> String {
        let cs: Vec<char> = value.chars().collect();
        let hits = self.prefixes(&cs, false);
        let e = if longest {
            hits.iter().rposition(|&h| h)
        } else {
            hits.iter().position(|&h| h)
        };
        match e {
            Some(e) => cs[e..].iter().collect(),
            None => value.to_string(),
        }
    }

    fn trim_suffix(&self, value: &str, longest: bool) -> String {
        let cs: Vec<char> = value.chars().collect();
        let hits = self.prefixes(&cs, true);
        let k = if longest {
            hits.iter().rposition(|&h| h)
        } else {
            hits.iter().position(|&h| h)
        };
        match k {
            Some(k) => cs[..cs.len() - k].iter().collect(),
            None => value.to_string(),
        }
    }

    /// Replaces the leftmost longest match (every one with `all`).
    fn replace(&self, value: &str, repl: &str, all: bool) -> String {
        let cs: Vec<char> = value.chars().collect();
        let mut out = String::new();
        let mut i = 0;
        let mut done = false;
        while i < cs.len() {
            let hit = if done || self.0.is_empty() {
                None
            } else {
                // The longest non-empty match starting at `i`.
                let hits = self.prefixes(&cs[i..], false);
                hits.iter()
                    .rposition(|&h| h)
                    .filter(|&k| k > 0)
                    .map(|k| i + k)
            };
            match hit {
                Some(e) => {
                    out.push_str(repl);
                    i = e;
                    done = !all;
                }
                None => {
                    out.push(cs[i]);
                    i += 1;
                }
            }
        }
        out
    }
}

#[cfg(test)]
thread_local! {
    /// Pattern steps taken on this thread, by this matcher and the build
    /// context's: the property tests bound them.
    static STEPS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// One step of a pattern matcher (counted in tests, free otherwise).
#[cfg(test)]
pub(crate) fn step() {
    STEPS.with(|c| c.set(c.get() + 1));
}

#[cfg(not(test))]
pub(crate) fn step() {}

/// `f`'s result and the pattern steps it took.
#[cfg(test)]
pub(crate) fn count_steps<T>(f: impl FnOnce() -> T) -> (T, u64) {
    STEPS.with(|c| c.set(0));
    let out = f();
    (out, STEPS.with(|c| c.get()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "A" => Some("a".into()),
            "EMPTY" => Some(String::new()),
            "SP" => Some("x  y".into()),
            "PATH" => Some("/usr/local/bin:/usr/bin:/bin".into()),
            "FILE" => Some("dir/sub/name.tar.gz".into()),
            _ => None,
        }
    }

    fn x(word: &str) -> String {
        expand(word, '\\', &env).unwrap()
    }

    fn err(word: &str) -> String {
        format!("{:#}", expand(word, '\\', &env).unwrap_err())
    }

    #[test]
    fn plain_and_braced_variables() {
        assert_eq!(x("$A"), "a");
        assert_eq!(x("${A}"), "a");
        assert_eq!(x("x$A.y"), "xa.y");
        assert_eq!(x("${A}b"), "ab");
        assert_eq!(x("$Ab"), "");
        assert_eq!(x("$UNSET"), "");
        assert_eq!(x("$"), "$");
        assert_eq!(x("a$ b"), "a$ b");
        assert_eq!(x("$1"), "");
    }

    #[test]
    fn defaults_and_alternatives() {
        assert_eq!(x("${UNSET:-w}"), "w");
        assert_eq!(x("${EMPTY:-w}"), "w");
        assert_eq!(x("${A:-w}"), "a");
        assert_eq!(x("${UNSET-w}"), "w");
        assert_eq!(x("${EMPTY-w}"), "");
        assert_eq!(x("${A-w}"), "a");
        assert_eq!(x("${UNSET:+w}"), "");
        assert_eq!(x("${EMPTY:+w}"), "");
        assert_eq!(x("${A:+w}"), "w");
        assert_eq!(x("${UNSET+w}"), "");
        assert_eq!(x("${EMPTY+w}"), "w");
        assert_eq!(x("${A+w}"), "w");
        // The word is itself expanded, quoted and escaped.
        assert_eq!(x("${UNSET:-$A}"), "a");
        assert_eq!(x("${UNSET:-${UNSET2:-deep}}"), "deep");
        assert_eq!(x("${UNSET:-'a b'}"), "a b");
        assert_eq!(x("${UNSET:-\\}}"), "}");
    }

    #[test]
    fn required_variables() {
        assert_eq!(x("${A:?boom}"), "a");
        assert_eq!(x("${EMPTY?boom}"), "");
        assert_eq!(
            err("${UNSET:?boom}"),
            "expanding `${UNSET:?boom}`: UNSET: boom"
        );
        assert_eq!(
            err("${EMPTY:?}"),
            "expanding `${EMPTY:?}`: EMPTY: is not allowed to be empty"
        );
        assert_eq!(
            err("${UNSET?}"),
            "expanding `${UNSET?}`: UNSET: is not allowed to be unset"
        );
    }

    #[test]
    fn patterns() {
        assert_eq!(x("${FILE#*/}"), "sub/name.tar.gz");
        assert_eq!(x("${FILE##*/}"), "name.tar.gz");
        assert_eq!(x("${FILE%.*}"), "dir/sub/name.tar");
        assert_eq!(x("${FILE%%.*}"), "dir/sub/name");
        assert_eq!(x("${FILE#nomatch}"), "dir/sub/name.tar.gz");
        assert_eq!(x("${FILE/sub/SUB}"), "dir/SUB/name.tar.gz");
        assert_eq!(x("${PATH//:/ }"), "/usr/local/bin /usr/bin /bin");
        assert_eq!(x("${PATH/:*/}"), "/usr/local/bin");
        assert_eq!(x("${FILE#[a-d]}"), "ir/sub/name.tar.gz");
        assert_eq!(x("${FILE%\\.gz}"), "dir/sub/name.tar");
        assert_eq!(x("${UNSET#x}"), "");
    }

    #[test]
    fn quotes() {
        assert_eq!(x("'$A'"), "$A");
        assert_eq!(x("\"$A\""), "a");
        assert_eq!(x("\"'$A'\""), "'a'");
        assert_eq!(x("'a\\b'"), "a\\b");
        assert_eq!(x("\"a\\\"b\""), "a\"b");
        assert_eq!(x("\"a\\$A\""), "a$A");
        assert_eq!(x("\"a\\nb\""), "a\\nb");
        assert_eq!(x("\"a\\\\b\""), "a\\b");
        assert_eq!(x("a\" b \"c"), "a b c");
    }

    #[test]
    fn escapes() {
        assert_eq!(x("\\$A"), "$A");
        assert_eq!(x("a\\ b"), "a b");
        assert_eq!(x("\\'a"), "'a");
        assert_eq!(x("end\\"), "end");
        assert_eq!(expand("`$A", '`', &env).unwrap(), "$A");
        assert_eq!(expand("C:\\dir\\$A", '`', &env).unwrap(), "C:\\dir\\a");
    }

    #[test]
    fn syntax_errors() {
        assert_eq!(err("${A"), "expanding `${A`: syntax error: missing '}'");
        assert_eq!(err("${"), "expanding `${`: syntax error: missing '}'");
        assert_eq!(
            err("${}"),
            "expanding `${}`: syntax error: bad substitution"
        );
        assert_eq!(
            err("${:-x}"),
            "expanding `${:-x}`: syntax error: bad substitution"
        );
        assert_eq!(
            err("${A:-x"),
            "expanding `${A:-x`: syntax error: missing '}'"
        );
        assert_eq!(
            err("${A:x}"),
            "expanding `${A:x}`: unsupported modifier (:x) in substitution"
        );
        assert_eq!(
            err("${A!}"),
            "expanding `${A!}`: unsupported modifier (!) in substitution"
        );
        assert_eq!(
            err("'open"),
            "expanding `'open`: unexpected end of statement while looking for matching single-quote"
        );
        assert_eq!(
            err("\"open"),
            "expanding `\"open`: unexpected end of statement while looking for matching double-quote"
        );
    }

    #[test]
    fn words_split_on_unquoted_space_and_variable_values() {
        let w = |s: &str| expand_words(s, '\\', &env).unwrap();
        assert_eq!(w("a b  c"), ["a", "b", "c"]);
        assert_eq!(w("'a b' c"), ["a b", "c"]);
        assert_eq!(w("a\\ b c"), ["a b", "c"]);
        assert_eq!(w("$SP z"), ["x", "y", "z"]);
        assert_eq!(w("\"$SP\" z"), ["x  y", "z"]);
        assert_eq!(w("\"\" z"), ["z"]);
        assert!(w("   ").is_empty());
    }

    #[test]
    fn raw_modes_keep_source_text() {
        let lx = Lexer {
            raw_quotes: true,
            raw_escapes: true,
            skip_unset: true,
            ..Lexer::new('\\')
        };
        let (_, words) = lx
            .process("a 'b c' \"$UNSET\" ${X:-y} $A \\$B", &env)
            .unwrap();
        assert_eq!(words, ["a", "'b c'", "\"$UNSET\"", "${X:-y}", "a", "\\$B"]);
    }
}

/// Arbitrary words and patterns: expansion never panics, `#`, `%` and `/`
/// agree with the backtracking definition they replaced, and their work is
/// bounded by the input's length (counted in steps, not timed).
#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    /// The recursive matcher this file had before issue 9: the definition
    /// of what matches, exponential in the number of stars.
    fn matches_by_backtracking(p: &[Tok], s: &[char]) -> bool {
        match p.split_first() {
            None => s.is_empty(),
            Some((Tok::Star, rest)) => {
                (0..=s.len()).any(|k| matches_by_backtracking(rest, &s[k..]))
            }
            Some((t, rest)) => {
                let Some((&c, srest)) = s.split_first() else {
                    return false;
                };
                let ok = match t {
                    Tok::Lit(l) => *l == c,
                    Tok::Any => true,
                    Tok::Class(neg, set) => set.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *neg,
                    Tok::Star => unreachable!("handled above"),
                };
                ok && matches_by_backtracking(rest, srest)
            }
        }
    }

    /// `(#, ##, %, %%, /, //)` by the old definitions.
    fn ops_by_backtracking(g: &Glob, v: &str) -> [String; 6] {
        let cs: Vec<char> = v.chars().collect();
        let m = |s: &[char]| matches_by_backtracking(&g.0, s);
        let n = cs.len();
        let prefix = |e: Option<usize>| e.map_or(v.to_string(), |e| cs[e..].iter().collect());
        let suffix = |b: Option<usize>| b.map_or(v.to_string(), |b| cs[..b].iter().collect());
        let replace = |all: bool| {
            let (mut out, mut i, mut done) = (String::new(), 0, false);
            while i < n {
                let hit = if done || g.0.is_empty() {
                    None
                } else {
                    (i + 1..=n).rev().find(|&e| m(&cs[i..e]))
                };
                match hit {
                    Some(e) => {
                        out.push('R');
                        i = e;
                        done = !all;
                    }
                    None => {
                        out.push(cs[i]);
                        i += 1;
                    }
                }
            }
            out
        };
        [
            prefix((0..=n).find(|&e| m(&cs[..e]))),
            prefix((0..=n).rev().find(|&e| m(&cs[..e]))),
            suffix((0..=n).rev().find(|&b| m(&cs[b..]))),
            suffix((0..=n).find(|&b| m(&cs[b..]))),
            replace(false),
            replace(true),
        ]
    }

    fn ops(g: &Glob, v: &str) -> [String; 6] {
        [
            g.trim_prefix(v, false),
            g.trim_prefix(v, true),
            g.trim_suffix(v, false),
            g.trim_suffix(v, true),
            g.replace(v, "R", false),
            g.replace(v, "R", true),
        ]
    }

    use super::count_steps as steps;

    #[test]
    fn pathological_patterns_take_bounded_steps() {
        let v = "a".repeat(40);
        let lookup = |n: &str| (n == "V").then(|| v.clone());
        for (word, want) in [
            ("${V#*a*a*a*a*a*a*a*a*a*a*b}", v.as_str()),
            ("${V%%*a*a*a*a*a*a*a*a*a*a*b}", v.as_str()),
        ] {
            let (got, n) = steps(|| expand(word, '\\', &lookup).unwrap());
            assert_eq!(got, want);
            assert!(n <= 22 * 41, "{word}: {n} steps");
        }
        // `/` tries each start: bounded by |pattern| * |value|^2.
        let (got, n) = steps(|| expand("${V//*a*a*a*a*a*a*a*a*a*a*b/x}", '\\', &lookup).unwrap());
        assert_eq!(got, v);
        assert!(n <= 22 * 41 * 41, "{n} steps");
    }

    fn config() -> ProptestConfig {
        crate::proptest_config(256)
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn patterns_agree_and_are_bounded(
            p in "[ab*?\\[\\]!^\\\\-]{0,8}",
            v in "[ab\\]!*-é]{0,12}",
        ) {
            let g = Glob::new(&p, '\\');
            let (got, n) = steps(|| ops(&g, &v));
            prop_assert_eq!(got, ops_by_backtracking(&g, &v), "pattern {:?} value {:?}", p, v);
            let (lp, lv) = (p.chars().count() as u64 + 1, v.chars().count() as u64 + 1);
            prop_assert!(n <= 4 * lp * lv + 2 * lp * lv * lv, "{} steps", n);
        }

        #[test]
        fn expansion_never_panics(
            word in any::<String>(),
            escape in prop_oneof![Just('\\'), Just('`')],
            value in any::<String>(),
        ) {
            let lookup = |n: &str| (n.len() % 2 == 1).then(|| value.clone());
            let _ = expand(&word, escape, &lookup);
            let _ = expand_words(&word, escape, &lookup);
        }

        #[test]
        fn shell_like_words_never_panic(
            word in "([a-z$\\{\\}:#%/?+*\\[\\]!^\\-'\"\\\\ ]|\\$\\{[AB]?[:#%/?+-]{0,2}){0,40}",
            value in "[a-z*/ é]{0,10}",
        ) {
            let lookup = |n: &str| (n == "A").then(|| value.clone());
            let _ = expand(&word, '\\', &lookup);
            let _ = expand_words(&word, '`', &lookup);
            let mut lx = Lexer::new('\\');
            lx.raw_quotes = true;
            lx.raw_escapes = true;
            lx.skip_unset = true;
            let _ = lx.process(&word, &lookup);
        }
    }
}
