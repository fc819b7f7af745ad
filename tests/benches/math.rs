//! ns per element of every `gearbox_core::math` function against std's (glibc's
//! libm; std has no erf/erfc) in the same loop: `out[i] = f(x[i])` over 4096 inputs from the
//! function's accuracy-test domain, so the compiler may vectorise gearbox's
//! branch-free versions; std's are calls into libm.
//!
//! `cargo bench -p gearbox-tests --bench math`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gearbox_core::math as m;
use gearbox_tests::reference::inputs;

const N: usize = 4096;

/// Times gearbox's and std's `name` over the accuracy test's inputs for `domain`.
fn bench(
    c: &mut Criterion,
    (name, domain): (&str, &str),
    gearbox: impl Fn(f64, f64) -> f64,
    std: impl Fn(f64, f64) -> f64,
) {
    let xs = inputs(domain, N, 3);
    let (x, y): (Vec<f64>, Vec<f64>) = xs.into_iter().unzip();
    let mut out = vec![0.0; N];
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function("gearbox", |b| {
        b.iter(|| {
            for ((o, &a), &b) in out.iter_mut().zip(black_box(&x)).zip(black_box(&y)) {
                *o = gearbox(a, b);
            }
            black_box(&out);
        })
    });
    group.bench_function("std", |b| {
        b.iter(|| {
            for ((o, &a), &b) in out.iter_mut().zip(black_box(&x)).zip(black_box(&y)) {
                *o = std(a, b);
            }
            black_box(&out);
        })
    });
    group.finish();
}

fn functions(c: &mut Criterion) {
    macro_rules! one {
        ($name:ident, $std:ident) => {
            bench(
                c,
                (stringify!($name), stringify!($name)),
                |x, _| m::$name(x),
                |x, _| x.$std(),
            )
        };
    }
    one!(exp, exp);
    one!(exp2, exp2);
    one!(expm1, exp_m1);
    one!(log, ln);
    one!(log2, log2);
    one!(log10, log10);
    one!(log1p, ln_1p);
    bench(c, ("pow", "pow"), m::pow, f64::powf);
    one!(cbrt, cbrt);
    bench(c, ("hypot", "hypot"), m::hypot, f64::hypot);
    // sin on tan's domain (|x| ≤ 4e12, where gearbox's reduction is exact).
    bench(c, ("sin", "tan"), |x, _| m::sin(x), |x, _| x.sin());
    one!(tan, tan);
    one!(asin, asin);
    one!(acos, acos);
    one!(atan, atan);
    bench(c, ("atan2", "atan2"), m::atan2, f64::atan2);
    one!(sinh, sinh);
    one!(cosh, cosh);
    one!(tanh, tanh);
    one!(asinh, asinh);
    one!(acosh, acosh);
    one!(atanh, atanh);
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(std::time::Duration::from_millis(300))
        .measurement_time(std::time::Duration::from_millis(700))
}

criterion_group! {
    name = math;
    config = config();
    targets = functions
}
criterion_main!(math);
