//! Language packages found in the filesystem: `Cargo.lock`, Python's
//! `*.dist-info/METADATA`, npm's `package-lock.json` (lockfile versions 1,
//! 2 and 3) and `node_modules/**/package.json`, and Go's `go.mod`. Each
//! parser takes the file's text and gives what it lists; malformed input
//! gives nothing, never an error.

use super::{Kind, Package};
use serde_json::Value;

/// Which language file `path` is, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    CargoLock,
    PythonMetadata,
    NpmLock,
    NpmPackage,
    GoMod,
}

pub fn which(path: &str) -> Option<Lang> {
    let (dir, base) = path.rsplit_once('/').unwrap_or(("", path));
    match base {
        "Cargo.lock" => Some(Lang::CargoLock),
        "METADATA" if dir.ends_with(".dist-info") => Some(Lang::PythonMetadata),
        "package-lock.json" if !dir.split('/').any(|s| s == "node_modules") => Some(Lang::NpmLock),
        "package.json" if is_installed_npm_package(dir) => Some(Lang::NpmPackage),
        "go.mod" => Some(Lang::GoMod),
        _ => None,
    }
}

/// `…/node_modules/NAME` or `…/node_modules/@SCOPE/NAME`: a package's own
/// directory, not one of its subdirectories.
fn is_installed_npm_package(dir: &str) -> bool {
    let parts: Vec<&str> = dir.split('/').collect();
    match parts.as_slice() {
        [.., "node_modules", name] => !name.starts_with('@') && !name.starts_with('.'),
        [.., "node_modules", scope, _] => scope.starts_with('@'),
        _ => false,
    }
}

pub fn parse(lang: Lang, text: &str, path: &str) -> Vec<Package> {
    match lang {
        Lang::CargoLock => cargo_lock(text, path),
        Lang::PythonMetadata => python_metadata(text, path).into_iter().collect(),
        Lang::NpmLock => npm_lock(text, path),
        Lang::NpmPackage => npm_package(text, path).into_iter().collect(),
        Lang::GoMod => go_mod(text, path),
    }
}

/// `[[package]]` entries with a `source` (registry or git): path and
/// workspace members have none and are not dependencies one can look up.
fn cargo_lock(text: &str, path: &str) -> Vec<Package> {
    #[derive(serde::Deserialize)]
    struct Lock {
        #[serde(default)]
        package: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        name: String,
        version: String,
        source: Option<String>,
    }
    let Ok(lock) = toml::from_str::<Lock>(text) else {
        return Vec::new();
    };
    lock.package
        .into_iter()
        .filter(|e| e.source.is_some())
        .map(|e| Package::found(Kind::Cargo, &e.name, &e.version, path))
        .collect()
}

/// The core metadata headers (RFC 822 style, up to the first blank line):
/// Name, Version, and License-Expression or a one-line License.
fn python_metadata(text: &str, path: &str) -> Option<Package> {
    let mut name = None;
    let mut version = None;
    let mut expression = None;
    let mut license = None;
    for line in text.lines() {
        if line.is_empty() {
            break;
        }
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let v = v.trim();
        match k {
            "Name" => name = Some(v),
            "Version" => version = Some(v),
            "License-Expression" => expression = Some(v),
            // A License field is often the whole license text: only a short
            // one-liner names it.
            "License" if !v.is_empty() && v.len() <= 100 && v != "UNKNOWN" => license = Some(v),
            _ => {}
        }
    }
    let mut p = Package::found(Kind::Python, name?, version?, path);
    p.licenses = expression
        .or(license)
        .map(str::to_string)
        .into_iter()
        .collect();
    Some(p)
}

fn npm_license(v: &Value) -> Vec<String> {
    match v.get("license") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Object(o)) => o
            .get("type")
            .and_then(Value::as_str)
            .map(|s| vec![s.to_string()])
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// Lockfile v2/v3 `packages` (keyed by `node_modules/…` paths), else v1's
/// nested `dependencies`.
fn npm_lock(text: &str, path: &str) -> Vec<Package> {
    let Ok(lock) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(packages) = lock.get("packages").and_then(Value::as_object) {
        for (key, v) in packages {
            let Some(name) = key.rsplit_once("node_modules/").map(|(_, n)| n) else {
                continue; // "" is the project itself
            };
            if v.get("link").and_then(Value::as_bool) == Some(true) {
                continue;
            }
            let name = v.get("name").and_then(Value::as_str).unwrap_or(name);
            if let Some(version) = v.get("version").and_then(Value::as_str) {
                let mut p = Package::found(Kind::Npm, name, version, path);
                p.licenses = npm_license(v);
                out.push(p);
            }
        }
        return out;
    }
    // v1: dependencies nest; a bounded walk (the JSON parser already
    // bounds depth at 128).
    let mut stack: Vec<&Value> = lock.get("dependencies").into_iter().collect();
    while let Some(deps) = stack.pop() {
        let Some(deps) = deps.as_object() else {
            continue;
        };
        for (name, v) in deps {
            if let Some(version) = v.get("version").and_then(Value::as_str) {
                out.push(Package::found(Kind::Npm, name, version, path));
            }
            if let Some(nested) = v.get("dependencies") {
                stack.push(nested);
            }
        }
    }
    out
}

fn npm_package(text: &str, path: &str) -> Option<Package> {
    let v: Value = serde_json::from_str(text).ok()?;
    let name = v.get("name")?.as_str()?;
    let version = v.get("version")?.as_str()?;
    let mut p = Package::found(Kind::Npm, name, version, path);
    p.licenses = npm_license(&v);
    Some(p)
}

/// `require` lines and blocks; `// indirect` ones count too (they are in
/// the build).
fn go_mod(text: &str, path: &str) -> Vec<Package> {
    let mut out = Vec::new();
    let mut in_block = false;
    for line in text.lines() {
        let line = line.split("//").next().unwrap_or("").trim();
        let spec = if in_block {
            if line == ")" {
                in_block = false;
                continue;
            }
            line
        } else if let Some(rest) = line.strip_prefix("require") {
            let rest = rest.trim();
            if rest == "(" {
                in_block = true;
                continue;
            }
            rest
        } else {
            continue;
        };
        let mut words = spec.split_whitespace();
        if let (Some(module), Some(version)) = (words.next(), words.next()) {
            out.push(Package::found(
                Kind::Go,
                module.trim_matches('"'),
                version,
                path,
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nv(ps: &[Package]) -> Vec<(&str, &str)> {
        ps.iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect()
    }

    #[test]
    fn file_kinds_by_path() {
        assert_eq!(which("app/Cargo.lock"), Some(Lang::CargoLock));
        assert_eq!(
            which("usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA"),
            Some(Lang::PythonMetadata)
        );
        assert_eq!(
            which("srv/node_modules/@babel/core/package.json"),
            Some(Lang::NpmPackage)
        );
        assert_eq!(
            which("srv/node_modules/left-pad/package.json"),
            Some(Lang::NpmPackage)
        );
        assert_eq!(which("srv/node_modules/left-pad/lib/package.json"), None);
        assert_eq!(which("srv/package-lock.json"), Some(Lang::NpmLock));
        assert_eq!(which("srv/package.json"), None);
    }

    #[test]
    fn cargo_lock_skips_members_without_source() {
        let lock = "version = 3\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\n\
                    [[package]]\nname = \"serde\"\nversion = \"1.0.190\"\n\
                    source = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
        assert_eq!(nv(&cargo_lock(lock, "Cargo.lock")), [("serde", "1.0.190")]);
        assert!(cargo_lock("[[package]\n", "x").is_empty());
    }

    #[test]
    fn python_metadata_license_expression_first() {
        let m = "Metadata-Version: 2.4\nName: Requests\nVersion: 2.31.0\nLicense: Apache 2.0\n\
                 License-Expression: Apache-2.0\n\nLicense: body text\n";
        let p = python_metadata(m, "x").unwrap();
        assert_eq!(
            (p.name.as_str(), p.version.as_str()),
            ("Requests", "2.31.0")
        );
        assert_eq!(p.licenses, ["Apache-2.0"]);
    }

    #[test]
    fn npm_lock_versions() {
        let v3 = r#"{"lockfileVersion":3,"packages":{"":{"name":"app"},
            "node_modules/@types/node":{"version":"20.1.0","license":"MIT"},
            "node_modules/a/node_modules/b":{"version":"1.0.0"},
            "node_modules/linked":{"link":true}}}"#;
        let mut got = nv(&npm_lock(v3, "x"))
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect::<Vec<_>>();
        got.sort();
        assert_eq!(
            got,
            [
                ("@types/node".to_string(), "20.1.0".to_string()),
                ("b".into(), "1.0.0".into())
            ]
        );
        let v1 = r#"{"lockfileVersion":1,"dependencies":{"a":{"version":"1.0.0","dependencies":{"b":{"version":"2.0.0"}}}}}"#;
        let v1 = npm_lock(v1, "x");
        let mut got = nv(&v1);
        got.sort();
        assert_eq!(got, [("a", "1.0.0"), ("b", "2.0.0")]);
    }

    #[test]
    fn go_mod_requires() {
        let m = "module example.com/app\n\ngo 1.21\n\nrequire github.com/pkg/errors v0.9.1\n\
                 require (\n\tgolang.org/x/sys v0.15.0 // indirect\n\tgithub.com/a/b v1.0.0\n)\n";
        assert_eq!(
            nv(&go_mod(m, "go.mod")),
            [
                ("github.com/pkg/errors", "v0.9.1"),
                ("golang.org/x/sys", "v0.15.0"),
                ("github.com/a/b", "v1.0.0")
            ]
        );
    }
}
