//! The serial backend: one thread, chunk after chunk. The reference every other
//! backend is compared with, and the baseline for speed-ups.

use std::ops::Range;

use gearbox_core::cpu::{CpuBackend, Executor};
use gearbox_core::{BackendOptions, DeviceInfo};

/// Runs everything on the calling thread.
pub struct Serial;

impl Executor for Serial {
    fn map<T: Send>(&self, items: Range<u64>, f: &(dyn Fn(u64) -> T + Sync)) -> Vec<T> {
        items.map(f).collect()
    }
}

impl CpuBackend for Serial {
    const NAME: &'static str = "serial";
    const ABOUT: &'static str = "one CPU thread, chunk after chunk";

    fn open(options: &BackendOptions) -> anyhow::Result<Self> {
        anyhow::ensure!(
            options.threads.is_none_or(|t| t == 1),
            "the serial backend runs on one thread; use --backend rayon for more"
        );
        Ok(Serial)
    }

    fn device(&self) -> DeviceInfo {
        DeviceInfo {
            device: "cpu, 1 thread".into(),
            threads: Some(1),
        }
    }
}

gearbox_core::export_backend!(Serial);
