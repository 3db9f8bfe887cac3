//! Container records under `<root>/containers/<id>/`: ids, names, meta.json,
//! state. No kernel calls here.

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::{Path, PathBuf};

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Created,
    Running,
    Exited,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Meta {
    pub id: String,
    pub name: String,
    /// The image as the user named it, and its id.
    pub image: String,
    pub image_id: String,
    pub command: Vec<String>,
    pub created: String,
    pub state: State,
    #[serde(default)]
    pub pid: Option<i32>,
    #[serde(default)]
    pub exit_code: Option<i32>,
    /// Chain ids of the image's layers, bottom first: kept alive while the container exists.
    #[serde(default)]
    pub layers: Vec<String>,
    /// The signal that stops it (`--stop-signal`, else the image's, else SIGTERM).
    #[serde(default)]
    pub stop_signal: Option<String>,
}

pub struct Containers {
    dir: PathBuf,
}

impl Containers {
    pub fn new(root: &Path) -> Containers {
        Containers {
            dir: root.join("containers"),
        }
    }

    pub fn dir_of(&self, id: &str) -> PathBuf {
        self.dir.join(id)
    }

    /// Makes the record of a new container: a fresh random id, a unique name.
    pub fn create(&self, name: Option<&str>, mut meta: Meta) -> Result<Meta> {
        crate::store::private_dir(&self.dir)
            .with_context(|| format!("creating `{}`", self.dir.display()))?;
        let id = random_id()?;
        let name = match name {
            Some(n) => {
                if !n.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
                    || !n
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
                {
                    bail!("invalid container name `{n}`: use letters, digits, `_`, `.` and `-`");
                }
                if self.list()?.iter().any(|m| m.name == n) {
                    bail!("the container name `{n}` is already in use");
                }
                n.to_string()
            }
            None => format!("berth-{}", &id[..12]),
        };
        meta.id = id.clone();
        meta.name = name;
        let dir = self.dir_of(&id);
        fs::create_dir(&dir).with_context(|| format!("creating `{}`", dir.display()))?;
        self.save(&meta)?;
        Ok(meta)
    }

    pub fn save(&self, meta: &Meta) -> Result<()> {
        crate::store::write_atomic(
            &self.dir_of(&meta.id).join("meta.json"),
            &serde_json::to_vec_pretty(meta)?,
        )
    }

    pub fn list(&self) -> Result<Vec<Meta>> {
        let mut out = Vec::new();
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(e).context("listing containers"),
        };
        for e in entries {
            let path = e?.path().join("meta.json");
            if let Ok(bytes) = fs::read(&path)
                && let Ok(m) = serde_json::from_slice::<Meta>(&bytes)
            {
                out.push(m);
            }
        }
        out.sort_by(|a, b| a.created.cmp(&b.created));
        Ok(out)
    }

    /// By full id, unique id prefix, or name.
    pub fn find(&self, spec: &str) -> Result<Meta> {
        let all = self.list()?;
        if let Some(m) = all.iter().find(|m| m.name == spec || m.id == spec) {
            return Ok(m.clone());
        }
        let prefixed: Vec<&Meta> = all.iter().filter(|m| m.id.starts_with(spec)).collect();
        match prefixed.as_slice() {
            [one] if !spec.is_empty() => Ok((*one).clone()),
            [] | [_] => bail!("no such container `{spec}`"),
            _ => bail!("container id prefix `{spec}` is ambiguous"),
        }
    }
}

fn random_id() -> Result<String> {
    use std::io::Read;
    let mut buf = [0u8; 32];
    fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .context("reading /dev/urandom")?;
    Ok(hex::encode(buf))
}
