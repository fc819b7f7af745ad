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

/// Sixteen compensated accumulators side by side, for kernels whose terms do not
/// come from consecutive indices (digit-filtered series, blocked recurrences):
/// the kernel computes a batch of [`Lanes::WIDTH`] terms, branch-free, and adds
/// it lane by lane, so the loop vectorises like [`sum_terms`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Lanes {
    sum: [f64; LANES],
    err: [f64; LANES],
}

impl Lanes {
    /// Terms per full batch.
    pub const WIDTH: usize = LANES;

    /// All lanes zero.
    pub fn new() -> Lanes {
        Lanes::default()
    }

    /// Adds `terms[l]` to lane `l` for each of the first `terms.len()` lanes: a full
    /// batch of [`Lanes::WIDTH`] terms, or a ragged one (extra terms are ignored).
    #[inline(always)]
    pub fn add(&mut self, terms: &[f64]) {
        for (l, &t) in terms.iter().enumerate().take(LANES) {
            let (s, e) = two_sum(self.sum[l], t);
            self.sum[l] = s;
            self.err[l] += e;
        }
    }

    /// The sum of all lanes, combined in lane order.
    pub fn total(&self) -> Dd {
        let mut total = Dd::ZERO;
        for l in 0..LANES {
            total = total + Dd::new(self.sum[l], self.err[l]);
        }
        total
    }
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
    fn lanes_add_full_and_ragged_batches() {
        let mut lanes = Lanes::new();
        lanes.add(&[1.0; Lanes::WIDTH]);
        lanes.add(&[2f64.powi(-60); 5]);
        lanes.add(&[]);
        let expected = Lanes::WIDTH as f64 + 5.0 * 2f64.powi(-60);
        assert_eq!(
            lanes.total(),
            Dd::new(Lanes::WIDTH as f64, 5.0 * 2f64.powi(-60))
        );
        assert_eq!(lanes.total().hi, expected);
    }

    #[test]
    fn keeps_terms_below_the_running_ulp() {
        // 1 + 2^-60 · 1024: a plain f64 loop returns exactly 1.
        let s = sum_terms(0, 1024, |k| if k == 0.0 { 1.0 } else { 2f64.powi(-60) });
        assert_eq!(s.to_f64(), 1.0 + 1024.0 * 2f64.powi(-60));
    }
}
