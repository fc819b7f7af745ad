// Trigonometric series on the GPU: Σ cos(k)/k over one invocation's sub-range.
// Below TRIG_EXACT_BELOW (where the terms are large enough for their rounding
// errors to reach the result's last bits) each term is a double-double:
// cos(128m + j) from the tables trig_big[m] = e^{i·128m} and trig_small[j] = e^{ij}
// (vec4: cos hi, cos lo, sin hi, sin lo; the plugin prepends them), divided by k
// with its remainder. Above, cos_f64 from the shared f64 library (the f64 cos
// built-in is wrong on lavapipe) and a plain division.

// cos(k)/k as a double-double, for k < TRIG_EXACT_BELOW.
fn trig_exact_term(k: u64) -> vec2<f64> {
    let big = trig_big[u32(k / 128lu)];
    let small = trig_small[u32(k % 128lu)];
    let c = dd_add(dd_mul(big.xy, small.xy), -dd_mul(big.zw, small.zw));
    return dd_div_f64(c, index_f64(k));
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
