//! Where the ticks of an axis go and how they read: 1-2-5 steps on log axes,
//! powers of two, round linear steps, and powers of ten with superscripts.

/// `m × 10^e`, read back from its decimal text so that it prints as typed.
fn decimal(m: u32, e: i32) -> f64 {
    format!("{m}e{e}").parse().expect("a decimal number")
}

/// 1, 2, 5, 10, 20, 50… within `lo..hi`; 1, 2, 3, 5… when that gives fewer than three.
pub(super) fn one_two_five(lo: f64, hi: f64) -> Vec<f64> {
    let decades = lo.log10().floor() as i32..=hi.log10().ceil() as i32;
    let within = |mantissas: &[u32]| -> Vec<f64> {
        decades
            .clone()
            .flat_map(|e| mantissas.iter().map(move |&m| decimal(m, e)))
            .filter(|v| (lo..=hi).contains(v))
            .collect()
    };
    let ticks = within(&[1, 2, 5]);
    if ticks.len() >= 3 {
        ticks
    } else {
        within(&[1, 2, 3, 5])
    }
}

/// The largest of 1, 2, 5 × 10^k at or below `v`.
pub(super) fn snap_down(v: f64) -> f64 {
    let e = v.log10().floor() as i32;
    [5, 2, 1]
        .into_iter()
        .map(|m| decimal(m, e))
        .find(|&t| t <= v)
        .unwrap_or(decimal(1, e))
}

/// Powers of two within `lo..=hi`.
pub(super) fn powers_of_two(lo: f64, hi: f64) -> Vec<f64> {
    (-8..32)
        .map(|k| 2f64.powi(k))
        .filter(|v| (lo..=hi).contains(v))
        .collect()
}

/// A round step (1, 2 or 5 × 10^k) near `raw`.
pub(super) fn nice_step(raw: f64) -> f64 {
    let e = raw.log10().floor() as i32;
    [1, 2, 5, 10]
        .into_iter()
        .map(|m| decimal(m, e))
        .find(|&v| v >= raw)
        .unwrap_or(decimal(10, e))
}

/// A parameter value for a tick: 1000, 10⁷, 2.5×10⁸.
pub(super) fn pretty(v: f64) -> String {
    if v < 1e4 && v.fract() == 0.0 {
        return format!("{v}");
    }
    let e = v.log10().floor() as i32;
    let m: f64 = format!("{:.2}", v / 10f64.powi(e))
        .parse()
        .expect("a number");
    let power = format!("10{}", superscript(e));
    if m == 1.0 {
        power
    } else {
        format!("{m}×{power}")
    }
}

/// `e` in superscript digits: ⁻¹², ⁸.
fn superscript(e: i32) -> String {
    e.to_string()
        .chars()
        .map(|c| match c {
            '-' => '⁻',
            d => ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'][d as usize - '0' as usize],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_ticks_step_one_two_five_and_print_as_decimals() {
        let ticks: Vec<String> = one_two_five(0.003, 0.6)
            .iter()
            .map(|v| format!("{v}"))
            .collect();
        assert_eq!(
            ticks,
            ["0.005", "0.01", "0.02", "0.05", "0.1", "0.2", "0.5"]
        );
        let narrow: Vec<String> = one_two_five(0.011, 0.035)
            .iter()
            .map(|v| format!("{v}"))
            .collect();
        assert_eq!(narrow, ["0.02", "0.03"]);
    }

    #[test]
    fn parameter_ticks_read_as_powers_of_ten() {
        assert_eq!(pretty(1e9), "10⁹");
        assert_eq!(pretty(2.5e8), "2.5×10⁸");
        assert_eq!(pretty(300.0), "300");
    }
}
