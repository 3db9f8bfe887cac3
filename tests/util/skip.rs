//! The one definition of a skipped test, for the unit tests (src/main.rs
//! includes this file) and the integration tests (`util` re-exports it):
//! a skip says why, and where every test must run it is a failure.

/// Whether a skip is a failure: `BERTH_TEST_STRICT=1` (the integration
/// tests as the CI users) or `CI=true` (the unit tests in CI, as root).
pub fn strict() -> bool {
    std::env::var("BERTH_TEST_STRICT").is_ok_and(|v| v == "1")
        || std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Skip the rest of a test for a reason the machine states: prints
/// `SKIP: reason`, or panics with it when [`strict`]. The caller returns
/// right after.
pub fn skip(reason: &str) {
    assert!(
        !strict(),
        "SKIP: {reason} (a skip is a failure under BERTH_TEST_STRICT=1 or CI=true)"
    );
    eprintln!("SKIP: {reason}");
}
