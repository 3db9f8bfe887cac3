//! Text from a container or an image, made safe to print on a terminal.
//!
//! Image configs, history entries, names and a container's error messages are
//! written by whoever made the image. Printed raw, `\x1b[2K\rberth: …` erases
//! the line and forges berth's own error, and other escapes can retitle the
//! window or rewrite what the user sees. Everything of theirs that berth prints
//! itself (error lines, log lines, tables, build steps) goes through
//! [`escape`]. JSON output needs nothing: serde escapes control characters.
//! A container's own stdout and stderr are passed through untouched, as Docker
//! does: they are the user's program's output, not berth's.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `s` with every control character written out as an escape (`\n`, `\t`,
/// `\r`, `\x1b`, `\u{9b}`), and the bidirectional overrides that reorder what
/// a terminal shows (`\u{202e}`). Printable UTF-8 is kept; text without
/// anything to escape is returned as is, without a copy.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x80 && needs_escape(c) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A container's output as `berth logs` shows it on a terminal: lines and
/// tabs kept, every other control character and bidi override escaped as
/// [`escape`] does. `run` relays a live container's terminal untouched (the
/// user is attached to their own program); a log read back later is
/// replayed by berth, so it must not drive the terminal.
pub fn escape_output(s: &str) -> Cow<'_, str> {
    if !s
        .chars()
        .any(|c| needs_escape(c) && !matches!(c, '\n' | '\t'))
    {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut buf = [0u8; 4];
    for c in s.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            c => out.push_str(&escape(c.encode_utf8(&mut buf))),
        }
    }
    Cow::Owned(out)
}

/// JSON text (serde's output, which escapes only C0 controls) with every
/// other character [`escape`] would escape written as a JSON `\uXXXX`
/// escape: still the same JSON document, and safe on a terminal. For
/// documents a registry sent, shown as they are.
pub fn escape_json(json: &str) -> Cow<'_, str> {
    if !json.chars().any(needs_escape_json) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 8);
    for c in json.chars() {
        if needs_escape_json(c) {
            // Every such character is in the Basic Multilingual Plane.
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn needs_escape_json(c: char) -> bool {
    // Newlines and tabs are the layout of pretty-printed JSON; inside
    // strings serde has escaped them already.
    needs_escape(c) && !matches!(c, '\n' | '\t' | '\r')
}

fn needs_escape(c: char) -> bool {
    // C0, DEL and C1 controls, then the bidi embeddings, overrides and isolates.
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::escape;
    use std::borrow::Cow;

    #[test]
    fn replayed_output_keeps_its_lines_but_not_its_escapes() {
        assert_eq!(
            super::escape_output("a\tb\n\x1b]0;x\x07\r\u{202e}c\n"),
            "a\tb\n\\x1b]0;x\\x07\\r\\u{202e}c\n"
        );
        assert!(matches!(super::escape_output("plain\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_from_a_registry_keeps_its_meaning_but_not_its_escapes() {
        let doc = serde_json::to_string_pretty(&serde_json::json!({
            "a": "x\x1b[2K\x7f\u{9b}31m\u{202e}"
        }))
        .unwrap();
        let shown = super::escape_json(&doc);
        assert!(
            !shown.chars().any(|c| c.is_control() && c != '\n'),
            "{shown}"
        );
        let back: serde_json::Value = serde_json::from_str(&shown).unwrap();
        assert_eq!(back["a"], "x\x1b[2K\x7f\u{9b}31m\u{202e}");
    }

    #[test]
    fn a_forged_error_line_is_shown_escaped() {
        assert_eq!(
            escape("x\x1b[2K\rberth: fake\n"),
            "x\\x1b[2K\\rberth: fake\\n"
        );
        assert_eq!(escape("a\tb\x7f\u{9b}31m"), "a\\tb\\x7f\\u{9b}31m");
        assert_eq!(escape("\u{202e}gnp.exe"), "\\u{202e}gnp.exe");
    }

    #[test]
    fn printable_text_is_kept_as_is() {
        for s in [
            "",
            "busybox:latest",
            "/bin/sh -c echo \"hi\" \\",
            "日本語 ✓ émigré",
        ] {
            assert!(matches!(escape(s), std::borrow::Cow::Borrowed(_)), "{s}");
            assert_eq!(escape(s), s);
        }
    }
}
