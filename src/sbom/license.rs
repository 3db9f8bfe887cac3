//! Licenses as SPDX expressions: a license string a package database
//! records is kept when it is a valid SPDX expression over ids berth knows,
//! else it becomes a `LicenseRef-` (SPDX) or a `license.name` (CycloneDX).
//!
//! The ids below are a subset of the SPDX License List (3.x), the licenses
//! distributions and registries name most; a valid id missing here is
//! only written as a LicenseRef, never as a wrong id. Matching is
//! case-insensitive, as the SPDX spec says, and gives the list's spelling.

const IDS: &[&str] = &[
    "0BSD",
    "AFL-2.1",
    "AFL-3.0",
    "AGPL-3.0-only",
    "AGPL-3.0-or-later",
    "Apache-1.0",
    "Apache-1.1",
    "Apache-2.0",
    "APSL-2.0",
    "Artistic-1.0",
    "Artistic-1.0-Perl",
    "Artistic-2.0",
    "Beerware",
    "BlueOak-1.0.0",
    "BSD-1-Clause",
    "BSD-2-Clause",
    "BSD-2-Clause-Patent",
    "BSD-3-Clause",
    "BSD-3-Clause-Clear",
    "BSD-4-Clause",
    "BSD-4-Clause-UC",
    "BSL-1.0",
    "bzip2-1.0.6",
    "CC-BY-3.0",
    "CC-BY-4.0",
    "CC-BY-SA-3.0",
    "CC-BY-SA-4.0",
    "CC0-1.0",
    "CDDL-1.0",
    "CDDL-1.1",
    "curl",
    "ECL-2.0",
    "EPL-1.0",
    "EPL-2.0",
    "EUPL-1.2",
    "FSFAP",
    "FSFUL",
    "FSFULLR",
    "FTL",
    "GFDL-1.2-only",
    "GFDL-1.2-or-later",
    "GFDL-1.3-only",
    "GFDL-1.3-or-later",
    "GPL-1.0-only",
    "GPL-1.0-or-later",
    "GPL-2.0-only",
    "GPL-2.0-or-later",
    "GPL-3.0-only",
    "GPL-3.0-or-later",
    "HPND",
    "ICU",
    "IJG",
    "ISC",
    "LGPL-2.0-only",
    "LGPL-2.0-or-later",
    "LGPL-2.1-only",
    "LGPL-2.1-or-later",
    "LGPL-3.0-only",
    "LGPL-3.0-or-later",
    "libpng-2.0",
    "Libpng",
    "MIT",
    "MIT-0",
    "MIT-CMU",
    "MPL-1.1",
    "MPL-2.0",
    "MPL-2.0-no-copyleft-exception",
    "NCSA",
    "NTP",
    "OFL-1.1",
    "OLDAP-2.8",
    "OpenSSL",
    "PHP-3.01",
    "PostgreSQL",
    "PSF-2.0",
    "Python-2.0",
    "Ruby",
    "Sleepycat",
    "TCL",
    "Unicode-DFS-2016",
    "Unlicense",
    "UPL-1.0",
    "Vim",
    "W3C",
    "WTFPL",
    "X11",
    "Zlib",
    "ZPL-2.1",
];

const EXCEPTIONS: &[&str] = &[
    "Autoconf-exception-3.0",
    "Bison-exception-2.2",
    "Classpath-exception-2.0",
    "GCC-exception-3.1",
    "LLVM-exception",
];

/// The list's spelling of `id`, if it is a known SPDX license id.
pub fn known_id(id: &str) -> Option<&'static str> {
    IDS.iter().copied().find(|k| k.eq_ignore_ascii_case(id))
}

/// `s` as a valid SPDX expression with the list's spellings (`MIT OR
/// apache-2.0` → `MIT OR Apache-2.0`), or `None`.
pub fn expression(s: &str) -> Option<String> {
    let spaced = s.replace('(', " ( ").replace(')', " ) ");
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    if tokens.is_empty() || tokens.len() > 64 {
        return None;
    }
    let mut out = Vec::with_capacity(tokens.len());
    // Expect an operand (id, `(`) or an operator (AND, OR, WITH, `)`).
    let mut want_operand = true;
    let mut depth = 0usize;
    let mut after_with = false;
    for t in tokens {
        if want_operand {
            if t == "(" {
                depth += 1;
                out.push("(".to_string());
                continue;
            }
            if after_with {
                out.push(
                    EXCEPTIONS
                        .iter()
                        .find(|e| e.eq_ignore_ascii_case(t))?
                        .to_string(),
                );
                after_with = false;
            } else {
                let (id, plus) = match t.strip_suffix('+') {
                    Some(id) => (id, "+"),
                    None => (t, ""),
                };
                out.push(format!("{}{plus}", known_id(id)?));
            }
            want_operand = false;
        } else {
            match t {
                ")" if depth > 0 => {
                    depth -= 1;
                    out.push(")".to_string());
                }
                "AND" | "OR" => {
                    out.push(t.to_string());
                    want_operand = true;
                }
                "WITH" => {
                    out.push(t.to_string());
                    want_operand = true;
                    after_with = true;
                }
                _ => return None,
            }
        }
    }
    (!want_operand && depth == 0).then(|| out.join(" ").replace("( ", "(").replace(" )", ")"))
}

/// A `LicenseRef-` id for free text: letters, digits, `.` and `-` only.
pub fn license_ref(s: &str) -> String {
    let mut id = String::from("LicenseRef-");
    for c in s.chars() {
        match c {
            c if c.is_ascii_alphanumeric() || c == '.' || c == '-' => id.push(c),
            '+' => id.push_str("-plus"),
            _ => {
                if !id.ends_with('-') {
                    id.push('-');
                }
            }
        }
    }
    while id.ends_with('-') && id.len() > "LicenseRef-".len() + 1 {
        id.pop();
    }
    if id.len() == "LicenseRef-".len() {
        id.push_str("unknown");
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_expressions_keep_or_fix_their_spelling() {
        assert_eq!(expression("MIT").as_deref(), Some("MIT"));
        assert_eq!(
            expression("mit OR apache-2.0").as_deref(),
            Some("MIT OR Apache-2.0")
        );
        assert_eq!(
            expression("(GPL-2.0-only WITH classpath-exception-2.0) AND BSD-3-clause").as_deref(),
            Some("(GPL-2.0-only WITH Classpath-exception-2.0) AND BSD-3-Clause")
        );
        assert_eq!(expression("Apache-1.0+").as_deref(), Some("Apache-1.0+"));
    }

    #[test]
    fn free_text_is_not_an_expression() {
        for s in [
            "GPL-2+",
            "GPL-2+ or Artistic",
            "MIT AND",
            "(MIT",
            "MIT)",
            "",
            "public-domain",
        ] {
            assert_eq!(expression(s), None, "{s}");
        }
        assert_eq!(
            license_ref("GPL-2+ with Bison exception"),
            "LicenseRef-GPL-2-plus-with-Bison-exception"
        );
        assert_eq!(license_ref("ü"), "LicenseRef-unknown");
    }
}
