//! apk's installed database, `lib/apk/db/installed`: one stanza a package,
//! `P:` name, `V:` version, `A:` arch, `o:` origin (the source package),
//! `L:` license.

use super::{Kind, Package};

pub const PATH: &str = "lib/apk/db/installed";

pub fn parse_installed(text: &str) -> Vec<Package> {
    let mut out = Vec::new();
    for stanza in text.split("\n\n") {
        let f = |k: &str| {
            stanza.lines().find_map(|l| {
                l.strip_prefix(k)
                    .and_then(|v| v.strip_prefix(':'))
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
            })
        };
        let (Some(name), Some(version)) = (f("P"), f("V")) else {
            continue;
        };
        let mut p = Package::found(Kind::Apk, name, version, PATH);
        p.arch = f("A").map(str::to_string);
        p.source = Some(f("o").unwrap_or(name).to_string());
        if let Some(l) = f("L") {
            p.licenses = vec![l.to_string()];
        }
        out.push(p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages_with_origin_and_license() {
        let db = "C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\nL:MIT\no:musl\nF:lib\nR:ld-musl-x86_64.so.1\n\n\
                  P:libcrypto3\nV:3.1.4-r1\nA:x86_64\nL:Apache-2.0\no:openssl\n\nP:broken\n";
        let ps = parse_installed(db);
        assert_eq!(ps.len(), 2);
        assert_eq!(
            (ps[1].name.as_str(), ps[1].source.as_deref()),
            ("libcrypto3", Some("openssl"))
        );
        assert_eq!(ps[0].licenses, ["MIT"]);
    }
}
