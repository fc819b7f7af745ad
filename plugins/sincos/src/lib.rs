//! The seed's element-wise NumExpr line, bᵢ = sin(2π aᵢ)² + cos(2π aᵢ)²,
//! for i < N, with checksums Σ bᵢ and Σ (bᵢ − 1) (every bᵢ is 1 up to rounding).
//!
//! # The random numbers
//! aᵢ is uniform in [0, 1) and depends only on (seed, i), so every backend, thread
//! and slab generates the same inputs from the global index without storing or
//! uploading them. It is the i-th output (counting from 0) of Vigna's SplitMix64
//! generator started from state `seed`:
//!
//! ```text
//! z  = seed + (i + 1) · 0x9E3779B97F4A7C15            (mod 2⁶⁴)
//! z  = (z ⊕ (z ≫ 30)) · 0xBF58476D1CE4E5B9            (mod 2⁶⁴)
//! z  = (z ⊕ (z ≫ 27)) · 0x94D049BB133111EB            (mod 2⁶⁴)
//! z  =  z ⊕ (z ≫ 31)
//! aᵢ = (z ≫ 11) · 2⁻⁵³                                (the top 53 bits)
//! ```
//!
//! (with seed 0 the first outputs z are 0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4,
//! 0x06C45D188009454F, as from the reference `splitmix64.c`). `shaders/sincos.wgsl`
//! computes the same bits with u64 arithmetic.
//!
//! # The expression
//! (s, c) = (sin 2πaᵢ, cos 2πaᵢ) from [`gearbox_core::math::sin_cos_turns`], whose
//! reduction is cheap and exact for an argument given in turns; then b = s² + c²
//! and b − 1 = (s² + c²) − 1 from the same s and c (exact, as b ∈ [½, 2]). The GPU
//! evaluates sin and cos of fl(2π·aᵢ) instead, so its b − 1 may differ from the CPU's
//! in the last bits; both stay within a few ulp of 1.

use std::ops::Range;

use gearbox_core::math::sin_cos_turns;
use gearbox_core::{Grid, GridLayout, ParamKind, ParamSpec, Params, Slab, Workload};

/// b = sin(2πa)² + cos(2πa)² over N counter-based uniform numbers a.
pub struct SinCos {
    n: u64,
    seed: u64,
}

/// The SplitMix64 increment, ⌊2⁶⁴/φ⌉ made odd.
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// aᵢ of `seed`: the top 53 bits of the i-th SplitMix64 output, scaled to [0, 1).
#[inline(always)]
fn uniform(seed: u64, i: u64) -> f64 {
    let mut z = seed.wrapping_add(i.wrapping_add(1).wrapping_mul(GAMMA));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

impl Workload for SinCos {
    const NAME: &'static str = "sincos";
    const ABOUT: &'static str =
        "sin(2 pi a)^2 + cos(2 pi a)^2 over N seeded uniform numbers a (checksums: sum b, sum b-1)";

    fn params() -> Vec<ParamSpec> {
        vec![
            ParamSpec::new("n", ParamKind::Count, "1e8", "number of elements N"),
            ParamSpec::new(
                "seed",
                ParamKind::Integer,
                "0",
                "seed of the SplitMix64 stream the a_i are drawn from",
            ),
        ]
    }

    fn from_params(params: &Params) -> anyhow::Result<Self> {
        Ok(SinCos {
            n: params.integer("n")?,
            seed: params.integer("seed")?,
        })
    }

    fn wgsl(&self) -> Option<String> {
        // The seed reaches the shader as `params.seed`: one shader for every seed.
        Some(include_str!("../../../shaders/sincos.wgsl").into())
    }
}

impl Grid for SinCos {
    fn layout(&self) -> GridLayout {
        GridLayout {
            dims: vec![self.n],
            axes: vec![],
            inputs: vec![],
            outputs: vec!["b".into(), "b_minus_1".into()],
            // b − 1 cancels: it is rounding noise around 0, as accurate as b is.
            error_scales: [("b_minus_1".into(), vec!["b".into()])].into(),
            ..GridLayout::default()
        }
    }

    fn axes(&self) -> Vec<Vec<f64>> {
        vec![]
    }

    /// No stored inputs: the kernel draws aᵢ from the index.
    fn fill_inputs(&self, _rows: Range<u64>, _axes: &[&[f64]], _inputs: &mut [&mut [f64]]) {}

    fn map(&self, slab: &Slab<'_>, outputs: &mut [&mut [f64]]) {
        let [b, b_minus_1] = outputs else {
            unreachable!("the layout has two outputs");
        };
        fill(self.seed, slab.rows.start, b, b_minus_1);
    }
}

gearbox_core::dispatched! {
    /// b and b − 1 for the elements from `first` on, one per value of `b`: the
    /// kernel, compiled for each CPU level.
    fn fill(seed: u64, first: u64, b: &mut [f64], b_minus_1: &mut [f64]) {
        let n = b.len();
        let b_minus_1 = &mut b_minus_1[..n];
        for k in 0..n {
            let a = uniform(seed, first + k as u64);
            let (s, c) = sin_cos_turns(a);
            let sum = s * s + c * c;
            b[k] = sum;
            b_minus_1[k] = sum - 1.0;
        }
    }
}

gearbox_core::export_grid!(SinCos);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_reference_outputs() {
        // splitmix64.c seeded with 0: 0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F.
        let top53 = |z: u64| (z >> 11) as f64 / (1u64 << 53) as f64;
        assert_eq!(uniform(0, 0), top53(0xE220_A839_7B1D_CDAF));
        assert_eq!(uniform(0, 1), top53(0x6E78_9E6A_A1B9_65F4));
        assert_eq!(uniform(0, 2), top53(0x06C4_5D18_8009_454F));
    }

    #[test]
    fn uniform_stays_in_the_unit_interval() {
        for i in [0, 1, u64::MAX - 1, u64::MAX] {
            for seed in [0, 1, u64::MAX] {
                let a = uniform(seed, i);
                assert!((0.0..1.0).contains(&a), "a({seed}, {i}) = {a}");
            }
        }
    }
}
