// velocity on the GPU: spherical -> Cartesian conversion at one grid point of the
// (latitude, radius, longitude) grid, the seed's expressions term by term (see
// plugins/velocity). sin/cos come from f64_math.wgsl (the f64 built-ins are wrong).

const VELOCITY_DEG_TO_RAD: f64 = 0.017453292519943295lf; // pi/180 rounded, as f64::to_radians

fn grid_point(p: GridPoint) {
    let phi = sincos_f64(axis_latitude[p.idx.x] * VELOCITY_DEG_TO_RAD);
    let lam = sincos_f64(axis_longitude[p.idx.z] * VELOCITY_DEG_TO_RAD);
    let vlat = in_vlat[p.local];
    let vlon = in_vlon[p.local];
    let vrad = in_vrad[p.local];
    out_vx[p.local] = ((-lam.x) * vlon - (phi.x * lam.y) * vlat) + (phi.y * lam.y) * vrad;
    out_vy[p.local] = (lam.y * vlon - (phi.x * lam.x) * vlat) + (phi.y * lam.x) * vrad;
    out_vz[p.local] = phi.y * vlat + phi.x * vrad;
}
