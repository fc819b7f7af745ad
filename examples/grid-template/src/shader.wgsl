// The polar-to-Cartesian conversion on the GPU, at one grid point. The wgpu
// backend declares in_vr, in_vt (this dispatch's slab of each input), out_vx,
// out_vy (the slab of each output) and axis_radius, axis_angle (the whole axes),
// and calls grid_point once per point. sincos_f64 comes from gearbox's shared
// WGSL: the f64 sin and cos built-ins return garbage on Vulkan drivers.
fn grid_point(p: GridPoint) {
    let angle = sincos_f64(axis_angle[p.idx.y]); // (sin, cos)
    let vr = in_vr[p.local];
    let vt = in_vt[p.local];
    out_vx[p.local] = vr * angle.y - vt * angle.x;
    out_vy[p.local] = vr * angle.x + vt * angle.y;
}
