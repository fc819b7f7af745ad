//! my-grid on every backend the test kit finds, every output element against a
//! reference computed here. Run with the gearbox backends on the plugin path:
//!
//! ```sh
//! GEARBOX_PLUGIN_PATH=/path/to/gearbox/target/release cargo test --release
//! ```

use gearbox_host::kit::{self, Bound};

#[test]
fn every_element_matches_the_formula_on_every_backend() {
    let (nr, nangle) = (300u64, 500u64);
    let reference = |index: &[u64]| {
        let r = 1.0 + index[0] as f64 * (1.0 / (nr - 1) as f64);
        let angle = std::f64::consts::TAU * index[1] as f64 / nangle as f64;
        let (vr, vt) = (1.0 / r, r);
        let (sin, cos) = angle.sin_cos();
        // The unit of error: one ulp of the size of the terms (vx and vy cancel).
        let unit = f64::EPSILON * (vr.abs() + vt.abs());
        vec![(vr * cos - vt * sin, unit), (vr * sin + vt * cos, unit)]
    };
    let reports = kit::check_grid(
        "my-grid",
        &[("nr", &nr.to_string()), ("nangle", &nangle.to_string())],
        None,
        &reference,
        Bound::ulps(2.0, 4.0),
    );
    assert!(reports.len() >= 2, "serial and rayon must both run");
}
