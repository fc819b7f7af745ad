//! Σ term(k) for k = from..=N, the term a formula in k (docs/EXPRESSIONS.md):
//! `gearbox run series --term 'log(k)/k**p' --with p=2.5 --n 1e9`. Both kernels
//! come from the formula through gearbox-expr; this crate only reads parameters.

use gearbox_core::{Dd, ParamKind, ParamSpec, Params, Series, Workload};
use gearbox_expr::{SeriesTerm, parse_constants};

/// Σ term(k) for k in `first..=last`.
pub struct FormulaSeries {
    term: SeriesTerm,
    first: u64,
    last: u64,
    exact: Option<f64>,
}

impl Workload for FormulaSeries {
    const NAME: &'static str = "series";
    const ABOUT: &'static str =
        "sum of any term written as a formula in k, e.g. --term 'log(k)/k**p' --with p=2.5";

    fn params() -> Vec<ParamSpec> {
        vec![
            ParamSpec::new(
                "term",
                ParamKind::Text,
                "1/k**2",
                "the term, a formula in k (NumExpr syntax: + - * / **, sin, log, where, ...)",
            ),
            ParamSpec::new("n", ParamKind::Count, "1e9", "last index N"),
            ParamSpec::new("from", ParamKind::Integer, "1", "first index"),
            ParamSpec::new(
                "with",
                ParamKind::Text,
                "",
                "named constants of the term, e.g. 'p=2.5, q=3'",
            ),
            ParamSpec::new(
                "exact",
                ParamKind::Text,
                "",
                "the exact sum, if you know it (reported with the error in ulps)",
            ),
        ]
    }

    fn from_params(params: &Params) -> anyhow::Result<Self> {
        let constants = parse_constants(params.text("with")?)
            .map_err(|why| anyhow::anyhow!("--with: {why}"))?;
        let text = params.text("term")?;
        let term = SeriesTerm::new(text, &constants).map_err(|e| anyhow::anyhow!("--term: {e}"))?;
        let (first, last) = (params.integer("from")?, params.integer("n")?);
        anyhow::ensure!(
            first <= last,
            "--from {first} is past the last index --n {last}"
        );
        let exact = match params.text("exact")?.trim() {
            "" => None,
            raw => Some(
                raw.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| anyhow::anyhow!("--exact: {raw:?} is not a finite number"))?,
            ),
        };
        Ok(FormulaSeries {
            term,
            first,
            last,
            exact,
        })
    }

    fn exact(&self) -> Option<f64> {
        self.exact
    }

    fn wgsl(&self) -> Option<String> {
        Some(self.term.wgsl())
    }

    fn uniform_values(&self) -> Vec<(String, f64)> {
        self.term.uniform_values()
    }
}

impl Series for FormulaSeries {
    fn range(&self) -> (u64, u64) {
        (self.first, self.last)
    }

    fn partial_sum(&self, first: u64, last: u64) -> Dd {
        self.term.partial_sum(first, last)
    }
}

gearbox_core::export_series!(FormulaSeries);
