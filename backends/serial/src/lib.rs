//! The serial backend: one thread, chunk after chunk. The reference every other
//! backend is compared with, and the baseline for speed-ups.

use std::ops::Range;

use gearbox_core::cpu::{self, Executor};
use gearbox_core::{Backend, BackendOptions, ChunkPlan, Control, Dd, DeviceInfo, GridJob, Kernel};

/// Runs everything on the calling thread.
pub struct Serial;

impl Executor for Serial {
    fn map<T: Send>(&self, items: Range<u64>, f: &(dyn Fn(u64) -> T + Sync)) -> Vec<T> {
        items.map(f).collect()
    }
}

impl Backend for Serial {
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

    fn run_series(
        &self,
        kernel: &Kernel,
        plan: &ChunkPlan,
        control: &Control,
    ) -> anyhow::Result<Dd> {
        control.timed("compute", || cpu::run_series(self, kernel, plan, control))
    }

    fn run_grid(
        &self,
        kernel: &Kernel,
        job: &GridJob<'_>,
        control: &Control,
    ) -> anyhow::Result<()> {
        control.timed("compute", || cpu::run_grid(self, kernel, job, control))
    }
}

gearbox_core::export_backend!(Serial);
