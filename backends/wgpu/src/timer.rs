//! GPU time of compute passes, from timestamp queries where the adapter has
//! them (`Features::TIMESTAMP_QUERY`). Each pass writes a timestamp at its
//! beginning and end; the encoder resolves them and copies them into the
//! staging buffer the results are read back from, so timing adds no wait of
//! its own. Without the feature every method does nothing.

use gearbox_core::Control;

/// Bytes the timestamps of one pass take in a staging buffer: two `u64` ticks.
pub const BYTES: u64 = 2 * wgpu::QUERY_SIZE as u64;

/// Phase name of the summed GPU time of compute passes.
const PHASE: &str = "gpu compute";

/// Times one compute pass per submission (the query set is reused, so each
/// submission must be read back before the next pass is recorded).
pub struct GpuTimer {
    /// `None` where the device has no timestamp queries.
    queries: Option<Queries>,
}

/// The device objects behind a working timer.
struct Queries {
    /// Two timestamps: the pass's beginning, then its end.
    set: wgpu::QuerySet,
    /// Where the query set is resolved, to be copied into a staging buffer.
    resolved: wgpu::Buffer,
    /// Nanoseconds per timestamp tick.
    period_ns: f64,
}

impl GpuTimer {
    /// A timer for `device`, working if the device was created with
    /// `Features::TIMESTAMP_QUERY`, inert otherwise.
    pub fn new(device: &wgpu::Device, queue: &wgpu::Queue) -> GpuTimer {
        let queries = device
            .features()
            .contains(wgpu::Features::TIMESTAMP_QUERY)
            .then(|| Queries {
                set: device.create_query_set(&wgpu::QuerySetDescriptor {
                    label: Some("gearbox pass timestamps"),
                    ty: wgpu::QueryType::Timestamp,
                    count: 2,
                }),
                resolved: device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("gearbox pass timestamps"),
                    size: BYTES,
                    usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
                    mapped_at_creation: false,
                }),
                period_ns: f64::from(queue.get_timestamp_period()),
            });
        GpuTimer { queries }
    }

    /// The timestamp writes for a compute pass's descriptor.
    pub fn pass_writes(&self) -> Option<wgpu::ComputePassTimestampWrites<'_>> {
        self.queries
            .as_ref()
            .map(|q| wgpu::ComputePassTimestampWrites {
                query_set: &q.set,
                beginning_of_pass_write_index: Some(0),
                end_of_pass_write_index: Some(1),
            })
    }

    /// Records, after the pass, copying its timestamps into `staging` at
    /// `offset` (a multiple of 4; `BYTES` long).
    pub fn resolve(&self, encoder: &mut wgpu::CommandEncoder, staging: &wgpu::Buffer, offset: u64) {
        if let Some(q) = &self.queries {
            encoder.resolve_query_set(&q.set, 0..2, &q.resolved, 0);
            encoder.copy_buffer_to_buffer(&q.resolved, 0, staging, offset, BYTES);
        }
    }

    /// Records the pass's GPU time as phase "gpu compute", from `stamps`: the
    /// `BYTES` that [`GpuTimer::resolve`] copied, as read back.
    pub fn record(&self, control: &Control, stamps: &[u8]) {
        if let Some(q) = &self.queries {
            let [begin, end]: [u64; 2] = bytemuck::pod_read_unaligned(&stamps[..BYTES as usize]);
            let ticks = end.saturating_sub(begin) as f64;
            control.record_phase(PHASE, ticks * q.period_ns * 1e-9);
        }
    }
}
