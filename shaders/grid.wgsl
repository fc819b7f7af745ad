// Grid driver of the wgpu backend, appended after gearbox's WGSL library and the
// workload's WGSL. The backend prepends, per workload (not per size: a grid of
// any size runs the same compiled shader):
//     const GRID_WORKGROUP: u32            invocations per workgroup
//     in_<input>:   array<f64> (read)      this dispatch's slab of each input field
//     out_<output>: array<f64> (read_write) this dispatch's slab of each output field
//     axis_<axis>:  array<f64> (read)      each full coordinate axis, or the table the
//                   workload derives from it (GridLayout::axis_tables)
// The workload defines fn grid_point(p: GridPoint), called once per grid point of
// the dispatch, which reads in_*[p.local] and axis_*[…p.idx.*…] and writes out_*[p.local];
// the grid's sizes are grid_params.dims and grid_params.len.

// One grid point.
struct GridPoint {
    // Index into this dispatch's in_* and out_* arrays.
    local: u32,
    // Index in the whole flattened grid (C order).
    global: u64,
    // Index along each dimension; unused trailing ones are 0.
    idx: vec3<u32>,
}

struct GridParams {
    // Flattened index of this dispatch's first point.
    base: u64,
    // Outer row of this dispatch's first point.
    row: u32,
    // Points in this dispatch.
    count: u32,
    // Size along each dimension, trailing ones 1; w: the number of dimensions (1 to 3).
    dims: vec4<u32>,
    // Points in the whole grid.
    len: u64,
}

@group(0) @binding(0) var<uniform> grid_params: GridParams;

@compute @workgroup_size(GRID_WORKGROUP)
fn grid_main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let local = (wid.y * groups.x + wid.x) * GRID_WORKGROUP + lid;
    if local >= grid_params.count {
        return;
    }
    let dims = grid_params.dims;
    let row_len = dims.y * dims.z;
    let rem = local % row_len;
    let idx = vec3<u32>(grid_params.row + local / row_len, rem / dims.z, rem % dims.z);
    grid_point(GridPoint(local, grid_params.base + u64(local), idx));
}
