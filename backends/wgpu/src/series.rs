//! Series on the GPU: the range is cut into workgroups of a fixed span, each
//! reduced to one double-double partial on the device; dispatches of adaptive
//! size (bounded duration, for cancellation) run one after the other, and the
//! host folds the partials in index order. Because workgroup boundaries depend
//! only on the plan's first index, the result does not depend on dispatch sizes.

use std::time::Instant;

use anyhow::bail;
use bytemuck::{Pod, Zeroable};
use gearbox_core::{ChunkPlan, Control, Dd};

use crate::{Wgpu, WorkloadShader, storage_entry, timer, uniform_entry};

/// Invocations per workgroup.
const WORKGROUP: u32 = 256;
/// Indices per invocation: a workload doing ~40 loop iterations per term stays
/// far below lavapipe's 65535 loop iterations per invocation.
const TERMS: u32 = 512;
/// Indices per workgroup.
const SPAN: u64 = WORKGROUP as u64 * TERMS as u64;
/// Most workgroups in one dispatch (bounds the partials buffer: 16 MiB).
const MAX_GROUPS: u32 = 1 << 20;
/// Workgroups in the first dispatch of a run.
const FIRST_GROUPS: u32 = 8;
/// Wall time aimed at per dispatch, so cancellation is seen promptly.
const TARGET_SECONDS: f64 = 0.25;
/// Bytes of the status words at the start of the staging buffer.
const STATUS_BYTES: u64 = 16;
/// Offset of the partials in the staging buffer: after the status words and
/// the pass's timestamps.
const PARTIALS_AT: u64 = STATUS_BYTES + timer::BYTES;

/// Mirrors `SeriesParams` in `shaders/series.wgsl` (padded to 32 bytes).
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    base: u64,
    last: u64,
    groups: u32,
    pad: [u32; 3],
}

/// Device buffers of series runs, made on first use and kept, and the dispatch
/// size the last run of a workload ended with (the host sums a series batch by
/// batch: each batch starts at the size the previous one reached).
#[derive(Default)]
pub struct Buffers {
    made: Option<Made>,
    last: Option<(String, u32)>,
}

struct Made {
    params: wgpu::Buffer,
    partials: wgpu::Buffer,
    status: wgpu::Buffer,
    staging: wgpu::Buffer,
}

impl Made {
    fn new(device: &wgpu::Device) -> Made {
        let partial_bytes = u64::from(MAX_GROUPS) * 16;
        let buffer = |label, size, usage| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size,
                usage,
                mapped_at_creation: false,
            })
        };
        use wgpu::BufferUsages as U;
        Made {
            params: buffer(
                "series params",
                std::mem::size_of::<Params>() as u64,
                U::UNIFORM | U::COPY_DST,
            ),
            partials: buffer("series partials", partial_bytes, U::STORAGE | U::COPY_SRC),
            status: buffer(
                "series status",
                STATUS_BYTES,
                U::STORAGE | U::COPY_SRC | U::COPY_DST,
            ),
            staging: buffer(
                "series staging",
                PARTIALS_AT + partial_bytes,
                U::MAP_READ | U::COPY_DST,
            ),
        }
    }
}

/// The driver: its sizes, then `shaders/series.wgsl`.
fn driver() -> String {
    format!(
        "const SERIES_WORKGROUP: u32 = {WORKGROUP}u;\nconst SERIES_TERMS: u32 = {TERMS}u;\n{}",
        include_str!("../../../shaders/series.wgsl")
    )
}

/// Sums the series of `workload` over `plan`.
pub fn run(
    gpu: &Wgpu,
    buffers: &mut Buffers,
    workload: &WorkloadShader,
    plan: &ChunkPlan,
    control: &Control,
) -> anyhow::Result<Dd> {
    let pipeline = gpu.pipeline(
        &workload.compose(&driver()),
        "series_main",
        &[
            uniform_entry(0),
            storage_entry(1, false),
            storage_entry(2, false),
        ],
        control,
    )?;
    let setup = Instant::now();
    let b = buffers.made.get_or_insert_with(|| Made::new(&gpu.device));
    let bind_group = gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("series"),
        layout: &pipeline.get_bind_group_layout(0),
        entries: &[
            wgpu::BindGroupEntry {
                binding: 0,
                resource: b.params.as_entire_binding(),
            },
            wgpu::BindGroupEntry {
                binding: 1,
                resource: b.partials.as_entire_binding(),
            },
            wgpu::BindGroupEntry {
                binding: 2,
                resource: b.status.as_entire_binding(),
            },
        ],
    });
    gpu.check_errors()?;
    control.record_phase("setup", setup.elapsed().as_secs_f64());

    let total_groups = plan.terms().div_ceil(SPAN);
    let mut sum = Dd::ZERO;
    let mut done_groups = 0u64;
    let mut done_chunks = 0u64;
    let mut size = match &buffers.last {
        Some((last_wgsl, size)) if *last_wgsl == workload.wgsl => *size,
        _ => FIRST_GROUPS,
    };
    while done_groups < total_groups {
        control.check()?;
        let groups = u64::from(size).min(total_groups - done_groups) as u32;
        let base = plan.first + done_groups * SPAN;
        let start = Instant::now();
        gpu.queue.write_buffer(
            &b.params,
            0,
            bytemuck::bytes_of(&Params {
                base,
                last: plan.last,
                groups,
                pad: [0; 3],
            }),
        );
        let mut encoder = gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor::default());
        encoder.clear_buffer(&b.status, 0, None);
        gpu.dispatch(
            &mut encoder,
            &pipeline,
            &bind_group,
            &workload.library,
            groups,
        );
        let partial_bytes = u64::from(groups) * 16;
        encoder.copy_buffer_to_buffer(&b.status, 0, &b.staging, 0, STATUS_BYTES);
        gpu.timer.resolve(&mut encoder, &b.staging, STATUS_BYTES);
        encoder.copy_buffer_to_buffer(&b.partials, 0, &b.staging, PARTIALS_AT, partial_bytes);
        gpu.queue.submit([encoder.finish()]);
        let outcome = gpu.read_back(&b.staging, PARTIALS_AT + partial_bytes, |view| {
            let status: [u32; 4] = bytemuck::pod_read_unaligned(&view[..STATUS_BYTES as usize]);
            gpu.timer
                .record(control, &view[STATUS_BYTES as usize..PARTIALS_AT as usize]);
            let partials: Vec<f64> = bytemuck::pod_collect_to_vec(&view[PARTIALS_AT as usize..]);
            (status, partials)
        })?;
        let elapsed = start.elapsed().as_secs_f64();
        control.record_phase("compute", elapsed);

        let transfer = Instant::now();
        let ([stopped, finished, ..], partials) = outcome;
        let last = (base + u64::from(groups) * SPAN - 1).min(plan.last);
        if stopped != 0 {
            bail!(
                "the GPU stopped iterating early in {stopped} invocations summing indices {base}..={last} (the driver's loop budget, e.g. lavapipe's 65535 loop iterations per invocation): the workload's series_partial needs fewer loop iterations per term; no truncated sum is returned"
            );
        }
        if finished != groups {
            bail!(
                "the GPU dispatch for indices {base}..={last} did not run to completion ({finished} of {groups} workgroups reported back): the launch failed"
            );
        }
        for p in partials.chunks_exact(2) {
            sum = sum + Dd { hi: p[0], lo: p[1] };
        }
        control.record_phase("transfer", transfer.elapsed().as_secs_f64());

        done_groups += u64::from(groups);
        let chunks = if done_groups == total_groups {
            plan.len()
        } else {
            (done_groups * SPAN) / plan.chunk_len
        };
        control.advance(chunks - done_chunks);
        done_chunks = chunks;
        let rate = f64::from(groups) / elapsed.max(1e-6);
        size = ((rate * TARGET_SECONDS) as u32).clamp(1, size.saturating_mul(4).min(MAX_GROUPS));
    }
    buffers.last = Some((workload.wgsl.clone(), size));
    Ok(sum)
}
