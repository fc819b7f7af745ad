//! Grids on the GPU: the canonical slabs of a job go through in batches that fit
//! the adapter's storage-buffer limit; each batch's inputs are uploaded (the
//! host's, or generated on the CPU by the workload), one invocation runs per
//! point, and the outputs are read back (into the host's memory, where it keeps
//! the outputs) and delivered slab by slab. Two sets of
//! buffers take turns, so the next batch is uploaded and the last one read back
//! and delivered while the GPU computes.

use std::sync::mpsc;
use std::time::Instant;

use anyhow::{Context, ensure};
use bytemuck::{Pod, Zeroable};
use gearbox_core::{Control, GridJob, GridLayout, Kernel};

use crate::{Wgpu, WorkloadShader, storage_entry, timer, uniform_entry};

/// Invocations per workgroup.
const WORKGROUP: u32 = 256;
/// Most bytes of device memory the fields of one batch take together (two
/// batches are in flight; on a software adapter this is host memory).
const BATCH_BYTES: u64 = 16 << 20;

/// Buffer sets taking turns: one computing while the other is filled and read back.
const SETS: usize = 2;

/// Mirrors `GridParams` in `shaders/grid.wgsl` (padded to 48 bytes).
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    base: u64,
    row: u32,
    count: u32,
    dims: [u32; 4],
    len: u64,
    pad: u64,
}

/// Device buffers of grid runs, kept while jobs need no more.
#[derive(Default)]
pub struct Buffers {
    /// Bytes of each field buffer.
    field_bytes: u64,
    sets: Vec<Set>,
}

/// The buffers of one batch in flight.
struct Set {
    /// Inputs, then outputs.
    fields: Vec<wgpu::Buffer>,
    /// The outputs of a batch, one after the other, then the pass's timestamps,
    /// for reading back.
    staging: wgpu::Buffer,
    params: wgpu::Buffer,
}

impl Buffers {
    /// Makes sure there are [`SETS`] sets of `fields` buffers of `bytes` each, with
    /// staging for `outputs`.
    fn ensure(&mut self, device: &wgpu::Device, fields: usize, outputs: usize, bytes: u64) {
        use wgpu::BufferUsages as U;
        let buffer = |label: &str, size, usage| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size,
                usage,
                mapped_at_creation: false,
            })
        };
        let staging_bytes = bytes * outputs as u64 + timer::BYTES;
        if self.field_bytes != bytes
            || self
                .sets
                .iter()
                .any(|s| s.fields.len() < fields || s.staging.size() < staging_bytes)
        {
            self.sets.clear();
            self.field_bytes = bytes;
        }
        while self.sets.len() < SETS {
            self.sets.push(Set {
                fields: (0..fields)
                    .map(|_| buffer("grid field", bytes, U::STORAGE | U::COPY_DST | U::COPY_SRC))
                    .collect(),
                staging: buffer("grid staging", staging_bytes, U::MAP_READ | U::COPY_DST),
                params: buffer(
                    "grid params",
                    std::mem::size_of::<Params>() as u64,
                    U::UNIFORM | U::COPY_DST,
                ),
            });
        }
    }
}

/// Checks that `name` can be part of a WGSL identifier.
fn identifier(name: &str) -> anyhow::Result<&str> {
    ensure!(
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
        "the grid field {name:?} cannot name a WGSL binding (use letters, digits and _)"
    );
    Ok(name)
}

/// The grid's sizes as the shader reads them (`grid_params.dims`): one per
/// dimension, trailing ones 1, and the number of dimensions last.
fn shader_dims(layout: &GridLayout) -> anyhow::Result<[u32; 4]> {
    let dims = &layout.dims;
    ensure!(
        (1..=3).contains(&dims.len()),
        "the GPU runs grids of 1 to 3 dimensions, not {}",
        dims.len()
    );
    let mut size = [1, 1, 1, dims.len() as u32];
    for (s, &d) in size.iter_mut().zip(dims) {
        *s = u32::try_from(d).context("a grid dimension is too large for the GPU (> 2^32 - 1)")?;
    }
    Ok(size)
}

/// The job's declarations (constants and bindings), then `shaders/grid.wgsl`: the
/// same text for every size of grid, so a workload compiles once.
fn driver(layout: &GridLayout) -> anyhow::Result<String> {
    let mut text = format!("const GRID_WORKGROUP: u32 = {WORKGROUP}u;\n");
    let bindings = layout
        .inputs
        .iter()
        .map(|n| ("in", n, "read"))
        .chain(layout.outputs.iter().map(|n| ("out", n, "read_write")))
        .chain(layout.axes.iter().map(|n| ("axis", n, "read")));
    for (binding, (prefix, name, access)) in (1..).zip(bindings) {
        text.push_str(&format!(
            "@group(0) @binding({binding}) var<storage, {access}> {prefix}_{}: array<f64>;\n",
            identifier(name)?
        ));
    }
    text.push_str(include_str!("../../../shaders/grid.wgsl"));
    Ok(text)
}

/// Runs every canonical slab of `job` with the shader of `workload`.
pub fn run(
    gpu: &Wgpu,
    buffers: &mut Buffers,
    kernel: &Kernel,
    workload: &WorkloadShader,
    job: &GridJob<'_>,
    control: &Control,
) -> anyhow::Result<()> {
    let layout = kernel.layout()?;
    ensure!(
        layout.dims == job.dims
            && layout.inputs.len() == job.n_inputs
            && layout.outputs.len() == job.n_outputs
            && layout.axes.len() == job.axes.len(),
        "the workload's layout does not match the job"
    );
    ensure!(!layout.outputs.is_empty(), "the grid has no output fields");
    let (n_in, n_out) = (job.n_inputs, job.n_outputs);
    let storage = n_in + n_out + job.axes.len();
    ensure!(
        storage as u32 <= gpu.limits.max_storage_buffers_per_shader_stage,
        "the grid needs {storage} storage buffers, the GPU allows {}",
        gpu.limits.max_storage_buffers_per_shader_stage
    );
    let dims = shader_dims(&layout)?;
    let entries: Vec<_> = std::iter::once(uniform_entry(0))
        .chain((0..storage).map(|i| storage_entry(i as u32 + 1, i < n_in || i >= n_in + n_out)))
        .collect();
    let pipeline = gpu.pipeline(
        &workload.compose(&driver(&layout)?),
        "grid_main",
        &entries,
        control,
    )?;
    let setup = Instant::now();

    // Batches of whole canonical slabs, each field within the binding limit.
    let limit = gpu
        .limits
        .max_storage_buffer_binding_size
        .min(gpu.limits.max_buffer_size);
    let slab_bytes = job.plan.rows * job.row_len() * 8;
    ensure!(
        slab_bytes <= limit,
        "one slab of this grid takes {slab_bytes} bytes per field, more than the GPU's storage-buffer limit of {limit} bytes"
    );
    let per_field = limit
        .min(BATCH_BYTES / (n_in + n_out) as u64)
        .max(slab_bytes);
    let slabs_per_batch = per_field / slab_bytes;
    let field_bytes = slabs_per_batch * slab_bytes;

    buffers.ensure(&gpu.device, n_in + n_out, n_out, field_bytes);
    // Each axis, or the table the workload derives from it (what depends on that
    // axis alone, computed once per axis value).
    let axes: Vec<wgpu::Buffer> = job
        .axes
        .iter()
        .enumerate()
        .map(|(a, axis)| {
            let table;
            let values = match layout.axis_table_width(a) {
                0 => *axis,
                width => {
                    table = kernel.axis_table(a, axis, width)?;
                    &table[..]
                }
            };
            let buffer = gpu.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("grid axis"),
                size: (values.len() as u64 * 8).max(8),
                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            gpu.queue
                .write_buffer(&buffer, 0, bytemuck::cast_slice(values));
            Ok(buffer)
        })
        .collect::<anyhow::Result<_>>()?;
    let bind_groups: Vec<wgpu::BindGroup> = buffers
        .sets
        .iter()
        .map(|set| {
            let resources = std::iter::once(&set.params)
                .chain(&set.fields[..n_in + n_out])
                .chain(&axes);
            let entries: Vec<_> = resources
                .enumerate()
                .map(|(i, buffer)| wgpu::BindGroupEntry {
                    binding: i as u32,
                    resource: buffer.as_entire_binding(),
                })
                .collect();
            gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("grid"),
                layout: &pipeline.get_bind_group_layout(0),
                entries: &entries,
            })
        })
        .collect();
    gpu.check_errors()?;
    control.record_phase("setup", setup.elapsed().as_secs_f64());

    let batches: Vec<std::ops::Range<u64>> = job
        .slabs
        .clone()
        .step_by(slabs_per_batch as usize)
        .map(|first| first..(first + slabs_per_batch).min(job.slabs.end))
        .collect();
    let batch = Batch {
        gpu,
        kernel,
        job,
        pipeline: &pipeline,
        library: &workload.library,
        dims,
        len: layout.len(),
        field_bytes,
    };
    let sets = &buffers.sets;
    std::thread::scope(|scope| {
        // Sets whose last batch has been delivered, and batches to deliver.
        let (free, free_sets) = mpsc::channel::<usize>();
        let (to_deliver, submitted) = mpsc::channel();
        for set in 0..SETS {
            let _ = free.send(set);
        }
        let batch = &batch;
        // Read-back and delivery (writing the outputs) on a thread of their own,
        // so they overlap the upload and the compute of the next batch even where
        // the driver computes inside `submit` (lavapipe).
        let delivery = scope.spawn(move || -> anyhow::Result<()> {
            for (set, slabs, at) in submitted {
                batch.finish(&sets[set], at, &slabs, control)?;
                let _ = free.send(set);
            }
            Ok(())
        });
        let mut generated: Vec<f64> = Vec::new();
        let submitting = (|| {
            for slabs in batches {
                control.check()?;
                // None when delivery failed: its error is reported below.
                let Ok(set) = free_sets.recv() else {
                    return Ok(());
                };
                let at = batch.submit(
                    &sets[set],
                    &bind_groups[set],
                    &slabs,
                    &mut generated,
                    control,
                )?;
                let _ = to_deliver.send((set, slabs, at));
            }
            Ok::<_, anyhow::Error>(())
        })();
        drop(to_deliver);
        let delivered = delivery
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the delivery thread panicked")));
        submitting.and(delivered)
    })
}

/// What every batch of one job shares.
struct Batch<'r> {
    gpu: &'r Wgpu,
    kernel: &'r Kernel,
    job: &'r GridJob<'r>,
    pipeline: &'r wgpu::ComputePipeline,
    /// Bind group 1: the library's and the workload's uniforms.
    library: &'r wgpu::BindGroup,
    /// `grid_params.dims` and `grid_params.len`.
    dims: [u32; 4],
    len: u64,
    field_bytes: u64,
}

impl Batch<'_> {
    /// Uploads the inputs of `slabs` into `set` and submits their computation;
    /// returns the submission and when it was made.
    fn submit(
        &self,
        set: &Set,
        bind_group: &wgpu::BindGroup,
        slabs: &std::ops::Range<u64>,
        generated: &mut Vec<f64>,
        control: &Control,
    ) -> anyhow::Result<(wgpu::SubmissionIndex, Instant)> {
        let (gpu, job) = (self.gpu, self.job);
        let transfer = Instant::now();
        let rows = job.plan.slab(slabs.start).start..job.plan.slab(slabs.end - 1).end;
        let elements = job.elements(&rows);
        let count = elements.len();
        for slab in slabs.clone() {
            let part = job.elements(&job.plan.slab(slab));
            let at = ((part.start - elements.start) * 8) as u64;
            let fetched = job.fetch(slab)?;
            let inputs = match &fetched {
                Some(inputs) => inputs.fields(),
                None if job.n_inputs == 0 => Vec::new(),
                None => {
                    generated.resize(job.n_inputs * part.len(), 0.0);
                    let mut fields: Vec<&mut [f64]> =
                        generated.chunks_mut(part.len().max(1)).collect();
                    self.kernel
                        .fill_inputs(job.plan.slab(slab), &job.axes, &mut fields)?;
                    generated.chunks(part.len().max(1)).collect()
                }
            };
            for (buffer, input) in set.fields.iter().zip(&inputs) {
                gpu.queue
                    .write_buffer(buffer, at, bytemuck::cast_slice(input));
            }
        }
        gpu.queue.write_buffer(
            &set.params,
            0,
            bytemuck::bytes_of(&Params {
                base: elements.start as u64,
                row: rows.start as u32,
                count: count as u32,
                dims: self.dims,
                len: self.len,
                pad: 0,
            }),
        );
        let mut encoder = gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor::default());
        let groups = (count as u64).div_ceil(u64::from(WORKGROUP)) as u32;
        gpu.dispatch(
            &mut encoder,
            self.pipeline,
            bind_group,
            self.library,
            groups,
        );
        let n_in = job.n_inputs;
        for (o, buffer) in set.fields[n_in..n_in + job.n_outputs].iter().enumerate() {
            encoder.copy_buffer_to_buffer(
                buffer,
                0,
                &set.staging,
                o as u64 * self.field_bytes,
                count as u64 * 8,
            );
        }
        let outputs_bytes = job.n_outputs as u64 * self.field_bytes;
        gpu.timer.resolve(&mut encoder, &set.staging, outputs_bytes);
        let index = gpu.queue.submit([encoder.finish()]);
        control.record_phase("transfer", transfer.elapsed().as_secs_f64());
        Ok((index, Instant::now()))
    }

    /// Waits for the batch `slabs` submitted on `set`, then reads back and delivers its outputs.
    fn finish(
        &self,
        set: &Set,
        (index, submitted): (wgpu::SubmissionIndex, Instant),
        slabs: &std::ops::Range<u64>,
        control: &Control,
    ) -> anyhow::Result<()> {
        let outputs_bytes = self.job.n_outputs as u64 * self.field_bytes;
        let mapped = outputs_bytes + timer::BYTES;
        self.gpu
            .read_back_after(Some(index), &set.staging, mapped, |view| {
                control.record_phase("compute", submitted.elapsed().as_secs_f64());
                let (outputs, stamps) = view.split_at(outputs_bytes as usize);
                self.gpu.timer.record(control, stamps);
                let transfer = Instant::now();
                let delivered =
                    deliver(self.job, outputs, self.field_bytes, slabs.clone(), control);
                control.record_phase("transfer", transfer.elapsed().as_secs_f64());
                delivered
            })?
    }
}

/// Hands the outputs of slabs `slabs`, read back into `view`, to the host.
fn deliver(
    job: &GridJob<'_>,
    view: &[u8],
    field_bytes: u64,
    slabs: std::ops::Range<u64>,
    control: &Control,
) -> anyhow::Result<()> {
    let copied: Vec<f64>;
    let values: &[f64] = match bytemuck::try_cast_slice(view) {
        Ok(values) => values,
        Err(_) => {
            copied = bytemuck::pod_collect_to_vec(view);
            &copied
        }
    };
    let field_len = (field_bytes / 8) as usize;
    let origin = job.elements(&job.plan.slab(slabs.start)).start;
    for slab in slabs {
        let range = job.elements(&job.plan.slab(slab));
        let (start, len) = (range.start - origin, range.len());
        let outputs: Vec<&[f64]> = values
            .chunks(field_len)
            .map(|field| &field[start..start + len])
            .collect();
        // Read back into the host's own memory where it keeps the outputs.
        match job.destination(slab) {
            Some(mut destination) => {
                for (to, from) in destination.iter_mut().zip(&outputs) {
                    to.copy_from_slice(from);
                }
                let destination: Vec<&[f64]> = destination.iter().map(|d| &**d).collect();
                job.deliver(slab, &destination)?;
            }
            None => job.deliver(slab, &outputs)?,
        }
        control.advance(1);
    }
    Ok(())
}
