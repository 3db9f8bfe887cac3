//! What a pull shows while it runs: on a terminal, one live line per layer
//! (bytes and rate) drawn by indicatif; otherwise one plain line per step,
//! as podman prints them; with `-q`, nothing.

use crate::image::pull::Observer;
use crate::store::digest::Digest;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;

pub enum Progress {
    Quiet,
    Lines,
    Bars {
        multi: MultiProgress,
        bars: Mutex<HashMap<Digest, ProgressBar>>,
    },
}

impl Progress {
    /// Bars on a terminal stderr, lines elsewhere, nothing when `quiet`.
    pub fn new(quiet: bool) -> Progress {
        if quiet {
            Progress::Quiet
        } else if std::io::stderr().is_terminal() {
            Progress::Bars {
                multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
                bars: Mutex::new(HashMap::new()),
            }
        } else {
            Progress::Lines
        }
    }

    fn line(&self, s: &str) {
        match self {
            Progress::Quiet => {}
            Progress::Lines => {
                let _ = writeln!(std::io::stderr().lock(), "{s}");
            }
            Progress::Bars { multi, .. } => {
                let _ = multi.println(s);
            }
        }
    }
}

impl Observer for Progress {
    fn step(&self, what: &str) {
        self.line(&crate::term::escape(what));
    }

    fn blob_start(&self, digest: &Digest, size: u64, fetch: bool) {
        let Progress::Bars { multi, bars } = self else {
            if !fetch {
                self.line(&format!("Copying blob {digest} skipped: already exists"));
            } else {
                self.line(&format!("Copying blob {digest}"));
            }
            return;
        };
        let bar = multi.add(ProgressBar::new(size));
        bar.set_style(
            ProgressStyle::with_template(
                "Copying blob {prefix} {bytes:>10} / {total_bytes:<10} {binary_bytes_per_sec:>12} {wide_bar}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_prefix(digest.hex()[..12].to_string());
        if !fetch {
            bar.finish_with_message("skipped: already exists");
        }
        if let Ok(mut b) = bars.lock() {
            b.insert(digest.clone(), bar);
        }
    }

    fn blob_bytes(&self, digest: &Digest, n: u64) {
        if let Progress::Bars { bars, .. } = self
            && let Ok(b) = bars.lock()
            && let Some(bar) = b.get(digest)
        {
            bar.inc(n);
        }
    }

    fn blob_done(&self, digest: &Digest) {
        match self {
            Progress::Bars { bars, .. } => {
                if let Ok(b) = bars.lock()
                    && let Some(bar) = b.get(digest)
                {
                    bar.finish();
                }
            }
            _ => self.line(&format!("Copying blob {digest} done")),
        }
    }
}
