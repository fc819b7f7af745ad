//! A gearbox grid workload, ready to copy: a vector field given in polar
//! components (vr, vt) on an (nr × nangle) grid of radii and angles, converted to
//! Cartesian components
//!
//! ```text
//! vx = vr cos θ − vt sin θ
//! vy = vr sin θ + vt cos θ
//! ```
//!
//! A grid is four things kept in step: the layout (dimensions, axes, fields), the
//! generated inputs (`axes`, `fill_inputs`; used when no `--input` is given), the CPU
//! kernel (`map`) and the GPU kernel (`src/shader.wgsl`). `docs/PLUGINS.md` in the
//! gearbox repository explains every part.

use std::f64::consts::TAU;
use std::ops::Range;

use gearbox_core::math::sin_cos;
use gearbox_core::{Grid, GridLayout, ParamKind, ParamSpec, Params, Slab, Workload};

/// The conversion on an `nr × nangle` polar grid.
pub struct MyGrid {
    nr: u64,
    nangle: u64,
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
        Ok(MyGrid { nr, nangle })
    }

    fn wgsl(&self) -> Option<String> {
        Some(include_str!("shader.wgsl").into())
    }
}

impl Grid for MyGrid {
    fn layout(&self) -> GridLayout {
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect();
        GridLayout {
            dims: vec![self.nr, self.nangle],
            axes: names(&["radius", "angle"]),
            inputs: names(&["vr", "vt"]),
            outputs: names(&["vx", "vy"]),
            // What each output's rounding error is relative to, when backends are
            // compared: vx and vy can cancel to near 0, but each is accurate to a few
            // ulps of the vector's length |(vx, vy)|. (Leave it empty where every
            // output is accurate relative to itself.)
            error_scales: ["vx", "vy"]
                .iter()
                .map(|&o| (o.into(), names(&["vx", "vy"])))
                .collect(),
        }
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
        let ([vr, vt], [vx, vy]) = (slab.inputs, outputs) else {
            unreachable!("the layout has two inputs and two outputs");
        };
        // sin and cos once per angle per slab, not once per point; the inner loop
        // then runs over equal-length slices and vectorises.
        let (sin, cos): (Vec<f64>, Vec<f64>) = slab.axes[1].iter().map(|&a| sin_cos(a)).unzip();
        let n = sin.len();
        for row in 0..slab.rows.clone().count() {
            let at = row * n..(row + 1) * n;
            let (vr, vt) = (&vr[at.clone()], &vt[at.clone()]);
            let (vx, vy) = (&mut vx[at.clone()], &mut vy[at]);
            for j in 0..n {
                vx[j] = vr[j] * cos[j] - vt[j] * sin[j];
                vy[j] = vr[j] * sin[j] + vt[j] * cos[j];
            }
        }
    }
}

gearbox_core::export_grid!(MyGrid);
