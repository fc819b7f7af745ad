//! The rayon backend: the serial backend's chunks and slabs spread over a
//! work-stealing pool. Results are bit-identical to serial for any thread count,
//! because the chunk plan and the order partials are combined in are fixed.

use std::ops::Range;

use gearbox_core::backend::check_threads;
use gearbox_core::cpu::{CpuBackend, Executor};
use gearbox_core::{BackendOptions, DeviceInfo};
use rayon::prelude::*;

/// A rayon thread pool of its own (`--threads`, else `RAYON_NUM_THREADS`, else all cores).
pub struct Rayon {
    pool: rayon::ThreadPool,
}

impl Executor for Rayon {
    fn map<T: Send>(&self, items: Range<u64>, f: &(dyn Fn(u64) -> T + Sync)) -> Vec<T> {
        let items = items.start as usize..items.end as usize;
        self.pool.install(|| {
            items
                .into_par_iter()
                .with_max_len(1)
                .map(|i| f(i as u64))
                .collect()
        })
    }
}

impl CpuBackend for Rayon {
    const NAME: &'static str = "rayon";
    const ABOUT: &'static str = "all CPU cores, rayon work-stealing over fixed chunks";

    fn open(options: &BackendOptions) -> anyhow::Result<Self> {
        let mut builder =
            rayon::ThreadPoolBuilder::new().thread_name(|i| format!("gearbox-rayon-{i}"));
        if let Some(threads) = options.threads.or(from_env()?) {
            check_threads("--threads", threads).map_err(anyhow::Error::msg)?;
            builder = builder.num_threads(threads);
        }
        Ok(Rayon {
            pool: builder.build()?,
        })
    }

    fn device(&self) -> DeviceInfo {
        let threads = self.pool.current_num_threads();
        DeviceInfo {
            device: format!(
                "cpu, {threads} thread{}",
                if threads == 1 { "" } else { "s" }
            ),
            threads: Some(threads),
        }
    }
}

/// `RAYON_NUM_THREADS`, held to the same rule as `--threads` (rayon itself would
/// start any number); unset, empty or 0 leaves the choice to rayon (all cores).
fn from_env() -> anyhow::Result<Option<usize>> {
    let Ok(raw) = std::env::var("RAYON_NUM_THREADS") else {
        return Ok(None);
    };
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let threads: usize = raw
        .trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("RAYON_NUM_THREADS={raw:?} is not a thread count"))?;
    if threads == 0 {
        return Ok(None);
    }
    check_threads("RAYON_NUM_THREADS", threads).map_err(anyhow::Error::msg)?;
    Ok(Some(threads))
}

gearbox_core::export_backend!(Rayon);
