//! Numbers as a person reads them: rates with an SI prefix and three digits,
//! times with a unit (results: [`gearbox_host::decimal`]).

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
