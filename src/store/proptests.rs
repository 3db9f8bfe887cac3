//! Arbitrary image metadata: index.json, manifests and configs as a store
//! holds them (and as `load` and `import` bring them in) parse or fail with
//! an error, never a panic, and so do the listings and lookups built on
//! them (sizes, timestamps, chain ids, names).

use super::Store;
use super::oci::{ImageConfig, Index, Manifest};
use proptest::prelude::*;
use serde_json::{Value, json};

/// JSON leaves that stress parsers: huge and negative numbers, multibyte
/// and empty strings, wrong types.
fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        Just(json!(u64::MAX)),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "[ -~é]{0,12}".prop_map(Value::from),
        "20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[ -~é]{0,7}".prop_map(Value::from),
        "sha256:[0-9a-fé]{0,64}".prop_map(Value::from),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(2, 12, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::btree_map("[a-zé_]{0,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// An object with `keys` set to arbitrary values, some left out.
fn object(keys: &'static [&'static str]) -> impl Strategy<Value = Value> {
    proptest::collection::vec(proptest::option::weighted(0.7, value()), keys.len()).prop_map(
        move |vals| {
            Value::Object(
                keys.iter()
                    .zip(vals)
                    .filter_map(|(k, v)| Some((k.to_string(), v?)))
                    .collect(),
            )
        },
    )
}

fn descriptor() -> impl Strategy<Value = Value> {
    object(&["mediaType", "digest", "size", "annotations", "platform"])
}

fn config() -> impl Strategy<Value = Value> {
    (
        object(&[
            "created",
            "author",
            "architecture",
            "os",
            "config",
            "rootfs",
            "history",
        ]),
        proptest::collection::vec(
            object(&["created", "created_by", "empty_layer", "comment"]),
            0..3,
        ),
        proptest::collection::vec("sha256:[0-9a-f]{64}", 0..3),
    )
        .prop_map(|(mut c, history, diff_ids)| {
            if c.get("history").is_some_and(Value::is_array) {
                c["history"] = Value::from(history);
            }
            if c.get("rootfs").is_some_and(Value::is_object) {
                c["rootfs"]["diff_ids"] = Value::from(diff_ids);
            }
            c
        })
}

proptest! {
    #![proptest_config(crate::proptest_config(256))]

    #[test]
    fn metadata_parses_or_errs(
        index in object(&["schemaVersion", "mediaType", "manifests", "annotations"]),
        descs in proptest::collection::vec(descriptor(), 0..3),
        manifest in object(&["schemaVersion", "mediaType", "config", "layers", "annotations"]),
        config in config(),
    ) {
        let mut index = index;
        index["manifests"] = Value::from(descs.clone());
        let _ = serde_json::from_value::<Index>(index);
        let mut manifest = manifest;
        manifest["layers"] = Value::from(descs);
        let _ = serde_json::from_value::<Manifest>(manifest);
        let _ = serde_json::from_value::<ImageConfig>(config);
    }

}

/// A config of the right shape whose strings and numbers say anything.
fn plausible_config() -> impl Strategy<Value = Value> {
    (
        proptest::option::of("[ -~é]{0,30}"),
        proptest::collection::vec((proptest::option::of("[ -~é]{0,30}"), any::<bool>()), 0..3),
        proptest::collection::vec("sha256:[0-9a-f]{64}", 0..3),
    )
        .prop_map(|(created, history, diff_ids)| {
            json!({
                "created": created,
                "architecture": "amd64",
                "os": "linux",
                "config": {},
                "rootfs": {"type": "layers", "diff_ids": diff_ids},
                "history": history
                    .into_iter()
                    .map(|(c, empty)| json!({"created": c, "empty_layer": empty}))
                    .collect::<Vec<_>>(),
            })
        })
}

proptest! {
    // Fewer cases: each makes a store on disk, with its fsyncs.
    #![proptest_config(crate::proptest_config(32))]

    /// A store whose index, manifest and config say anything: listing and
    /// resolving give images or errors.
    #[test]
    fn a_store_of_arbitrary_metadata_lists_or_errs(
        config in prop_oneof![config(), plausible_config()],
        layers in proptest::collection::vec(descriptor(), 0..3),
        layer_sizes in proptest::collection::vec((any::<u64>(), "[0-9a-f]{64}"), 0..3),
        annotations in proptest::collection::vec(proptest::option::of("[ -~é]{0,20}"), 1..3),
        spec in prop_oneof!["[ -~é]{0,20}", Just("busybox".to_string()), "[0-9a-f]{3,12}"],
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path()).unwrap();
        let config_digest = store.put_blob(&serde_json::to_vec(&config).unwrap()).unwrap();
        let mut layers = layers;
        // Mostly well-formed layers, so the sizes and digests get used.
        for (l, (size, hex)) in layers.iter_mut().zip(layer_sizes) {
            if l.is_object() {
                l["mediaType"] = Value::from(super::oci::MEDIA_LAYER_TAR);
                l["size"] = Value::from(size);
                l["digest"] = Value::from(format!("sha256:{hex}"));
            }
        }
        let manifest = json!({
            "schemaVersion": 2,
            "config": {"mediaType": "x", "digest": config_digest.to_string(), "size": u64::MAX},
            "layers": layers,
        });
        let manifest = serde_json::to_vec(&manifest).unwrap();
        let manifest_digest = store.put_blob(&manifest).unwrap();
        let manifests: Vec<Value> = annotations
            .into_iter()
            .map(|name| {
                let mut d = json!({"mediaType": "x", "digest": manifest_digest.to_string(), "size": manifest.len()});
                if let Some(name) = name {
                    d["annotations"] = json!({ super::oci::ANNOTATION_REF_NAME: name });
                }
                d
            })
            .collect();
        let index = json!({"schemaVersion": 2, "manifests": manifests});
        std::fs::write(store.dir().join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
        if let Ok(images) = store.images() {
            for i in &images {
                let _ = (store.image_size(i), i.created_epoch(), i.chain_ids(), i.id().short());
                for n in &i.names {
                    let _ = crate::reference::Reference::parse(n);
                }
            }
        }
        let _ = store.resolve(&spec);
    }
}
