// Trigonometric series on the GPU: Σ cos(k)/k over one invocation's sub-range.
// Below TRIG_EXACT_BELOW (where the terms are large enough for their rounding
// errors to reach the result's last bits) each term is a double-double:
// cos(128m + j) from the tables trig_big[m] = e^{i·128m} and trig_small[j] = e^{ij}
// (vec4: cos hi, cos lo, sin hi, sin lo; the plugin prepends them), divided by k
// with its remainder. Above, cos_f64 from the shared f64 library (the f64 cos
// built-in is wrong on lavapipe) and a plain division.

// a = hi + lo with hi holding the top 26 bits (Veltkamp), whatever the driver's
// fma: every step through fp_barrier, so no reassociation folds it away.
fn trig_split(a: f64) -> vec2<f64> {
    let t = fp_barrier(134217729.0lf * a);
    let hi = fp_barrier(t - fp_barrier(t - a));
    return vec2<f64>(hi, a - hi);
}

// a * b = p + e exactly (Dekker's product).
fn trig_two_prod(a: f64, b: f64) -> vec2<f64> {
    let p = fp_barrier(a * b);
    let x = trig_split(a);
    let y = trig_split(b);
    return vec2<f64>(p, (((x.x * y.x - p) + x.x * y.y) + x.y * y.x) + x.y * y.y);
}

// a * b for double-doubles.
fn trig_dd_mul(a: vec2<f64>, b: vec2<f64>) -> vec2<f64> {
    let p = trig_two_prod(a.x, b.x);
    let e = p.y + (a.x * b.y + a.y * b.x);
    let hi = fp_barrier(p.x + e);
    return vec2<f64>(hi, e - (hi - p.x));
}

// cos(k)/k as a double-double, for k < TRIG_EXACT_BELOW.
fn trig_exact_term(k: u64) -> vec2<f64> {
    let big = trig_big[u32(k / 128lu)];
    let small = trig_small[u32(k % 128lu)];
    let c = dd_add(trig_dd_mul(big.xy, small.xy), -trig_dd_mul(big.zw, small.zw));
    let x = index_f64(k);
    let q = fp_barrier(c.x / x);
    let p = trig_two_prod(q, x);
    return vec2<f64>(q, (((c.x - p.x) - p.y) + c.y) / x);
}

fn series_partial(first: u64, last: u64) -> SeriesPartial {
    var acc = vec2<f64>(0.0lf, 0.0lf);
    var k = first;
    loop {
        if k > last { break; }
        if k < TRIG_EXACT_BELOW {
            acc = dd_add(acc, trig_exact_term(k));
        } else {
            let x = index_f64(k);
            acc = dd_add_f64(acc, cos_f64(x) / x);
        }
        k = k + 1lu;
    }
    return SeriesPartial(acc, k);
}
