//! Numbers as a person reads them: results as plain decimals with every
//! significant digit, rates with an SI prefix and three digits.

/// `x` with 17 significant digits, as a plain decimal where that stays short
/// (1e-4 ≤ |x| < 1e16), otherwise in scientific notation; 17 digits identify
/// any f64 exactly.
pub fn value(x: f64) -> String {
    let scientific = format!("{x:.16e}");
    let Some((mantissa, exponent)) = scientific.split_once('e') else {
        return scientific; // inf, NaN
    };
    let exponent: i32 = exponent.parse().unwrap_or(i32::MAX);
    if x == 0.0 {
        return "0".into();
    }
    if !(-4..16).contains(&exponent) {
        return scientific;
    }
    let sign = if x < 0.0 { "-" } else { "" };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if exponent >= 0 {
        let (whole, fraction) = digits.split_at(exponent as usize + 1);
        if fraction.is_empty() {
            format!("{sign}{whole}")
        } else {
            format!("{sign}{whole}.{fraction}")
        }
    } else {
        let zeros = "0".repeat((-exponent - 1) as usize);
        format!("{sign}0.{zeros}{digits}")
    }
}

/// `x` `unit` with an SI prefix and three significant digits: `si(7.2732e9, "B/s")`
/// is "7.27 GB/s", `si(2.4481e9, " terms/s")` is "2.45 G terms/s".
pub fn si(x: f64, unit: &str) -> String {
    const PREFIXES: [(f64, &str); 5] = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, "")];
    let (scale, prefix) = PREFIXES
        .into_iter()
        .find(|&(scale, _)| x.abs() >= scale)
        .unwrap_or((1.0, ""));
    let scaled = x / scale;
    let decimals = if scaled.abs() >= 100.0 {
        0
    } else if scaled.abs() >= 10.0 {
        1
    } else {
        2
    };
    let unit = format!("{prefix}{unit}");
    format!("{scaled:.decimals$} {}", unit.trim_start())
}

/// Seconds with a unit that keeps three or more significant digits: "11.6 ms", "2.35 s".
pub fn seconds(s: f64) -> String {
    if s < 1e-3 {
        format!("{:.1} µs", s * 1e6)
    } else if s < 1.0 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{s:.3} s")
    }
}

/// Phase times as indented lines; a phase named "<part> <whole>" (e.g. "gpu
/// compute") is shown under phase <whole>, as the share of it that it is, so the
/// top-level lines add up to the run.
pub fn phases(phases: &[(String, f64)]) -> Vec<String> {
    fn parent<'a>(name: &'a str, phases: &[(String, f64)]) -> Option<&'a str> {
        name.rsplit_once(' ')
            .map(|(_, whole)| whole)
            .filter(|whole| phases.iter().any(|(n, _)| n == whole))
    }
    let mut lines = Vec::new();
    for (name, secs) in phases.iter().filter(|(n, _)| parent(n, phases).is_none()) {
        lines.push(format!("    {name:<14} {:>12}", seconds(*secs)));
        for (part, part_secs) in phases
            .iter()
            .filter(|(n, _)| parent(n, phases) == Some(name))
        {
            lines.push(format!(
                "      {part:<12} {:>12}   (within {name})",
                seconds(*part_secs)
            ));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_keep_seventeen_significant_digits() {
        assert_eq!(value(1.6449340668482264), "1.6449340668482264");
        assert_eq!(value(0.04201965387100967), "0.042019653871009671");
        assert_eq!(value(22.92067661926415), "22.920676619264150");
        assert_eq!(value(-1.3791079389591232e-11), "-1.3791079389591232e-11");
        assert_eq!(value(1e6), "1000000.0000000000");
        assert_eq!(value(0.0), "0");
        for x in [
            1.6449340668482264,
            0.04201965387100967,
            9.999999999999999e5,
            1e-4,
        ] {
            assert_eq!(
                value(x).parse::<f64>().unwrap(),
                x,
                "{x} does not round-trip"
            );
        }
    }

    #[test]
    fn rates_read_at_a_glance() {
        assert_eq!(si(7.2732e9, "B/s"), "7.27 GB/s");
        assert_eq!(si(2.4481e9, " terms/s"), "2.45 G terms/s");
        assert_eq!(si(312.0, " terms/s"), "312 terms/s");
        assert_eq!(seconds(0.011574), "11.6 ms");
        assert_eq!(seconds(2.3456), "2.346 s");
    }

    #[test]
    fn nested_phases_sit_under_their_whole() {
        let lines = phases(&[
            ("load".into(), 0.001),
            ("gpu compute".into(), 0.5),
            ("compute".into(), 0.6),
        ]);
        assert_eq!(lines.len(), 3);
        assert!(lines[0].contains("load"));
        assert!(lines[1].trim_start().starts_with("compute"));
        assert!(lines[2].contains("gpu compute") && lines[2].contains("within compute"));
    }
}
