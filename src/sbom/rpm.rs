//! rpm's database: the sqlite `rpmdb.sqlite` of current Fedora, RHEL and
//! SUSE, whose `Packages` table holds one rpm header blob a package. The
//! header's index is parsed for NAME, VERSION, RELEASE, EPOCH, ARCH,
//! LICENSE and SOURCERPM. Every count and offset in a header is checked
//! against the blob: the data is the image's.

use super::sqlite;
use super::{Kind, Package};

pub const SQLITE_PATHS: [&str; 2] = [
    "var/lib/rpm/rpmdb.sqlite",
    "usr/lib/sysimage/rpm/rpmdb.sqlite",
];
/// The Berkeley DB database of older rpm, which is not read.
pub const BDB_PATHS: [&str; 2] = ["var/lib/rpm/Packages", "usr/lib/sysimage/rpm/Packages"];
pub const BDB_NOTE: &str = "unsupported rpm database (Berkeley DB): its packages are not listed; \
                            images with rpm ≥ 4.16 keep rpmdb.sqlite, which is";

const TAG_NAME: u32 = 1000;
const TAG_VERSION: u32 = 1001;
const TAG_RELEASE: u32 = 1002;
const TAG_EPOCH: u32 = 1003;
const TAG_LICENSE: u32 = 1014;
const TAG_ARCH: u32 = 1022;
const TAG_SOURCERPM: u32 = 1044;
const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;

/// The packages of an rpmdb.sqlite file, or why it could not be read.
pub fn parse_sqlite(db: &[u8], location: &str) -> Result<Vec<Package>, String> {
    let blobs =
        sqlite::table_column(db, "Packages", 1).map_err(|e| format!("rpm database: {e}"))?;
    Ok(blobs.iter().filter_map(|b| package(b, location)).collect())
}

/// The fields of one header blob (index count, data length, the index,
/// the data store; the blob as rpmdb keeps it, without the lead magic).
fn package(blob: &[u8], location: &str) -> Option<Package> {
    let u32_at = |off: usize| -> Option<u32> {
        blob.get(off..off + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    let il = u32_at(0)? as usize;
    let dl = u32_at(4)? as usize;
    let index_end = 8usize.checked_add(il.checked_mul(16)?)?;
    let data = blob.get(index_end..index_end.checked_add(dl)?)?;
    let string = |want: u32| -> Option<String> {
        (0..il).find_map(|i| {
            let e = 8 + i * 16;
            if u32_at(e)? != want || u32_at(e + 4)? != TYPE_STRING {
                return None;
            }
            let off = u32_at(e + 8)? as usize;
            let rest = data.get(off..)?;
            let end = rest.iter().position(|&b| b == 0)?;
            Some(String::from_utf8_lossy(&rest[..end]).into_owned())
        })
    };
    let name = string(TAG_NAME)?;
    let version = string(TAG_VERSION)?;
    let release = string(TAG_RELEASE);
    let arch = string(TAG_ARCH);
    let license = string(TAG_LICENSE);
    let source_rpm = string(TAG_SOURCERPM);
    let epoch = (0..il).find_map(|i| {
        let e = 8 + i * 16;
        if u32_at(e)? != TAG_EPOCH || u32_at(e + 4)? != TYPE_INT32 {
            return None;
        }
        let off = u32_at(e + 8)? as usize;
        let b = data.get(off..off + 4)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    });
    // gpg-pubkey entries are keys rpm keeps as packages, not software.
    if name == "gpg-pubkey" {
        return None;
    }
    let mut full = match &release {
        Some(r) => format!("{version}-{r}"),
        None => version,
    };
    if let Some(e) = epoch.filter(|&e| e > 0) {
        full = format!("{e}:{full}");
    }
    let mut p = Package::found(Kind::Rpm, &name, &full, location);
    p.arch = arch.filter(|a| a != "(none)");
    p.licenses = license.into_iter().collect();
    p.source = source_rpm
        .as_deref()
        .and_then(source_name)
        .map(str::to_string);
    Some(p)
}

/// `bash` from `bash-5.2.15-3.fc39.src.rpm`: name-version-release.
fn source_name(srpm: &str) -> Option<&str> {
    let nvr = srpm
        .strip_suffix(".src.rpm")
        .or(srpm.strip_suffix(".nosrc.rpm"))?;
    let (nv, _release) = nvr.rsplit_once('-')?;
    let (n, _version) = nv.rsplit_once('-')?;
    (!n.is_empty()).then_some(n)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A header blob with these (tag, type, data) entries.
    pub fn header(entries: &[(u32, u32, Vec<u8>)]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data = Vec::new();
        for (tag, ty, bytes) in entries {
            if *ty == TYPE_INT32 {
                while data.len() % 4 != 0 {
                    data.push(0);
                }
            }
            for v in [*tag, *ty, data.len() as u32, 1] {
                index.extend(v.to_be_bytes());
            }
            data.extend(bytes);
        }
        let mut out = Vec::new();
        out.extend((entries.len() as u32).to_be_bytes());
        out.extend((data.len() as u32).to_be_bytes());
        out.extend(index);
        out.extend(data);
        out
    }

    fn s(v: &str) -> Vec<u8> {
        let mut b = v.as_bytes().to_vec();
        b.push(0);
        b
    }

    #[test]
    fn header_fields() {
        let blob = header(&[
            (TAG_NAME, TYPE_STRING, s("bash")),
            (TAG_VERSION, TYPE_STRING, s("5.2.15")),
            (TAG_RELEASE, TYPE_STRING, s("3.fc39")),
            (TAG_EPOCH, TYPE_INT32, 1u32.to_be_bytes().to_vec()),
            (TAG_ARCH, TYPE_STRING, s("x86_64")),
            (TAG_LICENSE, TYPE_STRING, s("GPL-3.0-or-later")),
            (TAG_SOURCERPM, TYPE_STRING, s("bash-5.2.15-3.fc39.src.rpm")),
        ]);
        let p = package(&blob, "x").unwrap();
        assert_eq!(p.version, "1:5.2.15-3.fc39");
        assert_eq!(p.source.as_deref(), Some("bash"));
        assert_eq!(p.licenses, ["GPL-3.0-or-later"]);
    }

    #[test]
    fn hostile_headers_are_skipped() {
        let mut blob = header(&[(TAG_NAME, TYPE_STRING, s("x"))]);
        blob[0..4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(package(&blob, "x").is_none());
        // An offset past the data, a string without its NUL.
        let bad = header(&[
            (TAG_VERSION, TYPE_STRING, s("1")),
            (TAG_NAME, TYPE_STRING, b"abc".to_vec()),
        ]);
        assert!(package(&bad, "x").is_none());
        assert!(package(&[], "x").is_none());
    }
}
