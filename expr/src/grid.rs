//! Element-wise formulas over a grid with NumPy broadcasting: full arrays of the
//! grid's shape, arrays along one dimension (an axis, such as latitude), and
//! scalars (constants). What depends on one axis only — `sin(radians(lat))` — is
//! computed once per value of that axis, not once per point; the rest runs over
//! the innermost dimension in blocks of lanes. The `evaluate` workload is a thin
//! shell over this.

use gearbox_core::{GridLayout, Slab};

use crate::cpu::{BLOCK, Evaluator};
use crate::error::ExprError;
use crate::program::{Node, Program, Scope, is_plain_name};
use crate::wgsl;

/// Most dimensions of a grid formula (the GPU's grid driver indexes three).
pub const MAX_DIMS: usize = 3;

/// Named outputs, each a formula, over a grid of `dims`.
#[derive(Clone, Debug)]
pub struct GridFormula {
    dims: Vec<u64>,
    /// Output names, in order.
    outputs: Vec<String>,
    /// Operands along one dimension: (name, dimension).
    axes: Vec<(String, usize)>,
    /// Operands of the grid's full shape, in order of first use.
    inputs: Vec<String>,
    constants: Vec<(String, f64)>,
    /// Per dimension: the program of the values that depend on it alone (lane 0
    /// is its axis, each output one hoisted value).
    hoisted: Vec<Option<Program>>,
    /// The values that depend on two dimensions of three (`sin(lat)*cos(lon)`),
    /// each set computed at its own shape.
    planes: Vec<Plane>,
    /// The CPU's per-point program, and where each of its lanes comes from.
    main: Program,
    sources: Vec<Source>,
    /// The GPU's per-point program (which computes the planes' values per point
    /// from the hoisted ones), and its lanes' sources.
    per_point: Program,
    per_point_sources: Vec<Source>,
}

/// Values that vary along two dimensions `dims` (outer first) of a
/// three-dimensional grid, computed once per point of those two, per slab.
#[derive(Clone, Debug)]
struct Plane {
    dims: [usize; 2],
    /// Lanes: values hoisted along those two dimensions; one output per value.
    program: Program,
    sources: Vec<Source>,
}

/// Where a lane of the per-point program comes from.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Source {
    /// Full-array input `i`.
    Input(usize),
    /// Value `j` of those hoisted along dimension `d`.
    Hoisted { d: usize, j: usize },
    /// The axis along dimension `d` itself, read per point (a one-dimensional
    /// grid's axis, which has the inputs' shape: nothing to hoist).
    Axis(usize),
    /// Value `j` of plane `p`.
    Plane { p: usize, j: usize },
}

/// Splits `name = formula` statements (separated by `;` or new lines); a lone
/// formula is the output `out`.
pub fn parse_statements(text: &str) -> Result<Vec<(String, String)>, ExprError> {
    let mut statements = Vec::new();
    let mut column = 1;
    for part in text.split([';', '\n']) {
        let at = column;
        column += part.chars().count() + 1;
        if part.trim().is_empty() {
            continue;
        }
        let chars: Vec<char> = part.chars().collect();
        let assign = (0..chars.len()).find(|&i| {
            chars[i] == '='
                && chars.get(i + 1) != Some(&'=')
                && !matches!(
                    i.checked_sub(1).map(|j| chars[j]),
                    Some('<' | '>' | '!' | '=')
                )
        });
        match assign {
            Some(i) => {
                let name: String = chars[..i].iter().collect::<String>().trim().to_string();
                if !is_plain_name(&name) {
                    return Err(ExprError::new(
                        format!("'{name}' is not a plain output name"),
                        at,
                    ));
                }
                if statements.iter().any(|(n, _)| n == &name) {
                    return Err(ExprError::new(
                        format!("output '{name}' is assigned twice"),
                        at,
                    ));
                }
                let formula: String = chars[i + 1..].iter().collect();
                statements.push((name, formula.trim().to_string()));
            }
            None if statements.is_empty() && !text.contains([';', '\n']) => {
                statements.push(("out".to_string(), part.trim().to_string()));
            }
            None => {
                return Err(ExprError::new("expected 'name = formula'", at)
                    .hint("separate several outputs with ';'"));
            }
        }
    }
    if statements.is_empty() {
        return Err(ExprError::new("no formula", 1));
    }
    Ok(statements)
}

/// The names a formula reads that are not functions or built-in constants,
/// in order of first use.
fn names_used(text: &str) -> Result<Vec<String>, ExprError> {
    fn walk(ast: &crate::Ast, out: &mut Vec<String>) {
        match ast {
            crate::Ast::Name { name, .. } => {
                if !out.contains(name) && !crate::CONSTANTS.iter().any(|(c, _)| c == name) {
                    out.push(name.clone());
                }
            }
            crate::Ast::Apply { args, .. } => args.iter().for_each(|a| walk(a, out)),
            crate::Ast::Number(_) => {}
        }
    }
    let mut out = Vec::new();
    walk(&crate::parse(text)?, &mut out);
    Ok(out)
}

impl GridFormula {
    /// Compiles `statements` (see [`parse_statements`]) over a grid of `dims`
    /// (outermost first): `axes` name the operands along one dimension, `constants`
    /// the scalars; every other name a formula reads is a full array (an input).
    pub fn new(
        text: &str,
        dims: &[u64],
        axes: &[(String, usize)],
        constants: &[(String, f64)],
    ) -> Result<GridFormula, ExprError> {
        let err = |why: String| ExprError::new(why, 1);
        if dims.is_empty() || dims.len() > MAX_DIMS {
            return Err(err(format!(
                "a grid has 1 to {MAX_DIMS} dimensions, not {}",
                dims.len()
            )));
        }
        for (name, d) in axes {
            if *d >= dims.len() {
                return Err(err(format!(
                    "axis {name} is along dimension {d}, but the grid has {}",
                    dims.len()
                )));
            }
            if axes.iter().filter(|(_, e)| e == d).count() > 1 {
                return Err(err(format!(
                    "two operands lie along dimension {d}; give all but one as full arrays"
                )));
            }
        }
        let statements = parse_statements(text)?;
        // An error in one of several formulas names its output (columns count
        // from the start of the formula).
        let named =
            statements.len() > 1 || !text.trim_start().starts_with(statements[0].1.as_str());
        let in_output = |name: &str, mut e: ExprError| {
            if named {
                e.message = format!("{name}: {}", e.message);
            }
            e
        };
        let mut inputs: Vec<String> = Vec::new();
        for (output, formula) in &statements {
            for name in names_used(formula).map_err(|e| in_output(output, e))? {
                let known = axes.iter().any(|(a, _)| a == &name)
                    || constants.iter().any(|(c, _)| c == &name);
                if !known && !inputs.contains(&name) {
                    inputs.push(name);
                }
            }
        }
        let lane_names: Vec<&str> = inputs
            .iter()
            .map(String::as_str)
            .chain(axes.iter().map(|(a, _)| a.as_str()))
            .collect();
        let uniform_names: Vec<&str> = constants.iter().map(|(c, _)| c.as_str()).collect();
        let scope = Scope::new(&lane_names, &uniform_names).map_err(err)?;
        for (name, formula) in &statements {
            Program::compile(&[formula], &scope).map_err(|e| in_output(name, e))?;
        }
        let formulas: Vec<&str> = statements.iter().map(|(_, f)| f.as_str()).collect();
        let whole = Program::compile(&formulas, &scope)?;

        // One bit per dimension: inputs vary along all, an axis along its own.
        let full = (1u32 << dims.len()) - 1;
        let lane_masks: Vec<u32> = inputs
            .iter()
            .map(|_| full)
            .chain(axes.iter().map(|(_, d)| 1 << d))
            .collect();
        let masks = whole.masks(&lane_masks);
        // A value is hoisted when it varies along one dimension and something that
        // varies along more (or an output) reads it.
        let mut read_wider = vec![false; whole.nodes.len()];
        for (i, node) in whole.nodes.iter().enumerate() {
            for &a in node.args() {
                read_wider[a] |= masks[i] != masks[a];
            }
        }
        for &o in &whole.outputs {
            read_wider[o] = true;
        }
        let lane_node = |l: usize| whole.nodes.iter().position(|n| *n == Node::Lane(l));
        let roots_of = |mask: u32| -> Vec<usize> {
            (0..whole.nodes.len())
                .filter(|&i| masks[i] == mask && mask != full && read_wider[i])
                .collect()
        };
        // Lanes of the per-point programs, as (node of `whole`, source): the
        // inputs, the values hoisted along one axis, the axes read per point.
        let mut lanes: Vec<(usize, Source)> = (0..inputs.len())
            .map(|i| (lane_node(i).unwrap_or(usize::MAX), Source::Input(i)))
            .collect();
        let mut hoisted = Vec::new();
        for d in 0..dims.len() {
            let roots = roots_of(1 << d);
            match axes.iter().position(|(_, e)| *e == d) {
                Some(a) if !roots.is_empty() => {
                    let axis_node =
                        lane_node(inputs.len() + a).expect("a root along an axis reads it");
                    let scope = Scope::new(&[axes[a].0.as_str()], &uniform_names).map_err(err)?;
                    hoisted.push(Some(
                        whole.extract(&roots, &[axis_node], scope).map_err(err)?,
                    ));
                    let hoisted_lanes = roots.iter().enumerate();
                    lanes.extend(hoisted_lanes.map(|(j, &r)| (r, Source::Hoisted { d, j })));
                }
                _ => hoisted.push(None),
            }
        }
        for (a, (_, d)) in axes.iter().enumerate() {
            if let (None, Some(node)) = (&hoisted[*d], lane_node(inputs.len() + a)) {
                lanes.push((node, Source::Axis(*d)));
            }
        }
        let extract = |roots: &[usize], lanes: &[(usize, Source)]| {
            let nodes: Vec<usize> = lanes.iter().map(|(n, _)| *n).collect();
            let names: Vec<String> = nodes.iter().map(|n| format!("_v{n}")).collect();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let scope = Scope::new(&names, &uniform_names).map_err(err)?;
            whole.extract(roots, &nodes, scope).map_err(err)
        };
        let per_point = extract(&whole.outputs, &lanes)?;
        // On a grid of three dimensions, what varies along two of them is computed
        // at its own shape from the values hoisted along those two.
        let mut planes = Vec::new();
        let mut main_lanes = lanes.clone();
        if dims.len() == 3 {
            for plane in [[0, 1], [0, 2], [1, 2]] {
                let roots = roots_of(1 << plane[0] | 1 << plane[1]);
                if roots.is_empty() {
                    continue;
                }
                let from: Vec<(usize, Source)> = lanes
                    .iter()
                    .filter(|(_, s)| matches!(s, Source::Hoisted { d, .. } if plane.contains(d)))
                    .copied()
                    .collect();
                let p = planes.len();
                planes.push(Plane {
                    dims: plane,
                    program: extract(&roots, &from)?,
                    sources: from.iter().map(|(_, s)| *s).collect(),
                });
                let plane_lanes = roots.iter().enumerate();
                main_lanes.extend(plane_lanes.map(|(j, &r)| (r, Source::Plane { p, j })));
            }
        }
        // The CPU's per-point program reads only the lanes it needs: a value
        // hoisted along one axis may now be read by the planes alone.
        let main = extract(&whole.outputs, &main_lanes)?;
        let used = main.lanes_read();
        main_lanes = main_lanes
            .into_iter()
            .enumerate()
            .filter(|(l, _)| used[*l])
            .map(|(_, lane)| lane)
            .collect();
        let main = extract(&whole.outputs, &main_lanes)?;
        Ok(GridFormula {
            dims: dims.to_vec(),
            outputs: statements.into_iter().map(|(n, _)| n).collect(),
            axes: axes.to_vec(),
            inputs,
            constants: constants.to_vec(),
            hoisted,
            planes,
            main,
            sources: main_lanes.iter().map(|(_, s)| *s).collect(),
            per_point,
            per_point_sources: lanes.iter().map(|(_, s)| *s).collect(),
        })
    }

    /// The grid's sizes, outermost first.
    pub fn dims(&self) -> &[u64] {
        &self.dims
    }

    /// The output names, in order.
    pub fn outputs(&self) -> &[String] {
        &self.outputs
    }

    /// The full-array operands, in order of first use.
    pub fn inputs(&self) -> &[String] {
        &self.inputs
    }

    /// The axis operand along each dimension, if any.
    pub fn axis_names(&self) -> Vec<Option<&str>> {
        (0..self.dims.len())
            .map(|d| {
                self.axes
                    .iter()
                    .find(|(_, e)| *e == d)
                    .map(|(a, _)| a.as_str())
            })
            .collect()
    }

    /// How many values are hoisted out of the per-point loop along each dimension.
    pub fn hoisted_counts(&self) -> Vec<usize> {
        self.hoisted
            .iter()
            .map(|h| h.as_ref().map_or(0, |p| p.outputs.len()))
            .collect()
    }

    /// The layout of a grid workload that maps with these formulas, its axes named
    /// `axes` (one per dimension; a name starting with `_` reads no file): the
    /// formulas' inputs and outputs, and the width of each axis's table
    /// ([`GridFormula::axis_table`]), which the GPU kernel ([`GridFormula::wgsl`])
    /// reads in place of the axis. A plugin adds what else it declares
    /// (`error_scales`) with `..formula.layout(axes)`.
    pub fn layout(&self, axes: &[String]) -> GridLayout {
        GridLayout {
            dims: self.dims.clone(),
            axes: axes.to_vec(),
            inputs: self.inputs.clone(),
            outputs: self.outputs.clone(),
            axis_tables: if axes.is_empty() {
                Vec::new()
            } else {
                self.hoisted_counts().iter().map(|&n| n as u32).collect()
            },
            ..GridLayout::default()
        }
    }

    fn constant_values(&self) -> Vec<f64> {
        self.constants.iter().map(|(_, v)| *v).collect()
    }

    /// The values hoisted along dimension `d` over its whole axis `axis`, one
    /// vector per hoisted value (`Source::Hoisted`'s `j`).
    fn hoist(&self, d: usize, axis: &[f64], constants: &[f64]) -> Vec<Vec<f64>> {
        let Some(program) = &self.hoisted[d] else {
            return Vec::new();
        };
        let mut values = vec![vec![0.0; axis.len()]; program.outputs.len()];
        let mut evaluator = Evaluator::new(program, constants);
        for start in (0..axis.len()).step_by(BLOCK) {
            let len = (axis.len() - start).min(BLOCK);
            evaluator.eval(&[&axis[start..]], len, |results| {
                for (to, v) in values.iter_mut().zip(results) {
                    to[start..start + len].copy_from_slice(v);
                }
            });
        }
        values
    }

    /// The table the GPU kernel reads in place of the axis along dimension `d`
    /// (whose values are `axis`): the values hoisted along it, point by point —
    /// `sin(radians(lat))` and `cos(radians(lat))` for each latitude — computed
    /// once per run by the CPU kernel's own code, so that every backend computes
    /// what depends on one axis alone once per axis value, with the same bits.
    /// A plugin's [`Grid::axis_table`](gearbox_core::Grid::axis_table) returns it.
    pub fn axis_table(&self, d: usize, axis: &[f64]) -> Vec<f64> {
        if d >= self.hoisted.len() {
            return Vec::new();
        }
        let values = self.hoist(d, axis, &self.constant_values());
        (0..axis.len())
            .flat_map(|i| values.iter().map(move |v| v[i]))
            .collect()
    }

    /// The values of `plane` over the outer rows `rows` (when the plane spans
    /// dimension 0; else over all of its first dimension), one vector per value,
    /// C order over the plane's two dimensions.
    fn plane(
        &self,
        plane: &Plane,
        hoisted: &[Vec<Vec<f64>>],
        rows: &std::ops::Range<u64>,
        constants: &[f64],
    ) -> Vec<Vec<f64>> {
        let [a, b] = plane.dims;
        let (first, outer) = match a {
            0 => (rows.start as usize, (rows.end - rows.start) as usize),
            _ => (0, self.dims[a] as usize),
        };
        let inner = self.dims[b] as usize;
        let mut values = vec![vec![0.0; outer * inner]; plane.program.outputs.len()];
        let mut evaluator = Evaluator::new(&plane.program, constants);
        let mut fills = vec![vec![0.0; BLOCK]; plane.sources.len()];
        for i in 0..outer {
            for start in (0..inner).step_by(BLOCK) {
                let len = (inner - start).min(BLOCK);
                let mut lanes: Vec<&[f64]> = Vec::with_capacity(fills.len());
                for (source, fill) in plane.sources.iter().zip(&mut fills) {
                    let Source::Hoisted { d, j } = *source else {
                        unreachable!("a plane reads hoisted values")
                    };
                    if d == b {
                        lanes.push(&hoisted[d][j][start..]);
                    } else {
                        fill[..len].fill(hoisted[d][j][first + i]);
                        lanes.push(fill);
                    }
                }
                evaluator.eval(&lanes, len, |results| {
                    for (to, v) in values.iter_mut().zip(results) {
                        to[i * inner + start..i * inner + start + len].copy_from_slice(v);
                    }
                });
            }
        }
        values
    }

    /// The outputs of the outer rows of `slab` (its axes in dimension order, its
    /// inputs in [`GridFormula::inputs`] order), written into `outputs`.
    pub fn map(&self, slab: &Slab<'_>, outputs: &mut [&mut [f64]]) {
        let constants = self.constant_values();
        // What depends on one axis: each program over its whole axis; on two: over
        // the plane of the slab's rows. Once per slab.
        let hoisted: Vec<Vec<Vec<f64>>> = (0..self.dims.len())
            .map(|d| self.hoist(d, slab.axes.get(d).copied().unwrap_or_default(), &constants))
            .collect();
        let planes: Vec<Vec<Vec<f64>>> = self
            .planes
            .iter()
            .map(|p| self.plane(p, &hoisted, &slab.rows, &constants))
            .collect();
        let last = self.dims.len() - 1;
        let line = self.dims[last] as usize;
        let strides: Vec<usize> = (0..self.dims.len())
            .map(|d| self.dims[d + 1..].iter().product::<u64>() as usize)
            .collect();
        let mut evaluator = Evaluator::new(&self.main, &constants);
        let mut fills = vec![vec![0.0; BLOCK]; self.main.scope.lanes.len()];
        let first = slab.rows.start as usize * strides[0];
        let count = (slab.rows.end - slab.rows.start) as usize * strides[0];
        // Lines along the innermost dimension (for one dimension, the slab's range).
        let mut at = 0;
        while at < count {
            let global = first + at;
            let index = |d: usize| global / strides[d] % self.dims[d] as usize;
            let in_line = global % line;
            let span = (line - in_line).min(count - at);
            for start in (0..span).step_by(BLOCK) {
                let len = (span - start).min(BLOCK);
                let offset = at + start;
                let mut lanes: Vec<&[f64]> = Vec::with_capacity(fills.len());
                for (source, fill) in self.sources.iter().zip(&mut fills) {
                    // The values, where this line starts in them, and whether they
                    // vary along it.
                    let (values, at_line, along) = match *source {
                        Source::Input(i) => (slab.inputs[i], at, true),
                        Source::Hoisted { d, j } => (&hoisted[d][j][..], index(d), d == last),
                        Source::Axis(d) => (slab.axes[d], index(d), d == last),
                        Source::Plane { p, j } => {
                            let [a, b] = self.planes[p].dims;
                            let row = index(a) - if a == 0 { slab.rows.start as usize } else { 0 };
                            let inner = self.dims[b] as usize;
                            (&planes[p][j][..], row * inner + index(b), b == last)
                        }
                    };
                    if along {
                        lanes.push(&values[at_line + start..]);
                    } else {
                        fill[..len].fill(values[at_line]);
                        lanes.push(fill);
                    }
                }
                evaluator.eval(&lanes, len, |values| {
                    for (out, v) in outputs.iter_mut().zip(values) {
                        out[offset..offset + len].copy_from_slice(v);
                    }
                });
            }
            at += span;
        }
    }

    /// WGSL defining `grid_point(p: GridPoint)` for the wgpu backend's grid driver:
    /// inputs read from `in_<name>[p.local]`, the values hoisted along a dimension
    /// from that dimension's axis binding `axis_<name>` (`axis_names`, one per
    /// dimension), which holds the dimension's [`GridFormula::axis_table`] (as the
    /// [`GridFormula::layout`] declares), constants from the params uniform
    /// ([`GridFormula::uniform_values`]). Only the per-point program runs per point.
    pub fn wgsl(&self, axis_names: &[String]) -> String {
        let component = ["x", "y", "z"];
        let (lets, outputs) = wgsl::body(
            &self.per_point,
            |l| {
                // The driver's idx holds dimension d in component d (x outermost).
                let at = |d: usize| format!("axis_{}[p.idx.{}", axis_names[d], component[d]);
                match self.per_point_sources[l] {
                    Source::Input(i) => format!("in_{}[p.local]", self.inputs[i]),
                    Source::Hoisted { d, j } => {
                        let width = self.hoisted_counts()[d];
                        format!("{} * {width}u + {j}u]", at(d))
                    }
                    Source::Axis(d) => format!("{}]", at(d)),
                    Source::Plane { .. } => unreachable!("the GPU computes planes per point"),
                }
            },
            |u| format!("params.c_{}", self.constants[u].0),
        );
        let stores: String = self
            .outputs
            .iter()
            .zip(&outputs)
            .map(|(name, v)| format!("    out_{name}[p.local] = {v};\n"))
            .collect();
        format!(
            "// Generated by gearbox-expr from element-wise formulas.\nfn grid_point(p: GridPoint) {{\n{lets}{stores}}}\n"
        )
    }

    /// The constants as the params uniform carries them (`c_<name>`).
    pub fn uniform_values(&self) -> Vec<(String, f64)> {
        self.constants
            .iter()
            .map(|(n, v)| (format!("c_{n}"), *v))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(
        f: &GridFormula,
        axes: &[&[f64]],
        inputs: &[&[f64]],
        rows: std::ops::Range<u64>,
    ) -> Vec<Vec<f64>> {
        let n = (rows.end - rows.start) as usize * f.dims()[1..].iter().product::<u64>() as usize;
        let mut outs = vec![vec![0.0; n]; f.outputs().len()];
        let mut refs: Vec<&mut [f64]> = outs.iter_mut().map(|v| v.as_mut_slice()).collect();
        f.map(&Slab { rows, axes, inputs }, &mut refs);
        outs
    }

    #[test]
    fn statements_split_at_assignments_not_comparisons() {
        let s = parse_statements("vz = where(a <= b, a == b, a != b); w=1").unwrap();
        assert_eq!(
            s[0],
            (
                "vz".to_string(),
                "where(a <= b, a == b, a != b)".to_string()
            )
        );
        assert_eq!(s[1].0, "w");
        assert_eq!(parse_statements("a == b").unwrap()[0].0, "out");
        assert!(
            parse_statements("x = 1; 2")
                .unwrap_err()
                .message
                .contains("name = formula")
        );
        assert!(
            parse_statements("x = 1; x = 2")
                .unwrap_err()
                .message
                .contains("twice")
        );
    }

    #[test]
    fn axis_only_values_are_hoisted_and_match_the_point_by_point_formula() {
        // (lat, r, lon) = (3, 2, 5), lat along dimension 0 and lon along 2.
        let dims = [3u64, 2, 5];
        let axes = vec![("lat".to_string(), 0), ("lon".to_string(), 2)];
        let f = GridFormula::new(
            "vz = cos(radians(lat))*vlat + sin(radians(lat))*vrad; vx = -sind(lon)*vlat + lat",
            &dims,
            &axes,
            &[],
        )
        .unwrap();
        assert_eq!(f.inputs(), ["vlat", "vrad"]);
        // cos(radians(lat)), sin(radians(lat)), lat; sind(lon) negated.
        assert_eq!(f.hoisted_counts(), [3, 0, 1]);
        let lat = [-90.0, 0.0, 45.0];
        let r = [1.0, 2.0];
        let lon = [0.0, 90.0, 180.0, 270.0, 360.0];
        let vlat: Vec<f64> = (0..30).map(|i| i as f64 * 0.1).collect();
        let vrad: Vec<f64> = (0..30).map(|i| 1.0 - i as f64 * 0.01).collect();
        for rows in [0..3, 1..3, 2..3] {
            let from = rows.start as usize * 10;
            let outs = run(
                &f,
                &[&lat, &r, &lon],
                &[&vlat[from..], &vrad[from..]],
                rows.clone(),
            );
            for (j, (vz, vx)) in outs[0].iter().zip(&outs[1]).enumerate() {
                let g = from + j;
                let (i, k) = (g / 10, g % 5);
                let m = gearbox_core::math::radians(lat[i]);
                let want_z =
                    gearbox_core::math::cos(m) * vlat[g] + gearbox_core::math::sin(m) * vrad[g];
                let want_x = -gearbox_core::math::sind(lon[k]) * vlat[g] + lat[i];
                assert_eq!(
                    (vz.to_bits(), vx.to_bits()),
                    (want_z.to_bits(), want_x.to_bits()),
                    "point {g}"
                );
            }
        }
    }

    #[test]
    fn values_along_two_dimensions_are_computed_at_their_own_shape() {
        use gearbox_core::math::{cos, radians, sin, sind};
        let dims = [3u64, 4, 5];
        let axes = vec![("lat".into(), 0), ("r".into(), 1), ("lon".into(), 2)];
        let f = GridFormula::new(
            "vx = sin(radians(lat))*cos(radians(lon))*vlat + r*cos(lat) + vrad; vy = r*sind(lon)*vrad",
            &dims,
            &axes,
            &[],
        )
        .unwrap();
        // (lat, lon), (lat, r) and (r, lon) each once per slab, not per point.
        let planes: Vec<[usize; 2]> = f.planes.iter().map(|p| p.dims).collect();
        assert_eq!(planes, [[0, 1], [0, 2], [1, 2]]);
        let lat = [-80.0, 10.0, 45.0];
        let r = [1.0, 1.5, 2.0, 2.5];
        let lon = [0.0, 72.0, 144.0, 216.0, 288.0];
        let vlat: Vec<f64> = (0..60).map(|i| (i as f64 * 0.7).sin()).collect();
        let vrad: Vec<f64> = (0..60).map(|i| 1.0 + i as f64 * 0.03).collect();
        for rows in [0..3, 1..2, 2..3] {
            let from = rows.start as usize * 20;
            let outs = run(
                &f,
                &[&lat, &r, &lon],
                &[&vlat[from..], &vrad[from..]],
                rows.clone(),
            );
            for (j, (vx, vy)) in outs[0].iter().zip(&outs[1]).enumerate() {
                let g = from + j;
                let (i, m, k) = (g / 20, g / 5 % 4, g % 5);
                let want_x = sin(radians(lat[i])) * cos(radians(lon[k])) * vlat[g]
                    + r[m] * cos(lat[i])
                    + vrad[g];
                let want_y = r[m] * sind(lon[k]) * vrad[g];
                assert_eq!(
                    (vx.to_bits(), vy.to_bits()),
                    (want_x.to_bits(), want_y.to_bits()),
                    "point {g} of rows {rows:?}"
                );
            }
        }
        // The GPU computes the products per point from the axes' tables.
        let wgsl = f.wgsl(&["lat", "r", "lon"].map(String::from));
        assert!(!wgsl.contains("sin") && wgsl.contains("axis_r["), "{wgsl}");
    }

    #[test]
    fn the_gpu_kernel_reads_hoisted_values_from_axis_tables() {
        let dims = [3u64, 2, 5];
        let axes = vec![("lat".to_string(), 0), ("lon".to_string(), 2)];
        let f = GridFormula::new(
            "vz = cos(radians(lat))*vlat + sin(radians(lat))*vrad; vx = -sind(lon)*vlat",
            &dims,
            &axes,
            &[],
        )
        .unwrap();
        let names: Vec<String> = ["lat", "_axis1", "lon"].map(String::from).into();
        assert_eq!(f.layout(&names).axis_tables, [2, 0, 1]);
        // Point by point: each latitude's hoisted values side by side, bit for bit
        // what the CPU kernel computes.
        let lat = [-90.0, 0.0, 45.0];
        let table = f.axis_table(0, &lat);
        let m: Vec<f64> = lat
            .iter()
            .map(|&x| gearbox_core::math::radians(x))
            .collect();
        let want: Vec<f64> = m
            .iter()
            .flat_map(|&m| [gearbox_core::math::cos(m), gearbox_core::math::sin(m)])
            .collect();
        assert_eq!(table, want);
        assert!(f.axis_table(1, &[1.0, 2.0]).is_empty());
        let lon = [0.0, 90.0, 180.0, 270.0, 360.0];
        let want: Vec<f64> = lon.iter().map(|&x| -gearbox_core::math::sind(x)).collect();
        assert_eq!(f.axis_table(2, &lon), want);
        // The per-point WGSL reads the tables and computes no sine or cosine.
        let wgsl = f.wgsl(&names);
        assert!(wgsl.contains("axis_lat[p.idx.x * 2u + 0u]"), "{wgsl}");
        assert!(wgsl.contains("axis_lat[p.idx.x * 2u + 1u]"), "{wgsl}");
        assert!(wgsl.contains("axis_lon[p.idx.z * 1u + 0u]"), "{wgsl}");
        for f in ["sin", "cos", "radians"] {
            assert!(!wgsl.contains(f), "{f} per point: {wgsl}");
        }
    }

    #[test]
    fn one_dimension_long_lines_and_constants() {
        let n = 3 * BLOCK + 17;
        let f = GridFormula::new(
            "sin(twoPi*a)**2 + cos(twoPi*a)**2",
            &[n as u64],
            &[],
            &[("twoPi".into(), std::f64::consts::TAU)],
        )
        .unwrap();
        let a: Vec<f64> = (0..n).map(|i| i as f64 / n as f64).collect();
        let out = run(&f, &[], &[&a[100..]], 100..n as u64);
        for (j, b) in out[0].iter().enumerate() {
            let (s, c) = gearbox_core::math::sin_cos(std::f64::consts::TAU * a[100 + j]);
            assert_eq!(*b, s * s + c * c);
        }
        assert!(f.wgsl(&[]).contains("params.c_twoPi"));
    }

    #[test]
    fn the_axis_of_a_one_dimensional_grid_is_read_per_point() {
        // It has the inputs' shape: nothing is hoisted, the axis is a lane.
        let n = BLOCK + 5;
        let axes = vec![("x".to_string(), 0)];
        let f = GridFormula::new("a*x + sin(x)", &[n as u64], &axes, &[]).unwrap();
        assert_eq!(f.hoisted_counts(), [0]);
        assert_eq!(f.layout(&["x".into()]).axis_tables, [0]);
        let x: Vec<f64> = (0..n).map(|i| i as f64 * 0.01).collect();
        let a: Vec<f64> = (0..n).map(|i| 1.0 - i as f64 * 0.003).collect();
        let out = run(&f, &[&x], &[&a[7..]], 7..n as u64);
        for (j, o) in out[0].iter().enumerate() {
            let i = 7 + j;
            assert_eq!(*o, a[i] * x[i] + gearbox_core::math::sin(x[i]), "point {i}");
        }
        assert!(f.wgsl(&["x".into()]).contains("axis_x[p.idx.x]"));
    }

    #[test]
    fn bad_layouts_are_refused() {
        let axes = vec![("a".to_string(), 0), ("b".to_string(), 0)];
        assert!(
            GridFormula::new("a + b", &[4, 4], &axes, &[])
                .unwrap_err()
                .message
                .contains("two operands")
        );
        assert!(
            GridFormula::new("x", &[1, 2, 3, 4], &[], &[])
                .unwrap_err()
                .message
                .contains("1 to 3")
        );
        let axes = vec![("a".to_string(), 2)];
        assert!(
            GridFormula::new("a", &[4, 4], &axes, &[])
                .unwrap_err()
                .message
                .contains("dimension 2")
        );
    }
}
