//! The host side of grid runs: inputs from `.npy` files or the workload's own
//! generator, outputs to `.npy` files, and deterministic checksums and samples.

use std::ffi::c_void;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use gearbox_core::abi::{self, GridJobFfi, RawSlice, Sink};
use gearbox_core::dd::Dd;
use gearbox_core::plan::SlabPlan;
use gearbox_core::{Cancelled, GridLayout, Kind};

use crate::backend::{HostControl, Interrupted, Monitor, OpenBackend, Phase};
use crate::inputs::{AHEAD, Inputs};
use crate::instance::Instance;
use crate::npy::{self, NpyWriter};
use crate::writer::SlabWriter;

/// Elements per canonical slab (rounded to whole outer rows).
pub const SLAB_ELEMENTS: u64 = 1 << 18;

/// Where a grid run reads and writes its fields.
#[derive(Clone, Debug, Default)]
pub struct GridRequest<'a> {
    /// Directory with `<input>.npy` and `<axis>.npy` for every input field and axis;
    /// `None` (and no [`GridRequest::arrays`]): the workload generates them.
    pub input_dir: Option<PathBuf>,
    /// Directory to write `<output>.npy` into; `None`: outputs are not written.
    pub output_dir: Option<PathBuf>,
    /// Inputs already in memory; exclusive with `input_dir`.
    pub arrays: Option<GridArrays<'a>>,
    /// Keep the outputs in memory and return them in [`GridOutcome::arrays`].
    pub keep_outputs: bool,
}

/// A grid's axes and input fields held in memory, in the layout's order, each
/// field flattened in C order.
#[derive(Clone, Debug, Default)]
pub struct GridArrays<'a> {
    /// One slice per coordinate axis, of the length of its dimension.
    pub axes: Vec<&'a [f64]>,
    /// One slice per input field, of the grid's length.
    pub inputs: Vec<&'a [f64]>,
}

/// Σx and Σx² of one output field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    /// The output fields, flattened in C order, when [`GridRequest::keep_outputs`] asked for them.
    #[serde(skip)]
    pub arrays: Vec<Vec<f64>>,
    /// Time per phase.
    #[serde(skip)]
    pub phases: Vec<Phase>,
}

/// Σx and Σx² of a slice, compensated: the checksums of grid outputs (in
/// gearbox-core, so the loop is compiled for each CPU level).
pub use gearbox_core::sum::checksum;

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

/// Checksums of slabs folded in slab order whatever order they arrive in, so the
/// result is deterministic and only out-of-order slabs are held.
struct OrderedSums {
    /// Every slab below this is folded into `totals`.
    next: u64,
    /// Slabs delivered ahead of `next`.
    pending: std::collections::BTreeMap<u64, Vec<[Dd; 2]>>,
    /// Σx and Σx² of each output.
    totals: Vec<[Dd; 2]>,
}

impl OrderedSums {
    fn new(outputs: usize) -> OrderedSums {
        OrderedSums {
            next: 0,
            pending: Default::default(),
            totals: vec![[Dd::ZERO; 2]; outputs],
        }
    }

    /// Adds slab `slab`'s sums; false if it was delivered before.
    fn add(&mut self, slab: u64, sums: Vec<[Dd; 2]>) -> bool {
        if slab < self.next || self.pending.insert(slab, sums).is_some() {
            return false;
        }
        while let Some(sums) = self.pending.remove(&self.next) {
            for (total, s) in self.totals.iter_mut().zip(sums) {
                total[0] = total[0] + s[0];
                total[1] = total[1] + s[1];
            }
            self.next += 1;
        }
        true
    }
}

/// Host state behind the `deliver` callback: checksums per slab, samples, files.
struct Delivery {
    row_len: u64,
    n_outputs: usize,
    plan: SlabPlan,
    sums: Mutex<OrderedSums>,
    samples: Vec<(u64, Mutex<Vec<f64>>)>,
    writer: Option<SlabWriter>,
    kept: Vec<KeptField>,
}

/// Host state behind a grid job's callbacks.
struct JobState<'a> {
    inputs: Option<Inputs<'a>>,
    delivery: Delivery,
}

/// An output field kept in memory, filled slab by slab from several threads.
struct KeptField {
    values: Vec<f64>,
    ptr: *mut f64,
}

// SAFETY: `ptr` points into `values`, which is never resized while shared; each slab
// writes only its own rows, and `Delivery::claim` lets each slab be written once.
unsafe impl Sync for KeptField {}
// SAFETY: as above.
unsafe impl Send for KeptField {}

impl KeptField {
    fn new(len: usize) -> KeptField {
        let mut values = vec![0.0; len];
        let ptr = values.as_mut_ptr();
        KeptField { values, ptr }
    }

    /// Copies `values` to `offset`.
    ///
    /// # Safety
    /// `offset + values.len()` is within the field, and no other thread writes that range.
    unsafe fn write_at(&self, offset: usize, values: &[f64]) {
        // SAFETY: the caller guarantees the range is in bounds and exclusively ours.
        unsafe {
            std::ptr::copy_nonoverlapping(values.as_ptr(), self.ptr.add(offset), values.len())
        };
    }
}

/// Reports `result` across the ABI.
fn status(result: anyhow::Result<()>, err: &Sink) -> i32 {
    match result {
        Ok(()) => abi::OK,
        Err(e) => {
            err.put(&format!("{e:#}"));
            abi::FAILED
        }
    }
}

extern "C" fn fetch(
    ctx: *const c_void,
    slab: u64,
    inputs: *mut RawSlice,
    n: usize,
    err: Sink,
) -> i32 {
    // SAFETY: `ctx` is the `JobState` of the running job; `inputs` has room for `n` slices.
    let (job, out) = unsafe {
        (
            &*(ctx as *const JobState),
            std::slice::from_raw_parts_mut(inputs, n),
        )
    };
    let result = (|| {
        let Some(inputs) = &job.inputs else {
            bail!("this job has no host inputs to fetch");
        };
        let fields = inputs.fetch(slab)?;
        if fields.len() != n {
            bail!(
                "backend asked for {n} input fields, the grid has {}",
                fields.len()
            );
        }
        for (o, (ptr, len)) in out.iter_mut().zip(fields) {
            *o = RawSlice { ptr, len };
        }
        Ok(())
    })();
    status(result, &err)
}

extern "C" fn release(ctx: *const c_void, slab: u64) {
    // SAFETY: `ctx` is the `JobState` of the running job.
    let job = unsafe { &*(ctx as *const JobState) };
    if let Some(inputs) = &job.inputs {
        inputs.release(slab);
    }
}

extern "C" fn deliver(
    ctx: *const c_void,
    slab: u64,
    outputs: *const RawSlice,
    n: usize,
    err: Sink,
) -> i32 {
    // SAFETY: `ctx` is the `JobState` of the running job.
    let d = unsafe { &(*(ctx as *const JobState)).delivery };
    let result = (|| {
        if slab >= d.plan.len() {
            bail!("backend delivered slab {slab} of {}", d.plan.len());
        }
        let rows = d.plan.slab(slab);
        let offset = rows.start * d.row_len;
        let expected = ((rows.end - rows.start) * d.row_len) as usize;
        // Sizes are checked before any slice is made from the backend's pointers.
        // SAFETY: `outputs` holds `n` slice descriptors from the backend.
        let raw = if n == d.n_outputs && !outputs.is_null() {
            unsafe { std::slice::from_raw_parts(outputs, n) }
        } else {
            &[]
        };
        if raw.len() != d.n_outputs || raw.iter().any(|o| o.len != expected || o.ptr.is_null()) {
            bail!("backend delivered slab {slab} with wrong sizes");
        }
        // SAFETY: each descriptor was checked to be a non-null slice of the slab's length.
        let outputs: Vec<&[f64]> = raw
            .iter()
            .map(|s| unsafe { std::slice::from_raw_parts(s.ptr, s.len) })
            .collect();
        let sums: Vec<[Dd; 2]> = outputs.iter().map(|o| checksum(o)).collect();
        for (index, values) in &d.samples {
            if (offset..offset + expected as u64).contains(index) {
                let at = (index - offset) as usize;
                *values.lock().unwrap_or_else(|p| p.into_inner()) =
                    outputs.iter().map(|o| o[at]).collect();
            }
        }
        if let Some(writer) = &d.writer {
            writer.submit(offset, &outputs)?;
        }
        // Claim the slab under the lock; copy after it, so slabs copy in parallel.
        if !d
            .sums
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .add(slab, sums)
        {
            bail!("backend delivered slab {slab} twice");
        }
        for (kept, values) in d.kept.iter().zip(&outputs) {
            // SAFETY: the slab's rows lie inside the field (sizes checked above), and
            // claiming this slab (once: a second delivery failed above) makes the
            // range ours alone.
            unsafe { kept.write_at(offset as usize, values) };
        }
        Ok(())
    })();
    status(result, &err)
}

/// Checks in-memory inputs against the layout: one slice per axis and input field,
/// each of the right length.
fn check_arrays(arrays: &GridArrays<'_>, layout: &GridLayout) -> anyhow::Result<()> {
    if arrays.axes.len() != layout.axes.len() || arrays.inputs.len() != layout.inputs.len() {
        bail!(
            "expected {} axes and {} input fields, got {} and {}",
            layout.axes.len(),
            layout.inputs.len(),
            arrays.axes.len(),
            arrays.inputs.len()
        );
    }
    for ((name, axis), &d) in layout.axes.iter().zip(&arrays.axes).zip(&layout.dims) {
        if axis.len() as u64 != d {
            bail!("axis {name} has {} values, the grid has {d}", axis.len());
        }
    }
    for (name, field) in layout.inputs.iter().zip(&arrays.inputs) {
        if field.len() as u64 != layout.len() {
            bail!(
                "input {name} has {} values, the grid has {:?} = {} points",
                field.len(),
                layout.dims,
                layout.len()
            );
        }
    }
    Ok(())
}

/// Fails when `bytes` would not fit in the memory available.
fn ensure_memory(what: &str, bytes: u128) -> anyhow::Result<()> {
    crate::memory::ensure(&format!("the {what} of this grid"), bytes)
}

/// Reads the axes of `layout` from `dir/<axis>.npy` (an unread axis, named with a
/// leading `_`, is 0, 1, 2, … instead: [`GridLayout::is_unread_axis`]).
pub fn read_axes(dir: &Path, layout: &GridLayout) -> anyhow::Result<Vec<Vec<f64>>> {
    layout
        .axes
        .iter()
        .zip(&layout.dims)
        .map(|(name, &d)| match GridLayout::is_unread_axis(name) {
            true => Ok((0..d).map(|i| i as f64).collect()),
            false => npy::read(&dir.join(format!("{name}.npy")), &[d]),
        })
        .collect()
}

/// Creates the output directory `dir` (and its parents) unless it exists; a path
/// that exists as something other than a directory is a usage error naming it.
fn create_output_dir(dir: &Path) -> anyhow::Result<()> {
    if let Ok(meta) = std::fs::metadata(dir)
        && !meta.is_dir()
    {
        let what = if meta.is_file() {
            "a file"
        } else {
            "not a directory"
        };
        return Err(crate::usage(format!(
            "{}: is {what}, not a directory (outputs are written into a directory, as <name>.npy)",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))
}

/// The shape of the grid that the `.npy` files in `dir` hold for `layout`,
/// outermost first: the first input field's shape, or else the lengths of the
/// axes. `None` when the layout reads no file or the files cannot tell (missing,
/// malformed: the run itself then names the file).
pub fn files_shape(dir: &Path, layout: &GridLayout) -> Option<Vec<u64>> {
    if let Some(first) = npy_paths(dir, &layout.inputs).first() {
        return npy::shape(first).ok();
    }
    if layout.axes.is_empty() {
        return None;
    }
    npy_paths(dir, &layout.axes)
        .iter()
        .map(|path| match npy::shape(path).ok()?.as_slice() {
            &[len] => Some(len),
            _ => None,
        })
        .collect()
}

/// `dir/<name>.npy` for each name.
fn npy_paths(dir: &Path, names: &[String]) -> Vec<PathBuf> {
    names.iter().map(|n| dir.join(format!("{n}.npy"))).collect()
}

impl OpenBackend {
    /// Runs a grid instance: streams inputs from files or memory (or has the
    /// workload generate them) through every slab on this backend, writes the
    /// outputs as one set if asked, and returns checksums and samples.
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
        let phase =
            |name: &str, seconds: f64| (control.phase)(control.ctx, abi::Str::new(name), seconds);
        let start = Instant::now();
        let plan = SlabPlan::new(layout.dims[0], layout.row_len(), SLAB_ELEMENTS);
        let slab_bytes = u128::from(plan.rows * layout.row_len()) * 8;
        ensure_memory(
            "slabs in flight",
            slab_bytes * u128::from(AHEAD) * (layout.inputs.len() + layout.outputs.len()) as u128,
        )?;
        let owned_axes: Vec<Vec<f64>>;
        let (axes, inputs): (Vec<&[f64]>, Option<Inputs>) =
            match (&request.arrays, &request.input_dir) {
                (Some(_), Some(_)) => {
                    bail!("give the inputs as arrays or as a directory, not both")
                }
                (Some(arrays), None) => {
                    check_arrays(arrays, &layout).map_err(crate::usage::as_usage)?;
                    let inputs = Inputs::memory(plan, layout.row_len(), &arrays.inputs);
                    (arrays.axes.clone(), Some(inputs))
                }
                (None, Some(dir)) => {
                    owned_axes = read_axes(dir, &layout).map_err(crate::usage::as_usage)?;
                    let paths = npy_paths(dir, &layout.inputs);
                    let inputs = Inputs::files(plan, layout.row_len(), &paths, &layout.dims)
                        .map_err(crate::usage::as_usage)?;
                    (owned_axes.iter().map(Vec::as_slice).collect(), Some(inputs))
                }
                (None, None) => {
                    owned_axes = instance.axes(&layout)?;
                    (owned_axes.iter().map(Vec::as_slice).collect(), None)
                }
            };
        let writer = match &request.output_dir {
            Some(dir) => {
                create_output_dir(dir)?;
                let files = npy_paths(dir, &layout.outputs)
                    .iter()
                    .map(|path| NpyWriter::create(path, &layout.dims))
                    .collect::<anyhow::Result<_>>()?;
                Some(SlabWriter::new(files))
            }
            None => None,
        };
        phase("open", start.elapsed().as_secs_f64());
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
            sums: Mutex::new(OrderedSums::new(layout.outputs.len())),
            samples: points
                .iter()
                .map(|p| (linear(p), Mutex::new(Vec::new())))
                .collect(),
            writer,
            kept: if request.keep_outputs {
                ensure_memory(
                    "outputs",
                    u128::from(layout.len()) * layout.outputs.len() as u128 * 8,
                )?;
                let len = usize::try_from(layout.len())
                    .context("the grid is too large to keep in memory")?;
                (0..layout.outputs.len())
                    .map(|_| KeptField::new(len))
                    .collect()
            } else {
                Vec::new()
            },
        };
        let raw_axes: Vec<RawSlice> = axes
            .iter()
            .map(|a| RawSlice {
                ptr: a.as_ptr(),
                len: a.len(),
            })
            .collect();
        let state = JobState { inputs, delivery };
        let job = GridJobFfi {
            dims: layout.dims.as_ptr(),
            n_dims: layout.dims.len(),
            rows_per_slab: plan.rows,
            slabs_first: 0,
            slabs_end: plan.len(),
            axes: raw_axes.as_ptr(),
            n_axes: raw_axes.len(),
            host_inputs: state.inputs.is_some(),
            n_fields_in: layout.inputs.len(),
            n_fields_out: layout.outputs.len(),
            ctx: &state as *const JobState as *const c_void,
            fetch,
            release,
            deliver,
        };
        let result = std::thread::scope(|scope| {
            if let Some(inputs) = &state.inputs {
                scope.spawn(|| inputs.read_ahead());
            }
            if let Some(writer) = &state.delivery.writer {
                scope.spawn(|| writer.run());
            }
            let result = self.run_grid_raw(instance, &job, &host);
            if let Some(inputs) = &state.inputs {
                inputs.stop();
            }
            if let Some(writer) = &state.delivery.writer {
                writer.close();
            }
            result
        });
        match result {
            Ok(()) => {}
            Err(e) if e.is::<Cancelled>() => {
                return Err(Interrupted {
                    done: host.done(),
                    total: plan.len(),
                    unit: "slabs",
                    partial: None,
                }
                .into());
            }
            Err(e) => bail!("{} on {}: {e:#}", instance.info().name, self.name),
        }
        let JobState { inputs, delivery } = state;
        if let Some(inputs) = inputs.filter(Inputs::from_files) {
            let (read, waited) = inputs.seconds();
            phase("read", read);
            phase("read wait", waited);
        }
        let sums = delivery
            .sums
            .into_inner()
            .unwrap_or_else(|p| p.into_inner());
        if sums.next != plan.len() {
            bail!("backend {} never delivered slab {}", self.name, sums.next);
        }
        let checksums = layout
            .outputs
            .iter()
            .zip(sums.totals)
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
        if let Some(writer) = delivery.writer {
            let (write, waited) = writer.seconds();
            phase("write", write);
            phase("write wait", waited);
            let files = writer.into_files()?;
            let start = Instant::now();
            crate::outputs::commit(files.into_iter().map(NpyWriter::into_file).collect())?;
            phase("sync", start.elapsed().as_secs_f64());
        }
        Ok(GridOutcome {
            layout,
            checksums,
            samples,
            arrays: delivery.kept.into_iter().map(|k| k.values).collect(),
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
