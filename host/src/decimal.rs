//! f64 results as a person reads them: a plain decimal with every significant
//! digit, the same in the CLI's output and the library's messages.

/// `x` with 17 significant digits, as a plain decimal where that stays short
/// (1e-4 ≤ |x| < 1e16), otherwise in scientific notation; 17 digits identify
/// any f64 exactly.
pub fn decimal(x: f64) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_keep_seventeen_significant_digits() {
        assert_eq!(decimal(1.6449340668482264), "1.6449340668482264");
        assert_eq!(decimal(0.04201965387100967), "0.042019653871009671");
        assert_eq!(decimal(22.92067661926415), "22.920676619264150");
        assert_eq!(decimal(-1.3791079389591232e-11), "-1.3791079389591232e-11");
        assert_eq!(decimal(1e6), "1000000.0000000000");
        assert_eq!(decimal(0.0), "0");
        for x in [
            1.6449340668482264,
            0.04201965387100967,
            9.999999999999999e5,
            1e-4,
        ] {
            assert_eq!(
                decimal(x).parse::<f64>().unwrap(),
                x,
                "{x} does not round-trip"
            );
        }
    }
}
