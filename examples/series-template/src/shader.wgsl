// The alternating harmonic series on the GPU: Σ (-1)^(k+1)/k over the sub-range
// first..=last of one invocation. The wgpu backend provides SeriesPartial,
// index_f64 and the double-double helpers (two_sum, dd_add_f64, dd_add), and
// keeps last - first small enough for drivers that cap loop iterations.
fn series_partial(first: u64, last: u64) -> SeriesPartial {
    var acc = vec2<f64>(0.0lf, 0.0lf);
    var k = first;
    loop {
        if k > last { break; }
        let sign = select(-1.0lf, 1.0lf, (k & 1lu) == 1lu);
        acc = dd_add_f64(acc, sign / index_f64(k));
        k = k + 1lu;
    }
    return SeriesPartial(acc, k);
}
