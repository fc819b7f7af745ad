//! Run-time CPU dispatch: one build that runs on every x86-64 CPU at the speed
//! of the best instruction set it has.
//!
//! Kernels are compiled several times, once per [`Level`] (x86-64 baseline,
//! AVX2 + FMA, AVX-512), with [`dispatched!`](crate::dispatched) (the series
//! sums, [`crate::sum::Lanes`], the expression evaluator's loops and the
//! plugins' own loops use it), and each call runs the variant of the level
//! picked once per process by [`level`]: the best one the CPU runs, or the one
//! `GEARBOX_CPU=baseline|avx2|avx512` asks for. On other architectures there is
//! one level, `baseline` (on aarch64 it includes NEON).
//!
//! Written by hand rather than with the `multiversion` crate: that crate picks
//! the variant from the CPU's features alone, and gearbox must also let a user
//! (and the test suite) force a lower level.

use std::sync::OnceLock;

/// The environment variable that forces a level.
pub const VAR: &str = "GEARBOX_CPU";

/// An instruction-set level the kernels are compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// The architecture's baseline (x86-64: SSE2; aarch64: NEON).
    Baseline,
    /// x86-64 with AVX2 and FMA (and BMI1/2, LZCNT, POPCNT: x86-64-v3).
    Avx2,
    /// x86-64 with AVX-512 F, DQ, VL, BW and CD (x86-64-v4).
    Avx512,
}

impl Level {
    /// Every level, lowest first.
    pub const ALL: [Level; 3] = [Level::Baseline, Level::Avx2, Level::Avx512];

    /// Its name, as `GEARBOX_CPU` and `gearbox list` spell it.
    pub fn name(self) -> &'static str {
        match self {
            Level::Baseline => "baseline",
            Level::Avx2 => "avx2",
            Level::Avx512 => "avx512",
        }
    }

    /// The level called `name`.
    pub fn named(name: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.name() == name)
    }

    /// Whether this CPU runs code compiled for this level.
    pub fn supported(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            let v3 = || {
                has!("avx2")
                    && has!("fma")
                    && has!("bmi1")
                    && has!("bmi2")
                    && has!("lzcnt")
                    && has!("popcnt")
            };
            match self {
                Level::Baseline => true,
                Level::Avx2 => v3(),
                Level::Avx512 => {
                    v3() && has!("avx512f")
                        && has!("avx512dq")
                        && has!("avx512vl")
                        && has!("avx512bw")
                        && has!("avx512cd")
                }
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            self == Level::Baseline
        }
    }

    /// The best level this CPU runs.
    pub fn best() -> Level {
        Level::ALL
            .into_iter()
            .rev()
            .find(|l| l.supported())
            .unwrap_or(Level::Baseline)
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The level `GEARBOX_CPU` asks for: `Ok(None)` when it is unset or empty, an
/// error of one line when it names no level or one this CPU cannot run. Front
/// ends check this before they load a library, and refuse to run on an error.
pub fn requested() -> Result<Option<Level>, String> {
    let Some(value) = std::env::var_os(VAR) else {
        return Ok(None);
    };
    let value = value.to_string_lossy();
    if value.is_empty() {
        return Ok(None);
    }
    let names = Level::ALL.map(Level::name).join(", ");
    let Some(level) = Level::named(&value) else {
        return Err(format!("{VAR}={value}: not a CPU level (one of {names})"));
    };
    if !level.supported() {
        return Err(format!(
            "{VAR}={value}: this CPU cannot run the {value} kernels (the best it runs is {})",
            Level::best()
        ));
    }
    Ok(Some(level))
}

/// The level kernels run at in this process: the one `GEARBOX_CPU` asks for,
/// else (or when that is refused, see [`requested`]) the best the CPU runs.
/// Decided at the first call and kept.
pub fn level() -> Level {
    static LEVEL: OnceLock<Level> = OnceLock::new();
    *LEVEL.get_or_init(|| requested().ok().flatten().unwrap_or_else(Level::best))
}

/// Defines a function whose body is compiled once per [`Level`] and runs, at
/// each call, the variant of [`level`]. Authors of plugins wrap a hot loop in
/// it (a free function: arguments are plain `name: Type`, `impl Trait` allowed):
///
/// ```
/// gearbox_core::dispatched! {
///     /// Σ x² over `xs`.
///     pub fn sum_squares(xs: &[f64]) -> f64 {
///         xs.iter().map(|x| x * x).sum()
///     }
/// }
/// assert_eq!(sum_squares(&[1.0, 2.0]), 5.0);
/// ```
///
/// Closures written inside the body inherit each variant's instruction set,
/// and `#[inline(always)]` functions it calls (all of [`crate::math`]) are
/// compiled into it; a closure passed in as an argument is compiled into it
/// only if the compiler inlines it (small terms are; see [`crate::sum`]).
#[macro_export]
macro_rules! dispatched {
    ($(#[$attr:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$attr])*
        #[inline]
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx512bw,avx512cd,avx2,fma,bmi1,bmi2,lzcnt,popcnt")]
            fn avx512($($arg: $ty),*) $(-> $ret)? $body
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma,bmi1,bmi2,lzcnt,popcnt")]
            fn avx2($($arg: $ty),*) $(-> $ret)? $body
            fn baseline($($arg: $ty),*) $(-> $ret)? $body
            match $crate::dispatch::level() {
                // SAFETY: `level()` is a level whose features this CPU has.
                #[cfg(target_arch = "x86_64")]
                $crate::dispatch::Level::Avx512 => unsafe { avx512($($arg),*) },
                // SAFETY: as above.
                #[cfg(target_arch = "x86_64")]
                $crate::dispatch::Level::Avx2 => unsafe { avx2($($arg),*) },
                _ => baseline($($arg),*),
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_the_order_is_by_width() {
        for level in Level::ALL {
            assert_eq!(Level::named(level.name()), Some(level));
        }
        assert_eq!(Level::named("sse9"), None);
        assert!(Level::Baseline < Level::Avx2 && Level::Avx2 < Level::Avx512);
    }

    #[test]
    fn the_level_in_use_is_one_the_cpu_runs() {
        assert!(Level::Baseline.supported());
        assert!(level().supported());
        assert!(Level::best().supported());
        assert!(level() <= Level::best());
    }

    crate::dispatched! {
        /// A loop with a closure inside, dispatched.
        fn dot(a: &[f64], b: &[f64]) -> f64 {
            a.iter().zip(b).map(|(x, y)| x.mul_add(*y, 0.0)).sum()
        }
    }

    #[test]
    fn a_dispatched_function_computes_its_body() {
        assert_eq!(dot(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]), 32.0);
    }
}
