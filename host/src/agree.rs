//! Whether a run agrees with a reference run of the same workload: the error
//! bound that `gearbox compare`, the test kit ([`crate::kit`]) and Python's
//! `gearbox.compare` all apply, computed here and nowhere else.
//!
//! A backend's rounding error is bounded by `f·u` times a magnitude, u = 2⁻⁵³
//! the unit roundoff and f = 4 on a CPU, 16 on a GPU (whose sums run in another
//! order and whose elementary functions are separate implementations).
//!
//! **Series.** |value − target| ≤ f·u·Σ|term|, the target being the exact value
//! when the workload knows it and the reference run's value otherwise, and Σ|term|
//! the workload's declared bound (`abs_sum`), or |target|.
//!
//! **Grids** are compared by their checksums Σx and Σx². Each element x̂ᵢ of an
//! output is taken to be within c·u·sᵢ of the exact xᵢ, c = 16·f, where sᵢ is the
//! element's *error scale* ([`GridLayout::error_scale`]): the Euclidean norm of
//! the outputs the workload names for it at i, or |xᵢ| by default. With
//! Σsᵢ² = Σ over those outputs of their Σx² (from the reference's checksums):
//!
//! ```text
//! |ΔΣx|  ≤ c·u·Σsᵢ ≤ c·u·√(n·Σsᵢ²)                          (Cauchy–Schwarz)
//! |ΔΣx²| ≤ Σ|2xᵢδᵢ + δᵢ²| ≤ c·u·√(Σxᵢ²·Σsᵢ²) + (c·u)²·Σsᵢ²
//! ```
//!
//! (c carries a 16× margin over the per-element error: it covers both runs'
//! errors and the 2 of 2xᵢδᵢ.) By default, sᵢ = |xᵢ|, these are 16·f·u·√(n·Σx²)
//! and 16·f·u·Σx². An output whose value cancels, such as sincos's b − 1
//! (rounding noise around 0), needs its scale declared: bounded by its own
//! magnitude, two correct backends that round a few elements differently would
//! be reported as disagreeing by a factor of 10¹¹.

use anyhow::Context;
use gearbox_core::GridLayout;
use gearbox_core::dd::ulp_error;
use serde_json::Value;

use crate::grid::FieldChecksum;
use crate::instance::Instance;
use crate::job::Outcome;

/// Unit roundoff of f64.
const U: f64 = f64::EPSILON / 2.0;

/// Error bound factor (× u × magnitude) of a series on a CPU or a GPU backend.
fn factor(gpu: bool) -> f64 {
    if gpu { 16.0 } else { 4.0 }
}

/// How one run compares with the reference.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Agreement {
    /// A series.
    Series {
        /// Within the bound of the target (the exact value, or the reference's).
        agrees: bool,
        /// Distance from the reference run's value, in its ulps.
        vs_reference_ulps: f64,
        /// The absolute error bound.
        bound: f64,
    },
    /// A grid.
    Grid {
        /// Every checksum within its bound of the reference's.
        agrees: bool,
        /// The largest checksum deviation over its bound (infinite for NaN or a
        /// missing field).
        worst_fraction_of_bound: f64,
    },
}

impl Agreement {
    /// True when the run is within the error bound.
    pub fn agrees(&self) -> bool {
        match *self {
            Agreement::Series { agrees, .. } | Agreement::Grid { agrees, .. } => agrees,
        }
    }
}

/// True for a run on a GPU: its device has no thread count.
pub fn on_gpu(backend: &crate::OpenBackend) -> bool {
    backend.device.threads.is_none()
}

/// A series `value` against the `reference` run's value, or against `exact`
/// when it is known; `gpu`: the value was computed on a GPU.
pub fn series(
    instance: &Instance<'_>,
    reference: f64,
    value: f64,
    exact: Option<f64>,
    gpu: bool,
) -> anyhow::Result<Agreement> {
    let target = exact.unwrap_or(reference);
    let magnitude = instance.abs_sum()?.unwrap_or(target.abs());
    let bound = factor(gpu) * U * magnitude;
    Ok(Agreement::Series {
        agrees: (value - target).abs() <= bound,
        vs_reference_ulps: ulp_error(value, reference),
        bound,
    })
}

/// A grid run's checksums `got` against the `reference` run's, both in the
/// output order of `layout`, within the bounds of the module documentation.
pub fn grid(
    layout: &GridLayout,
    reference: &[FieldChecksum],
    got: &[FieldChecksum],
    gpu: bool,
) -> Agreement {
    let c = 16.0 * factor(gpu) * U;
    let n = layout.len() as f64;
    let mut worst: f64 = if got.len() == reference.len() && got.len() == layout.outputs.len() {
        0.0
    } else {
        f64::INFINITY
    };
    for (i, (g, r)) in got.iter().zip(reference).enumerate() {
        let scale_sq: f64 = layout
            .error_scale(i)
            .iter()
            .map(|&j| reference.get(j).map_or(f64::INFINITY, |s| s.sum_sq))
            .sum();
        let sum_bound = c * (n * scale_sq).sqrt();
        let sq_bound = c * (r.sum_sq * scale_sq).sqrt() + c * c * scale_sq;
        for (gap, bound) in [
            ((g.sum - r.sum).abs(), sum_bound),
            ((g.sum_sq - r.sum_sq).abs(), sq_bound),
        ] {
            let fraction = match gap / bound {
                _ if g.name != r.name => f64::INFINITY,
                _ if gap == 0.0 => 0.0,
                f if f.is_nan() => f64::INFINITY,
                f => f,
            };
            worst = worst.max(fraction);
        }
    }
    Agreement::Grid {
        agrees: worst <= 1.0,
        worst_fraction_of_bound: worst,
    }
}

/// Run outcome `got` against the `reference` run's, both of `instance`.
pub fn outcomes(
    instance: &Instance<'_>,
    reference: &Outcome,
    got: &Outcome,
    gpu: bool,
) -> anyhow::Result<Agreement> {
    match (got, reference) {
        (
            Outcome::Series { value, exact },
            Outcome::Series {
                value: reference, ..
            },
        ) => series(instance, *reference, *value, *exact, gpu),
        (Outcome::Grid(g), Outcome::Grid(r)) => {
            Ok(grid(&r.layout, &r.checksums, &g.checksums, gpu))
        }
        _ => anyhow::bail!("a series and a grid cannot be compared"),
    }
}

/// Run record `got` against the `reference` run's, both of `instance`, as
/// [`crate::json::run`] makes them (docs/JSON.md); a record whose `threads` is
/// null ran on a GPU. For front ends that keep runs as records (Python).
pub fn records(
    instance: &Instance<'_>,
    reference: &Value,
    got: &Value,
) -> anyhow::Result<Agreement> {
    let gpu = got["threads"].is_null();
    let number = |record: &Value, key: &str| record["result"][key].as_f64();
    match instance.info().kind {
        gearbox_core::Kind::Series => series(
            instance,
            number(reference, "value").unwrap_or(f64::NAN),
            number(got, "value").unwrap_or(f64::NAN),
            number(got, "exact"),
            gpu,
        ),
        gearbox_core::Kind::Grid => {
            let checksums = |record: &Value| -> anyhow::Result<Vec<FieldChecksum>> {
                serde_json::from_value(record["result"]["checksums"].clone())
                    .context("a run record without grid checksums")
            };
            Ok(grid(
                &instance.layout()?,
                &checksums(reference)?,
                &checksums(got)?,
                gpu,
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sums(fields: &[(&str, f64, f64)]) -> Vec<FieldChecksum> {
        fields
            .iter()
            .map(|&(name, sum, sum_sq)| FieldChecksum {
                name: name.into(),
                sum,
                sum_sq,
            })
            .collect()
    }

    fn sincos_layout(n: u64, scaled: bool) -> GridLayout {
        GridLayout {
            dims: vec![n],
            outputs: vec!["b".into(), "b_minus_1".into()],
            error_scales: if scaled {
                [("b_minus_1".into(), vec!["b".into()])].into()
            } else {
                Default::default()
            },
            ..GridLayout::default()
        }
    }

    #[test]
    fn rounding_noise_agrees_within_the_scale_of_the_field_it_cancels_from() {
        // sincos at 1e6 (issue 22): Σ(b − 1) from two correct implementations.
        let reference = sums(&[("b", 1e6, 1e6), ("b_minus_1", -1.379e-11, 7.5e-29)]);
        let gpu = sums(&[("b", 1e6, 1e6), ("b_minus_1", -1.342e-11, 7.1e-29)]);
        let scaled = grid(&sincos_layout(1_000_000, true), &reference, &gpu, true);
        assert!(scaled.agrees(), "{scaled:?}");
        let own = grid(&sincos_layout(1_000_000, false), &reference, &gpu, true);
        assert!(!own.agrees(), "{own:?}");
    }

    #[test]
    fn the_default_scale_is_the_outputs_own_magnitude() {
        let layout = GridLayout {
            dims: vec![100],
            outputs: vec!["x".into()],
            ..GridLayout::default()
        };
        let reference = sums(&[("x", 50.0, 100.0)]);
        // Σx bound: 16·4·u·√(100·100) = 64·u·100.
        let bound = 64.0 * U * 100.0;
        let near = sums(&[("x", 50.0 + 0.9 * bound, 100.0)]);
        let far = sums(&[("x", 50.0 + 1.1 * bound, 100.0)]);
        assert!(grid(&layout, &reference, &near, false).agrees());
        assert!(!grid(&layout, &reference, &far, false).agrees());
    }

    #[test]
    fn nan_and_missing_fields_never_agree() {
        let layout = sincos_layout(10, true);
        let reference = sums(&[("b", 10.0, 10.0), ("b_minus_1", 0.0, 0.0)]);
        let nan = sums(&[("b", f64::NAN, 10.0), ("b_minus_1", 0.0, 0.0)]);
        let short = sums(&[("b", 10.0, 10.0)]);
        for got in [nan, short] {
            let a = grid(&layout, &reference, &got, false);
            assert_eq!(
                a,
                Agreement::Grid {
                    agrees: false,
                    worst_fraction_of_bound: f64::INFINITY
                }
            );
        }
        let same = grid(&layout, &reference, &reference, false);
        assert!(same.agrees());
    }
}
