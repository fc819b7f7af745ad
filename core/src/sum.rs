//! Fast compensated summation of series terms, shared by the series plugins'
//! CPU kernels: sixteen independent lanes, each a TwoSum accumulator, so the
//! loop vectorises and no term below the running sum's ulp is lost. Terms may
//! come with their own rounding error (`hi + lo`, e.g. a quotient and its FMA
//! remainder), which goes into the error lanes: the sum is then carried to about
//! double-double accuracy and its final rounding is correct but for sums within
//! about 2⁻⁴⁰ ulp of a midpoint between two doubles.
//!
//! [`Reciprocals`] sums 1/x over exact values x the same way; on AVX-512 machines
//! without a division ([`avx512`]).

use crate::dd::{Dd, two_sum};
use crate::math::block::{Block, WIDTH};

#[cfg(target_arch = "x86_64")]
pub mod avx512;

/// Independent accumulators: enough to hide add latency behind two AVX-512 vectors.
const LANES: usize = 16;

/// Σ term(k) for k in `first..=last`, compensated. `term` receives a [`Block`]
/// of consecutive k (as f64, exact below 2⁵³) and returns their terms: every
/// function of [`crate::math`] and `+ - * /` take blocks, each one loop over the
/// lanes compiled for each CPU level, so `|k| log(k) / pow(k, 2.5)` vectorises
/// in any plugin, however large the term. (The last block of a range is filled
/// with the indices that follow it; their terms are dropped.)
pub fn sum_terms(first: u64, last: u64, term: impl Fn(Block) -> Block) -> Dd {
    let mut lanes = Lanes::new();
    let mut start = first;
    loop {
        let len = (last - start).min(WIDTH as u64 - 1) as usize + 1;
        lanes.add_all(&term(Block::counting_from(start as f64)).0[..len]);
        if last - start < WIDTH as u64 {
            return lanes.total();
        }
        start += WIDTH as u64;
    }
}

crate::dispatched! {
    /// Σ term(k) for k in `first..=last`, compensated, for terms given as an
    /// unevaluated sum `hi + lo` (|lo| ≤ ulp(hi)): `lo` joins the error lanes.
    /// `term` gets one k (an f64, exact below 2⁵³) at a time, in a loop compiled
    /// for each CPU level ([`crate::dispatch`]): keep it small and branch-free, so
    /// the compiler inlines it there and the loop vectorises (a reciprocal and its
    /// remainder, as in the basel plugin; larger terms belong in [`sum_terms`]).
    pub fn sum_terms_dd(first: u64, last: u64, term: impl Fn(f64) -> (f64, f64)) -> Dd {
        sum_lanes(first, last, term)
    }
}

/// The loop of [`sum_terms_dd`], inlined into each of its variants.
#[inline(always)]
fn sum_lanes(first: u64, last: u64, term: impl Fn(f64) -> (f64, f64)) -> Dd {
    let count = last - first + 1;
    let blocks = count / LANES as u64;
    let (mut sum, mut err, mut k) = ([0.0; LANES], [0.0; LANES], [0.0; LANES]);
    for (l, k) in k.iter_mut().enumerate() {
        *k = (first + l as u64) as f64;
    }
    for _ in 0..blocks {
        for l in 0..LANES {
            let (hi, lo) = term(k[l]);
            let (s, e) = two_sum(sum[l], hi);
            sum[l] = s;
            err[l] += e + lo;
            k[l] += LANES as f64;
        }
    }
    let mut total = combine(&sum, &err);
    for k in first + blocks * LANES as u64..=last {
        let (hi, lo) = term(k as f64);
        total = total + Dd { hi, lo };
    }
    total
}

/// Lane sums and their error lanes combined in lane order (the fixed order of
/// every kernel's final reduction).
pub fn combine(sum: &[f64], err: &[f64]) -> Dd {
    sum.iter()
        .zip(err)
        .fold(Dd::ZERO, |total, (&s, &e)| total + Dd::new(s, e))
}

/// `(q, r)`: q = fl(1/x) and its remainder r = 1 − q·x, exact (one FMA), so
/// 1/x = q + q·r to about 2⁻¹⁰⁴ relative.
#[inline(always)]
pub fn recip_exact(x: f64) -> (f64, f64) {
    let q = 1.0 / x;
    (q, (-q).mul_add(x, 1.0))
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

    /// Adds `terms` in order, term `i` to lane `i mod WIDTH` (so the bits do
    /// not depend on how a run is cut into calls, when each call's length is a
    /// multiple of [`Lanes::WIDTH`]), in a loop compiled for each CPU level.
    pub fn add_all(&mut self, terms: &[f64]) {
        add_all(self, terms);
    }

    /// The sum of all lanes, combined in lane order.
    pub fn total(&self) -> Dd {
        combine(&self.sum, &self.err)
    }
}

crate::dispatched! {
    /// [`Lanes::add_all`]: full batches go through fixed-size arrays, so the
    /// loop vectorises.
    fn add_all(lanes: &mut Lanes, terms: &[f64]) {
        // Locals, indexed: the form that keeps all lanes in vector registers.
        let (mut sum, mut err) = (lanes.sum, lanes.err);
        let mut batches = terms.chunks_exact(LANES);
        for batch in &mut batches {
            let batch: &[f64; LANES] = batch.try_into().expect("chunks_exact");
            #[allow(
                clippy::needless_range_loop,
                reason = "zipped iterators do not vectorise here"
            )]
            for l in 0..LANES {
                let (s, e) = two_sum(sum[l], batch[l]);
                sum[l] = s;
                err[l] += e;
            }
        }
        (lanes.sum, lanes.err) = (sum, err);
        lanes.add(batches.remainder());
    }
}

crate::dispatched! {
    /// Σx and Σx² of `values`, compensated, in eight interleaved lanes (so it
    /// vectorises, at each CPU level); deterministic for a given slice. The
    /// checksums of grid outputs.
    pub fn checksum(values: &[f64]) -> [Dd; 2] {
        const LANES: usize = 8;
        let (mut s, mut sc, mut q, mut qc) = ([0.0; LANES], [0.0; LANES], [0.0; LANES], [0.0; LANES]);
        let mut blocks = values.chunks_exact(LANES);
        for block in &mut blocks {
            for l in 0..LANES {
                let (t, e) = two_sum(s[l], block[l]);
                (s[l], sc[l]) = (t, sc[l] + e);
                let (t, e) = two_sum(q[l], block[l] * block[l]);
                (q[l], qc[l]) = (t, qc[l] + e);
            }
        }
        let mut sum = Dd::ZERO;
        let mut sum_sq = Dd::ZERO;
        for l in 0..LANES {
            sum = sum + Dd::new(s[l], sc[l]);
            sum_sq = sum_sq + Dd::new(q[l], qc[l]);
        }
        for &x in blocks.remainder() {
            sum = sum.add_f64(x);
            sum_sq = sum_sq.add_f64(x * x);
        }
        [sum, sum_sq]
    }
}

/// Lanes of [`Reciprocals`]: four AVX-512 registers of eight.
const RECIP_LANES: usize = 32;

/// Σ 1/x over exact positive values x, each quotient's remainder kept in the
/// error lanes (double-double accuracy). On AVX-512 the quotients come from
/// [`avx512::recip`] (no division) and the lanes are Fast2Sum accumulators, so
/// values must reach each lane in non-decreasing order; [`Reciprocals::add_offsets`]
/// with ascending offsets and ascending bases from call to call guarantees that.
#[derive(Clone, Debug)]
pub struct Reciprocals {
    sum: [f64; RECIP_LANES],
    err: [f64; RECIP_LANES],
}

impl Default for Reciprocals {
    fn default() -> Reciprocals {
        Reciprocals {
            sum: [0.0; RECIP_LANES],
            err: [0.0; RECIP_LANES],
        }
    }
}

impl Reciprocals {
    /// All lanes zero.
    pub fn new() -> Reciprocals {
        Reciprocals::default()
    }

    /// Adds 1/(base + o) for every offset o (base + o exact, positive, ascending).
    pub fn add_offsets(&mut self, base: f64, offsets: &[f64]) {
        let mut batches = offsets.chunks_exact(RECIP_LANES);
        #[cfg(target_arch = "x86_64")]
        if avx512::available() {
            // SAFETY: the CPU has AVX-512F.
            unsafe { self.add_batches_avx512(base, &mut batches) };
        }
        add_reciprocal_batches(self, base, &mut batches);
    }

    /// The loop by division: up to [`RECIP_LANES`] values, one per lane.
    #[inline(always)]
    fn add_batch(&mut self, base: f64, offsets: &[f64]) {
        for (l, &o) in offsets.iter().enumerate() {
            let (q, r) = recip_exact(base + o);
            let (s, e) = two_sum(self.sum[l], q);
            self.sum[l] = s;
            self.err[l] += e;
            self.err[l] = q.mul_add(r, self.err[l]);
        }
    }

    /// Every full batch of `batches`, four registers of eight lanes at a time.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    fn add_batches_avx512(&mut self, base: f64, batches: &mut std::slice::ChunksExact<'_, f64>) {
        use std::arch::x86_64::*;
        let (sums, _) = self.sum.as_chunks_mut::<8>();
        let (errs, _) = self.err.as_chunks_mut::<8>();
        let mut acc: [avx512::Acc; 4] =
            std::array::from_fn(|v| avx512::Acc::load(&sums[v], &errs[v]));
        let base = _mm512_set1_pd(base);
        for batch in batches {
            let (offsets, _) = batch.as_chunks::<8>();
            for (acc, o) in acc.iter_mut().zip(offsets) {
                // SAFETY: `o` holds eight f64 values.
                let x = _mm512_add_pd(base, unsafe { _mm512_loadu_pd(o.as_ptr()) });
                let (q, r) = avx512::recip(x);
                acc.add(q, q, r);
            }
        }
        for (v, acc) in acc.into_iter().enumerate() {
            acc.store(&mut sums[v], &mut errs[v]);
        }
    }

    /// The sum of all lanes, combined in lane order.
    pub fn total(&self) -> Dd {
        combine(&self.sum, &self.err)
    }
}

crate::dispatched! {
    /// The batches [`Reciprocals::add_offsets`] has not added, and the
    /// remainder, by division.
    fn add_reciprocal_batches(
        lanes: &mut Reciprocals,
        base: f64,
        batches: &mut std::slice::ChunksExact<'_, f64>,
    ) {
        for batch in &mut *batches {
            lanes.add_batch(base, batch);
        }
        lanes.add_batch(base, batches.remainder());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_every_index_once() {
        for (first, last) in [
            (1, 1),
            (1, 15),
            (1, 16),
            (3, 100),
            (1, 128),
            (5, 389),
            (1_000_000, 1_000_037),
        ] {
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
    fn reciprocals_keep_every_quotients_remainder() {
        // Σ 1/(10⁸ + o) over ragged slices, against the same sum in double-double.
        let offsets: Vec<f64> = (0..1000).map(|o| (3 * o) as f64).collect();
        for len in [0, 1, 31, 32, 33, 1000] {
            let mut lanes = Reciprocals::new();
            let mut exact = Dd::ZERO;
            for base in [1e8, 2e8] {
                lanes.add_offsets(base, &offsets[..len]);
                for &o in &offsets[..len] {
                    exact = exact + Dd::from(base + o).recip();
                }
            }
            let error = (lanes.total() - exact).to_f64().abs();
            assert!(error <= 1e-30 * exact.hi.max(1e-300), "{len}: {error:e}");
        }
    }

    #[test]
    fn dd_terms_join_the_error_lanes() {
        // hi = 1 for every k, lo = 2⁻⁶⁰: the lo parts alone are below every ulp.
        let s = sum_terms_dd(1, 100, |_| (1.0, 2f64.powi(-60)));
        assert_eq!(s, Dd::new(100.0, 100.0 * 2f64.powi(-60)));
    }

    #[test]
    fn recip_exact_remainder() {
        for x in [3.0, 7.0, 1e17 + 2.0, 0.1, 123456789.0] {
            let (q, r) = recip_exact(x);
            let back = Dd::from(x) * Dd::new(q, q * r) - Dd::from(1.0);
            assert!(back.to_f64().abs() < 1e-31, "{x}: {back:?}");
        }
    }

    #[test]
    fn keeps_terms_below_the_running_ulp() {
        // 1 + 2^-60 · 1024: a plain f64 loop returns exactly 1.
        let s = sum_terms_dd(0, 1024, |k| {
            (if k == 0.0 { 1.0 } else { 2f64.powi(-60) }, 0.0)
        });
        assert_eq!(s.to_f64(), 1.0 + 1024.0 * 2f64.powi(-60));
    }
}
