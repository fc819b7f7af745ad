//! The Basel series S(N) = Σ_{k=1..N} 1/k², which tends to π²/6, with its exact
//! value in closed form.
//!
//! Every term is summed with its rounding error, so the result is the double
//! nearest the exact partial sum. The portable kernel takes each 1/k² as a
//! quotient and its FMA remainder (1/(p + pₑ) with k² = p + pₑ exactly). On
//! AVX-512 the terms from 2²⁴ on go in pairs through [`pairs`] instead, which
//! needs no division at all (see there).

use gearbox_core::sum::{recip_exact, sum_terms_dd};
use gearbox_core::{Dd, ParamKind, ParamSpec, Params, Series, Workload};

#[cfg(target_arch = "x86_64")]
mod pairs;

/// Σ 1/k² for k = 1..=n.
pub struct Basel {
    n: u64,
}

/// π²/6 as a double-double.
const PI2_OVER_6: Dd = Dd {
    hi: 1.6449340668482264,
    lo: 3.040672350398476e-17,
};

/// The trigamma function ψ₁(x) = Σ_{j≥0} 1/(x+j)² for x ≥ 1, to double-double
/// accuracy: shift x past 30 by the recurrence, then the asymptotic series.
fn trigamma(x: u64) -> Dd {
    let mut head = Dd::ZERO;
    let mut x = Dd::from(x as f64);
    while x.hi < 30.0 {
        head = head + (x * x).recip();
        x = x + Dd::from(1.0);
    }
    // ψ₁(x) ~ 1/x + 1/(2x²) + Σ B₂ₖ/x^(2k+1); next term < 1e-24 for x ≥ 30.
    const BERNOULLI: [f64; 7] = [
        1.0 / 6.0,
        -1.0 / 30.0,
        1.0 / 42.0,
        -1.0 / 30.0,
        5.0 / 66.0,
        -691.0 / 2730.0,
        7.0 / 6.0,
    ];
    let inv = x.recip();
    let inv2 = inv * inv;
    let mut power = inv * inv2;
    let mut tail = inv + inv2 * Dd::from(0.5);
    for b in BERNOULLI {
        tail = tail + power * Dd::from(b);
        power = power * inv2;
    }
    head + tail
}

/// 1/k² as `hi + lo`, to about 2⁻¹⁰⁴ relative: k² = p + pₑ exactly (FMA), q = fl(1/p)
/// with remainder r = 1 − q·p, and 1/(p + pₑ) = q + q·(r − q·pₑ) + O(q·2⁻¹⁰⁴).
#[inline(always)]
fn inverse_square(k: f64) -> (f64, f64) {
    let p = k * k;
    let pe = k.mul_add(k, -p);
    let (q, r) = recip_exact(p);
    (q, q * (-q).mul_add(pe, r))
}

/// Σ 1/k² over `first..=last`, term by term with each quotient's remainder.
fn per_term(first: u64, last: u64) -> Dd {
    sum_terms_dd(first, last, inverse_square)
}

impl Workload for Basel {
    const NAME: &'static str = "basel";
    const ABOUT: &'static str = "Basel series: sum of 1/k^2 for k = 1..=N (tends to pi^2/6)";

    fn params() -> Vec<ParamSpec> {
        vec![ParamSpec::new(
            "n",
            ParamKind::Count,
            "1e9",
            "number of terms N",
        )]
    }

    fn from_params(params: &Params) -> anyhow::Result<Self> {
        Ok(Basel {
            n: params.integer("n")?,
        })
    }

    /// S(N) = π²/6 − ψ₁(N+1).
    fn exact(&self) -> Option<f64> {
        Some((PI2_OVER_6 - trigamma(self.n + 1)).to_f64())
    }

    fn wgsl(&self) -> Option<String> {
        Some(include_str!("../../../shaders/basel.wgsl").into())
    }
}

impl Series for Basel {
    fn range(&self) -> (u64, u64) {
        (1, self.n)
    }

    fn partial_sum(&self, first: u64, last: u64) -> Dd {
        #[cfg(target_arch = "x86_64")]
        if let Some(sum) = pairs::partial_sum(first, last) {
            return sum;
        }
        per_term(first, last)
    }
}

gearbox_core::export_series!(Basel);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_kernels_agree_to_double_double_accuracy() {
        // Ranges across 2²⁴ (where the pairs start), ragged at both ends.
        let start = 1u64 << 24;
        for (first, last) in [
            (1, 100),
            (start - 100, start + 1000),
            (start + 3, start + 3 + 64 * 50),
            (1_000_000_001, 1_000_262_144),
        ] {
            let basel = Basel { n: last };
            let fast = basel.partial_sum(first, last);
            let plain = per_term(first, last);
            // Both carry the error lanes in plain f64 adds: about 2⁻⁹⁰ relative apart.
            let error = ((fast - plain).to_f64() / plain.hi).abs();
            assert!(
                error < 2f64.powi(-85),
                "{first}..={last}: {fast:?} vs {plain:?}"
            );
        }
    }
}
