// Basel series on the GPU: Σ 1/k² over one invocation's sub-range, each term
// with its rounding error: k² = p + pₑ exactly (two_prod), 1/(p + pₑ) as the
// quotient of 1 by p and its remainder.
fn series_partial(first: u64, last: u64) -> SeriesPartial {
    var acc = vec2<f64>(0.0, 0.0);
    var k = first;
    loop {
        if k > last { break; }
        let x = index_f64(k);
        let p = two_prod(x, x);
        let q = dd_div_f64(vec2<f64>(1.0lf, 0.0lf), p.x);
        // 1/(p + pₑ) = q·(1 − pₑ/p) to 2⁻¹⁰⁴: pₑ/p < 2⁻⁵³.
        acc = dd_add(acc, vec2<f64>(q.x, q.y - q.x * q.x * p.y));
        k = k + 1lu;
    }
    return SeriesPartial(acc, k);
}
