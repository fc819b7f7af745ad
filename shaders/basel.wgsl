// Basel series on the GPU: Σ 1/k² over one invocation's sub-range.
fn series_partial(first: u64, last: u64) -> SeriesPartial {
    var acc = vec2<f64>(0.0, 0.0);
    var k = first;
    loop {
        if k > last { break; }
        let x = index_f64(k);
        acc = dd_add_f64(acc, 1.0 / (x * x));
        k = k + 1lu;
    }
    return SeriesPartial(acc, k);
}
