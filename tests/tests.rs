//! berth's integration tests: one binary, modules by topic (ripgrep's layout).
//! Every test drives the real `berth` binary against a fresh `--root` in a
//! temp dir; see `util` for the harness and `macros` for `berthtest!`.

#[macro_use]
mod macros;

mod build;
mod commit;
mod conformance;
mod containment;
mod containment_add;
mod containment_bind;
mod containment_build;
mod containment_lifecycle;
mod containment_load;
mod containment_misc;
mod containment_tar;
mod cp;
mod df;
mod docs;
mod events;
mod exec;
mod export;
mod first_hour;
mod health;
mod hostile;
mod info;
mod interop;
mod lifecycle;
mod login;
mod logs;
mod manifest;
mod network;
mod networks;
mod pipeline;
mod ps;
mod pull;
mod push;
mod readme;
mod registry;
mod registry_harness;
mod rollback;
mod run;
mod sbom;
mod scan;
mod search;
mod store;
mod systemd;
mod units;
mod util;
mod verbs;
mod volumes;
