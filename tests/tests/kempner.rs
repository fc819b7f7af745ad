//! Kempner on every backend against exact partial sums K(10^E, S), computed here
//! independently of the plugin (which enumerates admissible numbers block by
//! block): by brute force in double-double for 10⁶, and by a digit DP over the
//! power sums of admissible digit strings (Schmelzer–Baillie style) for 10⁸.

use gearbox_core::{BackendOptions, Dd};
use gearbox_host::kit::{self, Bound};

/// K(n, s) by brute force: every k tested with a string search, 1/k in double-double.
fn brute_force(n: u64, exclude: &str) -> Dd {
    (1..=n)
        .filter(|k| !k.to_string().contains(exclude))
        .fold(Dd::ZERO, |s, k| s + Dd::from(k as f64).recip())
}

/// The plain (non-KMP) automaton of `exclude`: state = the longest suffix of the
/// digits read that is a proper prefix of `exclude`, found by string comparison;
/// `None` once `exclude` has occurred.
fn next_state(exclude: &str, state: usize, digit: u8) -> Option<usize> {
    let read = format!("{}{}", &exclude[..state], digit);
    if read.ends_with(exclude) {
        return None;
    }
    (0..=state + 1)
        .rev()
        .find(|&len| len < exclude.len() && read.ends_with(&exclude[..len]))
}

/// K(10^e, s) by a digit DP. For each automaton state q and length L, the power
/// sums μ_m(q, L) = Σ t^m over the L-digit strings (leading zeros allowed) that do
/// not complete `exclude` when read from q, with t = string / 10^L ∈ [0, 1). Then
/// for a 2-digit head P read to state q, Σ 1/(P·10^L + s) = 10^−L Σ_m (−1)^m μ_m / P^{m+1}
/// (|t/P| ≤ 1/10, so 40 terms reach 10⁻⁴⁰).
fn digit_dp(e: u32, exclude: &str) -> Dd {
    const MOMENTS: usize = 40;
    let states = exclude.len();
    // (d/10)^k and 10^−k in double-double; binomials are exact in f64 up to C(39, 19).
    let power = |x: Dd, k: usize| (0..k).fold(Dd::from(1.0), |p, _| p * x);
    let tenth = Dd::from(1.0) / Dd::from(10.0);
    let digit_pow: Vec<Vec<Dd>> = (0..10)
        .map(|d| {
            (0..MOMENTS)
                .map(|k| power(Dd::from(f64::from(d)) * tenth, k))
                .collect()
        })
        .collect();
    let tenth_pow: Vec<Dd> = (0..MOMENTS).map(|k| power(tenth, k)).collect();
    let binomial =
        |m: usize, i: usize| (0..i).fold(1.0, |b, j| b * (m - j) as f64 / (j + 1) as f64);
    // by_length[L][q][m] = μ_m(q, L); length 0 holds only the empty string, t = 0.
    let mut empty = vec![Dd::ZERO; MOMENTS];
    empty[0] = Dd::from(1.0);
    let mut by_length = vec![vec![empty; states]];
    for len in 1..e as usize {
        // t = (d + t')/10: t^m = Σ_i C(m, i) (d/10)^{m−i} 10^{−i} t'^i.
        let mut mu = vec![vec![Dd::ZERO; MOMENTS]; states];
        for (q, out) in mu.iter_mut().enumerate() {
            for d in 0..10u8 {
                let Some(r) = next_state(exclude, q, d) else {
                    continue;
                };
                let shorter = &by_length[len - 1][r];
                for (m, slot) in out.iter_mut().enumerate() {
                    for i in 0..=m {
                        let coef = digit_pow[usize::from(d)][m - i] * tenth_pow[i];
                        *slot = *slot + shorter[i] * coef * Dd::from(binomial(m, i));
                    }
                }
            }
        }
        by_length.push(mu);
    }
    let state_of = |k: u64| -> Option<usize> {
        k.to_string()
            .bytes()
            .try_fold(0, |q, b| next_state(exclude, q, b - b'0'))
    };
    let mut total = Dd::ZERO;
    // One- and two-digit numbers directly.
    for k in 1..100u64.min(10u64.pow(e)) {
        if state_of(k).is_some() {
            total = total + Dd::from(k as f64).recip();
        }
    }
    // Numbers with 3..=e digits: a 2-digit head P and L = digits − 2 free digits.
    for len in 1..e.saturating_sub(1) {
        let mut block = Dd::ZERO;
        for p in 10..100u64 {
            let Some(q) = state_of(p) else { continue };
            let inv_p = Dd::from(p as f64).recip();
            let mut power = inv_p;
            for (m, moment) in by_length[len as usize][q].iter().enumerate() {
                let term = *moment * power;
                block = if m % 2 == 0 {
                    block + term
                } else {
                    block - term
                };
                power = power * inv_p;
            }
        }
        total = total + block * tenth_pow[len as usize];
    }
    // And 10^e itself.
    if state_of(10u64.pow(e)).is_some() {
        total = total + Dd::from(10f64.powi(e as i32)).recip();
    }
    total
}

#[test]
fn the_two_references_agree() {
    for exclude in ["9", "0", "42", "01", "314"] {
        for e in [2, 3, 5] {
            let n = 10u64.pow(e);
            let (a, b) = (brute_force(n, exclude), digit_dp(e, exclude));
            assert!(
                (a - b).to_f64().abs() < 1e-28,
                "{exclude} 1e{e}: {a:?} vs {b:?}"
            );
        }
    }
}

#[test]
fn small_and_1e6_within_bounds_on_every_backend() {
    for exclude in ["9", "0", "42"] {
        for n in [1u64, 9, 10, 99, 12_345, 1_000_000] {
            let reference = brute_force(n, exclude).to_f64();
            // Correctly rounded on the CPU; within 2 ulp on the GPU.
            let bound = Bound::ulps(0.0, 2.0);
            let reports = kit::check_series(
                "kempner",
                &[("n", &n.to_string()), ("exclude", exclude)],
                reference,
                bound,
            );
            assert!(reports.len() >= 2, "serial and rayon must both run");
        }
    }
}

/// 10⁸ on every backend (the GPU kernel tests every k's digits: about 1 s per
/// exclusion string on lavapipe).
#[test]
fn e8_within_bounds_on_every_backend() {
    for exclude in ["9", "0", "42"] {
        let reference = digit_dp(8, exclude).to_f64();
        let bound = Bound::ulps(0.0, 2.0);
        kit::check_series(
            "kempner",
            &[("n", "1e8"), ("exclude", exclude)],
            reference,
            bound,
        );
    }
}

#[test]
fn serial_and_rayon_agree_bit_for_bit_for_any_thread_count() {
    let params = [("n", "3e7"), ("exclude", "42")];
    let serial = kit::open_backend("serial", &BackendOptions::default()).expect("serial");
    let (expected, _) = kit::run_series(&serial, "kempner", &params).unwrap();
    for threads in [1, 2, 3, 7] {
        let options = BackendOptions {
            threads: Some(threads),
            ..BackendOptions::default()
        };
        let rayon = kit::open_backend("rayon", &options).expect("rayon");
        let (value, _) = kit::run_series(&rayon, "kempner", &params).unwrap();
        assert_eq!(
            value.to_bits(),
            expected.to_bits(),
            "{threads} threads: {value:e} vs serial {expected:e}"
        );
    }
}

#[test]
fn bad_exclusion_strings_are_one_line_errors() {
    let lib = kit::registry().workload("kempner").expect("kempner built");
    for bad in ["9a", "", "-9", "4 2"] {
        let e = lib
            .instantiate([("n", "100"), ("exclude", bad)])
            .err()
            .unwrap_or_else(|| panic!("{bad:?} accepted"));
        let msg = format!("{e:#}");
        assert!(
            msg.contains("--exclude must be a non-empty string of decimal digits"),
            "{msg}"
        );
        assert!(!msg.contains('\n'), "{msg}");
    }
}
