//! A grid across ranks. The canonical slabs are split into one contiguous share
//! per rank; each rank runs its share on its backend and writes its slabs into
//! the output files at their offsets (rank 0 made the files, under temporary
//! names, with their headers); per-slab checksums and samples go to rank 0,
//! which folds them in slab order as one process does and, once every rank has
//! flushed its part, renames the files into place.

use std::fs::{File, OpenOptions};
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{Context, bail};
use gearbox_core::GridLayout;
use gearbox_core::dd::Dd;
use gearbox_core::plan::SlabPlan;
use gearbox_host::grid::{FieldChecksum, SLAB_ELEMENTS, Sample, checksum, linear, sample_points};
use gearbox_host::{
    GridOutcome, GridRequest, GridSink, Instance, Interrupted, Monitor, OpenBackend, SinkJob, npy,
    outputs,
};
use mpi::traits::*;

use crate::wire::{self, FAILED, FILES, FINAL, SLABS};

/// Rank `rank`'s share of `slabs` slabs split over `size` ranks.
fn share(rank: i32, size: i32, slabs: u64) -> Range<u64> {
    let at = |r: i32| (u128::from(slabs) * r as u128 / size as u128) as u64;
    at(rank)..at(rank + 1)
}

/// Runs grid `instance` on all ranks; every rank returns rank 0's outcome.
pub fn run(
    backend: &OpenBackend,
    instance: &Instance<'_>,
    request: &GridRequest<'_>,
    monitor: &dyn Monitor,
) -> anyhow::Result<GridOutcome> {
    if request.arrays.is_some() || request.keep_outputs || request.outputs.is_some() {
        bail!("gearbox-mpi reads grids from files or the workload, and keeps no outputs in memory");
    }
    let world = wire::world();
    let (rank, size) = (world.rank(), world.size());
    let layout = instance.layout()?;
    if layout.is_empty() {
        bail!(
            "{}: the grid {:?} has a zero-sized dimension",
            instance.info().name,
            layout.dims
        );
    }
    let plan = SlabPlan::new(layout.dims[0], layout.row_len(), SLAB_ELEMENTS);
    let (axes, inputs) = wire::agree(match &request.input_dir {
        Some(dir) => load_inputs(dir, &layout),
        None => instance.axes(&layout).map(|axes| (axes, Vec::new())),
    })?;
    let outputs = match &request.output_dir {
        Some(dir) => Some(Outputs::open(dir, &layout)?),
        None => None,
    };
    let points = sample_points(&layout.dims);
    let flat: Vec<u64> = points.iter().map(|p| linear(p, &layout.dims)).collect();
    let slabs = share(rank, size, plan.len());
    let delivery = Delivery {
        plan,
        row_len: layout.row_len(),
        slabs: slabs.clone(),
        files: outputs.as_ref().map(|o| o.files.as_slice()).unwrap_or(&[]),
        data_start: npy::header(&layout.dims).len() as u64,
        sums: Mutex::new(vec![Vec::new(); slabs.clone().count()]),
        inputs,
    };
    let axes: Vec<&[f64]> = axes.iter().map(Vec::as_slice).collect();
    let job = || SinkJob {
        layout: &layout,
        plan,
        slabs: slabs.clone(),
        axes: &axes,
        host_inputs: !delivery.inputs.is_empty(),
        destination: None,
        samples: &flat,
    };
    let (summary, phases) = if rank == 0 {
        let run = wire::fail_unless_interrupted(std::thread::scope(|s| {
            let local = s.spawn(|| backend.run_grid_job(instance, job(), &delivery, monitor));
            while !local.is_finished() {
                poll_failures();
                std::thread::sleep(Duration::from_millis(1));
            }
            local
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("the run panicked")))
        }))?;
        let summary = wire::fail_unless_interrupted((|| {
            outputs.as_ref().map_or(Ok(()), Outputs::flush)?;
            let own = delivery.encode(&run.samples);
            let summary = gather(&layout, plan, size, own, monitor)?;
            outputs.as_ref().map_or(Ok(()), Outputs::commit)?;
            Ok(summary)
        })())?;
        for r in 1..size {
            world.process_at_rank(r).send_with_tag(&summary[..], FINAL);
        }
        (summary, run.phases)
    } else {
        let run = wire::fail_unless_interrupted(backend.run_grid_job(
            instance,
            job(),
            &delivery,
            monitor,
        ))?;
        wire::fail_unless_interrupted(outputs.as_ref().map_or(Ok(()), Outputs::flush))?;
        world
            .process_at_rank(0)
            .send_with_tag(&delivery.encode(&run.samples)[..], SLABS);
        let (summary, _) = world.process_at_rank(0).receive_vec_with_tag::<u64>(FINAL);
        (summary, run.phases)
    };
    let (checksums, samples) = decode_summary(&summary, &layout, &points);
    Ok(GridOutcome {
        layout,
        checksums,
        samples,
        arrays: Vec::new(),
        phases,
    })
}

/// Whole fields, one vector each.
type Fields = Vec<Vec<f64>>;

/// Reads every axis and input field of `layout` from `dir` (whole, on every rank).
fn load_inputs(dir: &Path, layout: &GridLayout) -> anyhow::Result<(Fields, Fields)> {
    let axes = gearbox_host::grid::read_axes(dir, layout)?;
    let inputs = layout
        .inputs
        .iter()
        .map(|n| npy::read(&dir.join(format!("{n}.npy")), &layout.dims))
        .collect::<anyhow::Result<_>>()?;
    Ok((axes, inputs))
}

/// Rank 0, while it computes: a rank that reports a failure ends the job.
fn poll_failures() {
    let world = wire::world();
    if let Some((message, status)) = world.any_process().immediate_matched_probe_with_tag(FAILED) {
        let from = status.source_rank();
        let (words, _) = (message, status).matched_receive_vec::<u64>();
        wire::fail_job(from, &wire::decode_text(&words));
    }
}

/// Rank 0: every rank's per-slab checksums and samples, folded in slab order.
fn gather(
    layout: &GridLayout,
    plan: SlabPlan,
    size: i32,
    own: Vec<u64>,
    monitor: &dyn Monitor,
) -> anyhow::Result<Vec<u64>> {
    let world = wire::world();
    let mut parts: Vec<Option<Vec<u64>>> = vec![None; size as usize];
    parts[0] = Some(own);
    while parts.iter().any(Option::is_none) {
        poll_failures();
        if let Some((message, status)) = world.any_process().immediate_matched_probe_with_tag(SLABS)
        {
            let from = status.source_rank();
            let (words, _) = (message, status).matched_receive_vec::<u64>();
            monitor.advance(share(from, size, plan.len()).count() as u64);
            parts[from as usize] = Some(words);
            continue;
        }
        if monitor.cancelled() {
            bail!(Interrupted {
                done: 0,
                total: plan.len(),
                unit: "slabs",
                partial: None,
            });
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let n_out = layout.outputs.len();
    let mut totals = vec![[Dd::ZERO; 2]; n_out];
    let mut samples: Vec<Option<&[u64]>> = vec![None; sample_points(&layout.dims).len()];
    for (r, words) in parts.iter().enumerate() {
        let words = words.as_deref().expect("all gathered");
        let slabs = share(r as i32, size, plan.len()).count();
        let (sums, found) = words.split_at(slabs * n_out * 4);
        for slab in sums.chunks_exact(n_out * 4) {
            for (total, s) in totals.iter_mut().zip(slab.chunks_exact(4)) {
                total[0] = total[0] + dd(s[0], s[1]);
                total[1] = total[1] + dd(s[2], s[3]);
            }
        }
        for entry in found.chunks_exact(1 + n_out) {
            samples[entry[0] as usize] = Some(&entry[1..]);
        }
    }
    let mut summary: Vec<u64> = totals
        .iter()
        .flat_map(|[s, q]| [s.to_f64().to_bits(), q.to_f64().to_bits()])
        .collect();
    for s in samples {
        summary.extend_from_slice(s.context("no rank delivered a sample point")?);
    }
    Ok(summary)
}

fn dd(hi: u64, lo: u64) -> Dd {
    Dd {
        hi: f64::from_bits(hi),
        lo: f64::from_bits(lo),
    }
}

/// Checksums and samples from rank 0's summary: Σx and Σx² per output, then the
/// outputs at each sample point.
fn decode_summary(
    words: &[u64],
    layout: &GridLayout,
    points: &[Vec<u64>],
) -> (Vec<FieldChecksum>, Vec<Sample>) {
    let n_out = layout.outputs.len();
    let f = |w: &u64| f64::from_bits(*w);
    let checksums = layout
        .outputs
        .iter()
        .zip(words.chunks_exact(2))
        .map(|(name, w)| FieldChecksum {
            name: name.clone(),
            sum: f(&w[0]),
            sum_sq: f(&w[1]),
        })
        .collect();
    let samples = points
        .iter()
        .zip(words[2 * n_out..].chunks_exact(n_out))
        .map(|(index, w)| Sample {
            index: index.clone(),
            values: w.iter().map(f).collect(),
        })
        .collect();
    (checksums, samples)
}

/// The output files of one run: temporary names rank 0 made (header and size),
/// open for writing on every rank; removed unless committed.
struct Outputs {
    dir: PathBuf,
    files: Vec<File>,
    temps: Vec<(PathBuf, PathBuf)>,
    committed: std::cell::Cell<bool>,
}

impl Outputs {
    /// Rank 0 names and creates the files, then tells the others the names:
    /// gearbox-host's temporary names (`outputs::temp_path`) after rank 0's
    /// process, so a later run on rank 0's machine removes them if the job is
    /// killed before it commits.
    fn open(dir: &Path, layout: &GridLayout) -> anyhow::Result<Outputs> {
        let world = wire::world();
        let targets: Vec<PathBuf> = layout
            .outputs
            .iter()
            .map(|name| dir.join(format!("{name}.npy")))
            .collect();
        // File names hold no '/': it separates them in the message.
        let names = if world.rank() == 0 {
            let names = targets
                .iter()
                .map(|t| outputs::temp_path(t, std::process::id()))
                .map(|t| {
                    t.file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .into_owned()
                })
                .collect::<Vec<_>>()
                .join("/");
            let words = wire::encode_text(&names);
            for r in 1..world.size() {
                world.process_at_rank(r).send_with_tag(&words[..], FILES);
            }
            names
        } else {
            let (words, _) = world.process_at_rank(0).receive_vec_with_tag::<u64>(FILES);
            wire::decode_text(&words)
        };
        let temps: Vec<(PathBuf, PathBuf)> = names
            .split('/')
            .map(|name| dir.join(name))
            .zip(targets)
            .collect();
        let mut outputs = Outputs {
            dir: dir.to_path_buf(),
            files: Vec::new(),
            temps,
            committed: std::cell::Cell::new(world.rank() != 0),
        };
        let created = if world.rank() == 0 {
            outputs.create(dir, layout)
        } else {
            Ok(())
        };
        // The others open the files once rank 0 has made them.
        wire::agree(created)?;
        let opened = if world.rank() == 0 {
            Ok(())
        } else {
            outputs.temps.iter().try_for_each(|(temp, _)| {
                let file = OpenOptions::new().write(true).open(temp).with_context(|| {
                    format!("{}: cannot open (is the output directory on a file system every rank shares?)", temp.display())
                })?;
                outputs.files.push(file);
                Ok(())
            })
        };
        wire::agree(opened)?;
        Ok(outputs)
    }

    /// Rank 0: makes the files, with their headers and full length, after checking
    /// that the disk holds the whole set.
    fn create(&mut self, dir: &Path, layout: &GridLayout) -> anyhow::Result<()> {
        gearbox_host::disk::ensure_for_npy(dir, layout.outputs.len(), &layout.dims)?;
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create", dir.display()))?;
        let head = npy::header(&layout.dims);
        for (temp, _) in &self.temps {
            wire::remove_on_abort(temp);
            let mut file =
                File::create(temp).with_context(|| format!("{}: cannot create", temp.display()))?;
            std::io::Write::write_all(&mut file, &head)?;
            file.set_len(head.len() as u64 + layout.len() * 8)
                .with_context(|| {
                    format!(
                        "{}: cannot reserve {} bytes",
                        temp.display(),
                        layout.len() * 8
                    )
                })?;
            self.files.push(file);
        }
        Ok(())
    }

    /// Makes this rank's writes durable.
    fn flush(&self) -> anyhow::Result<()> {
        for (file, (temp, _)) in self.files.iter().zip(&self.temps) {
            file.sync_data()
                .with_context(|| format!("{}: cannot flush", temp.display()))?;
        }
        Ok(())
    }

    /// Rank 0, once every rank has flushed: renames the files into place (under
    /// the directory's lock, removing stale temporaries, as `gearbox` does).
    fn commit(&self) -> anyhow::Result<()> {
        outputs::rename_into_place(&self.dir, &self.temps)?;
        self.committed.set(true);
        wire::forget_on_abort();
        Ok(())
    }
}

impl Drop for Outputs {
    fn drop(&mut self) {
        if !self.committed.get() {
            for (temp, _) in &self.temps {
                let _ = std::fs::remove_file(temp);
            }
        }
    }
}

/// This rank's side of a grid job: its inputs lent slab by slab, its slabs
/// written into the files at their offsets, and their checksums kept for rank 0.
struct Delivery<'a> {
    plan: SlabPlan,
    row_len: u64,
    slabs: Range<u64>,
    files: &'a [File],
    data_start: u64,
    /// Σx and Σx² of each output, per slab of this rank's share.
    sums: Mutex<Vec<Vec<[Dd; 2]>>>,
    /// The whole input fields (every rank reads them).
    inputs: Vec<Vec<f64>>,
}

impl GridSink for Delivery<'_> {
    fn fetch(&self, slab: u64) -> anyhow::Result<Vec<&[f64]>> {
        let rows = self.plan.slab(slab);
        let (start, end) = (
            (rows.start * self.row_len) as usize,
            (rows.end * self.row_len) as usize,
        );
        Ok(self.inputs.iter().map(|f| &f[start..end]).collect())
    }

    fn deliver(&self, slab: u64, offset: u64, outputs: &[&[f64]]) -> anyhow::Result<()> {
        for (file, values) in self.files.iter().zip(outputs) {
            // SAFETY: f64 has no padding; u8 has alignment 1.
            let bytes = unsafe {
                std::slice::from_raw_parts(values.as_ptr() as *const u8, values.len() * 8)
            };
            file.write_all_at(bytes, self.data_start + offset * 8)
                .context("output write failed")?;
        }
        let sums = outputs.iter().map(|o| checksum(o)).collect();
        self.sums.lock().unwrap_or_else(|p| p.into_inner())[(slab - self.slabs.start) as usize] =
            sums;
        Ok(())
    }
}

impl Delivery<'_> {
    /// Per-slab Σx and Σx² (hi, lo bits) of every output, then `[point, values…]`
    /// for each sample point in this rank's share.
    fn encode(&self, samples: &[Option<Vec<f64>>]) -> Vec<u64> {
        let sums = self.sums.lock().unwrap_or_else(|p| p.into_inner());
        let mut words: Vec<u64> = sums
            .iter()
            .flatten()
            .flat_map(|[s, q]| [s.hi, s.lo, q.hi, q.lo].map(f64::to_bits))
            .collect();
        for (p, values) in samples.iter().enumerate() {
            if let Some(values) = values {
                words.push(p as u64);
                words.extend(values.iter().map(|x| x.to_bits()));
            }
        }
        words
    }
}
