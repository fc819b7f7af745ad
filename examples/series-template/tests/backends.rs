//! my-series on every backend the test kit finds (serial, rayon and, where an
//! adapter exists, wgpu), against references computed here, apart from the plugin.
//!
//! The kit loads the plugin from this project's target directory and the backends
//! from `GEARBOX_PLUGIN_PATH`:
//!
//! ```sh
//! GEARBOX_PLUGIN_PATH=/path/to/gearbox/target/release cargo test --release
//! ```

use gearbox_core::Dd;
use gearbox_core::dd::ulp_error;
use gearbox_host::kit::{self, Bound};

/// The workload under test, as `gearbox run` names it.
const WORKLOAD: &str = "my-series";

/// S(N) summed term by term in double-double, smallest terms first.
fn direct_sum(n: u64) -> f64 {
    let sum = (1..=n).rev().fold(Dd::ZERO, |sum, k| {
        let term = Dd::from(k as f64).recip();
        if k % 2 == 1 { sum + term } else { sum - term }
    });
    sum.to_f64()
}

#[test]
fn every_backend_matches_the_direct_sum() {
    for n in [1u64, 2, 3, 10, 17, 1_000, 1_000_000] {
        let reports = kit::check_series(
            WORKLOAD,
            &[("n", &n.to_string())],
            direct_sum(n),
            Bound::ulps(2.0, 8.0),
        );
        assert!(reports.len() >= 2, "serial and rayon must both run");
    }
}

#[test]
fn the_exact_value_matches_the_direct_sum() {
    let lib = kit::registry()
        .workload(WORKLOAD)
        .unwrap_or_else(|| panic!("{WORKLOAD} not found; build it with cargo build --release"));
    for n in [1u64, 2, 63, 64, 65, 1_000, 10_000_000] {
        let instance = lib.instantiate([("n", n.to_string().as_str())]).unwrap();
        let exact = instance.exact().unwrap().expect("an exact value");
        let direct = direct_sum(n);
        assert!(
            ulp_error(exact, direct) <= 1.0,
            "N = {n}: {exact} vs {direct}"
        );
    }
}
