//! A gearbox series workload, ready to copy: the alternating harmonic series
//! S(N) = Σ_{k=1..N} (−1)^(k+1)/k, which tends to ln 2.
//!
//! A series is a term and, where you know it, its exact sum. The term is written
//! once, as a formula ([`TERM`], the language of docs/EXPRESSIONS.md): gearbox-expr
//! makes the CPU kernel (blocks of lanes through vectorising loops, compensated
//! sums) and the GPU kernel (WGSL) from it. To make your own, rename the template
//! ("Starting from a template" in the gearbox repository's `docs/PLUGINS.md`,
//! which explains every part) and change the term and `exact`.
//!
//! A term no formula can say (kempner's digit filter, a recurrence) takes a
//! hand-written `partial_sum` and WGSL instead: docs/PLUGINS.md shows both.

use gearbox_core::{Dd, ParamKind, ParamSpec, Params, Series, Workload};
use gearbox_expr::SeriesTerm;

/// The term, a formula in k: (−1)^(k+1)/k (pow of −1 and a whole k is exactly ±1).
pub const TERM: &str = "-(-1)**k / k";

/// Σ (−1)^(k+1)/k for k = 1..=n.
pub struct MySeries {
    n: u64,
    term: SeriesTerm,
}

/// ln 2 as a double-double.
const LN_2: Dd = Dd {
    hi: std::f64::consts::LN_2,
    lo: 2.3190468138462996e-17,
};

/// β(x) = Σ_{j≥0} (−1)^j/(x+j) = (ψ((x+1)/2) − ψ(x/2))/2 for x ≥ 1, to double-double
/// accuracy: shift x past 64 by β(x) = 1/x − β(x+1), then the asymptotic series
/// β(x) ~ 1/(2x) + Σ_k (4^k − 1) B₂ₖ / (2k x^(2k)); the next term is < 1e-22 for x ≥ 64.
fn beta(x: u64) -> Dd {
    let (mut head, mut sign) = (Dd::ZERO, Dd::from(1.0));
    let mut x = Dd::from(x as f64);
    while x.hi < 64.0 {
        head = head + sign * x.recip();
        (sign, x) = (-sign, x + Dd::from(1.0));
    }
    const COEFFICIENTS: [f64; 6] = [0.25, -0.125, 0.25, -1.0625, 7.75, -86.375];
    let inv = x.recip();
    let inv2 = inv * inv;
    let (mut tail, mut power) = (inv * Dd::from(0.5), inv2);
    for c in COEFFICIENTS {
        tail = tail + power * Dd::from(c);
        power = power * inv2;
    }
    head + sign * tail
}

impl Workload for MySeries {
    const NAME: &'static str = "my-series";
    const ABOUT: &'static str =
        "alternating harmonic series: sum of (-1)^(k+1)/k for k = 1..=N (tends to ln 2)";

    fn params() -> Vec<ParamSpec> {
        vec![ParamSpec::new(
            "n",
            ParamKind::Count,
            "1e9",
            "number of terms N",
        )]
    }

    fn from_params(params: &Params) -> anyhow::Result<Self> {
        Ok(MySeries {
            n: params.integer("n")?,
            term: SeriesTerm::new(TERM, &[])?,
        })
    }

    /// S(N) = ln 2 − (−1)^N β(N+1): ln 2 minus the tail of the series past N.
    fn exact(&self) -> Option<f64> {
        let tail = beta(self.n + 1);
        let tail = if self.n.is_multiple_of(2) {
            tail
        } else {
            -tail
        };
        Some((LN_2 - tail).to_f64())
    }

    fn wgsl(&self) -> Option<String> {
        Some(self.term.wgsl())
    }
}

impl Series for MySeries {
    fn range(&self) -> (u64, u64) {
        (1, self.n)
    }

    fn partial_sum(&self, first: u64, last: u64) -> Dd {
        self.term.partial_sum(first, last)
    }

    /// Σ|term(k)| = H(N) < ln N + 1: the terms change sign, so the error bounds of
    /// `gearbox compare` are scaled by this rather than by the result.
    fn abs_sum(&self) -> Option<f64> {
        Some((self.n as f64).ln() + 1.0)
    }
}

gearbox_core::export_series!(MySeries);
