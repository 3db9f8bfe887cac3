//! systemd unit files as data: parsed into groups of `Key=Value` lines and
//! written back, and the word quoting of systemd command lines. The units
//! berth writes — `generate systemd` (`systemd.rs`) and the Quadlet
//! generator's (`quadlet.rs`) — are built here from plain inputs; no I/O.
//!
//! The model follows podman's Quadlet parser (`pkg/systemd/parser`), so a
//! `.container` file round-trips as Quadlet writes it: groups keep their
//! order, comments stay where they were, blank lines are dropped and written
//! back as exactly one blank line between groups, and a line ending in `\`
//! is joined with the next (the backslash dropped, as Quadlet does).

pub mod quadlet;
pub mod systemd;

use anyhow::{Result, bail};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Line {
    Entry { key: String, value: String },
    Comment(String),
}

#[derive(Debug, Clone)]
struct Group {
    name: String,
    /// Comments just before the `[name]` line.
    comments: Vec<String>,
    lines: Vec<Line>,
}

/// One unit file: its groups in file order.
#[derive(Debug, Clone, Default)]
pub struct UnitFile {
    /// Comments before the first group, when the file has no group at all.
    head: Vec<String>,
    groups: Vec<Group>,
}

impl UnitFile {
    /// Parses unit-file text; `what` names it in errors.
    pub fn parse(text: &str, what: &str) -> Result<UnitFile> {
        let mut f = UnitFile::default();
        let mut pending: Vec<String> = Vec::new();
        let mut lines = text.lines().enumerate();
        while let Some((n, raw)) = lines.next() {
            let trimmed = raw.trim();
            if trimmed.is_empty() {
                continue;
            }
            if trimmed.starts_with('#') || trimmed.starts_with(';') {
                pending.push(trimmed.to_string());
                continue;
            }
            if let Some(rest) = trimmed.strip_prefix('[') {
                let Some(name) = rest.strip_suffix(']') else {
                    bail!("{what}:{}: a group header must end with `]`", n + 1);
                };
                f.groups.push(Group {
                    name: name.to_string(),
                    comments: std::mem::take(&mut pending),
                    lines: Vec::new(),
                });
                continue;
            }
            // A trailing backslash continues the line (comments between
            // continued lines are skipped, as systemd does; the next line is
            // trimmed, so `a \` + `b` is `a b`).
            let mut line = trimmed.to_string();
            while line.ends_with('\\') {
                line.pop();
                match lines.next() {
                    Some((_, next)) => {
                        let t = next.trim();
                        if t.starts_with('#') || t.starts_with(';') {
                            continue;
                        }
                        line.push_str(t);
                    }
                    None => break,
                }
            }
            let Some((key, value)) = line.split_once('=') else {
                bail!("{what}:{}: expected `Key=Value`, got `{trimmed}`", n + 1);
            };
            let Some(group) = f.groups.last_mut() else {
                bail!("{what}:{}: `{}` is outside any [group]", n + 1, key.trim());
            };
            group.lines.extend(pending.drain(..).map(Line::Comment));
            group.lines.push(Line::Entry {
                key: key.trim().to_string(),
                value: value.trim().to_string(),
            });
        }
        match f.groups.last_mut() {
            Some(g) => g.lines.extend(pending.into_iter().map(Line::Comment)),
            None => f.head = pending,
        }
        Ok(f)
    }

    /// The text: groups in order, one blank line between them.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for c in &self.head {
            out.push_str(c);
            out.push('\n');
        }
        for (i, g) in self.groups.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            for c in &g.comments {
                out.push_str(c);
                out.push('\n');
            }
            out.push('[');
            out.push_str(&g.name);
            out.push_str("]\n");
            for l in &g.lines {
                match l {
                    Line::Entry { key, value } => {
                        out.push_str(key);
                        out.push('=');
                        out.push_str(value);
                    }
                    Line::Comment(c) => out.push_str(c),
                }
                out.push('\n');
            }
        }
        out
    }

    fn entries(&self, group: &str) -> Vec<(&str, &str)> {
        (self.groups.iter().filter(|g| g.name == group))
            .flat_map(|g| g.lines.iter())
            .filter_map(|l| match l {
                Line::Entry { key, value } => Some((key.as_str(), value.as_str())),
                Line::Comment(_) => None,
            })
            .collect()
    }

    /// Every key of `group`, in order, repeated as often as it occurs.
    pub fn keys(&self, group: &str) -> Vec<&str> {
        self.entries(group).into_iter().map(|(k, _)| k).collect()
    }

    /// The last value of `key` (a later line overrides an earlier one).
    pub fn last(&self, group: &str, key: &str) -> Option<&str> {
        (self.entries(group).into_iter())
            .rev()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }

    /// The last value of `key`, when it is not empty.
    pub fn last_nonempty(&self, group: &str, key: &str) -> Option<&str> {
        self.last(group, key).filter(|v| !v.is_empty())
    }

    /// Every value of `key`, in order; an empty value resets the list, as
    /// systemd's list settings do.
    pub fn all(&self, group: &str, key: &str) -> Vec<&str> {
        let mut out = Vec::new();
        for (k, v) in self.entries(group) {
            if k == key {
                if v.is_empty() {
                    out.clear();
                } else {
                    out.push(v);
                }
            }
        }
        out
    }

    pub fn has_key(&self, group: &str, key: &str) -> bool {
        self.entries(group).iter().any(|(k, _)| *k == key)
    }

    /// The last value of `key` as a systemd boolean.
    pub fn boolean(&self, group: &str, key: &str) -> Result<Option<bool>> {
        match self.last(group, key) {
            None => Ok(None),
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "1" | "yes" | "true" | "on" => Ok(Some(true)),
                "0" | "no" | "false" | "off" => Ok(Some(false)),
                _ => bail!("{key}=`{v}` is not a boolean (yes or no)"),
            },
        }
    }

    fn group_mut(&mut self, group: &str) -> &mut Group {
        let i = match self.groups.iter().position(|g| g.name == group) {
            Some(i) => i,
            None => {
                self.groups.push(Group {
                    name: group.to_string(),
                    comments: Vec::new(),
                    lines: Vec::new(),
                });
                self.groups.len() - 1
            }
        };
        &mut self.groups[i]
    }

    /// Appends `key=value` to `group` (made at the end when missing).
    pub fn add(&mut self, group: &str, key: &str, value: &str) {
        self.group_mut(group).lines.push(Line::Entry {
            key: key.to_string(),
            value: value.to_string(),
        });
    }

    /// Puts `key=value` first in `group`.
    pub fn prepend(&mut self, group: &str, key: &str, value: &str) {
        self.group_mut(group).lines.insert(
            0,
            Line::Entry {
                key: key.to_string(),
                value: value.to_string(),
            },
        );
    }

    /// Sets `key` to one value: in place of its last line when it has one
    /// (earlier ones removed), else appended.
    pub fn set(&mut self, group: &str, key: &str, value: &str) {
        let g = self.group_mut(group);
        let is_key = |l: &Line| matches!(l, Line::Entry { key: k, .. } if k == key);
        match g.lines.iter().rposition(is_key) {
            Some(last) => {
                g.lines[last] = Line::Entry {
                    key: key.to_string(),
                    value: value.to_string(),
                };
                let mut i = 0;
                g.lines.retain(|l| {
                    let keep = i == last || !is_key(l);
                    i += 1;
                    keep
                });
            }
            None => g.lines.push(Line::Entry {
                key: key.to_string(),
                value: value.to_string(),
            }),
        }
    }

    /// Appends every group of `dropin` to the group of its name (made at
    /// the end when missing), as Quadlet merges a drop-in: a list key
    /// gains values, a single-valued key's last line wins.
    pub fn merge(&mut self, dropin: &UnitFile) {
        for g in &dropin.groups {
            let mine = self.group_mut(&g.name);
            mine.lines.extend(g.lines.iter().cloned());
        }
    }

    pub fn rename_group(&mut self, from: &str, to: &str) {
        for g in self.groups.iter_mut().filter(|g| g.name == from) {
            g.name = to.to_string();
        }
    }

    /// Comment lines put before everything else.
    pub fn prepend_comments(&mut self, lines: &[&str]) {
        let target = match self.groups.first_mut() {
            Some(g) => &mut g.comments,
            None => &mut self.head,
        };
        for (i, l) in lines.iter().enumerate() {
            target.insert(i, l.to_string());
        }
    }
}

/// Splits a systemd command line or list value into words: whitespace
/// separates, double and single quotes group, backslash escapes (C-style
/// inside and outside quotes), as systemd's `extract_first_word` does.
pub fn split_words(s: &str) -> Result<Vec<String>> {
    let mut words = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            return Ok(words);
        }
        let mut word = String::new();
        let mut quote: Option<char> = None;
        while let Some(c) = chars.next() {
            match (c, quote) {
                ('\\', _) => match chars.next() {
                    Some('n') => word.push('\n'),
                    Some('t') => word.push('\t'),
                    Some('x') => {
                        let hex: String = chars.by_ref().take(2).collect();
                        match u8::from_str_radix(&hex, 16) {
                            Ok(b) if hex.len() == 2 && b.is_ascii() => word.push(b as char),
                            _ => bail!("`{s}` has a bad \\x escape"),
                        }
                    }
                    Some(e) => word.push(e),
                    None => bail!("`{s}` ends in a lone backslash"),
                },
                ('"' | '\'', None) => quote = Some(c),
                (c, Some(q)) if c == q => quote = None,
                (c, None) if c.is_whitespace() => break,
                (c, _) => word.push(c),
            }
        }
        if let Some(q) = quote {
            bail!("`{s}` has an unterminated {q} quote");
        }
        words.push(word);
    }
}

/// One word of a systemd command line, quoted when it must be: whitespace,
/// quotes, backslashes, control characters and an empty word. `%` and `$`
/// stay as they are, so specifiers and variables a unit file's author wrote
/// keep working. Control characters become C escapes: systemd ends a unit
/// file's line at a carriage return (and a NUL) as at a newline, so one
/// written raw would start a directive of the word's choosing.
pub fn quote_word(word: &str) -> String {
    let plain = !word.is_empty()
        && !(word.chars())
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '\\' | ';'));
    if plain {
        return word.to_string();
    }
    let mut s = String::with_capacity(word.len() + 2);
    s.push('"');
    for c in word.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\t' => s.push_str("\\t"),
            c if c.is_ascii_control() => s.push_str(&format!("\\x{:02x}", c as u32)),
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

/// A word that must reach the program exactly as given (a command line
/// recorded by `create`): `%` and `$` are escaped as well, so systemd
/// neither expands specifiers nor substitutes variables in it.
pub fn literal_word(word: &str) -> String {
    quote_word(&word.replace('%', "%%").replace('$', "$$"))
}

/// A command line of words, quoted for an `Exec*=` setting.
pub fn command_line<S: AsRef<str>>(words: &[S]) -> String {
    (words.iter())
        .map(|w| quote_word(w.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropin_adds_to_list_keys_and_overrides_single_ones() {
        let mut f = UnitFile::parse("[Container]\nImage=a\nLabel=x=1\n", "a").unwrap();
        let d = UnitFile::parse(
            "[Container]\nImage=b\nLabel=y=2\n[Service]\nRestart=always\n",
            "d",
        )
        .unwrap();
        f.merge(&d);
        assert_eq!(f.last("Container", "Image"), Some("b"));
        assert_eq!(f.all("Container", "Label"), ["x=1", "y=2"]);
        assert_eq!(f.last("Service", "Restart"), Some("always"));
    }

    #[test]
    fn a_unit_file_round_trips_with_one_blank_line_between_groups() {
        let text =
            "# head\n[Unit]\nDescription=x\n\n\n[Service]\n# why\nExecStart=/bin/a \\\n  b\n";
        let f = UnitFile::parse(text, "t").unwrap();
        assert_eq!(
            f.to_text(),
            "# head\n[Unit]\nDescription=x\n\n[Service]\n# why\nExecStart=/bin/a b\n"
        );
        assert_eq!(f.last("Service", "ExecStart"), Some("/bin/a b"));
    }

    #[test]
    fn a_key_outside_a_group_is_an_error_naming_its_line() {
        let e = UnitFile::parse("A=b\n", "x.container").unwrap_err();
        assert_eq!(e.to_string(), "x.container:1: `A` is outside any [group]");
    }

    #[test]
    fn an_empty_value_resets_a_list() {
        let f = UnitFile::parse("[C]\nV=a\nV=\nV=b\n", "t").unwrap();
        assert_eq!(f.all("C", "V"), vec!["b"]);
    }

    #[test]
    fn set_replaces_in_place_and_drops_earlier_lines() {
        let mut f = UnitFile::parse("[S]\nType=a\nX=1\nType=b\n", "t").unwrap();
        f.set("S", "Type", "notify");
        assert_eq!(f.to_text(), "[S]\nX=1\nType=notify\n");
    }

    #[test]
    fn words_split_and_quote_as_systemd_reads_them() {
        let w = split_words(r#"sh -c "echo \"hi there\"" 'a b' c\ d"#).unwrap();
        assert_eq!(w, ["sh", "-c", "echo \"hi there\"", "a b", "c d"]);
        assert_eq!(split_words(&command_line(&w)).unwrap(), w);
        assert_eq!(quote_word(""), "\"\"");
        assert_eq!(literal_word("100%$HOME"), "100%%$$HOME");
        assert!(split_words("\"open").is_err());
    }

    #[test]
    fn a_carriage_return_in_a_word_cannot_start_a_directive() {
        // systemd ends a unit line at \r: written raw, the rest of the word
        // would be a setting of its own.
        let word = "x\rExecStartPre=/bin/touch /tmp/pwned\r\u{1b}[2J\0";
        let quoted = literal_word(word);
        assert!(!quoted.chars().any(|c| c.is_control()), "{quoted:?}");
        assert_eq!(split_words(&quoted).unwrap(), [word]);
        assert_eq!(quote_word("a\u{7f}"), "\"a\\x7f\"");
    }
}
