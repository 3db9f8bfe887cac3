//! An [`Sbom`] as SPDX 2.3 JSON and CycloneDX 1.5 JSON. Both are the same
//! for the same image but for the creation time (and CycloneDX's serial
//! number): packages keep the SBOM's sorted order, ids are positional.

use super::license;
use super::{Package, Sbom};
use serde_json::{Value, json};
use std::collections::BTreeMap;

const TOOL: &str = concat!("berth-", env!("CARGO_PKG_VERSION"));

/// What to call the image in a document: its first name, else its id.
fn image_name(sbom: &Sbom) -> &str {
    sbom.names
        .first()
        .map_or(sbom.image.as_str(), String::as_str)
}

/// SPDX 2.3: a document describing the image (a CONTAINER package) that
/// CONTAINS every package, each with its purl as a PACKAGE-MANAGER
/// external ref; licenses as SPDX expressions, else `LicenseRef-`s with
/// their text among the extracted licensing infos.
pub fn spdx(sbom: &Sbom, created_epoch: i64) -> Value {
    let hex = sbom.digest.strip_prefix("sha256:").unwrap_or(&sbom.digest);
    let mut extracted: BTreeMap<String, String> = BTreeMap::new();
    let mut packages = vec![json!({
        "SPDXID": "SPDXRef-Image",
        "name": image_name(sbom),
        "versionInfo": sbom.digest,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "primaryPackagePurpose": "CONTAINER",
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION",
    })];
    let mut relationships = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relationshipType": "DESCRIBES",
        "relatedSpdxElement": "SPDXRef-Image",
    })];
    for (n, p) in sbom.packages.iter().enumerate() {
        let id = format!("SPDXRef-Package-{}-{n}", p.kind.as_str());
        let declared = spdx_license(p, &mut extracted);
        packages.push(json!({
            "SPDXID": id,
            "name": p.name,
            "versionInfo": p.version,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": declared,
            "copyrightText": "NOASSERTION",
            "sourceInfo": format!("{} in layer {}", p.location, p.layer),
            "externalRefs": [{
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": p.purl,
            }],
        }));
        relationships.push(json!({
            "spdxElementId": "SPDXRef-Image",
            "relationshipType": "CONTAINS",
            "relatedSpdxElement": id,
        }));
    }
    let mut doc = json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": image_name(sbom),
        "documentNamespace": format!("https://berth.invalid/spdx/image/sha256-{hex}"),
        "creationInfo": {
            "created": crate::time::rfc3339(created_epoch),
            "creators": [format!("Tool: {TOOL}")],
        },
        "packages": packages,
        "relationships": relationships,
    });
    if !extracted.is_empty() {
        doc["hasExtractedLicensingInfos"] = extracted
            .into_iter()
            .map(|(id, text)| json!({"licenseId": id, "extractedText": text, "name": text}))
            .collect();
    }
    doc
}

/// A package's licenses as one SPDX expression (`NOASSERTION` for none),
/// free-text ones recorded in `extracted` under their `LicenseRef-`.
fn spdx_license(p: &Package, extracted: &mut BTreeMap<String, String>) -> String {
    let parts: Vec<String> = p
        .licenses
        .iter()
        .map(|l| {
            license::expression(l).unwrap_or_else(|| {
                let id = license::license_ref(l);
                extracted.entry(id.clone()).or_insert_with(|| l.clone());
                id
            })
        })
        .collect();
    match parts.len() {
        0 => "NOASSERTION".to_string(),
        1 => parts[0].clone(),
        _ => parts
            .iter()
            .map(|e| {
                if e.contains(' ') {
                    format!("({e})")
                } else {
                    e.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(" AND "),
    }
}

/// CycloneDX 1.5: the image as the metadata's `container` component, the
/// OS as an `operating-system` component, every package a `library` with
/// its purl; a license that is an SPDX id as `license.id`, else as
/// `license.name`; the layer and path as `berth:` properties.
pub fn cyclonedx(sbom: &Sbom, created_epoch: i64, serial: &str) -> Value {
    let mut components = Vec::new();
    if let Some(os) = &sbom.os {
        let mut c = json!({
            "type": "operating-system",
            "bom-ref": "os",
            "name": os.id,
        });
        if let Some(v) = &os.version_id {
            c["version"] = json!(v);
        }
        if let Some(d) = &os.pretty_name {
            c["description"] = json!(d);
        }
        components.push(c);
    }
    for (n, p) in sbom.packages.iter().enumerate() {
        let licenses: Vec<Value> = p
            .licenses
            .iter()
            .map(|l| match license::known_id(l) {
                Some(id) => json!({"license": {"id": id}}),
                None => json!({"license": {"name": l}}),
            })
            .collect();
        let mut c = json!({
            "type": "library",
            "bom-ref": format!("pkg-{n}"),
            "name": p.name,
            "version": p.version,
            "purl": p.purl,
            "properties": [
                {"name": "berth:layer", "value": p.layer},
                {"name": "berth:location", "value": p.location},
                {"name": "berth:kind", "value": p.kind.as_str()},
            ],
        });
        if !licenses.is_empty() {
            c["licenses"] = Value::Array(licenses);
        }
        components.push(c);
    }
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": format!("urn:uuid:{serial}"),
        "version": 1,
        "metadata": {
            "timestamp": crate::time::rfc3339(created_epoch),
            "tools": {"components": [{
                "type": "application",
                "name": "berth",
                "version": env!("CARGO_PKG_VERSION"),
            }]},
            "component": {
                "type": "container",
                "bom-ref": "image",
                "name": image_name(sbom),
                "version": sbom.digest,
            },
        },
        "components": components,
    })
}

/// A random (version 4) UUID from 16 bytes of randomness.
pub fn uuid_v4(mut b: [u8; 16]) -> String {
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}
