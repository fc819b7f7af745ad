//! The host side of grid runs: inputs from `.npy` files or the workload's own
//! generator, outputs to `.npy` files, and deterministic checksums and samples.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use gearbox_core::abi;
use gearbox_core::dd::Dd;
use gearbox_core::plan::SlabPlan;
use gearbox_core::{GridLayout, Kind};

use crate::backend::{HostControl, Monitor, OpenBackend, Phase};
use crate::delivery::{GridSink, SinkJob};
use crate::inputs::{AHEAD, Inputs};
use crate::instance::Instance;
use crate::npy::{self, NpyWriter};
use crate::writer::SlabWriter;

/// Elements per canonical slab (rounded to whole outer rows).
pub const SLAB_ELEMENTS: u64 = 1 << 18;

/// Where a grid run reads and writes its fields.
#[derive(Debug)]
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
    /// Memory of the caller's to compute the outputs into (instead of
    /// [`GridRequest::keep_outputs`]): nothing is allocated or copied for them.
    pub outputs: Option<OutputMemory<'a>>,
    /// Compute Σx and Σx² of every output ([`GridOutcome::checksums`]; default
    /// true): reports and cross-checks want them, a run for the arrays alone not.
    pub checksums: bool,
}

impl Default for GridRequest<'_> {
    fn default() -> Self {
        GridRequest {
            input_dir: None,
            output_dir: None,
            arrays: None,
            keep_outputs: false,
            outputs: None,
            checksums: true,
        }
    }
}

/// A caller's memory for a grid's outputs: one slice per output field, of the
/// grid's length, in C order. A run borrows it while it computes (one run at a
/// time: another run of the same request fails) and gives it back.
#[derive(Debug)]
pub struct OutputMemory<'a>(Mutex<Option<Vec<&'a mut [f64]>>>);

impl<'a> OutputMemory<'a> {
    /// Memory for the outputs, in the layout's order.
    pub fn new(fields: Vec<&'a mut [f64]>) -> OutputMemory<'a> {
        OutputMemory(Mutex::new(Some(fields)))
    }

    fn take(&self) -> anyhow::Result<Vec<&'a mut [f64]>> {
        let taken = self.0.lock().unwrap_or_else(|p| p.into_inner()).take();
        taken.context("the output memory is in use by another run")
    }

    fn put_back(&self, fields: Vec<&'a mut [f64]>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(fields);
    }
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
    /// Checksums of every output (empty when [`GridRequest::checksums`] was false).
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

/// The checksums a run of a grid of shape `dims` would report for the output
/// `fields` (named `names`, flattened in C order): the same per-slab sums folded
/// in slab order, so the same bits, computed only when a front end asks.
pub fn checksums_of(dims: &[u64], names: &[String], fields: &[&[f64]]) -> Vec<FieldChecksum> {
    let row_len: u64 = dims.iter().skip(1).product();
    let plan = SlabPlan::new(dims.first().copied().unwrap_or(0), row_len, SLAB_ELEMENTS);
    let mut sums = OrderedSums::new(fields.len());
    for slab in 0..plan.len() {
        let rows = plan.slab(slab);
        let range = (rows.start * row_len) as usize..(rows.end * row_len) as usize;
        sums.add(
            slab,
            fields.iter().map(|f| checksum(&f[range.clone()])).collect(),
        );
    }
    sums.named(names)
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

    /// The totals as checksums of the outputs `names`.
    fn named(self, names: &[String]) -> Vec<FieldChecksum> {
        names
            .iter()
            .zip(self.totals)
            .map(|(name, [s, q])| FieldChecksum {
                name: name.clone(),
                sum: s.to_f64(),
                sum_sq: q.to_f64(),
            })
            .collect()
    }

    /// Adds slab `slab`'s sums (each slab once: the delivery checks that).
    fn add(&mut self, slab: u64, sums: Vec<[Dd; 2]>) {
        self.pending.insert(slab, sums);
        while let Some(sums) = self.pending.remove(&self.next) {
            for (total, s) in self.totals.iter_mut().zip(sums) {
                total[0] = total[0] + s[0];
                total[1] = total[1] + s[1];
            }
            self.next += 1;
        }
    }
}

/// The host's side of a grid job: inputs lent from files or memory, outputs
/// checksummed (in slab order) and written to files, as asked.
struct HostSink<'a> {
    inputs: Option<Inputs<'a>>,
    sums: Option<Mutex<OrderedSums>>,
    writer: Option<SlabWriter>,
}

impl GridSink for HostSink<'_> {
    fn fetch(&self, slab: u64) -> anyhow::Result<Vec<&[f64]>> {
        let Some(inputs) = &self.inputs else {
            bail!("this job has no host inputs to fetch");
        };
        Ok(inputs
            .fetch(slab)?
            .into_iter()
            // SAFETY: `Inputs` keeps the slab's fields alive until `release(slab)`,
            // and the backend uses them only until then.
            .map(|(ptr, len)| unsafe { std::slice::from_raw_parts(ptr, len) })
            .collect())
    }

    fn release(&self, slab: u64) {
        if let Some(inputs) = &self.inputs {
            inputs.release(slab);
        }
    }

    fn deliver(&self, slab: u64, offset: u64, outputs: &[&[f64]]) -> anyhow::Result<()> {
        if let Some(writer) = &self.writer {
            writer.submit(offset, outputs)?;
        }
        if let Some(sums) = &self.sums {
            let slab_sums = outputs.iter().map(|o| checksum(o)).collect();
            sums.lock()
                .unwrap_or_else(|p| p.into_inner())
                .add(slab, slab_sums);
        }
        Ok(())
    }
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
        let flat: Vec<u64> = points.iter().map(|p| linear(p, &layout.dims)).collect();
        let (mut kept, mut lent) = self.output_memory(&layout, request)?;
        let destination: Option<Vec<&mut [f64]>> = match &mut lent {
            Some(lent) => Some(lent.iter_mut().map(|s| &mut **s).collect()),
            None if !kept.is_empty() => Some(kept.iter_mut().map(Vec::as_mut_slice).collect()),
            None => None,
        };
        let sink = HostSink {
            inputs,
            sums: request
                .checksums
                .then(|| Mutex::new(OrderedSums::new(layout.outputs.len()))),
            writer,
        };
        let job = SinkJob {
            layout: &layout,
            plan,
            slabs: 0..plan.len(),
            axes: &axes,
            host_inputs: sink.inputs.is_some(),
            destination,
            samples: &flat,
        };
        let result = std::thread::scope(|scope| {
            if let Some(inputs) = &sink.inputs {
                scope.spawn(|| inputs.read_ahead());
            }
            if let Some(writer) = &sink.writer {
                scope.spawn(|| writer.run());
            }
            let result = self.deliver_through(instance, job, &sink, &host);
            if let Some(inputs) = &sink.inputs {
                inputs.stop();
            }
            if let Some(writer) = &sink.writer {
                writer.close();
            }
            result
        });
        if let (Some(memory), Some(lent)) = (&request.outputs, lent) {
            memory.put_back(lent);
        }
        let samples = result?;
        let HostSink {
            inputs,
            sums,
            writer,
        } = sink;
        if let Some(inputs) = inputs.filter(Inputs::from_files) {
            let (read, waited) = inputs.seconds();
            phase("read", read);
            phase("read wait", waited);
        }
        let checksums = match sums {
            Some(sums) => sums
                .into_inner()
                .unwrap_or_else(|p| p.into_inner())
                .named(&layout.outputs),
            None => Vec::new(),
        };
        let samples = points
            .into_iter()
            .zip(samples)
            .map(|(index, v)| Sample {
                index,
                values: v.unwrap_or_default(),
            })
            .collect();
        if let Some(writer) = writer {
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
            arrays: kept,
            phases: host.into_phases(),
        })
    }

    /// The memory the outputs are computed into: vectors of the host's own when
    /// `request` keeps the outputs (zeroed pages, first touched by the threads that
    /// write them), or the caller's memory, borrowed for the run.
    #[allow(clippy::type_complexity)]
    fn output_memory<'r>(
        &self,
        layout: &GridLayout,
        request: &GridRequest<'r>,
    ) -> anyhow::Result<(Vec<Vec<f64>>, Option<Vec<&'r mut [f64]>>)> {
        if let Some(memory) = &request.outputs {
            let fields = memory.take()?;
            if fields.len() != layout.outputs.len()
                || fields.iter().any(|f| f.len() as u64 != layout.len())
            {
                let sizes: Vec<usize> = fields.iter().map(|f| f.len()).collect();
                memory.put_back(fields);
                return Err(crate::usage(format!(
                    "the output memory has fields of {sizes:?} values; the grid {:?} has {} outputs of {} values",
                    layout.dims,
                    layout.outputs.len(),
                    layout.len()
                )));
            }
            return Ok((Vec::new(), Some(fields)));
        }
        if !request.keep_outputs {
            return Ok((Vec::new(), None));
        }
        ensure_memory(
            "outputs",
            u128::from(layout.len()) * layout.outputs.len() as u128 * 8,
        )?;
        let len =
            usize::try_from(layout.len()).context("the grid is too large to keep in memory")?;
        Ok((
            (0..layout.outputs.len()).map(|_| vec![0.0; len]).collect(),
            None,
        ))
    }
}

/// Flat index of a grid point (C order).
pub fn linear(index: &[u64], dims: &[u64]) -> u64 {
    index.iter().zip(dims).fold(0, |acc, (&i, &d)| acc * d + i)
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
