//! The AVX-512 body of the trig kernel: whole blocks of [`BLOCK`] terms, each
//! cos(b + j)/(b + j) from the angle-addition formula and a reciprocal from
//! `vrcp14pd` and FMA steps ([`avx512::recip`], within about one ulp). A block's
//! terms are summed plainly in four registers (32 lanes of 32 terms each), and
//! only the block sums go into TwoSum lanes (the terms change sign, so not
//! Fast2Sum). The plain sums are short and small: a lane's 32 terms are
//! ≤ 1/b each and turn by 32 rad (0.58 rad mod 2π) from one to the next, so
//! their partial sums stay near the size of one term. Measured against
//! double-double terms over 10 to 30 000 blocks from 2¹⁴, the body is off by
//! 0.11–0.15 ulp of T (0.08–0.11 with TwoSum on every term), so T stays within
//! one ulp. Per eight terms: eight FMA-pipe operations and two adds (TwoSum on
//! every term cost six; this loop is 1.4× faster).

use std::arch::x86_64::*;

use gearbox_core::Dd;
use gearbox_core::math::sin_cos;
use gearbox_core::sum::avx512;

use crate::{BLOCK, Trig};

/// Eight TwoSum lanes: sums and error lanes.
struct TwoSumLanes {
    s: __m512d,
    e: __m512d,
}

impl TwoSumLanes {
    /// Adds `t` lane by lane (Knuth's TwoSum: exact whatever the magnitudes).
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn add(&mut self, t: __m512d) {
        let s = _mm512_add_pd(self.s, t);
        let bb = _mm512_sub_pd(s, self.s);
        let lost = _mm512_add_pd(
            _mm512_sub_pd(self.s, _mm512_sub_pd(s, bb)),
            _mm512_sub_pd(t, bb),
        );
        self.e = _mm512_add_pd(self.e, lost);
        self.s = s;
    }
}

/// Σ cos(k)/k over `blocks` whole blocks from `start`.
#[target_feature(enable = "avx512f")]
pub fn sum(trig: &Trig, start: u64, blocks: u64) -> Dd {
    let mut lanes: [TwoSumLanes; 4] = std::array::from_fn(|_| TwoSumLanes {
        s: _mm512_setzero_pd(),
        e: _mm512_setzero_pd(),
    });
    let (cos_j, _) = trig.cos_j.as_chunks::<32>();
    let (sin_j, _) = trig.sin_j.as_chunks::<32>();
    let (j, _) = trig.j.as_chunks::<32>();
    for i in 0..blocks {
        let base = (start + i * BLOCK as u64) as f64;
        let (sb, cb) = sin_cos(base);
        let (b, sb, cb) = (_mm512_set1_pd(base), _mm512_set1_pd(sb), _mm512_set1_pd(cb));
        let mut block = [_mm512_setzero_pd(); 4];
        for ((cos_j, sin_j), j) in cos_j.iter().zip(sin_j).zip(j) {
            for (v, block) in block.iter_mut().enumerate() {
                // SAFETY: each table chunk holds 32 f64 values; v < 4.
                let (c, s, j) = unsafe {
                    (
                        _mm512_loadu_pd(cos_j.as_ptr().add(8 * v)),
                        _mm512_loadu_pd(sin_j.as_ptr().add(8 * v)),
                        _mm512_loadu_pd(j.as_ptr().add(8 * v)),
                    )
                };
                let cos_k = _mm512_fmsub_pd(cb, c, _mm512_mul_pd(sb, s));
                let (q, _) = avx512::recip(_mm512_add_pd(b, j));
                *block = _mm512_add_pd(*block, _mm512_mul_pd(cos_k, q));
            }
        }
        for (lanes, block) in lanes.iter_mut().zip(block) {
            lanes.add(block);
        }
    }
    let (mut sum, mut err) = ([0.0; 32], [0.0; 32]);
    for (v, lanes) in lanes.iter().enumerate() {
        // SAFETY: eight f64 values at offset 8v < 32.
        unsafe {
            _mm512_storeu_pd(sum.as_mut_ptr().add(8 * v), lanes.s);
            _mm512_storeu_pd(err.as_mut_ptr().add(8 * v), lanes.e);
        }
    }
    gearbox_core::sum::combine(&sum, &err)
}
