//! A gearbox grid workload, ready to copy: a vector field given in polar
//! components (vr, vt) on an (nr × nangle) grid of radii and angles, converted to
//! Cartesian components
//!
//! ```text
//! vx = vr cos θ − vt sin θ
//! vy = vr sin θ + vt cos θ
//! ```
//!
//! A grid is its layout (dimensions, axes, fields), its generated inputs (`axes`,
//! `fill_inputs`; used when no `--input` is given) and its map. The map is
//! written once, as formulas ([`MAP`], the language of docs/EXPRESSIONS.md):
//! gearbox-expr makes the CPU kernel (what depends on one axis only, here
//! sin θ and cos θ, computed once per axis value; the rest in vectorising loops)
//! and the GPU kernel (WGSL, which reads those values from a table per axis)
//! from them. `docs/PLUGINS.md` in the gearbox
//! repository explains every part, and the hand-written way for maps no formula
//! can say.

use std::f64::consts::TAU;
use std::ops::Range;

use gearbox_core::{Grid, GridLayout, ParamKind, ParamSpec, Params, Slab, Workload};
use gearbox_expr::GridFormula;

/// The map: one formula per output, over the inputs vr, vt and the axis angle.
pub const MAP: &str = "vx = vr*cos(angle) - vt*sin(angle); vy = vr*sin(angle) + vt*cos(angle)";

/// The axes: the name of each dimension's coordinate, outermost first.
const AXES: [&str; 2] = ["radius", "angle"];

/// The conversion on an `nr × nangle` polar grid.
pub struct MyGrid {
    nr: u64,
    nangle: u64,
    map: GridFormula,
}

impl Workload for MyGrid {
    const NAME: &'static str = "my-grid";
    const ABOUT: &'static str =
        "polar vector field (vr, vt) to Cartesian (vx, vy) on an nr x nangle grid";

    fn params() -> Vec<ParamSpec> {
        vec![
            ParamSpec::new("nr", ParamKind::Count, "2000", "number of radii"),
            ParamSpec::new("nangle", ParamKind::Count, "3000", "number of angles"),
        ]
    }

    fn from_params(params: &Params) -> anyhow::Result<Self> {
        let (nr, nangle) = (params.integer("nr")?, params.integer("nangle")?);
        // The GPU indexes each dimension with a u32.
        anyhow::ensure!(
            nr.max(nangle) <= u64::from(u32::MAX),
            "--nr and --nangle must be at most {}",
            u32::MAX
        );
        let axes: Vec<(String, usize)> = AXES
            .iter()
            .enumerate()
            .map(|(d, a)| (a.to_string(), d))
            .collect();
        let map = GridFormula::new(MAP, &[nr, nangle], &axes, &[])?;
        Ok(MyGrid { nr, nangle, map })
    }

    fn wgsl(&self) -> Option<String> {
        Some(self.map.wgsl(&AXES.map(String::from)))
    }
}

impl Grid for MyGrid {
    fn layout(&self) -> GridLayout {
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect();
        GridLayout {
            // What each output's rounding error is relative to, when backends are
            // compared: vx and vy can cancel to near 0, but each is accurate to a few
            // ulps of the vector's length |(vx, vy)|. (Leave it empty where every
            // output is accurate relative to itself.)
            error_scales: ["vx", "vy"]
                .iter()
                .map(|&o| (o.into(), names(&["vx", "vy"])))
                .collect(),
            // The rest from the formulas: dimensions, inputs (in the order the
            // formulas first read them), outputs, and the tables the GPU kernel
            // reads in place of the axes.
            ..self.map.layout(&names(&AXES))
        }
    }

    /// What depends on one axis alone (here sin θ and cos θ), once per axis
    /// value, for the GPU kernel.
    fn axis_table(&self, axis: usize, values: &[f64]) -> Vec<f64> {
        self.map.axis_table(axis, values)
    }

    /// Radii 1 to 2 evenly spaced, angles 2πj/nangle.
    fn axes(&self) -> Vec<Vec<f64>> {
        let step = 1.0 / (self.nr.max(2) - 1) as f64;
        vec![
            (0..self.nr).map(|i| 1.0 + i as f64 * step).collect(),
            (0..self.nangle)
                .map(|j| TAU * j as f64 / self.nangle as f64)
                .collect(),
        ]
    }

    /// vr = 1/r (a source), vt = r (a rotation).
    fn fill_inputs(&self, rows: Range<u64>, axes: &[&[f64]], inputs: &mut [&mut [f64]]) {
        let [vr, vt] = inputs else {
            unreachable!("the layout has two inputs");
        };
        let n = self.nangle as usize;
        for (row, i) in rows.enumerate() {
            let r = axes[0][i as usize];
            vr[row * n..(row + 1) * n].fill(1.0 / r);
            vt[row * n..(row + 1) * n].fill(r);
        }
    }

    fn map(&self, slab: &Slab<'_>, outputs: &mut [&mut [f64]]) {
        self.map.map(slab, outputs);
    }
}

gearbox_core::export_grid!(MyGrid);
