//! gearbox_core::math on the CPU against double-double references: at most
//! 1 ulp for every function over random inputs from every binade plus its hard
//! cases and special values (GEARBOX_MATH_POINTS sets the count; 2¹⁷ in CI).

use gearbox_tests::reference::{functions, inputs, ulps};

fn points() -> usize {
    std::env::var("GEARBOX_MATH_POINTS")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(1 << 17, |v| v as usize)
}

#[test]
fn every_function_within_one_ulp_on_the_cpu() {
    let n = points();
    let mut failures = Vec::new();
    for f in functions() {
        let xs = inputs(f.name, n, 1);
        let (mut worst, mut sum, mut at) = (0.0f64, 0.0, (0.0, 0.0));
        for &(x, y) in &xs {
            let e = ulps((f.cpu)(x, y), (f.reference)(x, y));
            sum += e;
            if e > 1.0 && std::env::var("GEARBOX_MATH_DEBUG").is_ok() {
                eprintln!(
                    "  {}({x:e}, {y:e}) = {:e}, reference {:?}",
                    f.name,
                    (f.cpu)(x, y),
                    (f.reference)(x, y)
                );
            }
            if !(e <= worst) {
                worst = e;
                at = (x, y);
            }
        }
        eprintln!(
            "{:<6} max {:.3} ulp  mean {:.4} ulp  over {} inputs (worst at {:e}, {:e})",
            f.name,
            worst,
            sum / xs.len() as f64,
            xs.len(),
            at.0,
            at.1
        );
        if !(worst <= 1.0) {
            failures.push(format!("{} {worst} at {:?}", f.name, at));
        }
    }
    assert!(failures.is_empty(), "over 1 ulp: {failures:#?}");
}
