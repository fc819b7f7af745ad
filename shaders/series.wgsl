// Series driver of the wgpu backend, appended after gearbox's WGSL library and the
// workload's WGSL. The backend prepends SERIES_WORKGROUP and SERIES_TERMS.
//
// The workload defines
//     fn series_partial(first: u64, last: u64) -> SeriesPartial
// returning the compensated sum (hi, lo) of term(k) for k in first..=last and the
// index after the last one it visited (last + 1 when it completed).
//
// Workgroup g of a dispatch covers SERIES_WORKGROUP * SERIES_TERMS consecutive
// indices from params.base + g * span; each invocation a contiguous run of
// SERIES_TERMS of them. So no invocation loops more than SERIES_TERMS times per
// term's own work (drivers such as lavapipe stop an invocation silently after
// 65535 loop iterations), and an invocation that stopped early is counted in
// status[0], so a truncated sum is never returned.

// The result of series_partial.
struct SeriesPartial {
    // Σ term(k) as a double-double (hi, lo).
    sum: vec2<f64>,
    // The index after the last one summed: last + 1 when the range was completed.
    next: u64,
}

struct SeriesParams {
    // First index of workgroup 0 of this dispatch.
    base: u64,
    // Last index of the series (inclusive).
    last: u64,
    // Workgroups in this dispatch (the 2-D grid of workgroups may be larger).
    groups: u32,
}

@group(0) @binding(0) var<uniform> series_params: SeriesParams;
// One double-double partial per workgroup, in index order.
@group(0) @binding(1) var<storage, read_write> series_partials: array<vec2<f64>>;
// [0]: invocations that stopped iterating early; [1]: workgroups that finished.
@group(0) @binding(2) var<storage, read_write> series_status: array<atomic<u32>, 4>;

var<workgroup> series_scratch: array<vec2<f64>, SERIES_WORKGROUP>;

@compute @workgroup_size(SERIES_WORKGROUP)
fn series_main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let group = wid.y * groups.x + wid.x;
    let in_range = group < series_params.groups;
    let span = u64(SERIES_WORKGROUP) * u64(SERIES_TERMS);
    let first = series_params.base + u64(group) * span + u64(lid) * u64(SERIES_TERMS);
    var acc = vec2<f64>(0.0lf, 0.0lf);
    // first < base: the index wrapped past 2^64 - 1.
    if in_range && first <= series_params.last && first >= series_params.base {
        let last = min(first + u64(SERIES_TERMS - 1u), series_params.last);
        let partial = series_partial(first, last);
        if partial.next != last + 1lu {
            atomicAdd(&series_status[0], 1u);
        }
        acc = partial.sum;
    }
    series_scratch[lid] = acc;
    workgroupBarrier();
    for (var stride = SERIES_WORKGROUP / 2u; stride > 0u; stride = stride / 2u) {
        if lid < stride {
            series_scratch[lid] = dd_add(series_scratch[lid], series_scratch[lid + stride]);
        }
        workgroupBarrier();
    }
    if in_range && lid == 0u {
        series_partials[group] = series_scratch[0];
        atomicAdd(&series_status[1], 1u);
    }
}
