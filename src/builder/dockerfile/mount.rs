//! `RUN --mount=…` as BuildKit parses it (`instructions/commands_runmount.go`):
//! the value is one CSV record (Go's `encoding/csv`: `"…"` quotes a field,
//! `""` inside is a quote), each field `key=value` or a bare `ro`/`rw`/
//! `required`; keys are case-insensitive; an unknown key is an error. Values
//! are not expanded (berth never has), and `from=` refuses a variable as
//! BuildKit does.

use std::fmt;

/// One `--mount`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RunMount {
    pub kind: MountType,
    /// `target`, `dst`, `destination`.
    pub target: Option<String>,
    /// `source`, `src`.
    pub source: Option<String>,
    /// `from`: a stage or an image (bind, cache).
    pub from: Option<String>,
    /// `ro`/`readonly`/`rw`/`readwrite`, when given; otherwise each type's default.
    pub readonly: Option<bool>,
    /// `id`: the cache's or the secret's.
    pub id: Option<String>,
    pub sharing: Option<Sharing>,
    /// `required` (secret, ssh).
    pub required: bool,
    /// `size` (tmpfs), in bytes.
    pub size: Option<u64>,
    /// `mode`, `uid`, `gid` (cache, secret, ssh) and `env` (secret): parsed
    /// and checked, not applied.
    pub unapplied: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MountType {
    Bind,
    Cache,
    Tmpfs,
    Secret,
    Ssh,
}

impl fmt::Display for MountType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MountType::Bind => "bind",
            MountType::Cache => "cache",
            MountType::Tmpfs => "tmpfs",
            MountType::Secret => "secret",
            MountType::Ssh => "ssh",
        })
    }
}

/// A cache mount's `sharing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sharing {
    Shared,
    Private,
    Locked,
}

impl RunMount {
    /// Parses one `--mount` value.
    pub(crate) fn parse(value: &str) -> Result<RunMount, String> {
        let mut m = RunMount {
            kind: MountType::Bind,
            target: None,
            source: None,
            from: None,
            readonly: None,
            id: None,
            sharing: None,
            required: false,
            size: None,
            unapplied: Vec::new(),
        };
        for field in csv_fields(value).map_err(|e| format!("--mount: {e}"))? {
            m.field(&field).map_err(|e| format!("--mount: {e}"))?;
        }
        m.validate().map_err(|e| format!("--mount: {e}"))?;
        Ok(m)
    }

    fn field(&mut self, field: &str) -> Result<(), String> {
        let Some((key, value)) = field.split_once('=') else {
            return match field.to_ascii_lowercase().as_str() {
                "readonly" | "ro" => self.set_readonly(true),
                "readwrite" | "rw" => self.set_readonly(false),
                "required" => self.set_required(true),
                _ => Err(format!("invalid field `{field}`: must be a key=value pair")),
            };
        };
        let invalid = || format!("invalid value for {key}: `{value}`");
        match key.to_ascii_lowercase().as_str() {
            "type" => {
                self.kind = match value.to_ascii_lowercase().as_str() {
                    "bind" => MountType::Bind,
                    "cache" => MountType::Cache,
                    "tmpfs" => MountType::Tmpfs,
                    "secret" => MountType::Secret,
                    "ssh" => MountType::Ssh,
                    _ => {
                        return Err(format!(
                            "unsupported mount type `{value}`: use bind, cache, tmpfs, secret or ssh"
                        ));
                    }
                }
            }
            "from" => {
                // BuildKit: a `$` anywhere but at the end is a variable.
                if value.find('$').is_some_and(|i| i + 1 != value.len()) {
                    return Err(
                        "`from` doesn't support variable expansion, define alias stage instead"
                            .into(),
                    );
                }
                self.from = Some(value.into());
            }
            "source" | "src" => self.source = Some(value.into()),
            "target" | "dst" | "destination" => self.target = Some(value.into()),
            "readonly" | "ro" => self.set_readonly(go_bool(value).ok_or_else(invalid)?)?,
            "readwrite" | "rw" => self.set_readonly(!go_bool(value).ok_or_else(invalid)?)?,
            "required" => self.set_required(go_bool(value).ok_or_else(invalid)?)?,
            "size" if self.kind == MountType::Tmpfs => {
                self.size = Some(ram_in_bytes(value).ok_or_else(invalid)?)
            }
            "id" => self.id = Some(value.into()),
            "sharing" => {
                self.sharing = Some(match value.to_ascii_lowercase().as_str() {
                    "shared" => Sharing::Shared,
                    "private" => Sharing::Private,
                    "locked" => Sharing::Locked,
                    _ => {
                        return Err(format!(
                            "unsupported sharing value `{value}`: use shared, private or locked"
                        ));
                    }
                })
            }
            k @ "mode" => self.unapplied_number(k, value, 8)?,
            k @ ("uid" | "gid") => self.unapplied_number(k, value, 10)?,
            "env" => self.unapplied.push(field.into()),
            "size" => {
                return Err(format!(
                    "unexpected key `size` for mount type `{}`",
                    self.kind
                ));
            }
            _ => return Err(format!("unexpected key `{key}` in `{field}`")),
        }
        Ok(())
    }

    fn set_readonly(&mut self, ro: bool) -> Result<(), String> {
        self.readonly = Some(ro);
        Ok(())
    }

    fn set_required(&mut self, required: bool) -> Result<(), String> {
        if !matches!(self.kind, MountType::Secret | MountType::Ssh) {
            return Err(format!(
                "unexpected key `required` for mount type `{}`",
                self.kind
            ));
        }
        self.required = required;
        Ok(())
    }

    fn unapplied_number(&mut self, key: &str, value: &str, radix: u32) -> Result<(), String> {
        u32::from_str_radix(value, radix)
            .map_err(|_| format!("invalid value {value} for {key}"))?;
        if !matches!(
            self.kind,
            MountType::Cache | MountType::Secret | MountType::Ssh
        ) {
            return Err(format!("{key} not allowed for `{}` type mounts", self.kind));
        }
        self.unapplied.push(format!("{key}={value}"));
        Ok(())
    }

    fn validate(&self) -> Result<(), String> {
        if self.sharing.is_some() && self.kind != MountType::Cache {
            return Err(format!("invalid cache sharing set for {} mount", self.kind));
        }
        if self.kind == MountType::Secret {
            if self.from.is_some() {
                return Err("secret mount should not have a from".into());
            }
            if self.source.is_none() && self.target.is_none() && self.id.is_none() {
                return Err("invalid secret mount: one of source, target required".into());
            }
            if self.source.is_some() && self.id.is_some() {
                return Err("both source and id can't be set".into());
            }
        }
        Ok(())
    }
}

/// Go's `strconv.ParseBool`.
fn go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// go-units' `RAMInBytes`: `64m`, `1.5GiB`, `4096`; binary multiples.
fn ram_in_bytes(s: &str) -> Option<u64> {
    let s = s.trim();
    let num_end = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(num_end);
    if num.is_empty() || num.starts_with('.') || num.ends_with('.') {
        return None;
    }
    let n: f64 = num.parse().ok()?;
    let unit = unit.strip_prefix(' ').unwrap_or(unit).to_ascii_lowercase();
    let unit = unit.strip_suffix('b').unwrap_or(&unit);
    let unit = unit.strip_suffix('i').unwrap_or(unit);
    let shift = match unit {
        "" => 0,
        "k" => 10,
        "m" => 20,
        "g" => 30,
        "t" => 40,
        "p" => 50,
        _ => return None,
    };
    Some((n * (1u64 << shift) as f64) as u64)
}

/// One CSV record as Go's `encoding/csv` reads it by default: a field that
/// starts with `"` is quoted (`""` is a quote in it) and must end at a
/// comma; a quote elsewhere is an error.
fn csv_fields(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut cs = line.chars().peekable();
    loop {
        let mut field = String::new();
        if cs.peek() == Some(&'"') {
            cs.next();
            loop {
                match cs.next() {
                    Some('"') if cs.peek() == Some(&'"') => {
                        cs.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err("extraneous or missing \" in quoted-field".into()),
                }
            }
            match cs.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(',') => {}
                Some(_) => return Err("extraneous or missing \" in quoted-field".into()),
            }
        } else {
            loop {
                match cs.next() {
                    None => {
                        fields.push(field);
                        return Ok(fields);
                    }
                    Some(',') => break,
                    Some('"') => return Err("bare \" in non-quoted-field".into()),
                    Some(c) => field.push(c),
                }
            }
        }
        fields.push(field);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(v: &str) -> RunMount {
        RunMount::parse(v).unwrap_or_else(|e| panic!("{v}: {e}"))
    }

    #[test]
    fn a_bare_mount_is_a_bind() {
        let m = parsed("target=/src");
        assert_eq!(m.kind, MountType::Bind);
        assert_eq!(m.target.as_deref(), Some("/src"));
        assert_eq!(m.readonly, None);
    }

    #[test]
    fn key_aliases_and_case() {
        let m = parsed("TYPE=Cache,DST=/c,Id=x,sharing=LOCKED,ro");
        assert_eq!(m.kind, MountType::Cache);
        assert_eq!(m.target.as_deref(), Some("/c"));
        assert_eq!(m.id.as_deref(), Some("x"));
        assert_eq!(m.sharing, Some(Sharing::Locked));
        assert_eq!(m.readonly, Some(true));
        assert_eq!(
            parsed("type=bind,destination=/d,src=a,from=build")
                .source
                .as_deref(),
            Some("a")
        );
        assert_eq!(parsed("type=bind,target=/d,rw=true").readonly, Some(false));
        assert_eq!(
            parsed("type=bind,target=/d,readonly=1").readonly,
            Some(true)
        );
        // The last of `ro`/`rw` wins, as in BuildKit.
        assert_eq!(parsed("type=cache,target=/d,rw,ro").readonly, Some(true));
        assert_eq!(
            parsed("type=cache,target=/d,ro,readwrite").readonly,
            Some(false)
        );
    }

    #[test]
    fn csv_quotes_keep_commas_in_a_value() {
        let m = parsed("type=bind,\"source=a,b\",target=/d");
        assert_eq!(m.source.as_deref(), Some("a,b"));
        let m = parsed("type=bind,\"source=say \"\"hi\"\"\",target=/d");
        assert_eq!(m.source.as_deref(), Some("say \"hi\""));
        assert!(RunMount::parse("type=bind,source=a\"b").is_err());
        assert!(RunMount::parse("\"type=bind").is_err());
    }

    #[test]
    fn secrets_tmpfs_and_unapplied_options() {
        let m = parsed("type=secret,id=tok,required,mode=0400,uid=1,gid=2");
        assert_eq!(m.kind, MountType::Secret);
        assert!(m.required);
        assert_eq!(m.unapplied, ["mode=0400", "uid=1", "gid=2"]);
        assert_eq!(parsed("type=tmpfs,target=/t,size=64m").size, Some(64 << 20));
        assert_eq!(
            parsed("type=tmpfs,target=/t,size=1.5GiB").size,
            Some(3 << 29)
        );
        assert_eq!(parsed("type=tmpfs,target=/t,size=4096").size, Some(4096));
        assert_eq!(parsed("type=ssh").kind, MountType::Ssh);
    }

    #[test]
    fn mistakes_are_refused_with_the_reason() {
        let cases = [
            (
                "type=volume",
                "--mount: unsupported mount type `volume`: use bind, cache, tmpfs, secret or ssh",
            ),
            (
                "type=cache,target=/c,colour=red",
                "--mount: unexpected key `colour` in `colour=red`",
            ),
            (
                "type=cache,target",
                "--mount: invalid field `target`: must be a key=value pair",
            ),
            (
                "type=bind,target=/d,required",
                "--mount: unexpected key `required` for mount type `bind`",
            ),
            (
                "type=cache,target=/c,size=1m",
                "--mount: unexpected key `size` for mount type `cache`",
            ),
            (
                "type=tmpfs,target=/t,size=lots",
                "--mount: invalid value for size: `lots`",
            ),
            (
                "type=bind,target=/d,uid=0",
                "--mount: uid not allowed for `bind` type mounts",
            ),
            (
                "type=cache,target=/c,mode=9",
                "--mount: invalid value 9 for mode",
            ),
            (
                "type=cache,target=/c,ro=maybe",
                "--mount: invalid value for ro: `maybe`",
            ),
            (
                "type=cache,target=/c,sharing=all",
                "--mount: unsupported sharing value `all`: use shared, private or locked",
            ),
            (
                "type=bind,target=/d,sharing=locked",
                "--mount: invalid cache sharing set for bind mount",
            ),
            (
                "type=bind,target=/d,from=$STAGE",
                "--mount: `from` doesn't support variable expansion, define alias stage instead",
            ),
            (
                "type=secret,from=x,id=a",
                "--mount: secret mount should not have a from",
            ),
            (
                "type=secret",
                "--mount: invalid secret mount: one of source, target required",
            ),
            (
                "type=secret,id=a,source=b",
                "--mount: both source and id can't be set",
            ),
        ];
        for (v, want) in cases {
            assert_eq!(RunMount::parse(v).unwrap_err(), want, "{v}");
        }
    }
}
