//! The host side of grid runs: inputs from `.npy` files or the workload's own
//! generator, outputs to `.npy` files, and deterministic checksums and samples.

use std::ffi::c_void;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, bail};
use serde::Serialize;

use crate::abi::{self, GridJobFfi, RawSlice, Sink};
use crate::backend::Cancelled;
use crate::dd::{Dd, two_sum};
use crate::host::{HostControl, Instance, Interrupted, Monitor, OpenBackend, Phase};
use crate::npy::{self, NpyWriter};
use crate::plan::SlabPlan;
use crate::workload::{GridLayout, Kind};

/// Elements per canonical slab (rounded to whole outer rows).
pub const SLAB_ELEMENTS: u64 = 1 << 18;

/// Where a grid run reads and writes its fields.
#[derive(Clone, Debug, Default)]
pub struct GridRequest {
    /// Directory with `<input>.npy` and `<axis>.npy` for every input field and axis;
    /// `None`: the workload generates them.
    pub input_dir: Option<PathBuf>,
    /// Directory to write `<output>.npy` into; `None`: outputs are only checksummed.
    pub output_dir: Option<PathBuf>,
}

/// Σx and Σx² of one output field.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldChecksum {
    /// Field name.
    pub name: String,
    /// Σ x over the whole field.
    pub sum: f64,
    /// Σ x² over the whole field.
    pub sum_sq: f64,
}

/// The output values at one grid point.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sample {
    /// Index along each dimension.
    pub index: Vec<u64>,
    /// Output values, in the layout's output order.
    pub values: Vec<f64>,
}

/// The result of a grid run.
#[derive(Clone, Debug, Serialize)]
pub struct GridOutcome {
    /// Shape and fields.
    pub layout: GridLayout,
    /// Checksums of every output.
    pub checksums: Vec<FieldChecksum>,
    /// Outputs at a few fixed points (corners and interior fractions).
    pub samples: Vec<Sample>,
    /// Time per phase.
    #[serde(skip)]
    pub phases: Vec<Phase>,
}

/// Σx and Σx² of `values`, compensated, in eight interleaved lanes (so it vectorises);
/// deterministic for a given slice.
pub fn checksum(values: &[f64]) -> [Dd; 2] {
    const LANES: usize = 8;
    let (mut s, mut sc, mut q, mut qc) = ([0.0; LANES], [0.0; LANES], [0.0; LANES], [0.0; LANES]);
    let mut blocks = values.chunks_exact(LANES);
    for block in &mut blocks {
        for l in 0..LANES {
            let (t, e) = two_sum(s[l], block[l]);
            (s[l], sc[l]) = (t, sc[l] + e);
            let (t, e) = two_sum(q[l], block[l] * block[l]);
            (q[l], qc[l]) = (t, qc[l] + e);
        }
    }
    let mut sum = Dd::ZERO;
    let mut sum_sq = Dd::ZERO;
    for l in 0..LANES {
        sum = sum + Dd::new(s[l], sc[l]);
        sum_sq = sum_sq + Dd::new(q[l], qc[l]);
    }
    for &x in blocks.remainder() {
        sum = sum.add_f64(x);
        sum_sq = sum_sq.add_f64(x * x);
    }
    [sum, sum_sq]
}

/// Fixed sample points: for each dimension of size d, indices 0, d/k, d/2, (k−1)d/k, d−1
/// with k = 3, 4, 5 along the first three dimensions.
pub fn sample_points(dims: &[u64]) -> Vec<Vec<u64>> {
    (0..5)
        .map(|p| {
            dims.iter()
                .enumerate()
                .map(|(axis, &d)| {
                    let k = 3 + axis as u64;
                    match p {
                        0 => 0,
                        1 => d / k,
                        2 => d / 2,
                        3 => (k - 1) * d / k,
                        _ => d - 1,
                    }
                })
                .collect()
        })
        .collect()
}

/// Bytes of memory available to this process, when the OS says.
fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn gib(bytes: u128) -> String {
    format!("{:.2} GiB", bytes as f64 / (1u64 << 30) as f64)
}

/// Host state behind the `deliver` callback: checksums per slab, samples, files.
struct Delivery {
    row_len: u64,
    n_outputs: usize,
    plan: SlabPlan,
    sums: Mutex<Vec<Option<Vec<[Dd; 2]>>>>,
    samples: Vec<(u64, Mutex<Vec<f64>>)>,
    writers: Vec<NpyWriter>,
}

extern "C" fn deliver(
    ctx: *const c_void,
    slab: u64,
    outputs: *const RawSlice,
    n: usize,
    err: Sink,
) -> i32 {
    // SAFETY: `ctx` is the `Delivery` of the running job; `outputs` holds `n` live slices.
    let (d, outputs) = unsafe {
        let d = &*(ctx as *const Delivery);
        let raw = std::slice::from_raw_parts(outputs, n);
        let outputs: Vec<&[f64]> = raw
            .iter()
            .map(|s| std::slice::from_raw_parts(s.ptr, s.len))
            .collect();
        (d, outputs)
    };
    let result = (|| {
        let rows = d.plan.slab(slab);
        let offset = rows.start * d.row_len;
        let expected = ((rows.end - rows.start) * d.row_len) as usize;
        if outputs.len() != d.n_outputs || outputs.iter().any(|o| o.len() != expected) {
            bail!("backend delivered slab {slab} with wrong sizes");
        }
        let sums: Vec<[Dd; 2]> = outputs.iter().map(|o| checksum(o)).collect();
        for (index, values) in &d.samples {
            if (offset..offset + expected as u64).contains(index) {
                let at = (index - offset) as usize;
                *values.lock().unwrap_or_else(|p| p.into_inner()) =
                    outputs.iter().map(|o| o[at]).collect();
            }
        }
        for (writer, values) in d.writers.iter().zip(&outputs) {
            writer.write_at(offset, values)?;
        }
        let mut all = d.sums.lock().unwrap_or_else(|p| p.into_inner());
        all[slab as usize] = Some(sums);
        Ok(())
    })();
    match result {
        Ok(()) => abi::OK,
        Err(e) => {
            err.put(&format!("{e:#}"));
            abi::FAILED
        }
    }
}

/// Whole fields (axes or inputs), one vector each.
type Fields = Vec<Vec<f64>>;

fn load_inputs(dir: &Path, layout: &GridLayout) -> anyhow::Result<(Fields, Fields)> {
    let need = u128::from(layout.len()) * layout.inputs.len() as u128 * 8;
    if let Some(avail) = available_memory()
        && need > u128::from(avail)
    {
        bail!(
            "the inputs of this grid need {} of memory, only {} is available",
            gib(need),
            gib(u128::from(avail))
        );
    }
    let axes = layout
        .axes
        .iter()
        .zip(&layout.dims)
        .map(|(name, &d)| npy::read(&dir.join(format!("{name}.npy")), &[d]))
        .collect::<anyhow::Result<_>>()?;
    let inputs = layout
        .inputs
        .iter()
        .map(|name| npy::read(&dir.join(format!("{name}.npy")), &layout.dims))
        .collect::<anyhow::Result<_>>()?;
    Ok((axes, inputs))
}

impl OpenBackend {
    /// Runs a grid instance: reads or generates inputs, runs every slab on this
    /// backend, writes outputs if asked, and returns checksums and samples.
    pub fn run_grid(
        &self,
        instance: &Instance<'_>,
        request: &GridRequest,
        monitor: &dyn Monitor,
    ) -> anyhow::Result<GridOutcome> {
        if instance.info().kind != Kind::Grid {
            bail!("{} is not a grid workload", instance.info().name);
        }
        let layout = instance.layout()?;
        if layout.is_empty() {
            bail!(
                "{}: the grid {:?} has a zero-sized dimension",
                instance.info().name,
                layout.dims
            );
        }
        let host = HostControl::new(monitor);
        let control = host.ffi();
        let start = std::time::Instant::now();
        let (axes, inputs) = match &request.input_dir {
            Some(dir) => load_inputs(dir, &layout)?,
            None => (instance.axes(&layout)?, Vec::new()),
        };
        (control.phase)(
            control.ctx,
            abi::Str::new("read"),
            start.elapsed().as_secs_f64(),
        );
        let writers = match &request.output_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("{}: cannot create", dir.display()))?;
                layout
                    .outputs
                    .iter()
                    .map(|name| NpyWriter::create(&dir.join(format!("{name}.npy")), &layout.dims))
                    .collect::<anyhow::Result<_>>()?
            }
            None => Vec::new(),
        };
        let plan = SlabPlan::new(layout.dims[0], layout.row_len(), SLAB_ELEMENTS);
        let points = sample_points(&layout.dims);
        let linear = |idx: &[u64]| {
            idx.iter()
                .zip(&layout.dims)
                .fold(0u64, |acc, (&i, &d)| acc * d + i)
        };
        let delivery = Delivery {
            row_len: layout.row_len(),
            n_outputs: layout.outputs.len(),
            plan,
            sums: Mutex::new(vec![None; plan.len() as usize]),
            samples: points
                .iter()
                .map(|p| (linear(p), Mutex::new(Vec::new())))
                .collect(),
            writers,
        };
        let raw_axes: Vec<RawSlice> = axes
            .iter()
            .map(|a| RawSlice {
                ptr: a.as_ptr(),
                len: a.len(),
            })
            .collect();
        let raw_inputs: Vec<RawSlice> = inputs
            .iter()
            .map(|a| RawSlice {
                ptr: a.as_ptr(),
                len: a.len(),
            })
            .collect();
        let job = GridJobFfi {
            dims: layout.dims.as_ptr(),
            n_dims: layout.dims.len(),
            rows_per_slab: plan.rows,
            axes: raw_axes.as_ptr(),
            n_axes: raw_axes.len(),
            inputs: raw_inputs.as_ptr(),
            n_inputs: raw_inputs.len(),
            n_fields_in: layout.inputs.len(),
            n_fields_out: layout.outputs.len(),
            deliver_ctx: &delivery as *const Delivery as *const c_void,
            deliver,
        };
        match self.run_grid_raw(instance, &job, &host) {
            Ok(()) => {}
            Err(e) if e.is::<Cancelled>() => {
                return Err(Interrupted {
                    done: host.done(),
                    total: plan.len(),
                    unit: "slabs",
                }
                .into());
            }
            Err(e) => bail!("{} on {}: {e:#}", instance.info().name, self.name),
        }
        let start = std::time::Instant::now();
        let per_slab = delivery
            .sums
            .into_inner()
            .unwrap_or_else(|p| p.into_inner());
        let mut totals = vec![[Dd::ZERO; 2]; layout.outputs.len()];
        for (slab, sums) in per_slab.into_iter().enumerate() {
            let sums =
                sums.with_context(|| format!("backend {} never delivered slab {slab}", self.name))?;
            for (total, s) in totals.iter_mut().zip(sums) {
                total[0] = total[0] + s[0];
                total[1] = total[1] + s[1];
            }
        }
        let checksums = layout
            .outputs
            .iter()
            .zip(totals)
            .map(|(name, [s, q])| FieldChecksum {
                name: name.clone(),
                sum: s.to_f64(),
                sum_sq: q.to_f64(),
            })
            .collect();
        let samples = points
            .into_iter()
            .zip(delivery.samples)
            .map(|(index, (_, v))| Sample {
                index,
                values: v.into_inner().unwrap_or_else(|p| p.into_inner()),
            })
            .collect();
        for writer in delivery.writers {
            writer.finish()?;
        }
        (control.phase)(
            control.ctx,
            abi::Str::new("reduce"),
            start.elapsed().as_secs_f64(),
        );
        Ok(GridOutcome {
            layout,
            checksums,
            samples,
            phases: host.into_phases(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_is_exact_on_small_integers() {
        let v: Vec<f64> = (1..=1001).map(f64::from).collect();
        let [s, q] = checksum(&v);
        assert_eq!(s.to_f64(), 501_501.0);
        assert_eq!(q.to_f64(), 334_835_501.0);
    }

    #[test]
    fn sample_points_match_the_seed_layout() {
        let p = sample_points(&[500, 300, 800]);
        assert_eq!(p[1], vec![166, 75, 160]);
        assert_eq!(p[3], vec![333, 225, 640]);
        assert_eq!(p[4], vec![499, 299, 799]);
    }
}
