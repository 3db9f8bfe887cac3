//! Heredoc openers on an instruction's line (`RUN <<EOF`, `COPY <<-"EOF" /dst`,
//! `RUN 3<<A cat /dev/fd/3 <<B`), found the way BuildKit finds them: the line
//! is split into words with quotes, escapes and variables kept as written,
//! and each word of the form `[N]<<[-]WORD` opens one heredoc, in order.
//! The bodies are read by the parser (parser.rs).

use super::expand::Lexer;

/// One heredoc: its delimiter, where it goes and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Heredoc {
    /// The delimiter, unquoted (`<<"EOF"` → `EOF`).
    pub name: String,
    /// `N` in `N<<EOF`.
    pub fd: Option<u32>,
    /// Whether the body gets variable expansion: false when any part of the
    /// delimiter was quoted, as in sh.
    pub expand: bool,
    /// `<<-`: leading tabs are stripped from the body and the delimiter line.
    pub chomp: bool,
    /// The body, each line with its newline; tabs already stripped for `<<-`.
    pub content: String,
}

/// The heredocs opened on `line`, in order, with empty bodies.
pub(crate) fn openers(line: &str) -> Result<Vec<Heredoc>, String> {
    if !line.contains("<<") {
        return Ok(Vec::new());
    }
    let lx = Lexer {
        raw_quotes: true,
        raw_escapes: true,
        skip_unset: true,
        ..Lexer::new('\\')
    };
    // A line the lexer cannot split (an unterminated quote) opens nothing:
    // it is a shell command for the shell to complain about.
    let Ok((_, words)) = lx.process(line, &|_| None) else {
        return Ok(Vec::new());
    };
    let mut docs = Vec::new();
    for w in words {
        if let Some(h) = opener(&w)? {
            docs.push(h);
        }
    }
    Ok(docs)
}

/// `[N]<<[-]WORD` → a heredoc; anything else → None.
fn opener(word: &str) -> Result<Option<Heredoc>, String> {
    let digits = word.len() - word.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let Some(rest) = word[digits..].strip_prefix("<<") else {
        return Ok(None);
    };
    let (chomp, rest) = match rest.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    if rest.is_empty() || rest.contains('<') {
        return Ok(None);
    }
    // The delimiter once unquoted and once raw: a difference in quote count
    // means part of it was quoted, which turns expansion off.
    let mut lx = Lexer {
        skip_unset: true,
        ..Lexer::new('\\')
    };
    let (_, words) = lx.process(rest, &|_| None).map_err(|e| format!("{e:#}"))?;
    let [name] = words.as_slice() else {
        return Ok(None);
    };
    lx.raw_quotes = true;
    let (_, raw) = lx.process(rest, &|_| None).map_err(|e| format!("{e:#}"))?;
    let quotes = |s: &str| s.chars().filter(|&c| c == '\'' || c == '"').count();
    let expand = raw.len() == 1 && quotes(name) == quotes(&raw[0]);
    Ok(Some(Heredoc {
        name: name.clone(),
        fd: if digits == 0 {
            None
        } else {
            word[..digits].parse().ok()
        },
        expand,
        chomp,
        content: String::new(),
    }))
}

/// `<<-` bodies lose the leading tabs of every line.
pub(crate) fn chomp(content: &str) -> String {
    content
        .split_inclusive('\n')
        .map(|l| l.trim_start_matches('\t'))
        .collect()
}

/// A `COPY <<EOF`/`ADD <<EOF` body with variables expanded, as BuildKit
/// does for an unquoted delimiter (`dockerfile2llb` `ExpandRaw`): a lexer
/// with `\` as escape whatever `# escape=` says, unset variables empty, and
/// quotes not processed — the body is file content, its quotes are its own.
/// Escapes are processed (`\$X` is a literal `$X`, `\\` one backslash).
/// RUN heredocs are not expanded here: the shell that reads them does it.
pub(crate) fn expand_body(
    content: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<String> {
    // Our lexer has no "quotes are plain" switch; escaping each quote that
    // is not already escaped makes it a plain character, which is the same.
    let mut text = String::with_capacity(content.len());
    let mut cs = content.chars();
    while let Some(c) = cs.next() {
        match c {
            '\\' => {
                text.push(c);
                text.extend(cs.next());
            }
            '\'' | '"' => {
                text.push('\\');
                text.push(c);
            }
            c => text.push(c),
        }
    }
    let (s, _) = Lexer::new('\\').process(&text, lookup)?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(line: &str) -> Vec<(String, Option<u32>, bool, bool)> {
        openers(line)
            .unwrap()
            .into_iter()
            .map(|h| (h.name, h.fd, h.expand, h.chomp))
            .collect()
    }

    #[test]
    fn finds_openers_in_order() {
        assert_eq!(names("RUN <<EOF"), [("EOF".into(), None, true, false)]);
        assert_eq!(
            names("RUN 3<<A cat /dev/fd/3 <<-B"),
            [
                ("A".into(), Some(3), true, false),
                ("B".into(), None, true, true)
            ]
        );
        assert_eq!(
            names("COPY <<file1 <<file2 /dst/"),
            [
                ("file1".into(), None, true, false),
                ("file2".into(), None, true, false)
            ]
        );
    }

    #[test]
    fn quoted_delimiter_turns_expansion_off() {
        assert_eq!(names("RUN <<\"EOF\""), [("EOF".into(), None, false, false)]);
        assert_eq!(names("RUN <<'EOF'"), [("EOF".into(), None, false, false)]);
        assert_eq!(names("RUN <<E\"O\"F"), [("EOF".into(), None, false, false)]);
        assert_eq!(names("RUN <<-'EOF' x"), [("EOF".into(), None, false, true)]);
    }

    #[test]
    fn not_openers() {
        assert!(names("RUN echo '<<EOF'").is_empty());
        assert!(names("RUN echo \"<<EOF\"").is_empty());
        assert!(names("RUN cat <<").is_empty());
        assert!(names("RUN echo a<<b").is_empty());
        assert!(names("RUN echo <<<word").is_empty());
        assert!(names("RUN echo 'open <<EOF").is_empty());
        assert!(names("RUN echo x << EOF").is_empty());
    }

    #[test]
    fn bodies_expand_variables_and_keep_quotes() {
        let vars = |k: &str| (k == "WHO").then(|| "world".to_string());
        let got = expand_body("say 'hi $WHO' \"${WHO}\"\n\\$WHO ${NOPE}.\n", &vars).unwrap();
        assert_eq!(got, "say 'hi world' \"world\"\n$WHO .\n");
        assert!(expand_body("${NOPE:?must be set}", &vars).is_err());
    }

    #[test]
    fn chomp_strips_leading_tabs_only() {
        assert_eq!(chomp("\t\ta\n \tb\n\tc\td\n"), "a\n \tb\nc\td\n");
    }
}
