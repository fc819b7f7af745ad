//! Instruction throughput limits of the machine it runs on, in core cycles per
//! f64 element: `vdivpd`, `vrcp14pd`, `vfmadd231pd`, `vmulpd` and `vaddpd` on zmm
//! registers (eight doubles), each issued back to back into twelve independent
//! registers so only throughput counts, and FMA and add interleaved ("fma+add",
//! per instruction: half the FMA figure when they run on separate pipes).
//! Cycles come from a dependent chain of register-register integer adds (one
//! per cycle) timed with the same `rdtsc`, so no performance counters are needed;
//! every figure is the fastest of many short runs, which a busy machine spoils
//! least.
//!
//! `cargo run --release -p gearbox-limits [-- --json]`

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::asm;
    use std::arch::x86_64::{_mm_lfence, _rdtsc};
    use std::time::{Duration, Instant};

    /// Timestamp-counter ticks of the fastest of 2000 calls of `f`.
    fn min_ticks(f: impl Fn()) -> f64 {
        let mut best = u64::MAX;
        for _ in 0..2000 {
            // SAFETY: lfence and rdtsc have no preconditions on x86-64.
            let ticks = unsafe {
                _mm_lfence();
                let start = _rdtsc();
                f();
                _mm_lfence();
                _rdtsc() - start
            };
            best = best.min(ticks);
        }
        best as f64
    }

    /// Timestamp-counter ticks per second, over 50 ms of wall time.
    pub fn tsc_hz() -> f64 {
        let (start, t0) = (Instant::now(), unsafe { _rdtsc() });
        while start.elapsed() < Duration::from_millis(50) {}
        // SAFETY: rdtsc has no preconditions on x86-64.
        (unsafe { _rdtsc() } - t0) as f64 / start.elapsed().as_secs_f64()
    }

    /// Timestamp ticks per core cycle: 2400 dependent register-register `add`s
    /// retire one per cycle. (Adds of an immediate would not do: Intel cores since
    /// Golden Cove fold chains of them at rename, several per cycle.)
    pub fn ticks_per_cycle() -> f64 {
        min_ticks(|| unsafe {
            let (mut x, one) = (0u64, std::hint::black_box(1u64));
            asm!(
                ".rept 2400", "add {x}, {one}", ".endr",
                x = inout(reg) x, one = in(reg) one, options(nomem, nostack),
            );
            std::hint::black_box(x);
        }) / 2400.0
    }

    /// Instructions per timed block of [`zmm_block`].
    pub const BLOCK: f64 = 2400.0;

    /// A block of 200 rounds of the zmm instructions given (twelve, or 24 for the
    /// mixed row, counted as two blocks), writing registers among zmm0–zmm23 from
    /// zmm30 = 1 and zmm31 = 1e17.
    macro_rules! zmm_block {
        ($($i:expr),* $(,)?) => {
            min_ticks(|| unsafe {
                asm!(
                    "vbroadcastsd zmm30, xmm0",
                    "vbroadcastsd zmm31, xmm1",
                    ".rept 200",
                    $($i,)*
                    ".endr",
                    inout("xmm0") 1.0f64 => _, inout("xmm1") 1.0e17f64 => _,
                    out("zmm2") _, out("zmm3") _, out("zmm4") _, out("zmm5") _,
                    out("zmm6") _, out("zmm7") _, out("zmm8") _, out("zmm9") _,
                    out("zmm10") _, out("zmm11") _, out("zmm12") _, out("zmm13") _,
                    out("zmm14") _, out("zmm15") _, out("zmm16") _, out("zmm17") _,
                    out("zmm18") _, out("zmm19") _, out("zmm20") _, out("zmm21") _,
                    out("zmm22") _, out("zmm23") _, out("zmm30") _, out("zmm31") _,
                    options(nomem, nostack),
                )
            })
        };
    }

    /// Twelve instructions `$op zmmI, $sources` for I = 0..12.
    macro_rules! twelve {
        ($op:literal, $sources:literal) => {
            zmm_block!(
                concat!($op, " zmm0, ", $sources),
                concat!($op, " zmm1, ", $sources),
                concat!($op, " zmm2, ", $sources),
                concat!($op, " zmm3, ", $sources),
                concat!($op, " zmm4, ", $sources),
                concat!($op, " zmm5, ", $sources),
                concat!($op, " zmm6, ", $sources),
                concat!($op, " zmm7, ", $sources),
                concat!($op, " zmm8, ", $sources),
                concat!($op, " zmm9, ", $sources),
                concat!($op, " zmm10, ", $sources),
                concat!($op, " zmm11, ", $sources),
            )
        };
    }

    /// (name, timestamp ticks per block of [`BLOCK`] instructions).
    pub fn instructions() -> Vec<(&'static str, f64)> {
        vec![
            ("vdivpd", twelve!("vdivpd", "zmm30, zmm31")),
            ("vrcp14pd", twelve!("vrcp14pd", "zmm31")),
            // Accumulating: twelve chains of 4-cycle FMAs keep both pipes busy.
            ("vfmadd231pd", twelve!("vfmadd231pd", "zmm30, zmm31")),
            ("vmulpd", twelve!("vmulpd", "zmm30, zmm31")),
            ("vaddpd", twelve!("vaddpd", "zmm30, zmm31")),
            // Twelve FMA chains and twelve independent adds, interleaved: 12 cycles
            // per round if adds and FMAs go to separate pipes, 24 if they share.
            (
                "fma+add",
                zmm_block!(
                    "vfmadd231pd zmm0, zmm30, zmm31",
                    "vaddpd zmm12, zmm30, zmm31",
                    "vfmadd231pd zmm1, zmm30, zmm31",
                    "vaddpd zmm13, zmm30, zmm31",
                    "vfmadd231pd zmm2, zmm30, zmm31",
                    "vaddpd zmm14, zmm30, zmm31",
                    "vfmadd231pd zmm3, zmm30, zmm31",
                    "vaddpd zmm15, zmm30, zmm31",
                    "vfmadd231pd zmm4, zmm30, zmm31",
                    "vaddpd zmm16, zmm30, zmm31",
                    "vfmadd231pd zmm5, zmm30, zmm31",
                    "vaddpd zmm17, zmm30, zmm31",
                    "vfmadd231pd zmm6, zmm30, zmm31",
                    "vaddpd zmm18, zmm30, zmm31",
                    "vfmadd231pd zmm7, zmm30, zmm31",
                    "vaddpd zmm19, zmm30, zmm31",
                    "vfmadd231pd zmm8, zmm30, zmm31",
                    "vaddpd zmm20, zmm30, zmm31",
                    "vfmadd231pd zmm9, zmm30, zmm31",
                    "vaddpd zmm21, zmm30, zmm31",
                    "vfmadd231pd zmm10, zmm30, zmm31",
                    "vaddpd zmm22, zmm30, zmm31",
                    "vfmadd231pd zmm11, zmm30, zmm31",
                    "vaddpd zmm23, zmm30, zmm31",
                ) / 2.0,
            ),
        ]
    }
}

fn main() {
    #[cfg(target_arch = "x86_64")]
    {
        if !std::arch::is_x86_feature_detected!("avx512f") {
            eprintln!("gearbox-limits: this CPU has no AVX-512F; nothing to measure");
            std::process::exit(1);
        }
        let json = std::env::args().any(|a| a == "--json");
        let per_cycle = x86::ticks_per_cycle();
        let hz = x86::tsc_hz() / per_cycle;
        let mut fields = serde_json::Map::new();
        fields.insert("clock_ghz".into(), (hz / 1e9).into());
        if !json {
            println!("core clock {:.3} GHz (dependent integer adds)", hz / 1e9);
            println!(
                "{:<12} {:>14} {:>16}",
                "zmm op", "cycles/instr", "cycles/element"
            );
        }
        for (name, ticks) in x86::instructions() {
            let per_instr = ticks / per_cycle / x86::BLOCK;
            fields.insert(name.into(), (per_instr / 8.0).into());
            if !json {
                println!("{name:<12} {per_instr:>14.3} {:>16.4}", per_instr / 8.0);
            }
        }
        if json {
            println!("{}", serde_json::Value::Object(fields));
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        eprintln!("gearbox-limits: measures x86-64 instructions only");
        std::process::exit(1);
    }
}
