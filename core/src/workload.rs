//! The workload contract: what to compute. A workload is one of a few *kinds*;
//! every backend implements each kind once, so a new workload of an existing kind
//! runs everywhere without touching the core or the backends.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::dd::Dd;
use crate::params::{ParamSpec, Params};

/// The kinds of work a backend knows how to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Σ term(k) over an inclusive u64 index range.
    Series,
    /// An element-wise map over an N-d grid, with checksums of the outputs.
    Grid,
}

/// What a workload library says about itself before any instance exists.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkloadInfo {
    /// Name used on the command line.
    pub name: String,
    /// Its kind.
    pub kind: Kind,
    /// One line saying what it computes.
    pub about: String,
    /// Declared parameters.
    pub params: Vec<ParamSpec>,
}

/// Behaviour shared by every kind of workload. Implement this and one kind
/// trait ([`Series`] or [`Grid`]), then export with
/// [`export_series!`](crate::export_series) or [`export_grid!`](crate::export_grid).
pub trait Workload: Sized + Send + Sync + 'static {
    /// Name used on the command line, e.g. `basel`.
    const NAME: &'static str;
    /// One line saying what it computes.
    const ABOUT: &'static str;

    /// The parameters it takes, with defaults and help.
    fn params() -> Vec<ParamSpec>;

    /// Builds an instance from checked parameters; an `Err` is shown to the user as
    /// one line (e.g. "--exclude must be a non-empty digit string").
    fn from_params(params: &Params) -> anyhow::Result<Self>;

    /// The exact result when it is known in closed form (series: the exact partial sum,
    /// rounded to f64).
    fn exact(&self) -> Option<f64> {
        None
    }

    /// The WGSL that runs this workload on the GPU, or `None` if it has no GPU kernel.
    /// What it must define depends on the kind; see `docs/PLUGINS.md`.
    fn wgsl(&self) -> Option<String> {
        None
    }

    /// Numbers the instance's WGSL reads from the params uniform besides its
    /// declared numeric parameters, as `params.<name>` (e.g. an expression's named
    /// constants): a new value then compiles no new shader. Names are plain
    /// (letters, digits, `_`) and differ from the declared parameters'.
    fn uniform_values(&self) -> Vec<(String, f64)> {
        Vec::new()
    }
}

/// A series: Σ term(k) over `first..=last`.
pub trait Series: Workload {
    /// The inclusive index range summed.
    fn range(&self) -> (u64, u64);

    /// Σ term(k) for k in `first..=last` (a sub-range of [`Series::range`]), as a
    /// compensated partial. Called once per chunk, so it may vectorise, skip excluded
    /// blocks or use recurrences.
    fn partial_sum(&self, first: u64, last: u64) -> Dd;

    /// An upper bound on Σ|term(k)| over the range, which scales the error bounds
    /// of `gearbox compare` and the test kit. Only needed when terms change sign
    /// (for positive terms the result itself is used).
    fn abs_sum(&self) -> Option<f64> {
        None
    }
}

/// The shape and fields of a grid workload instance.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridLayout {
    /// Sizes, outermost first (C order); slabs cut the first one.
    pub dims: Vec<u64>,
    /// Name of the coordinate axis along each dimension (also the `.npy` file it is read
    /// from, unless the name starts with `_`: [`GridLayout::is_unread_axis`]); empty for
    /// a grid without coordinates (e.g. a plain 1-d array).
    pub axes: Vec<String>,
    /// Input fields, each a full array of shape `dims`.
    pub inputs: Vec<String>,
    /// Output fields, each a full array of shape `dims`.
    pub outputs: Vec<String>,
    /// What the rounding error of an output is relative to, where it is not the
    /// output's own magnitude: output name → the outputs whose element-wise
    /// Euclidean norm bounds the error of each of its elements. An output whose
    /// value cancels needs one: sincos's `b_minus_1` = b − 1 is rounding noise
    /// around 0, but its error is a few ulps of b (`{"b_minus_1": ["b"]}`); a
    /// rotation's components are each accurate relative to the vector's length
    /// (`{"vx": ["vx", "vy", "vz"], …}`). Outputs not named here are relative to
    /// themselves. Backends are compared within this bound (`gearbox compare`, the
    /// test kit); see [`GridLayout::error_scale`]. Absent from the JSON of a
    /// library built before it existed, which reads as empty.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub error_scales: BTreeMap<String, Vec<String>>,
    /// Per axis, how many values a GPU shader reads for each point of it where it
    /// reads a table derived from the axis ([`Grid::axis_table`]: what depends on
    /// that axis alone, such as `sin(radians(lat))`, computed once per axis value)
    /// instead of the axis itself; 0, or no entry, is the axis itself.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub axis_tables: Vec<u32>,
}

impl GridLayout {
    /// Elements in the whole grid (of a layout that passed [`GridLayout::validate`]).
    pub fn len(&self) -> u64 {
        self.checked_len().unwrap_or(u64::MAX)
    }

    /// Elements in the whole grid, or `None` when the product overflows.
    pub fn checked_len(&self) -> Option<u64> {
        self.dims
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d))
    }

    /// Checks what a library declares before anything is sized from it: at least one
    /// dimension, no more axes than dimensions, field names that are non-empty,
    /// unique and usable as file names, and byte sizes that fit in 64 bits.
    pub fn validate(&self) -> Result<(), String> {
        if self.dims.is_empty() {
            return Err("grid layout has no dimensions".into());
        }
        if self.axes.len() > self.dims.len() {
            return Err(format!(
                "grid layout names {} axes for {} dimensions",
                self.axes.len(),
                self.dims.len()
            ));
        }
        let names: Vec<&String> = self
            .axes
            .iter()
            .chain(&self.inputs)
            .chain(&self.outputs)
            .collect();
        for (i, name) in names.iter().enumerate() {
            if !is_identifier(name) {
                return Err(format!(
                    "grid layout field name {name:?} is not a plain name (letters, digits, _ and -)"
                ));
            }
            if names[..i].contains(name) {
                return Err(format!("grid layout names field {name:?} twice"));
            }
        }
        for (output, scale) in &self.error_scales {
            if !self.outputs.contains(output) {
                return Err(format!(
                    "grid layout gives an error scale for {output:?}, which is not an output"
                ));
            }
            if scale.is_empty() {
                return Err(format!("grid layout gives {output:?} an empty error scale"));
            }
            if let Some(name) = scale.iter().find(|n| !self.outputs.contains(n)) {
                return Err(format!(
                    "grid layout scales the error of {output:?} by {name:?}, which is not an output"
                ));
            }
        }
        if self.axis_tables.len() > self.axes.len() {
            return Err(format!(
                "grid layout gives {} axis tables for {} axes",
                self.axis_tables.len(),
                self.axes.len()
            ));
        }
        let fields = (self.inputs.len() + self.outputs.len()).max(1) as u64;
        match self.checked_len().and_then(|n| n.checked_mul(8 * fields)) {
            Some(_) => Ok(()),
            None => Err(format!(
                "grid {:?} has more elements than 64-bit sizes can hold",
                self.dims
            )),
        }
    }

    /// The outputs (indices into [`GridLayout::outputs`]) whose element-wise
    /// Euclidean norm bounds the rounding error of output `i`: those its
    /// [`GridLayout::error_scales`] entry names, or `i` alone.
    pub fn error_scale(&self, i: usize) -> Vec<usize> {
        match self.outputs.get(i).and_then(|o| self.error_scales.get(o)) {
            Some(names) => names
                .iter()
                .filter_map(|n| self.outputs.iter().position(|o| o == n))
                .collect(),
            None => vec![i],
        }
    }

    /// True for an axis name starting with `_`: a dimension whose coordinate the
    /// workload does not read, so no `<name>.npy` is read for it (its values are
    /// 0, 1, 2, …).
    pub fn is_unread_axis(name: &str) -> bool {
        name.starts_with('_')
    }

    /// Values per point of axis `axis` in the table a GPU shader reads for it
    /// (0: the axis itself); see [`GridLayout::axis_tables`].
    pub fn axis_table_width(&self, axis: usize) -> u32 {
        self.axis_tables.get(axis).copied().unwrap_or(0)
    }

    /// True when some dimension is zero.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Elements in one row of the outermost dimension.
    pub fn row_len(&self) -> u64 {
        self.dims
            .get(1..)
            .unwrap_or_default()
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d))
            .unwrap_or(u64::MAX)
    }
}

/// True for a name made of ASCII letters, digits and `_`, starting with a letter
/// or `_`: a name a formula or a shader can use (constants, uniform values).
pub fn is_plain_name(name: &str) -> bool {
    is_identifier(name) && !name.contains('-')
}

/// True for a name made of ASCII letters, digits, `_` and `-`, starting with a
/// letter or `_` (workload, parameter and field names).
pub fn is_identifier(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The part of a grid a kernel works on: outer rows `rows`, with the full
/// coordinate axes and the slab's slice of every input field.
pub struct Slab<'a> {
    /// Outer rows covered.
    pub rows: Range<u64>,
    /// Full coordinate axes, one per dimension.
    pub axes: &'a [&'a [f64]],
    /// Each input field restricted to the slab (C order).
    pub inputs: &'a [&'a [f64]],
}

/// An element-wise map over a grid.
pub trait Grid: Workload {
    /// Shape and field names of this instance.
    fn layout(&self) -> GridLayout;

    /// Coordinates along each dimension, one vector per name in [`GridLayout::axes`]
    /// (used when no `--input` directory is given).
    fn axes(&self) -> Vec<Vec<f64>>;

    /// Generates the inputs of outer rows `rows` (used when no `--input` directory is given).
    fn fill_inputs(&self, rows: Range<u64>, axes: &[&[f64]], inputs: &mut [&mut [f64]]);

    /// Computes the outputs of one slab.
    fn map(&self, slab: &Slab<'_>, outputs: &mut [&mut [f64]]);

    /// The table a GPU shader reads in place of axis `axis`, from the axis's
    /// `values`: [`GridLayout::axis_table_width`] values per axis point, point by
    /// point. Only called for an axis whose width the layout sets above 0, so a
    /// workload that sets none need not implement it (the default has no values,
    /// which the caller refuses).
    fn axis_table(&self, axis: usize, values: &[f64]) -> Vec<f64> {
        let _ = (axis, values);
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(scales: &[(&str, &[&str])]) -> GridLayout {
        GridLayout {
            dims: vec![4],
            inputs: vec!["a".into()],
            outputs: vec!["b".into(), "c".into(), "d".into()],
            error_scales: scales
                .iter()
                .map(|(o, s)| (o.to_string(), s.iter().map(|n| n.to_string()).collect()))
                .collect(),
            ..GridLayout::default()
        }
    }

    #[test]
    fn error_scales_default_to_the_output_itself() {
        let l = layout(&[("c", &["b", "d"])]);
        assert_eq!(l.validate(), Ok(()));
        assert_eq!(l.error_scale(0), [0]);
        assert_eq!(l.error_scale(1), [0, 2]);
        assert_eq!(l.error_scale(2), [2]);
    }

    #[test]
    fn error_scales_name_outputs_only() {
        for (scales, why) in [
            (
                layout(&[("a", &["b"])]),
                "for \"a\", which is not an output",
            ),
            (layout(&[("b", &["a"])]), "by \"a\", which is not an output"),
            (layout(&[("b", &[])]), "an empty error scale"),
        ] {
            let e = scales.validate().unwrap_err();
            assert!(e.contains(why), "{e}");
        }
    }

    #[test]
    fn a_layout_without_error_scales_reads_as_before() {
        let old = r#"{"dims":[4],"axes":[],"inputs":["a"],"outputs":["b","c","d"]}"#;
        let read: GridLayout = serde_json::from_str(old).unwrap();
        assert_eq!(read, layout(&[]));
        assert_eq!(serde_json::to_string(&read).unwrap(), old);
    }
}
