//! Spherical → Cartesian velocity conversion on a mantle-convection grid (the
//! seed's NumPy code): for latitude φ, longitude λ (radians),
//!
//! ```text
//! vx = −sin λ·vlon − sin φ cos λ·vlat + cos φ cos λ·vrad
//! vy =  cos λ·vlon − sin φ sin λ·vlat + cos φ sin λ·vrad
//! vz =  cos φ·vlat + sin φ·vrad
//! ```
//!
//! Arrays are laid out (nlat, nr, nlon) in C order, as in the seed. Without
//! `--input` the inputs are the seed's Legendre fields, evaluated exactly as SciPy's
//! `lpmv(0, n, x)` evaluates them, on axes that match NumPy's `linspace` bit for bit;
//! the products and sums follow the seed's NumPy expression, so the outputs equal
//! NumPy's wherever the two libraries' sin/cos agree.
//!
//! The CPU kernel hoists sin/cos per latitude and per longitude (once per slab) and
//! runs its inner loop over longitude, which the compiler vectorises.

use std::ops::Range;

use gearbox_core::params::parse_integer;
use gearbox_core::{Grid, GridLayout, ParamKind, ParamSpec, Params, Slab, Workload};

/// The conversion on an `nlat × nlon × nr` grid.
pub struct Velocity {
    nlat: u64,
    nlon: u64,
    nr: u64,
}

/// Latitude, radius and longitude ranges of the seed grid (degrees, km, degrees).
const LATITUDE: (f64, f64) = (-90.0, 90.0);
const RADIUS: (f64, f64) = (3485.0, 6371.0);
const LONGITUDE: (f64, f64) = (0.0, 360.0);

/// Parses `NLATxNLONxNR`; each side must be a positive count that fits a u32 (the
/// GPU indexes each dimension with 32 bits), and the whole grid must be indexable.
fn parse_grid(raw: &str) -> anyhow::Result<[u64; 3]> {
    let malformed =
        || anyhow::anyhow!("--grid must be NLATxNLONxNR with positive sizes, got {raw:?}");
    let sides: Vec<u64> = raw
        .split(['x', 'X'])
        .map(|s| parse_integer(s).ok().filter(|&n| n > 0))
        .collect::<Option<_>>()
        .ok_or_else(malformed)?;
    let [nlat, nlon, nr] = <[u64; 3]>::try_from(sides).map_err(|_| malformed())?;
    if let Some(big) = [nlat, nlon, nr]
        .into_iter()
        .find(|&n| n > u64::from(u32::MAX))
    {
        anyhow::bail!(
            "--grid {raw:?}: a side of {big} is more than the {} points a dimension can have",
            u32::MAX
        );
    }
    nlat.checked_mul(nlon)
        .and_then(|n| n.checked_mul(nr))
        .filter(|&n| n < 1 << 53)
        .ok_or_else(|| anyhow::anyhow!("--grid {raw:?} has more than 2^53 points"))?;
    Ok([nlat, nlon, nr])
}

/// `num` evenly spaced values from `start` to `stop` inclusive, bit for bit as
/// NumPy's `linspace(start, stop, num)`: `i·step + start` with `step = (stop −
/// start)/(num − 1)`, and the last value set to `stop`.
fn linspace(start: f64, stop: f64, num: u64) -> Vec<f64> {
    if num == 1 {
        return vec![start];
    }
    let step = (stop - start) / (num - 1) as f64;
    let mut values: Vec<f64> = (0..num).map(|i| i as f64 * step + start).collect();
    if let Some(last) = values.last_mut() {
        *last = stop;
    }
    values
}

/// P₁(x) as SciPy's `lpmv(0, 1, x)` computes it: the hypergeometric series in
/// (1 + x), then the sign (−1)¹.
fn legendre_p1(x: f64) -> f64 {
    -(1.0 - (1.0 + x))
}

/// P₂(x) = (3x² − 1)/2 as SciPy's `lpmv(0, 2, x)` computes it (specfun `lpmv0`):
/// 1 + r₁ + r₂ with r₁ = −3(1 + x), r₂ = −r₁(1 + x)/2.
fn legendre_p2(x: f64) -> f64 {
    let r1 = -3.0 * (1.0 + x);
    let r2 = -0.5 * r1 * (1.0 + x);
    (1.0 + r1) + r2
}

/// P₃(x) = (5x³ − 3x)/2 as SciPy's `lpmv(0, 3, x)` computes it: the upward
/// recurrence n·Pₙ = (2n − 1)·x·Pₙ₋₁ − (n − 1)·Pₙ₋₂ from P₀ = 1 and the series P₁.
fn legendre_p3(x: f64) -> f64 {
    let p1 = legendre_p1(x);
    let p2 = (3.0 * x * p1 - 1.0) / 2.0;
    (5.0 * x * p2 - 2.0 * p1) / 3.0
}

/// The seed's input fields at one grid point's coordinates.
fn seed_vlat(latitude: f64) -> f64 {
    legendre_p3(latitude / 90.0)
}

fn seed_vlon(longitude: f64) -> f64 {
    legendre_p2(longitude / 180.0 - 1.0)
}

fn seed_vrad(radius: f64) -> f64 {
    legendre_p3((radius - 4928.0) / 1443.0)
}

/// The products of one latitude's sin/cos with every longitude's, hoisted out of
/// the inner loop and laid out so that it streams through them side by side.
struct LonTable {
    /// sin λ, −sin λ and cos λ for every longitude.
    sin: Vec<f64>,
    neg_sin: Vec<f64>,
    cos: Vec<f64>,
    /// sin φ·cos λ, cos φ·cos λ, sin φ·sin λ, cos φ·sin λ for the current latitude.
    sphi_clam: Vec<f64>,
    cphi_clam: Vec<f64>,
    sphi_slam: Vec<f64>,
    cphi_slam: Vec<f64>,
}

impl LonTable {
    fn new(longitude: &[f64]) -> LonTable {
        let (sin, cos): (Vec<f64>, Vec<f64>) =
            longitude.iter().map(|l| l.to_radians().sin_cos()).unzip();
        let zeros = vec![0.0; longitude.len()];
        LonTable {
            neg_sin: sin.iter().map(|s| -s).collect(),
            sin,
            cos,
            sphi_clam: zeros.clone(),
            cphi_clam: zeros.clone(),
            sphi_slam: zeros.clone(),
            cphi_slam: zeros,
        }
    }

    /// Forms the products for a latitude with `(sin φ, cos φ)`.
    #[inline(always)]
    fn set_latitude(&mut self, (sphi, cphi): (f64, f64)) {
        for k in 0..self.cos.len() {
            self.sphi_clam[k] = sphi * self.cos[k];
            self.cphi_clam[k] = cphi * self.cos[k];
            self.sphi_slam[k] = sphi * self.sin[k];
            self.cphi_slam[k] = cphi * self.sin[k];
        }
    }
}

/// One (latitude, radius) line along longitude: the inner loop. Every slice has
/// the same length, so the compiler drops the bounds checks and vectorises.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn convert_line(
    t: &LonTable,
    (sphi, cphi): (f64, f64),
    vlat: &[f64],
    vlon: &[f64],
    vrad: &[f64],
    vx: &mut [f64],
    vy: &mut [f64],
    vz: &mut [f64],
) {
    let n = t.cos.len();
    let (vlat, vlon, vrad) = (&vlat[..n], &vlon[..n], &vrad[..n]);
    let (vx, vy, vz) = (&mut vx[..n], &mut vy[..n], &mut vz[..n]);
    let (neg_sin, cos) = (&t.neg_sin[..n], &t.cos[..n]);
    let (sc, cc, ss, cs) = (
        &t.sphi_clam[..n],
        &t.cphi_clam[..n],
        &t.sphi_slam[..n],
        &t.cphi_slam[..n],
    );
    for k in 0..n {
        // The seed's NumPy expressions, term by term and in its order.
        vx[k] = (neg_sin[k] * vlon[k] - sc[k] * vlat[k]) + cc[k] * vrad[k];
        vy[k] = (cos[k] * vlon[k] - ss[k] * vlat[k]) + cs[k] * vrad[k];
        vz[k] = cphi * vlat[k] + sphi * vrad[k];
    }
}

impl Workload for Velocity {
    const NAME: &'static str = "velocity";
    const ABOUT: &'static str =
        "Spherical to Cartesian velocity conversion on an (nlat, nr, nlon) grid";

    fn params() -> Vec<ParamSpec> {
        vec![ParamSpec::new(
            "grid",
            ParamKind::Text,
            "500x800x300",
            "grid size NLATxNLONxNR (arrays are laid out nlat, nr, nlon)",
        )]
    }

    fn from_params(params: &Params) -> anyhow::Result<Self> {
        let [nlat, nlon, nr] = parse_grid(params.text("grid")?)?;
        Ok(Velocity { nlat, nlon, nr })
    }

    fn wgsl(&self) -> Option<String> {
        Some(include_str!("../../../shaders/velocity.wgsl").into())
    }
}

impl Grid for Velocity {
    fn layout(&self) -> GridLayout {
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect();
        GridLayout {
            dims: vec![self.nlat, self.nr, self.nlon],
            axes: names(&["latitude", "radius", "longitude"]),
            inputs: names(&["vlat", "vlon", "vrad"]),
            outputs: names(&["vx", "vy", "vz"]),
            // A component can cancel to near 0; its error is relative to the
            // vector's length, which the rotation keeps: |(vx, vy, vz)| = |(vlat, vlon, vrad)|.
            error_scales: ["vx", "vy", "vz"]
                .iter()
                .map(|&o| (o.into(), names(&["vx", "vy", "vz"])))
                .collect(),
            ..GridLayout::default()
        }
    }

    fn axes(&self) -> Vec<Vec<f64>> {
        vec![
            linspace(LATITUDE.0, LATITUDE.1, self.nlat),
            linspace(RADIUS.0, RADIUS.1, self.nr),
            linspace(LONGITUDE.0, LONGITUDE.1, self.nlon),
        ]
    }

    fn fill_inputs(&self, rows: Range<u64>, axes: &[&[f64]], inputs: &mut [&mut [f64]]) {
        let [latitude, radius, longitude] = axes else {
            unreachable!("the layout has three axes");
        };
        let [vlat, vlon, vrad] = inputs else {
            unreachable!("the layout has three inputs");
        };
        let nlon = longitude.len();
        let line = radius.len() * nlon;
        let vlon_line: Vec<f64> = longitude.iter().map(|&l| seed_vlon(l)).collect();
        let vrad_line: Vec<f64> = radius.iter().map(|&r| seed_vrad(r)).collect();
        for (row, i) in rows.enumerate() {
            let at = row * line..(row + 1) * line;
            vlat[at.clone()].fill(seed_vlat(latitude[i as usize]));
            for (k, chunk) in vlon[at.clone()].chunks_exact_mut(nlon).enumerate() {
                chunk.copy_from_slice(&vlon_line);
                vrad[at.start + k * nlon..at.start + (k + 1) * nlon].fill(vrad_line[k]);
            }
        }
    }

    fn map(&self, slab: &Slab<'_>, outputs: &mut [&mut [f64]]) {
        let [latitude, radius, longitude] = slab.axes else {
            unreachable!("the layout has three axes");
        };
        convert_slab(
            slab.rows.clone(),
            latitude,
            radius,
            longitude,
            slab.inputs,
            outputs,
        );
    }
}

gearbox_core::dispatched! {
    /// The map of rows `rows`, compiled for each CPU level.
    fn convert_slab(
        rows: Range<u64>,
        latitude: &[f64],
        radius: &[f64],
        longitude: &[f64],
        inputs: &[&[f64]],
        outputs: &mut [&mut [f64]],
    ) {
        let [vlat, vlon, vrad] = inputs else {
            unreachable!("the layout has three inputs");
        };
        let [vx, vy, vz] = outputs else {
            unreachable!("the layout has three outputs");
        };
        let (nr, nlon) = (radius.len(), longitude.len());
        let mut table = LonTable::new(longitude);
        for (row, i) in rows.enumerate() {
            let phi = latitude[i as usize].to_radians().sin_cos();
            table.set_latitude(phi);
            for j in 0..nr {
                let at = (row * nr + j) * nlon..(row * nr + j + 1) * nlon;
                convert_line(
                    &table,
                    phi,
                    &vlat[at.clone()],
                    &vlon[at.clone()],
                    &vrad[at.clone()],
                    &mut vx[at.clone()],
                    &mut vy[at.clone()],
                    &mut vz[at],
                );
            }
        }
    }
}

gearbox_core::export_grid!(Velocity);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_parsing() {
        assert_eq!(parse_grid("500x800x300").unwrap(), [500, 800, 300]);
        assert_eq!(parse_grid("1x1x1").unwrap(), [1, 1, 1]);
        for bad in ["0x3x3", "3x3", "3x3x3x3", "axbxc", "", "3x-1x3", "3x3x"] {
            let e = parse_grid(bad).unwrap_err().to_string();
            assert_eq!(
                e,
                format!("--grid must be NLATxNLONxNR with positive sizes, got {bad:?}")
            );
        }
        assert!(parse_grid("5000000000x1x1").is_err());
        assert!(parse_grid("4000000000x4000000000x4000000000").is_err());
    }

    #[test]
    fn linspace_matches_numpy() {
        // np.linspace(0, 360, 7) and np.linspace(-90, 90, 3)
        assert_eq!(
            linspace(0.0, 360.0, 7),
            [0.0, 60.0, 120.0, 180.0, 240.0, 300.0, 360.0]
        );
        assert_eq!(linspace(-90.0, 90.0, 3), [-90.0, 0.0, 90.0]);
        assert_eq!(linspace(3485.0, 6371.0, 1), [3485.0]);
    }

    #[test]
    fn legendre_values() {
        for x in [-1.0, -0.5, 0.0, 0.25, 1.0] {
            let p2 = (3.0 * x * x - 1.0) / 2.0;
            let p3 = (5.0 * x * x * x - 3.0 * x) / 2.0;
            assert!((legendre_p2(x) - p2).abs() < 1e-15, "P2({x})");
            assert!((legendre_p3(x) - p3).abs() < 1e-15, "P3({x})");
        }
    }
}
