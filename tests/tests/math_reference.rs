//! The double-double references of `gearbox_tests::reference` and `Dd`'s exp, ln,
//! powi and sin_cos against mpmath's values at 300 bits (tests/data/
//! math_reference.csv, written by tests/data/math_reference.py).

use gearbox_core::dd::Dd;
use gearbox_tests::reference::functions;

/// Relative tolerance: the references are double-double (≈ 2⁻¹⁰⁰) except where
/// a series with f64 coefficients bounds them near 2⁻⁶⁹; 1e-20 is 2⁻⁶⁶·⁴, a
/// thousandth of an ulp of f64.
const TOLERANCE: f64 = 1e-20;

fn rows() -> Vec<(String, f64, f64, Dd)> {
    let text = include_str!("../data/math_reference.csv");
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let num = |i: usize| f[i].parse::<f64>().unwrap_or_else(|e| panic!("{l}: {e}"));
            (f[0].to_string(), num(1), num(2), Dd::new(num(3), num(4)))
        })
        .collect()
}

/// |value − exact| within TOLERANCE·|exact|, or half the subnormal spacing
/// where the exact value is subnormal (a double-double is no finer there).
fn close(value: Dd, exact: Dd) -> bool {
    let diff = (value - exact).to_f64().abs();
    diff <= TOLERANCE * exact.to_f64().abs() + f64::from_bits(1) / 2.0
}

#[test]
fn references_agree_with_mpmath() {
    let functions = functions();
    let mut checked = 0;
    for (name, x, y, exact) in rows() {
        let Some(f) = functions.iter().find(|f| f.name == name) else {
            continue;
        };
        let r = (f.reference)(x, y);
        assert!(
            close(r, exact),
            "{name}({x:e}, {y:e}): {r:?}, mpmath {exact:?}"
        );
        checked += 1;
    }
    assert!(checked >= 23 * 50, "only {checked} rows");
}

#[test]
fn dd_functions_reach_double_double_accuracy() {
    let mut checked = 0;
    for (name, x, y, exact) in rows() {
        let v = match name.as_str() {
            "dd_exp" => Dd::from(x).exp(),
            "dd_ln" => Dd::from(x).ln(),
            "dd_powi" => Dd::from(x).powi(y as i64),
            "dd_sin" => Dd::from(x).sin_cos().0,
            "dd_cos" => Dd::from(x).sin_cos().1,
            _ => continue,
        };
        // 2⁻⁹⁸ relative (powi: its |n| multiplications).
        let tol = if name == "dd_powi" {
            64.0 * y.abs()
        } else {
            16.0
        } * 2f64.powi(-104);
        let diff = (v - exact).to_f64().abs();
        assert!(
            diff <= tol * exact.to_f64().abs(),
            "{name}({x:e}, {y}): {v:?}, mpmath {exact:?}"
        );
        checked += 1;
    }
    assert_eq!(checked, 500);
}
