//! The AVX-512 kernel: 1/k² + 1/(k+1)² = 4/M + 4/M² with M = 2k(k+1), so one
//! reciprocal serves two terms, and that reciprocal comes from `vrcp14pd` and FMA
//! steps ([`avx512::recip`]) with its exact remainder, not from the divider.
//!
//! With M = Mₕ + Mₗ exactly (FMA on k and 2k + 2), q ≈ 1/Mₕ, r = 1 − q·Mₕ and
//! t = r − q·Mₗ: 1/M = q(1 + t + O(2⁻¹⁰⁴)) and 1/M² = q²(1 + O(2⁻⁵¹)), so a quarter
//! of the pair is q + q·(t + q), with a relative error below 2⁻⁵¹·q + 2⁻¹⁰⁴. From
//! k = 2²⁴ on (q < 2⁻⁴⁹) that is below 2⁻¹⁰⁰: the pair is added as hi = q, with
//! q·(t + q) (one add, one FMA) to the error lanes, and the total multiplied by 4.
//! Each lane's pairs decrease, so Fast2Sum is exact. Per 16 terms that is ten
//! operations on the FMA pipes and seven on the add pipes. Below 2²⁴ and at the
//! ragged ends of a range the portable per-term kernel runs.

use std::arch::x86_64::*;

use gearbox_core::Dd;
use gearbox_core::sum::avx512::{self, Acc};

use crate::per_term;

/// First index of the pair kernel.
const PAIRS_FROM: u64 = 1 << 24;
/// Terms per iteration: four registers of eight pairs.
const BLOCK: u64 = 64;

/// Σ 1/k² over `first..=last` with the pair kernel where it applies; None when the
/// CPU has no AVX-512 or the range has no full block from [`PAIRS_FROM`] on.
pub fn partial_sum(first: u64, last: u64) -> Option<Dd> {
    let start = first.max(PAIRS_FROM);
    let blocks = last.checked_sub(start)?.saturating_add(1) / BLOCK;
    if blocks == 0 || !avx512::available() {
        return None;
    }
    let end = start.checked_add(blocks * BLOCK)?;
    let head = if first < start {
        per_term(first, start - 1)
    } else {
        Dd::ZERO
    };
    // SAFETY: the CPU has AVX-512F.
    let body = unsafe { pairs(start, blocks) };
    let tail = if end <= last {
        per_term(end, last)
    } else {
        Dd::ZERO
    };
    Some(head + body + tail)
}

/// Σ 1/k² for k in `first..first + blocks·BLOCK` (first ≥ [`PAIRS_FROM`]).
#[target_feature(enable = "avx512f")]
fn pairs(first: u64, blocks: u64) -> Dd {
    let (step, step2) = (
        _mm512_set1_pd(BLOCK as f64),
        _mm512_set1_pd(2.0 * BLOCK as f64),
    );
    // Register v, lane l starts at pair (k, k + 1) with k = first + 16v + 2l; and 2k + 2.
    let start = |v: usize, twice: bool| {
        let ks: [f64; 8] = std::array::from_fn(|l| {
            let k = first + 16 * v as u64 + 2 * l as u64;
            (if twice { 2 * k + 2 } else { k }) as f64
        });
        // SAFETY: eight f64 values.
        unsafe { _mm512_loadu_pd(ks.as_ptr()) }
    };
    let mut k: [__m512d; 4] = std::array::from_fn(|v| start(v, false));
    let mut k2: [__m512d; 4] = std::array::from_fn(|v| start(v, true));
    let mut acc = [Acc::zero(); 4];
    for _ in 0..blocks {
        for v in 0..4 {
            let mh = _mm512_mul_pd(k[v], k2[v]);
            let ml = _mm512_fmsub_pd(k[v], k2[v], mh);
            let (q, r) = avx512::recip(mh);
            let t = _mm512_fnmadd_pd(q, ml, r);
            acc[v].add(q, q, _mm512_add_pd(t, q));
            k[v] = _mm512_add_pd(k[v], step);
            k2[v] = _mm512_add_pd(k2[v], step2);
        }
    }
    let total = avx512::total(&acc);
    Dd {
        hi: 4.0 * total.hi,
        lo: 4.0 * total.lo,
    }
}
