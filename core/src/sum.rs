//! Fast compensated summation of series terms, shared by the series plugins'
//! CPU kernels: sixteen independent lanes, each a TwoSum accumulator, so the
//! loop vectorises and no term below the running sum's ulp is lost.

use crate::dd::{Dd, two_sum};

/// Independent accumulators: enough to hide add latency behind two AVX-512 vectors.
const LANES: usize = 16;

/// Σ term(k) for k in `first..=last`, compensated. `term` receives k as an f64,
/// exact for k < 2⁵³ (every index gearbox accepts in practice); it is inlined into
/// the loop, so keep it branch-free for the loop to vectorise.
#[inline(always)]
pub fn sum_terms(first: u64, last: u64, term: impl Fn(f64) -> f64) -> Dd {
    let count = last - first + 1;
    let blocks = count / LANES as u64;
    let (mut sum, mut err, mut k) = ([0.0; LANES], [0.0; LANES], [0.0; LANES]);
    for (l, k) in k.iter_mut().enumerate() {
        *k = (first + l as u64) as f64;
    }
    for _ in 0..blocks {
        for l in 0..LANES {
            let (s, e) = two_sum(sum[l], term(k[l]));
            sum[l] = s;
            err[l] += e;
            k[l] += LANES as f64;
        }
    }
    let mut total = Dd::ZERO;
    for l in 0..LANES {
        total = total + Dd::new(sum[l], err[l]);
    }
    for k in first + blocks * LANES as u64..=last {
        total = total.add_f64(term(k as f64));
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_every_index_once() {
        for (first, last) in [(1, 1), (1, 15), (1, 16), (3, 100), (1_000_000, 1_000_037)] {
            let expected: u64 = (first..=last).sum();
            assert_eq!(
                sum_terms(first, last, |k| k).to_f64(),
                expected as f64,
                "{first}..={last}"
            );
        }
    }

    #[test]
    fn keeps_terms_below_the_running_ulp() {
        // 1 + 2^-60 · 1024: a plain f64 loop returns exactly 1.
        let s = sum_terms(0, 1024, |k| if k == 0.0 { 1.0 } else { 2f64.powi(-60) });
        assert_eq!(s.to_f64(), 1.0 + 1024.0 * 2f64.powi(-60));
    }
}
