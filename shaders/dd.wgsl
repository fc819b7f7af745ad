// Double-double helpers for compensated f64 sums on the GPU. A value is a
// vec2<f64> (hi, lo) with hi + lo the number and |lo| <= ulp(hi) / 2.
// Prepended by the wgpu backend to every workload's WGSL.

// hi + lo of a + b, exactly (Knuth's TwoSum).
fn two_sum(a: f64, b: f64) -> vec2<f64> {
    let s = a + b;
    let bb = s - a;
    return vec2<f64>(s, (a - (s - bb)) + (b - bb));
}

// a + x, with x an f64.
fn dd_add_f64(a: vec2<f64>, x: f64) -> vec2<f64> {
    let s = two_sum(a.x, x);
    let hi = s.x + (s.y + a.y);
    return vec2<f64>(hi, (s.y + a.y) - (hi - s.x));
}

// a + b, both double-double.
fn dd_add(a: vec2<f64>, b: vec2<f64>) -> vec2<f64> {
    let s = two_sum(a.x, b.x);
    let t = two_sum(a.y, b.y);
    var hi = s.x + (s.y + t.x);
    var lo = (s.y + t.x) - (hi - s.x);
    let hi2 = hi + (lo + t.y);
    lo = (lo + t.y) - (hi2 - hi);
    return vec2<f64>(hi2, lo);
}
