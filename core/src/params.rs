//! Workload parameters: their declarations (shown by `gearbox list`, turned into
//! command-line flags) and the parsing of their values.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What values a parameter takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamKind {
    /// A positive integer count up to 2⁶⁴ − 1; accepts `1e9`, `1_000_000_000`, `1000000000`.
    Count,
    /// A non-negative integer (seeds, offsets); same syntax as `Count`, zero allowed.
    Integer,
    /// A finite floating-point number.
    Float,
    /// Free text, validated by the workload.
    Text,
}

impl ParamKind {
    /// The word used in help text for a value of this kind.
    pub fn placeholder(self) -> &'static str {
        match self {
            ParamKind::Count | ParamKind::Integer => "N",
            ParamKind::Float => "X",
            ParamKind::Text => "TEXT",
        }
    }
}

/// The declaration of one parameter of a workload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParamSpec {
    /// Flag name without dashes, e.g. `n` for `--n`.
    pub name: String,
    /// What values it takes.
    pub kind: ParamKind,
    /// Default value as the user would type it.
    pub default: String,
    /// One line of help.
    pub help: String,
}

impl ParamSpec {
    /// Declares a parameter.
    pub fn new(name: &str, kind: ParamKind, default: &str, help: &str) -> ParamSpec {
        ParamSpec {
            name: name.into(),
            kind,
            default: default.into(),
            help: help.into(),
        }
    }

    /// Checks a raw value against this parameter's kind; the error is one line naming the flag.
    pub fn check(&self, raw: &str) -> Result<(), String> {
        let flag = &self.name;
        match self.kind {
            ParamKind::Count => match parse_integer(raw) {
                Ok(0) => Err(format!(
                    "--{flag} must be positive (at least 1), got {raw:?}"
                )),
                Err(_) if raw.trim().starts_with('-') => Err(format!(
                    "--{flag} must be positive (at least 1), got {raw:?}"
                )),
                Ok(_) => Ok(()),
                Err(why) => Err(format!("--{flag}: {why}")),
            },
            ParamKind::Integer => parse_integer(raw)
                .map(drop)
                .map_err(|why| format!("--{flag}: {why}")),
            ParamKind::Float => match raw.trim().parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(()),
                _ => Err(format!("--{flag}: {raw:?} is not a finite number")),
            },
            ParamKind::Text => Ok(()),
        }
    }
}

/// Names a workload parameter may not take: the flags every front end gives the
/// same meaning (a parameter `--backend` would shadow the global `--backend`).
pub const RESERVED_NAMES: [&str; 17] = [
    "backend",
    "threads",
    "adapter",
    "json",
    "quiet",
    "profile",
    "repeat",
    "csv",
    "plot",
    "input",
    "output",
    "plugin-dir",
    "yes",
    "help",
    "version",
    "t",
    "b",
];

fn not_whole(raw: &str) -> String {
    format!("{raw:?} is not a whole number (write e.g. 1000000, 1_000_000 or 1e6)")
}

fn too_large(raw: &str) -> String {
    format!(
        "{raw:?} is larger than the largest supported value {}",
        u64::MAX
    )
}

/// Parses an unsigned integer written as `1000000000`, `1_000_000_000` or `1e9`
/// (also `2.5e6`, when the value is a whole number). Time and memory are linear
/// in the length of `raw`, whatever the exponent says.
pub fn parse_integer(raw: &str) -> Result<u64, String> {
    let s: String = raw.trim().chars().filter(|&c| c != '_').collect();
    if s.is_empty() {
        return Err("expected a whole number, got an empty value".into());
    }
    if s.starts_with('-') {
        return Err(format!("{raw:?} is negative; expected a whole number ≥ 0"));
    }
    let (mantissa, exponent) = s.split_once(['e', 'E']).unwrap_or((&s, "0"));
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits_ok = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    if (int_part.is_empty() && frac_part.is_empty())
        || exponent.is_empty()
        || !digits_ok(int_part)
        || !digits_ok(frac_part)
        || !digits_ok(exponent)
    {
        return Err(not_whole(raw));
    }
    // The value is 0.digits × 10^(int_part.len() + exponent): keep only the
    // significant digits, so "0e4294967295" and "1e99999999999" cost nothing.
    let frac_part = frac_part.trim_end_matches('0');
    let digits = format!("{int_part}{frac_part}");
    let significant = digits.trim_start_matches('0');
    if significant.is_empty() {
        return Ok(0);
    }
    let exponent = exponent.trim_start_matches('0');
    if exponent.len() > 4 {
        return Err(too_large(raw));
    }
    let exponent: usize = exponent.parse().unwrap_or(0);
    if frac_part.len() > exponent {
        return Err(format!("{raw:?} is not a whole number"));
    }
    // Digits of the value once the exponent is applied.
    if significant.len() + exponent - frac_part.len() > 20 {
        return Err(too_large(raw));
    }
    let mut value: u128 = 0;
    for b in significant.bytes() {
        value = value * 10 + u128::from(b - b'0');
    }
    for _ in 0..exponent - frac_part.len() {
        value *= 10;
    }
    u64::try_from(value).map_err(|_| too_large(raw))
}

/// Parameter values of one run, checked against the workload's declarations,
/// with the defaults filled in.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Params {
    values: BTreeMap<String, String>,
    /// The declarations the values were checked against (not sent across the ABI:
    /// the plugin side sets its own), so that reading a parameter that is not
    /// declared, or with the wrong accessor, is a clear error.
    #[serde(skip)]
    pub(crate) specs: Vec<ParamSpec>,
}

impl Params {
    /// Checks `given` (name → raw value) against `specs` and fills in defaults.
    /// Unknown names and malformed values are one-line errors.
    pub fn resolve<'a>(
        specs: &[ParamSpec],
        given: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Params, String> {
        let mut values = BTreeMap::new();
        for (name, raw) in given {
            let spec = specs.iter().find(|s| s.name == name).ok_or_else(|| {
                let known: Vec<String> = specs.iter().map(|s| format!("--{}", s.name)).collect();
                format!(
                    "unknown parameter --{name} (this workload takes {})",
                    known.join(", ")
                )
            })?;
            spec.check(raw)?;
            values.insert(name.to_string(), raw.to_string());
        }
        for spec in specs {
            if !values.contains_key(&spec.name) {
                spec.check(&spec.default)
                    .map_err(|why| format!("default of {why}"))?;
                values.insert(spec.name.clone(), spec.default.clone());
            }
        }
        Ok(Params {
            values,
            specs: specs.to_vec(),
        })
    }

    /// Adds `name = value`, a number the workload's WGSL reads from its params
    /// uniform without declaring it ([`crate::Workload::uniform_values`]).
    pub fn add_uniform_value(&mut self, name: &str, value: f64) -> anyhow::Result<()> {
        anyhow::ensure!(
            crate::workload::is_plain_name(name),
            "uniform value name {name:?} is not a plain name"
        );
        anyhow::ensure!(
            !self.values.contains_key(name),
            "uniform value {name:?} has the name of a parameter"
        );
        anyhow::ensure!(
            value.is_finite(),
            "uniform value {name} = {value} is not finite"
        );
        // Debug formatting is the shortest text that reads back as the same f64.
        self.values.insert(name.to_string(), format!("{value:?}"));
        Ok(())
    }

    /// Declares every value without a declaration as a `Float` (the uniform values
    /// that [`Params::add_uniform_value`] added), after the declared parameters.
    pub fn declare_uniform_values(&mut self) {
        let undeclared: Vec<ParamSpec> = self
            .values
            .keys()
            .filter(|k| !self.specs.iter().any(|s| &s.name == *k))
            .map(|k| ParamSpec::new(k, ParamKind::Float, "0", "uniform value"))
            .collect();
        self.specs.extend(undeclared);
    }

    /// The raw text of a parameter (of any kind).
    pub fn text(&self, name: &str) -> anyhow::Result<&str> {
        self.values.get(name).map(String::as_str).ok_or_else(|| {
            let declared: Vec<String> = self.values.keys().map(|k| format!("--{k}")).collect();
            crate::backend::Broken(format!(
                "from_params reads parameter --{name}, which params() does not declare (it declares {})",
                if declared.is_empty() {
                    "none".to_string()
                } else {
                    declared.join(", ")
                }
            ))
            .into()
        })
    }

    /// Refuses to read `name` with `reader` when it is declared with a kind not in `kinds`.
    fn read_as(&self, name: &str, reader: &str, kinds: &[ParamKind]) -> anyhow::Result<&str> {
        let raw = self.text(name)?;
        match self.specs.iter().find(|s| s.name == name) {
            Some(spec) if !kinds.contains(&spec.kind) => {
                let kinds: Vec<String> = kinds.iter().map(|k| format!("{k:?}")).collect();
                Err(crate::backend::Broken(format!(
                    "parameter --{name} is declared ParamKind::{:?}, but from_params reads it with Params::{reader}, which reads {} parameters",
                    spec.kind,
                    kinds.join(" or ")
                ))
                .into())
            }
            _ => Ok(raw),
        }
    }

    /// An integer parameter (`Count` or `Integer`).
    pub fn integer(&self, name: &str) -> anyhow::Result<u64> {
        let raw = self.read_as(name, "integer", &[ParamKind::Count, ParamKind::Integer])?;
        parse_integer(raw).map_err(|why| anyhow::anyhow!("--{name}: {why}"))
    }

    /// A floating-point parameter (`Float`, or a `Count` or `Integer` as an f64).
    pub fn float(&self, name: &str) -> anyhow::Result<f64> {
        let raw = self.read_as(
            name,
            "float",
            &[ParamKind::Float, ParamKind::Count, ParamKind::Integer],
        )?;
        raw.trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("--{name}: {raw:?} is not a number"))
    }

    /// All values, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_in_every_spelling() {
        assert_eq!(parse_integer("1000000000"), Ok(1_000_000_000));
        assert_eq!(parse_integer("1_000_000_000"), Ok(1_000_000_000));
        assert_eq!(parse_integer("1e9"), Ok(1_000_000_000));
        assert_eq!(parse_integer("2.5e3"), Ok(2500));
        assert_eq!(parse_integer("18446744073709551615"), Ok(u64::MAX));
    }

    #[test]
    fn exponents_are_not_loops() {
        let zeros = format!("0e{}", "9".repeat(100_000));
        assert_eq!(parse_integer(&zeros), Ok(0));
        assert_eq!(parse_integer("0e4294967295"), Ok(0));
        assert_eq!(parse_integer("0.000e99999999999"), Ok(0));
        assert!(
            parse_integer("1e99999999999")
                .unwrap_err()
                .contains("larger than")
        );
        assert_eq!(parse_integer("1.8446744073709551615e19"), Ok(u64::MAX));
    }

    #[test]
    fn bad_integers_are_refused() {
        for bad in [
            "",
            "-1",
            "abc",
            "1.5",
            "1e20",
            "18446744073709551616",
            "1e",
            "e5",
            "2.55e1",
        ] {
            assert!(parse_integer(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn resolve_fills_defaults_and_rejects_unknowns() {
        let specs = [ParamSpec::new("n", ParamKind::Count, "1e6", "terms")];
        let p = Params::resolve(&specs, []).unwrap();
        assert_eq!(p.integer("n").unwrap(), 1_000_000);
        let e = Params::resolve(&specs, [("m", "3")]).unwrap_err();
        assert!(e.contains("--m") && e.contains("--n"), "{e}");
        assert!(
            Params::resolve(&specs, [("n", "0")])
                .unwrap_err()
                .contains("at least 1")
        );
    }

    #[test]
    fn reading_an_undeclared_or_mistyped_parameter_names_it() {
        let specs = [
            ParamSpec::new("n", ParamKind::Count, "10", "terms"),
            ParamSpec::new("label", ParamKind::Text, "7", "a name"),
        ];
        let p = Params::resolve(&specs, []).unwrap();
        let e = p.integer("m").unwrap_err().to_string();
        assert_eq!(
            e,
            "from_params reads parameter --m, which params() does not declare (it declares --label, --n)"
        );
        let e = p.integer("label").unwrap_err().to_string();
        assert_eq!(
            e,
            "parameter --label is declared ParamKind::Text, but from_params reads it with Params::integer, which reads Count or Integer parameters"
        );
        assert!(p.float("label").is_err());
        assert_eq!(p.float("n").unwrap(), 10.0);
        assert_eq!(p.text("n").unwrap(), "10");
    }
}
