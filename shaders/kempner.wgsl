// Kempner series on the GPU: Σ 1/k over one invocation's sub-range, skipping every k
// whose decimal digits contain the exclusion string; each 1/k with its remainder. The plugin prepends
// KEMPNER_DEAD and kempner_delta, the automaton of the *reversed* string, so the
// digits can be read least significant first (at most 20 steps per k).
fn series_partial(first: u64, last: u64) -> SeriesPartial {
    var acc = vec2<f64>(0.0lf, 0.0lf);
    var k = first;
    loop {
        if k > last { break; }
        var m = k;
        var state = 0u;
        loop {
            if m == 0lu || state == KEMPNER_DEAD { break; }
            state = kempner_delta[state * 10u + u32(m % 10lu)];
            m = m / 10lu;
        }
        if state != KEMPNER_DEAD {
            acc = dd_add(acc, dd_div_f64(vec2<f64>(1.0lf, 0.0lf), index_f64(k)));
        }
        k = k + 1lu;
    }
    return SeriesPartial(acc, k);
}
