//! Element-wise formulas over arrays, NumExpr-style, with NumPy broadcasting
//! (docs/EXPRESSIONS.md): `vz = cos(radians(lat))*vlat + sin(radians(lat))*vrad`
//! over full arrays (vlat, vrad), arrays along one dimension (lat) and scalars.
//! The kernels come from gearbox-expr; this crate reads parameters and generates
//! inputs when none are given.

use std::ops::Range;

use gearbox_core::params::parse_integer;
use gearbox_core::{Grid, GridLayout, ParamKind, ParamSpec, Params, Slab, Workload};
use gearbox_expr::{GridFormula, parse_constants};

/// Formulas over a grid.
pub struct Evaluate {
    formula: GridFormula,
    /// The axis file of each dimension (a placeholder where no operand lies along it).
    axes: Vec<String>,
}

/// `500x300x800` (or `1e8`) as sizes, outermost first.
fn parse_shape(text: &str) -> anyhow::Result<Vec<u64>> {
    text.split(['x', 'X', ','])
        .map(|part| match parse_integer(part) {
            Ok(0) | Err(_) => anyhow::bail!("--shape: {text:?} is not sizes like 500x300x800"),
            Ok(n) if n > u64::from(u32::MAX) => {
                anyhow::bail!("--shape: {n} is more than {} along one dimension", u32::MAX)
            }
            Ok(n) => Ok(n),
        })
        .collect()
}

/// `lat:0, lon:2` as (operand, dimension) pairs.
fn parse_axes(text: &str) -> anyhow::Result<Vec<(String, usize)>> {
    text.split([',', ' '])
        .filter(|s| !s.is_empty())
        .map(|pair| {
            let (name, d) = pair.split_once(':').ok_or_else(|| {
                anyhow::anyhow!("--axes: {pair:?} is not name:dimension (e.g. lat:0)")
            })?;
            let d = d.parse().map_err(|_| {
                anyhow::anyhow!("--axes: {pair:?}: {d:?} is not a dimension number")
            })?;
            Ok((name.to_string(), d))
        })
        .collect()
}

/// A uniform value in [0, 1) from `key` (SplitMix64): generated inputs.
fn uniform(key: u64) -> f64 {
    let mut z = key.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31)) as f64 * (1.0 / 18_446_744_073_709_551_616.0)
}

impl Workload for Evaluate {
    const NAME: &'static str = "evaluate";
    const ABOUT: &'static str = "element-wise formulas over arrays, e.g. --expr 'vz = cos(radians(lat))*vlat + sin(radians(lat))*vrad'";

    fn params() -> Vec<ParamSpec> {
        vec![
            ParamSpec::new(
                "expr",
                ParamKind::Text,
                "sin(twoPi*a)**2 + cos(twoPi*a)**2",
                "'name = formula' statements separated by ';' (a lone formula is the output 'out')",
            ),
            ParamSpec::new(
                "shape",
                ParamKind::Text,
                "1e6",
                "the arrays' shape, outermost first, e.g. 500x300x800",
            ),
            ParamSpec::new(
                "axes",
                ParamKind::Text,
                "",
                "operands that vary along one dimension only, e.g. 'lat:0, lon:2' (read from <name>.npy)",
            ),
            ParamSpec::new(
                "with",
                ParamKind::Text,
                "twoPi=6.283185307179586",
                "named constants, e.g. 'p=2.5, q=3'",
            ),
        ]
    }

    fn from_params(params: &Params) -> anyhow::Result<Self> {
        let mut dims = parse_shape(params.text("shape")?)?;
        let axes = parse_axes(params.text("axes")?)?;
        // A shape with fewer dimensions than the axes name is padded with ones (so
        // that `--input` can take the real shape from the files afterwards).
        if let Some(deepest) = axes
            .iter()
            .map(|(_, d)| d + 1)
            .max()
            .filter(|&n| n <= gearbox_expr::MAX_DIMS)
        {
            dims.resize(dims.len().max(deepest), 1);
        }
        let constants = parse_constants(params.text("with")?)
            .map_err(|why| anyhow::anyhow!("--with: {why}"))?;
        let formula = GridFormula::new(params.text("expr")?, &dims, &axes, &constants)
            .map_err(|e| anyhow::anyhow!("--expr: {e}"))?;
        let axes = if axes.is_empty() {
            Vec::new()
        } else {
            formula
                .axis_names()
                .iter()
                .enumerate()
                .map(|(d, name)| name.map_or_else(|| format!("_axis{d}"), str::to_string))
                .collect()
        };
        Ok(Evaluate { formula, axes })
    }

    fn wgsl(&self) -> Option<String> {
        Some(self.formula.wgsl(&self.axes))
    }

    fn uniform_values(&self) -> Vec<(String, f64)> {
        self.formula.uniform_values()
    }
}

impl Grid for Evaluate {
    fn layout(&self) -> GridLayout {
        self.formula.layout(&self.axes)
    }

    fn axis_table(&self, axis: usize, values: &[f64]) -> Vec<f64> {
        self.formula.axis_table(axis, values)
    }

    /// Generated axes: 0 to 1 evenly spaced.
    fn axes(&self) -> Vec<Vec<f64>> {
        self.axes
            .iter()
            .zip(self.formula.dims())
            .map(|(_, &n)| {
                (0..n)
                    .map(|i| i as f64 / n.max(2).saturating_sub(1) as f64)
                    .collect()
            })
            .collect()
    }

    /// Generated inputs: uniform in [0, 1), a fixed function of the field and point.
    fn fill_inputs(&self, rows: Range<u64>, _axes: &[&[f64]], inputs: &mut [&mut [f64]]) {
        let row_len: u64 = self.formula.dims()[1..].iter().product();
        let first = rows.start * row_len;
        for (f, field) in inputs.iter_mut().enumerate() {
            let salt = (f as u64 + 1) << 56;
            for (j, v) in field.iter_mut().enumerate() {
                *v = uniform(salt ^ (first + j as u64));
            }
        }
    }

    fn map(&self, slab: &Slab<'_>, outputs: &mut [&mut [f64]]) {
        self.formula.map(slab, outputs);
    }
}

gearbox_core::export_grid!(Evaluate);
