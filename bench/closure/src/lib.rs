//! Σ log(k)/k^2.5 written as docs/PLUGINS.md's hand-written way does it: a
//! closure over `sum_terms`, compiled out of tree. Only a benchmark.

use gearbox_core::math::{log, pow};
use gearbox_core::sum::sum_terms;
use gearbox_core::{Dd, ParamKind, ParamSpec, Params, Series, Workload};

/// Σ log(k)/k^2.5 for k = 1..=n.
pub struct Closure {
    n: u64,
}

impl Workload for Closure {
    const NAME: &'static str = "closure";
    const ABOUT: &'static str = "benchmark: sum of log(k)/k^2.5 as a closure over sum_terms";

    fn params() -> Vec<ParamSpec> {
        vec![ParamSpec::new("n", ParamKind::Count, "1e8", "number of terms N")]
    }

    fn from_params(params: &Params) -> anyhow::Result<Self> {
        Ok(Closure {
            n: params.integer("n")?,
        })
    }
}

impl Series for Closure {
    fn range(&self) -> (u64, u64) {
        (1, self.n)
    }

    fn partial_sum(&self, first: u64, last: u64) -> Dd {
        sum_terms(first, last, |k| log(k) / pow(k, 2.5))
    }
}

gearbox_core::export_series!(Closure);
