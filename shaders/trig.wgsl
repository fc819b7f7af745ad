// Trigonometric series on the GPU: Σ cos(k)/k over one invocation's sub-range, with
// cos_f64 from the shared f64 library (the f64 cos built-in is wrong on lavapipe).
fn series_partial(first: u64, last: u64) -> SeriesPartial {
    var acc = vec2<f64>(0.0lf, 0.0lf);
    var k = first;
    loop {
        if k > last { break; }
        let x = index_f64(k);
        acc = dd_add_f64(acc, cos_f64(x) / x);
        k = k + 1lu;
    }
    return SeriesPartial(acc, k);
}
