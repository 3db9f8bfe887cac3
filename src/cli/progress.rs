//! What a pull shows while it runs: on a terminal, one live line per layer
//! (bytes and rate) drawn by indicatif; otherwise one plain line per step,
//! as podman prints them; with `-q`, nothing.
//!
//! The plain lines go to logs and pipelines, where a failed pull should read
//! as one line: the steps before the first layer completes (resolving the
//! name, fetching the manifest) are held back until then, so a pull that
//! fails there prints only its error.

use crate::image::pull::Observer;
use crate::store::digest::Digest;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;

pub enum Progress {
    Quiet,
    /// Plain lines; steps not yet shown wait here for the first completed layer.
    Lines(Mutex<Vec<String>>),
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
            Progress::Lines(Mutex::new(Vec::new()))
        }
    }

    fn line(&self, s: &str) {
        match self {
            Progress::Quiet => {}
            Progress::Lines(held) => {
                let mut err = std::io::stderr().lock();
                if let Ok(mut held) = held.lock() {
                    for h in held.drain(..) {
                        let _ = writeln!(err, "{h}");
                    }
                }
                let _ = writeln!(err, "{s}");
            }
            Progress::Bars { multi, .. } => {
                let _ = multi.println(s);
            }
        }
    }
}

impl Observer for Progress {
    fn step(&self, what: &str) {
        match self {
            Progress::Lines(held) => {
                if let Ok(mut h) = held.lock() {
                    h.push(crate::term::escape(what).into_owned());
                }
            }
            _ => self.line(&crate::term::escape(what)),
        }
    }

    fn finished(&self) {
        self.line("Writing manifest to image destination");
    }

    fn blob_start(&self, digest: &Digest, size: u64, fetch: bool) {
        let Progress::Bars { multi, bars } = self else {
            if !fetch {
                self.line(&format!("Copying blob {digest} skipped: already exists"));
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
