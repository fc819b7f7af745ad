//! AVX-512 building blocks of the series kernels past the division limit: a
//! reciprocal from `vrcp14pd` and FMA steps, with its exact remainder, and eight
//! Fast2Sum accumulators per register. Callers check [`available`] once and then
//! call their own `#[target_feature(enable = "avx512f")]` loop built from these
//! (which inlines them).
//!
//! # Safety
//! Every function here needs a CPU with AVX-512F: call them only from code that
//! has checked [`available`] (or is itself compiled with that feature).
#![allow(clippy::missing_safety_doc)] // the one requirement is stated above, once

use std::arch::x86_64::*;

use crate::Dd;

/// Whether the kernels run at the AVX-512 level ([`crate::dispatch::level`]):
/// the CPU has AVX-512 and `GEARBOX_CPU` does not ask for a lower level.
pub fn available() -> bool {
    crate::dispatch::level() >= crate::dispatch::Level::Avx512
}

/// `(q, r)` with q within about one ulp of 1/x and `r = 1 − q·x` (exact, or
/// within 2⁻¹⁰⁶ of it), so 1/x = q + q·r to about 2⁻¹⁰⁴ relative (x > 0, finite,
/// normal).
///
/// `vrcp14pd` gives y with |1 − y·x| = |d| < 2⁻¹⁴; q = y(1 + d)(1 + d²) =
/// y(1 + d + d² + d³) leaves d⁴ < 2⁻⁵⁶ plus two roundings, so |r| ≲ 2⁻⁵² and the
/// FMA computes `1 − q·x` (a multiple of 2⁻¹⁰⁵) exactly or all but exactly. Six
/// FMA-pipe operations, none of them on the divider.
#[inline]
#[target_feature(enable = "avx512f")]
pub fn recip(x: __m512d) -> (__m512d, __m512d) {
    let one = _mm512_set1_pd(1.0);
    let y = _mm512_rcp14_pd(x);
    let d = _mm512_fnmadd_pd(y, x, one);
    let d2 = _mm512_mul_pd(d, d);
    let a = _mm512_fmadd_pd(y, d, y);
    let q = _mm512_fmadd_pd(a, d2, a);
    (q, _mm512_fnmadd_pd(q, x, one))
}

/// Eight compensated accumulators: lane sums `s` and error lanes `e`.
#[derive(Clone, Copy)]
pub struct Acc {
    s: __m512d,
    e: __m512d,
}

impl Acc {
    /// Eight zero lanes.
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub fn zero() -> Acc {
        Acc {
            s: _mm512_setzero_pd(),
            e: _mm512_setzero_pd(),
        }
    }

    /// Loads eight lanes from `sum` and `err`.
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub fn load(sum: &[f64; 8], err: &[f64; 8]) -> Acc {
        // SAFETY: both arrays hold eight f64 values.
        unsafe {
            Acc {
                s: _mm512_loadu_pd(sum.as_ptr()),
                e: _mm512_loadu_pd(err.as_ptr()),
            }
        }
    }

    /// Stores the lanes back.
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub fn store(self, sum: &mut [f64; 8], err: &mut [f64; 8]) {
        // SAFETY: both arrays hold eight f64 values.
        unsafe {
            _mm512_storeu_pd(sum.as_mut_ptr(), self.s);
            _mm512_storeu_pd(err.as_mut_ptr(), self.e);
        }
    }

    /// Adds `hi + a·b` lane by lane: `hi` by Fast2Sum, its rounding error and a·b
    /// (one FMA) into the error lanes. Fast2Sum is exact because every lane's sum
    /// is a sum of positive terms, none smaller than the `hi` added now (callers
    /// feed each lane non-increasing positive terms).
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub fn add(&mut self, hi: __m512d, a: __m512d, b: __m512d) {
        let s = _mm512_add_pd(self.s, hi);
        let carried = _mm512_sub_pd(s, self.s);
        let lost = _mm512_sub_pd(hi, carried);
        self.e = _mm512_add_pd(self.e, _mm512_fmadd_pd(a, b, lost));
        self.s = s;
    }
}

/// The lanes of `accs` combined in order (see [`super::combine`]).
#[target_feature(enable = "avx512f")]
pub fn total(accs: &[Acc]) -> Dd {
    let (mut sum, mut err) = (vec![0.0; 8 * accs.len()], vec![0.0; 8 * accs.len()]);
    let (sums, _) = sum.as_chunks_mut::<8>();
    let (errs, _) = err.as_chunks_mut::<8>();
    for ((acc, s), e) in accs.iter().zip(sums).zip(errs) {
        acc.store(s, e);
    }
    super::combine(&sum, &err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recip_and_its_remainder_reach_double_double_accuracy() {
        if !available() {
            eprintln!("no AVX-512F: avx512::recip not tested on this CPU");
            return;
        }
        let xs: [f64; 8] = [1.0, 3.0, 7.0, 1e17 + 2.0, 0.1, 123456789.0, 2.5e24, 6.0];
        // SAFETY: the CPU has AVX-512F; the arrays hold eight f64 values.
        let (q, r) = unsafe {
            let (q, r) = recip(_mm512_loadu_pd(xs.as_ptr()));
            let (mut qs, mut rs) = ([0.0; 8], [0.0; 8]);
            _mm512_storeu_pd(qs.as_mut_ptr(), q);
            _mm512_storeu_pd(rs.as_mut_ptr(), r);
            (qs, rs)
        };
        for l in 0..8 {
            let inverse = Dd::from(xs[l]).recip();
            let got = Dd::new(q[l], q[l] * r[l]);
            let error = ((got - inverse).to_f64() / inverse.hi).abs();
            assert!(
                error < 2f64.powi(-100),
                "1/{}: {got:?} vs {inverse:?}",
                xs[l]
            );
            assert!((q[l] - inverse.hi).abs() <= 2.0 * f64::EPSILON * inverse.hi);
        }
    }
}
