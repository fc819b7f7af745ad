//! The trigonometric series T(N) = Σ_{k=1..N} cos(k)/k, which tends to −ln(2 sin ½).
//!
//! CPU kernel, within 1 ulp of T(N): the terms below [`EXACT_BELOW`] carry most
//! of the sum's rounding error (it falls like 1/k), so they are summed in
//! double-double, e^{ik} by the recurrence e^{i(k+1)} = e^{ik}·e^i
//! ([`exact_terms`]). From there the indices go in blocks of [`BLOCK`]; for a
//! block starting at b, `gearbox_core::math::sin_cos(b)` (≤ 1 ulp) gives sin b
//! and cos b, and every other term follows from the angle-addition formula
//! cos(b + j) = cos b · cos j − sin b · sin j with cos j, sin j tabulated (rounded
//! from double-double values): an FMA, a product and a reciprocal per term (on
//! AVX-512 from `vrcp14pd` and FMA steps, [`blocks`], each block summed plainly
//! and its sum added to compensated lanes; else a division, every term into
//! compensated lanes). Each of those terms is off by about 2 ulp of itself
//! at most, in no fixed direction, so they add up to about 2⁻⁵³·(3·2¹⁴)^(−½),
//! under 0.1 ulp of the result.
//!
//! GPU kernel: below [`EXACT_BELOW`] double-double terms from tables of e^{ij}
//! and e^{i·128m} (generated here), above `cos_f64` from the shared WGSL library,
//! term by term.
//!
//! Exact value: with z = e^i and M = N + 1,
//! T(N) = −ln(2 sin ½) − Re Σ_{k≥M} z^k/k, and the tail has the asymptotic expansion
//! Σ_{k≥M} z^k/k = z^M Σ_j b_j / M^{j+1}, b_j = j!·[t^j] 1/(1 − z e^t) · (−1)^j,
//! summed in double-double (for N < 10⁴ the sum itself is taken in double-double).

use gearbox_core::math::{sin_cos, sin_cos_dd};
use gearbox_core::sum::{Lanes, recip_exact};
use gearbox_core::{Dd, ParamKind, ParamSpec, Params, Series, Workload};

#[cfg(target_arch = "x86_64")]
mod blocks;

/// Indices per block sharing one sin_cos call (the tables fill 24 KiB of L1).
const BLOCK: usize = 1024;

/// Below this index the kernel sums the terms in double-double.
const EXACT_BELOW: u64 = 1 << 14;

/// −ln(2 sin ½), the limit of the series, in double-double.
const LIMIT: Dd = Dd {
    hi: 0.04201950582536896,
    lo: 2.3860821712848556e-18,
};

/// Below this N, `exact` sums the terms themselves; above, the tail expansion
/// (its terms fall like j!/N^j, below 10⁻³² by j = 10).
const DIRECT_BELOW: u64 = 10_000;

/// Terms of the tail expansion used.
const TAIL_TERMS: usize = 12;

/// Largest N for which `exact` is offered (the double-double sin/cos of N is
/// accurate up to 2⁴²).
const EXACT_UP_TO: u64 = 1 << 42;

/// T(N) = Σ cos(k)/k for k = 1..=n.
pub struct Trig {
    n: u64,
    /// cos j for j < BLOCK, correctly rounded.
    cos_j: Vec<f64>,
    /// sin j for j < BLOCK, likewise.
    sin_j: Vec<f64>,
    /// j for j < BLOCK as f64.
    j: Vec<f64>,
}

/// A complex number with double-double parts.
#[derive(Clone, Copy)]
struct Complex {
    re: Dd,
    im: Dd,
}

impl Complex {
    fn mul(self, o: Complex) -> Complex {
        Complex {
            re: self.re * o.re - self.im * o.im,
            im: self.re * o.im + self.im * o.re,
        }
    }

    fn add(self, o: Complex) -> Complex {
        Complex {
            re: self.re + o.re,
            im: self.im + o.im,
        }
    }

    fn scale(self, x: Dd) -> Complex {
        Complex {
            re: self.re * x,
            im: self.im * x,
        }
    }

    fn recip(self) -> Complex {
        let norm = self.re * self.re + self.im * self.im;
        Complex {
            re: self.re / norm,
            im: -self.im / norm,
        }
    }

    /// e^{ix}.
    fn cis(x: f64) -> Complex {
        let (s, c) = sin_cos_dd(x);
        Complex { re: c, im: s }
    }
}

/// Re Σ_{k≥m} e^{ik}/k for m ≥ [`DIRECT_BELOW`], by the asymptotic expansion.
fn tail(m: u64) -> Dd {
    let z = Complex::cis(1.0);
    let one = Complex {
        re: Dd::from(1.0),
        im: Dd::ZERO,
    };
    let one_minus_z = one.add(z.scale(Dd::from(-1.0)));
    let ratio = z.mul(one_minus_z.recip());
    // a_j = [t^j] 1/(1 − z e^t): a_0 = 1/(1 − z), a_j = z/(1 − z) Σ_{i=1..j} a_{j−i}/i!.
    // With c_j = j!·a_j: c_j = z/(1 − z) Σ_{i=1..j} C(j, i) c_{j−i}.
    let mut c = vec![one_minus_z.recip()];
    for j in 1..TAIL_TERMS {
        let mut acc = Complex {
            re: Dd::ZERO,
            im: Dd::ZERO,
        };
        let mut binomial = 1.0;
        for i in 1..=j {
            binomial = binomial * (j + 1 - i) as f64 / i as f64;
            acc = acc.add(c[j - i].scale(Dd::from(binomial)));
        }
        c.push(ratio.mul(acc));
    }
    // Σ_{k≥m} z^k/k = z^m Σ_j a_j f^{(j)}(m) with f(t) = 1/t, f^{(j)}(m) = (−1)^j j!/m^{j+1}.
    let inv = Dd::from(m as f64).recip();
    let mut power = inv;
    let mut series = Complex {
        re: Dd::ZERO,
        im: Dd::ZERO,
    };
    for (j, cj) in c.iter().enumerate() {
        let sign = if j % 2 == 0 { 1.0 } else { -1.0 };
        series = series.add(cj.scale(power * Dd::from(sign)));
        power = power * inv;
    }
    Complex::cis(m as f64).mul(series).re
}

/// Σ cos(k)/k over `first..=last` in double-double: e^{ik} from sin_cos_dd(first),
/// then by the recurrence e^{i(k+1)} = e^{ik}·e^i (error about (last − first)·2⁻¹⁰⁴).
fn exact_terms(first: u64, last: u64) -> Dd {
    let step = Complex::cis(1.0);
    let mut z = Complex::cis(first as f64);
    let mut sum = Dd::ZERO;
    for k in first..=last {
        let (q, r) = recip_exact(k as f64);
        sum = sum + z.re * Dd { hi: q, lo: q * r };
        z = z.mul(step);
    }
    sum
}

/// T(n) in double-double: the terms themselves for small n, else the limit minus the tail.
fn exact_sum(n: u64) -> Dd {
    if n < DIRECT_BELOW {
        exact_terms(1, n)
    } else {
        LIMIT - tail(n + 1)
    }
}

impl Workload for Trig {
    const NAME: &'static str = "trig";
    const ABOUT: &'static str =
        "Trigonometric series: sum of cos(k)/k for k = 1..=N (tends to -ln(2 sin 1/2))";

    fn params() -> Vec<ParamSpec> {
        vec![ParamSpec::new(
            "n",
            ParamKind::Count,
            "1e8",
            "number of terms N",
        )]
    }

    fn from_params(params: &Params) -> anyhow::Result<Self> {
        // e^{ij} by the recurrence, as in exact_terms (error below 2⁻⁹⁴).
        let step = Complex::cis(1.0);
        let mut z = Complex::cis(0.0);
        let (mut cos_j, mut sin_j) = (Vec::with_capacity(BLOCK), Vec::with_capacity(BLOCK));
        for _ in 0..BLOCK {
            cos_j.push(z.re.to_f64());
            sin_j.push(z.im.to_f64());
            z = z.mul(step);
        }
        Ok(Trig {
            n: params.integer("n")?,
            cos_j,
            sin_j,
            j: (0..BLOCK).map(|j| j as f64).collect(),
        })
    }

    /// The limit minus the tail's asymptotic expansion (see the module docs), for N ≤ 2⁴².
    fn exact(&self) -> Option<f64> {
        (self.n <= EXACT_UP_TO).then(|| exact_sum(self.n).to_f64())
    }

    /// `shaders/trig.wgsl` after its tables: e^{ij} and e^{i·128m} for j, m < 128 in
    /// double-double, by the recurrence of [`exact_terms`].
    fn wgsl(&self) -> Option<String> {
        const SIDE: usize = 128;
        debug_assert_eq!((SIDE * SIDE) as u64, EXACT_BELOW);
        let table = |name: &str, step: f64| {
            let step = Complex::cis(step);
            let mut z = Complex::cis(0.0);
            let entries: Vec<String> = (0..SIDE)
                .map(|_| {
                    let [a, b, c, d] = [z.re.hi, z.re.lo, z.im.hi, z.im.lo];
                    z = z.mul(step);
                    format!("vec4<f64>({a:?}lf, {b:?}lf, {c:?}lf, {d:?}lf)")
                })
                .collect();
            format!(
                "var<private> {name}: array<vec4<f64>, {SIDE}> = array<vec4<f64>, {SIDE}>({});\n",
                entries.join(", ")
            )
        };
        Some(format!(
            "const TRIG_EXACT_BELOW: u64 = {EXACT_BELOW}lu;\n{}{}{}",
            table("trig_small", 1.0),
            table("trig_big", SIDE as f64),
            include_str!("../../../shaders/trig.wgsl")
        ))
    }
}

impl Series for Trig {
    fn range(&self) -> (u64, u64) {
        (1, self.n)
    }

    fn partial_sum(&self, first: u64, last: u64) -> Dd {
        let exact_end = last.min(EXACT_BELOW - 1);
        let head = if first <= exact_end {
            exact_terms(first, exact_end)
        } else {
            Dd::ZERO
        };
        let start = first.max(EXACT_BELOW);
        if start > last {
            return head;
        }
        let count = last - start + 1;
        let full = count / BLOCK as u64;
        let body = self.full_blocks(start, full);
        let rest = (count % BLOCK as u64) as usize;
        let tail = if rest > 0 {
            last_block(self, start + full * BLOCK as u64, rest)
        } else {
            Dd::ZERO
        };
        head + body + tail
    }

    /// Σ|cos k|/k: the first 2¹⁶ terms summed, then (2/π)·ln(N/2¹⁶) for the rest
    /// (|cos| averages 2/π over the equidistributed k mod 2π) plus a margin of 0.01,
    /// well above the discrepancy of that average.
    fn abs_sum(&self) -> Option<f64> {
        const HEAD: u64 = 1 << 16;
        let head: f64 = (1..=self.n.min(HEAD))
            .map(|k| sin_cos(k as f64).1.abs() / k as f64)
            .sum();
        let rest = if self.n > HEAD {
            std::f64::consts::FRAC_2_PI * (self.n as f64 / HEAD as f64).ln() + 0.01
        } else {
            0.0
        };
        Some(head + rest)
    }
}

impl Trig {
    /// Σ cos(k)/k over `blocks` whole blocks from `start`: AVX-512 where the CPU
    /// has it, else [`Trig::add_block`] block by block.
    fn full_blocks(&self, start: u64, blocks: u64) -> Dd {
        #[cfg(target_arch = "x86_64")]
        if gearbox_core::sum::avx512::available() {
            // SAFETY: the CPU has AVX-512F.
            return unsafe { blocks::sum(self, start, blocks) };
        }
        portable_blocks(self, start, blocks)
    }

    /// Adds cos(k)/k for k in `base..base + len` (len ≤ BLOCK) to `lanes`.
    #[inline(always)]
    fn add_block(&self, lanes: &mut Lanes, base: u64, len: usize) {
        let b = base as f64;
        let (sb, cb) = sin_cos(b);
        let (cos_j, sin_j) = (
            self.cos_j.as_chunks::<{ Lanes::WIDTH }>().0,
            self.sin_j.as_chunks::<{ Lanes::WIDTH }>().0,
        );
        let j = self.j.as_chunks::<{ Lanes::WIDTH }>().0;
        for g in 0..len.div_ceil(Lanes::WIDTH) {
            // A plain loop, not `array::from_fn`: a closure it calls would be
            // compiled for the baseline CPU, outside the dispatched kernel.
            let mut terms = [0.0; Lanes::WIDTH];
            for (l, t) in terms.iter_mut().enumerate() {
                *t = cb.mul_add(cos_j[g][l], -(sb * sin_j[g][l])) / (b + j[g][l]);
            }
            lanes.add(&terms[..(len - g * Lanes::WIDTH).min(Lanes::WIDTH)]);
        }
    }
}

gearbox_core::dispatched! {
    /// [`Trig::full_blocks`] without AVX-512 (a division per term), compiled
    /// for each CPU level.
    fn portable_blocks(trig: &Trig, start: u64, blocks: u64) -> Dd {
        let mut lanes = Lanes::new();
        for i in 0..blocks {
            trig.add_block(&mut lanes, start + i * BLOCK as u64, BLOCK);
        }
        lanes.total()
    }
}

gearbox_core::dispatched! {
    /// Σ cos(k)/k for k in `base..base + len` (len ≤ BLOCK), compiled for each
    /// CPU level.
    fn last_block(trig: &Trig, base: u64, len: usize) -> Dd {
        let mut lanes = Lanes::new();
        trig.add_block(&mut lanes, base, len);
        lanes.total()
    }
}

gearbox_core::export_series!(Trig);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_exact_methods_agree_where_they_meet() {
        for n in [DIRECT_BELOW, DIRECT_BELOW + 1, 20_000] {
            let direct = (1..=n).fold(Dd::ZERO, |s, k| {
                s + sin_cos_dd(k as f64).1 / Dd::from(k as f64)
            });
            let expansion = LIMIT - tail(n + 1);
            assert!(
                (direct - expansion).to_f64().abs() < 1e-28,
                "{n}: {direct:?} vs {expansion:?}"
            );
        }
    }

    #[test]
    fn kernel_matches_the_exact_sum_on_ragged_ranges() {
        let w =
            Trig::from_params(&Params::resolve(&Trig::params(), [("n", "20000")]).expect("params"))
                .expect("instance");
        for (first, last) in [(1, 1), (1, 127), (1, 128), (1, 129), (3, 300), (1, 20_000)] {
            let want = exact_sum(last) - exact_sum(first - 1);
            let got = w.partial_sum(first, last);
            assert!(
                (got - want).to_f64().abs() < 1e-15,
                "{first}..={last}: {got:?} vs {want:?}"
            );
        }
    }

    #[test]
    fn blocks_match_double_double_terms() {
        // Whole blocks (AVX-512 or portable) and a ragged rest, past EXACT_BELOW.
        let w =
            Trig::from_params(&Params::resolve(&Trig::params(), [("n", "1e6")]).unwrap()).unwrap();
        let (first, last) = (EXACT_BELOW + 5, EXACT_BELOW + 5 + 3 * BLOCK as u64 + 100);
        let got = w.partial_sum(first, last);
        let want = exact_terms(first, last);
        // Each term within a few ulp of itself (≤ 2⁻⁵⁰/k): far below this.
        assert!((got - want).to_f64().abs() < 1e-18, "{got:?} vs {want:?}");
        let portable =
            portable_blocks(&w, first, 3) - exact_terms(first, first + 3 * BLOCK as u64 - 1);
        assert!(portable.to_f64().abs() < 1e-18, "{portable:?}");
    }

    #[test]
    fn abs_sum_bounds_the_absolute_terms() {
        for n in ["1000", "100000", "1000000"] {
            let w =
                Trig::from_params(&Params::resolve(&Trig::params(), [("n", n)]).unwrap()).unwrap();
            let direct: f64 = (1..=w.n).map(|k| (k as f64).cos().abs() / k as f64).sum();
            let bound = w.abs_sum().unwrap();
            assert!(
                bound >= direct && bound < direct * 1.01,
                "{n}: {bound} vs {direct}"
            );
        }
    }
}
