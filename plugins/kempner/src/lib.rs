//! The Kempner ("slow") series K(N, S) = Σ 1/k over 1 ≤ k ≤ N whose decimal digits
//! do not contain the digit string S (default "9"; K(∞, "9") ≈ 22.92).
//!
//! The CPU kernel never tests single numbers above 10⁴. A KMP automaton over S
//! follows the digits; every k ≥ 10⁴ is a prefix P (its leading digits) and a
//! block of its last four digits s, k = P·10⁴ + s. For each automaton state the
//! admissible four-digit blocks are precomputed as a sorted table of f64 offsets,
//! so for each admissible prefix the kernel sums 1/(P·10⁴ + s) over one table
//! (a subslice at the ragged ends of the range) in a vectorised loop
//! ([`Reciprocals`]) that keeps every quotient's remainder: the sum is the double
//! nearest the exact one. Prefixes are enumerated digit by digit, and every prefix that already
//! contains S is skipped with all its extensions (e.g. 9·10¹¹ … 10¹² − 1 at once).
//!
//! The GPU kernel follows the automaton over each k's digits instead (at most
//! 20 steps per term).

use gearbox_core::sum::{Reciprocals, recip_exact};
use gearbox_core::{Dd, ParamKind, ParamSpec, Params, Series, Workload};

/// Digits in the blocks of the CPU kernel's tables.
const BLOCK_DIGITS: u32 = 4;
/// Numbers per block: 10^BLOCK_DIGITS.
const BLOCK: u64 = 10u64.pow(BLOCK_DIGITS);
/// Decimal digits of the largest u64.
const MAX_DIGITS: usize = 20;
/// The most digits a prefix P = k / BLOCK can have.
const MAX_PREFIX_DIGITS: usize = MAX_DIGITS - BLOCK_DIGITS as usize;

/// A deterministic automaton over decimal digits that reaches its dead state, and
/// stays there, exactly when the digits read so far contain a given string.
struct Automaton {
    /// `delta[state][digit]`: the next state.
    delta: Vec<[u32; 10]>,
    /// The absorbing state "contains the string".
    dead: u32,
}

impl Automaton {
    /// The KMP automaton of `pattern` (digit values 0–9). A pattern longer than any
    /// u64 can never occur, so it gets an automaton that never dies.
    fn new(pattern: &[u8]) -> Automaton {
        let m = pattern.len();
        if m > MAX_DIGITS {
            return Automaton {
                delta: vec![[0; 10]],
                dead: 1,
            };
        }
        let mut delta = vec![[0u32; 10]; m + 1];
        delta[0][usize::from(pattern[0])] = 1;
        let mut fallback = 0;
        for (j, &digit) in pattern.iter().enumerate().skip(1) {
            delta[j] = delta[fallback];
            delta[j][usize::from(digit)] = j as u32 + 1;
            fallback = delta[fallback][usize::from(digit)] as usize;
        }
        delta[m] = [m as u32; 10];
        Automaton {
            delta,
            dead: m as u32,
        }
    }

    /// The state after reading `digit` in `state`.
    #[inline]
    fn step(&self, state: u32, digit: u64) -> u32 {
        self.delta[state as usize][digit as usize]
    }

    /// The state after reading the decimal digits of `k` (most significant first)
    /// from the start state.
    fn run(&self, k: u64) -> u32 {
        k.to_string()
            .bytes()
            .fold(0, |state, b| self.step(state, u64::from(b - b'0')))
    }
}

/// K(N, S): Σ 1/k over k ≤ N whose digits avoid S.
pub struct Kempner {
    n: u64,
    /// The automaton of S.
    automaton: Automaton,
    /// The automaton of S reversed, for the GPU (which reads digits least significant first).
    reversed: Automaton,
    /// `blocks[state]`: the BLOCK_DIGITS-digit blocks s (leading zeros included) that
    /// keep the automaton alive when read from `state`, ascending, as f64.
    blocks: Vec<Vec<f64>>,
}

impl Kempner {
    /// Builds the automata and block tables of exclusion string `exclude`.
    fn new(n: u64, exclude: &str) -> anyhow::Result<Kempner> {
        if exclude.is_empty() || !exclude.bytes().all(|b| b.is_ascii_digit()) {
            anyhow::bail!(
                "--exclude must be a non-empty string of decimal digits, got {exclude:?}"
            );
        }
        let digits: Vec<u8> = exclude.bytes().map(|b| b - b'0').collect();
        let reversed: Vec<u8> = digits.iter().rev().copied().collect();
        let automaton = Automaton::new(&digits);
        // A prefix has at most MAX_PREFIX_DIGITS digits, so no later state is reachable.
        let states = (automaton.dead as usize).min(MAX_PREFIX_DIGITS + 1);
        let blocks = (0..states as u32)
            .map(|start| {
                (0..BLOCK)
                    .filter(|&s| {
                        let mut state = start;
                        for place in (0..BLOCK_DIGITS).rev() {
                            state = automaton.step(state, s / 10u64.pow(place) % 10);
                        }
                        state != automaton.dead
                    })
                    .map(|s| s as f64)
                    .collect()
            })
            .collect();
        Ok(Kempner {
            n,
            automaton,
            reversed: Automaton::new(&reversed),
            blocks,
        })
    }

    /// Calls `leaf(P, state)` for every prefix P in `lo..=hi` (1 ≤ lo) whose digits
    /// avoid S, in increasing order, with the automaton state after P's digits.
    fn for_each_prefix(&self, lo: u64, hi: u64, leaf: &mut impl FnMut(u64, u32)) {
        let digits = |p: u64| p.ilog10() + 1;
        for len in digits(lo)..=digits(hi) {
            let from = lo.max(10u64.pow(len - 1));
            let to = hi.min(10u64.pow(len) - 1);
            self.visit(0, len, 0, from, to, leaf);
        }
    }

    /// Depth-first walk over the prefixes of `len` digits in `from..=to` that start
    /// with the digits of `head` (`left` digits still to choose), in `state`.
    fn visit(
        &self,
        head: u64,
        left: u32,
        state: u32,
        from: u64,
        to: u64,
        leaf: &mut impl FnMut(u64, u32),
    ) {
        if left == 0 {
            leaf(head, state);
            return;
        }
        let span = 10u64.pow(left - 1);
        let first_digit = u64::from(head == 0);
        for digit in first_digit..10 {
            let p = head * 10 + digit;
            if p * span + (span - 1) < from || p * span > to {
                continue;
            }
            let next = self.automaton.step(state, digit);
            if next != self.automaton.dead {
                self.visit(p, left - 1, next, from, to, leaf);
            }
        }
    }

    /// The WGSL of the GPU kernel, with the reversed automaton as a table.
    fn shader(&self) -> String {
        let table: Vec<String> = self
            .reversed
            .delta
            .iter()
            .flatten()
            .map(|s| format!("{s}u"))
            .collect();
        format!(
            "const KEMPNER_DEAD: u32 = {dead}u;\n\
             // Automaton of the reversed exclusion string: state * 10 + digit -> state.\n\
             var<private> kempner_delta: array<u32, {len}> = array<u32, {len}>({table});\n\
             {body}",
            dead = self.reversed.dead,
            len = table.len(),
            table = table.join(", "),
            body = include_str!("../../../shaders/kempner.wgsl"),
        )
    }
}

impl Workload for Kempner {
    const NAME: &'static str = "kempner";
    const ABOUT: &'static str =
        "Kempner series: sum of 1/k for k = 1..=N whose decimal digits avoid a digit string";

    fn params() -> Vec<ParamSpec> {
        vec![
            ParamSpec::new("n", ParamKind::Count, "1e8", "largest k summed (N)"),
            ParamSpec::new(
                "exclude",
                ParamKind::Text,
                "9",
                "digit string S: every k containing it is skipped",
            ),
        ]
    }

    fn from_params(params: &Params) -> anyhow::Result<Self> {
        Kempner::new(params.integer("n")?, params.text("exclude")?)
    }

    fn wgsl(&self) -> Option<String> {
        Some(self.shader())
    }
}

impl Series for Kempner {
    fn range(&self) -> (u64, u64) {
        (1, self.n)
    }

    fn partial_sum(&self, first: u64, last: u64) -> Dd {
        // Numbers below one block: test each (they have no leading-zero digits).
        let mut small = Dd::ZERO;
        for k in first..=last.min(BLOCK - 1) {
            if self.automaton.run(k) != self.automaton.dead {
                let (q, r) = recip_exact(k as f64);
                small = small + Dd { hi: q, lo: q * r };
            }
        }
        let lo = first.max(BLOCK);
        if lo > last {
            return small;
        }
        let (p_lo, s_lo) = (lo / BLOCK, (lo % BLOCK) as f64);
        let (p_hi, s_hi) = (last / BLOCK, (last % BLOCK) as f64);
        let mut lanes = Reciprocals::new();
        self.for_each_prefix(p_lo, p_hi, &mut |p, state| {
            let table = &self.blocks[state as usize];
            let start = if p == p_lo {
                table.partition_point(|&s| s < s_lo)
            } else {
                0
            };
            let end = if p == p_hi {
                table.partition_point(|&s| s <= s_hi)
            } else {
                table.len()
            };
            lanes.add_offsets((p * BLOCK) as f64, &table[start..end]);
        });
        lanes.total() + small
    }
}

gearbox_core::export_series!(Kempner);

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain definition, term by term in double-double (slow; small ranges only).
    fn by_definition(first: u64, last: u64, exclude: &str) -> f64 {
        (first..=last)
            .filter(|k| !k.to_string().contains(exclude))
            .fold(Dd::ZERO, |s, k| s.add_f64(1.0 / k as f64))
            .to_f64()
    }

    #[test]
    fn automaton_recognises_substrings() {
        for pattern in ["9", "0", "42", "01", "1212", "3141"] {
            let digits: Vec<u8> = pattern.bytes().map(|b| b - b'0').collect();
            let a = Automaton::new(&digits);
            for k in (1..200_000u64).chain([1_012_120, 31_415_926, 404_242]) {
                let contains = k.to_string().contains(pattern);
                assert_eq!(a.run(k) == a.dead, contains, "{pattern} in {k}");
            }
        }
    }

    #[test]
    fn ranges_match_the_definition() {
        let ranges = [
            (1, 1),
            (1, 9_999),
            (9_990, 10_010),
            (1, 123_456),
            (99_998, 100_003),
            (1_234_567, 1_300_001),
            (8_999_999, 9_000_000),
            (19_999_990, 20_000_020),
        ];
        for exclude in ["9", "0", "42", "01", "1", "314", "99999"] {
            let w = Kempner::new(0, exclude).unwrap();
            for (first, last) in ranges {
                let got = w.partial_sum(first, last).to_f64();
                let want = by_definition(first, last, exclude);
                assert!(
                    (got - want).abs() <= 1e-15 * want,
                    "{exclude} {first}..={last}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn long_exclusions_exclude_nothing() {
        let w = Kempner::new(0, "123456789012345678901").unwrap();
        let harmonic: f64 = (1..=20_000u64).map(|k| 1.0 / k as f64).sum();
        assert!((w.partial_sum(1, 20_000).to_f64() - harmonic).abs() < 1e-14);
    }

    #[test]
    fn bad_exclusions_are_one_line_errors() {
        for bad in ["", "9a", " 9", "-1", "٣"] {
            let e = Kempner::new(10, bad).err().expect(bad).to_string();
            assert!(e.starts_with("--exclude must be a non-empty string of decimal digits"));
            assert!(!e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn chunks_near_1e12_are_cheap_and_exact() {
        // 999 999 000 000 ..= 1 000 000 262 143: only numbers with leading digits 10000…
        let w = Kempner::new(0, "9").unwrap();
        let (first, last) = (999_999_000_000, 1_000_000_262_143);
        let want = by_definition(1_000_000_000_000, last, "9");
        let got = w.partial_sum(first, last).to_f64();
        assert!((got - want).abs() <= 1e-15 * want, "{got} vs {want}");
    }
}
