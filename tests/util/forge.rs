//! Forged archives for the hostile tests. The `tar` crate refuses to write
//! `..` or absolute names (rightly), so hostile layers are written header by
//! header here, as tar-rs's own `extracting_malicious_tarball` test does.

use super::sha256_hex;

const BLOCK: usize = 512;

/// A tar archive written one raw header at a time.
#[derive(Default)]
pub struct RawTar {
    buf: Vec<u8>,
}

/// POSIX ustar magic and version.
const USTAR: &[u8; 8] = b"ustar\x0000";
/// GNU tar's magic and version (needed around `L`/`K` long-name entries).
const GNU: &[u8; 8] = b"ustar  \x00";

impl RawTar {
    pub fn new() -> RawTar {
        RawTar::default()
    }

    fn octal(field: &mut [u8], v: u64) {
        let s = format!("{:0width$o}\0", v, width = field.len() - 1);
        field.copy_from_slice(s.as_bytes());
    }

    /// One header block. `name` and `link` are written byte for byte (cut at
    /// 100 bytes): nothing is normalised or checked.
    fn header(
        &mut self,
        name: &[u8],
        kind: u8,
        size: u64,
        link: &[u8],
        mode: u32,
        magic: &[u8; 8],
    ) {
        let mut h = [0u8; BLOCK];
        let n = name.len().min(100);
        h[..n].copy_from_slice(&name[..n]);
        Self::octal(&mut h[100..108], u64::from(mode));
        Self::octal(&mut h[108..116], 0);
        Self::octal(&mut h[116..124], 0);
        Self::octal(&mut h[124..136], size);
        Self::octal(&mut h[136..148], super::FIXED_MTIME);
        h[156] = kind;
        let l = link.len().min(100);
        h[157..157 + l].copy_from_slice(&link[..l]);
        h[257..265].copy_from_slice(magic);
        h[265..269].copy_from_slice(b"root");
        h[297..301].copy_from_slice(b"root");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        let s = format!("{sum:06o}\0 ");
        h[148..156].copy_from_slice(s.as_bytes());
        self.buf.extend_from_slice(&h);
    }

    fn data(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
        let pad = (BLOCK - data.len() % BLOCK) % BLOCK;
        self.buf.extend(std::iter::repeat_n(0, pad));
    }

    pub fn dir(&mut self, name: &str) -> &mut RawTar {
        self.header(name.as_bytes(), b'5', 0, b"", 0o755, USTAR);
        self
    }

    pub fn file(&mut self, name: &str, data: &[u8]) -> &mut RawTar {
        self.header(name.as_bytes(), b'0', data.len() as u64, b"", 0o644, USTAR);
        self.data(data);
        self
    }

    pub fn symlink(&mut self, name: &str, target: &str) -> &mut RawTar {
        self.header(name.as_bytes(), b'2', 0, target.as_bytes(), 0o777, USTAR);
        self
    }

    pub fn hardlink(&mut self, name: &str, target: &str) -> &mut RawTar {
        self.header(name.as_bytes(), b'1', 0, target.as_bytes(), 0o644, USTAR);
        self
    }

    /// A file whose header says `header_name` but whose PAX extended header
    /// says `path=pax_path`: readers must use the PAX one.
    pub fn pax_file(&mut self, pax_path: &str, header_name: &str, data: &[u8]) -> &mut RawTar {
        let body = format!("path={pax_path}\n");
        // The record's length counts its own digits.
        let mut len = body.len() + 2;
        while format!("{len} {body}").len() != len {
            len += 1;
        }
        let record = format!("{len} {body}");
        self.header(
            b"PaxHeaders/x",
            b'x',
            record.len() as u64,
            b"",
            0o644,
            USTAR,
        );
        self.data(record.as_bytes());
        self.file(header_name, data)
    }

    /// A file preceded by a PAX extended header holding `records`, in
    /// order (`path`, `SCHILY.xattr.user.…`, anything).
    pub fn pax_records_file(
        &mut self,
        records: &[(&str, &[u8])],
        header_name: &str,
        data: &[u8],
    ) -> &mut RawTar {
        let mut body = Vec::new();
        for (key, value) in records {
            // "LEN KEY=VALUE\n", where LEN counts its own digits too.
            let rest = key.len() + value.len() + 3;
            let mut len = rest + 1;
            while len.to_string().len() + rest != len {
                len += 1;
            }
            body.extend_from_slice(format!("{len} {key}=").as_bytes());
            body.extend_from_slice(value);
            body.push(b'\n');
        }
        self.header(b"PaxHeaders/x", b'x', body.len() as u64, b"", 0o644, USTAR);
        self.data(&body);
        self.file(header_name, data)
    }

    /// Only the header of an extension entry (`L`, `K`, `x`) claiming
    /// `size` bytes: the caller appends (or streams) the data itself.
    pub fn extension_header(&mut self, kind: u8, size: u64) -> &mut RawTar {
        let magic = if matches!(kind, b'L' | b'K') {
            GNU
        } else {
            USTAR
        };
        self.header(b"././@LongLink", kind, size, b"", 0o644, magic);
        self
    }

    /// A file with a GNU long name (`././@LongLink`, type `L`).
    pub fn gnu_long_file(&mut self, long_name: &str, data: &[u8]) -> &mut RawTar {
        let mut name = long_name.as_bytes().to_vec();
        name.push(0);
        self.header(b"././@LongLink", b'L', name.len() as u64, b"", 0o644, GNU);
        self.data(&name);
        let short = &long_name.as_bytes()[..long_name.len().min(99)];
        self.header(short, b'0', data.len() as u64, b"", 0o644, GNU);
        self.data(data);
        self
    }

    /// A GNU sparse file (`S`) with no data, all hole: `real_size` bytes
    /// that tar-rs makes up as zeros, from a header of 512 bytes.
    pub fn sparse_hole(&mut self, name: &str, real_size: u64) -> &mut RawTar {
        self.header(name.as_bytes(), b'S', 0, b"", 0o644, GNU);
        let start = self.buf.len() - BLOCK;
        let h = &mut self.buf[start..];
        // GNU base-256 numbers: the high bit of the first byte set, the
        // value big-endian in the rest.
        let base256 = |field: &mut [u8], v: u64| {
            field.fill(0);
            field[0] = 0x80;
            let n = field.len();
            field[n - 8..].copy_from_slice(&v.to_be_bytes());
        };
        // One sparse block: data at offset `real_size`, 0 bytes long, so the
        // whole file before it is a hole.
        base256(&mut h[386..398], real_size);
        Self::octal(&mut h[398..410], 0);
        base256(&mut h[483..495], real_size);
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        self
    }

    /// The archive so far, without the end-of-archive blocks.
    pub fn unfinished(&self) -> Vec<u8> {
        self.buf.clone()
    }

    /// The archive with its two zero end blocks.
    pub fn finish(&self) -> Vec<u8> {
        let mut v = self.buf.clone();
        v.extend(std::iter::repeat_n(0, 2 * BLOCK));
        v
    }
}

/// A tar with normal names, via the `tar` crate: for archives that are valid
/// as tars but lie in their content.
fn plain_tar(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_ustar();
        h.set_mode(0o644);
        h.set_size(data.len() as u64);
        h.set_mtime(super::FIXED_MTIME);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap()
}

/// The config, manifest and their digests for a one-layer image whose
/// (uncompressed) layer is `layer`.
pub struct Image {
    pub layer_digest: String,
    pub config: Vec<u8>,
    pub config_digest: String,
    pub manifest: Vec<u8>,
    pub manifest_digest: String,
}

pub fn one_layer_image(layer: &[u8]) -> Image {
    one_layer_image_with(layer, |_| {})
}

/// [`one_layer_image`] with its config changed by `edit` first: for images
/// whose metadata lies or is malformed.
pub fn one_layer_image_with(layer: &[u8], edit: impl FnOnce(&mut serde_json::Value)) -> Image {
    let layer_digest = format!("sha256:{}", sha256_hex(layer));
    let mut config = serde_json::json!({
        "created": "2023-11-14T22:13:20Z",
        "architecture": "amd64",
        "os": "linux",
        "config": { "Cmd": ["sh"] },
        "rootfs": { "type": "layers", "diff_ids": [layer_digest] },
        "history": [{ "created": "2023-11-14T22:13:20Z", "created_by": "forged by berth's tests" }]
    });
    edit(&mut config);
    let config = serde_json::to_vec(&config).unwrap();
    let config_digest = format!("sha256:{}", sha256_hex(&config));
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest,
            "size": config.len()
        },
        "layers": [{
            "mediaType": "application/vnd.oci.image.layer.v1.tar",
            "digest": layer_digest,
            "size": layer.len()
        }]
    }))
    .unwrap();
    let manifest_digest = format!("sha256:{}", sha256_hex(&manifest));
    Image {
        layer_digest,
        config,
        config_digest,
        manifest,
        manifest_digest,
    }
}

/// `bytes` with one byte changed, same length.
pub fn corrupt(bytes: &[u8]) -> Vec<u8> {
    let mut v = bytes.to_vec();
    let i = v.len() / 2;
    v[i] ^= 0x55;
    v
}

/// What an archive holds under the layer's name.
#[derive(Clone, Copy, PartialEq)]
pub enum LayerBlob {
    Good,
    /// One byte changed, same length.
    Corrupt,
    /// Left out of the archive.
    Missing,
}

/// An OCI archive (oci-layout, index.json, blobs/sha256/…) holding a
/// one-layer image tagged `reference`, its layer blob as `blob` says.
pub fn oci_archive(layer: &[u8], reference: &str, blob: LayerBlob) -> (Vec<u8>, Image) {
    oci_archive_of(one_layer_image(layer), layer, reference, blob)
}

/// An OCI archive of `img` (from [`one_layer_image_with`]), whose layer is
/// `layer`.
pub fn oci_archive_of(
    img: Image,
    layer: &[u8],
    reference: &str,
    blob: LayerBlob,
) -> (Vec<u8>, Image) {
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": img.manifest_digest,
            "size": img.manifest.len(),
            "annotations": { "org.opencontainers.image.ref.name": reference }
        }]
    }))
    .unwrap();
    let stored_layer = if blob == LayerBlob::Corrupt {
        corrupt(layer)
    } else {
        layer.to_vec()
    };
    let blob_path = |d: &str| format!("blobs/sha256/{}", d.trim_start_matches("sha256:"));
    let (lp, cp, mp) = (
        blob_path(&img.layer_digest),
        blob_path(&img.config_digest),
        blob_path(&img.manifest_digest),
    );
    let mut files: Vec<(&str, &[u8])> = vec![
        ("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#),
        ("index.json", &index),
        (&cp, &img.config),
        (&mp, &img.manifest),
    ];
    if blob != LayerBlob::Missing {
        files.push((&lp, &stored_layer));
    }
    (plain_tar(&files), img)
}

/// A docker-archive (manifest.json, <config>.json, <layer>.tar) holding a
/// one-layer image tagged `reference`. With `corrupt_layer`, the layer no
/// longer matches the config's diff_id.
pub fn docker_archive(layer: &[u8], reference: &str, corrupt_layer: bool) -> (Vec<u8>, Image) {
    let img = one_layer_image(layer);
    let config_name = format!("{}.json", img.config_digest.trim_start_matches("sha256:"));
    let layer_name = format!("{}.tar", img.layer_digest.trim_start_matches("sha256:"));
    let manifest = serde_json::to_vec(&serde_json::json!([{
        "Config": config_name,
        "RepoTags": [reference],
        "Layers": [layer_name]
    }]))
    .unwrap();
    let stored_layer = if corrupt_layer {
        corrupt(layer)
    } else {
        layer.to_vec()
    };
    let tar = plain_tar(&[
        ("manifest.json", &manifest),
        (&config_name, &img.config),
        (&layer_name, &stored_layer),
    ]);
    (tar, img)
}
