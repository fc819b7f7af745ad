// Double-double helpers for compensated f64 sums on the GPU. A value is a
// vec2<f64> (hi, lo) with hi + lo the number and |lo| <= ulp(hi) / 2.
// Prepended by the wgpu backend to every workload's WGSL.

// Zero, from a buffer the wgpu backend binds to every pipeline, so that no
// compiler can prove it. Vulkan drivers may reassociate f64 arithmetic (naga
// marks no operation exact): lavapipe folds (a + b) - a into b, which turns
// every error term below into 0. Passing a rounded sum through fp_barrier hides
// where it came from, so its rounding error is recovered as written.
@group(1) @binding(0) var<uniform> gearbox_zero: vec4<u32>;

// x, unchanged, opaque to the optimiser. Use it on every rounded result whose
// error an error-free transformation recovers by subtraction.
fn fp_barrier(x: f64) -> f64 {
    return bitcast<f64>(bitcast<u64>(x) | u64(gearbox_zero.x));
}

// hi + lo of a + b, exactly (Knuth's TwoSum).
fn two_sum(a: f64, b: f64) -> vec2<f64> {
    let s = fp_barrier(a + b);
    let bb = s - a;
    return vec2<f64>(s, (a - (s - bb)) + (b - bb));
}

// a + x, with x an f64.
fn dd_add_f64(a: vec2<f64>, x: f64) -> vec2<f64> {
    let s = two_sum(a.x, x);
    let hi = fp_barrier(s.x + (s.y + a.y));
    return vec2<f64>(hi, (s.y + a.y) - (hi - s.x));
}

// a + b, both double-double.
fn dd_add(a: vec2<f64>, b: vec2<f64>) -> vec2<f64> {
    let s = two_sum(a.x, b.x);
    let t = two_sum(a.y, b.y);
    let hi = fp_barrier(s.x + (s.y + t.x));
    let lo = (s.y + t.x) - (hi - s.x);
    let hi2 = fp_barrier(hi + (lo + t.y));
    return vec2<f64>(hi2, (lo + t.y) - (hi2 - hi));
}

// a = hi + lo with hi holding the top 26 bits (Veltkamp's split), every step
// through fp_barrier so that no reassociation folds it away.
fn dd_split(a: f64) -> vec2<f64> {
    let t = fp_barrier(134217729.0lf * a);
    let hi = fp_barrier(t - fp_barrier(t - a));
    return vec2<f64>(hi, a - hi);
}

// a * b = p + e exactly (Dekker's product: exact whether or not the driver fuses
// fma, which lavapipe does not).
fn two_prod(a: f64, b: f64) -> vec2<f64> {
    let p = fp_barrier(a * b);
    let x = dd_split(a);
    let y = dd_split(b);
    return vec2<f64>(p, (((x.x * y.x - p) + x.x * y.y) + x.y * y.x) + x.y * y.y);
}

// a * b, both double-double.
fn dd_mul(a: vec2<f64>, b: vec2<f64>) -> vec2<f64> {
    let p = two_prod(a.x, b.x);
    let e = p.y + (a.x * b.y + a.y * b.x);
    let hi = fp_barrier(p.x + e);
    return vec2<f64>(hi, e - (hi - p.x));
}

// a / x for a double-double a and an f64 x: the rounded quotient q and, as the low
// part, the remainder (a − q·x, exact by two_prod) divided by x.
fn dd_div_f64(a: vec2<f64>, x: f64) -> vec2<f64> {
    let q = fp_barrier(a.x / x);
    let p = two_prod(q, x);
    return vec2<f64>(q, (((a.x - p.x) - p.y) + a.y) / x);
}

// k as the nearest f64 (exact up to 2^53). Both u32 halves convert exactly and the
// high one scaled by 2^32 stays exact, so the only rounding is in the final sum;
// this does not rely on the driver's u64 -> f64 conversion.
fn index_f64(k: u64) -> f64 {
    return f64(u32(k >> 32u)) * 4294967296.0lf + f64(u32(k & 0xfffffffflu));
}
