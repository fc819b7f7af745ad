//! The CPU evaluator: a program run over blocks of lanes, each operation one
//! tight loop over the block through its kernel in [`crate::ops`], as NumExpr's
//! virtual machine does. No compiler at run time, and vectorisation does not
//! depend on how the formula is written. Values that do not vary across lanes
//! (constants and what is computed from them alone) are computed once, when the
//! evaluator is made.

use crate::ops::{Kernel, Op, PAIRS, PairLoop};
use crate::program::{Node, Program};

/// Lanes per block: a few registers of this length stay in the L1 cache.
pub const BLOCK: usize = 512;

/// Where a node's value is while a block is evaluated.
#[derive(Clone, Copy, Debug)]
enum Slot {
    /// In lane input `i`.
    Lane(usize),
    /// In register `r`.
    Register(usize),
}

/// One operation of the per-block program.
#[derive(Clone, Copy, Debug)]
struct Step {
    kernel: Kernel,
    args: [Slot; 3],
    out: usize,
    /// A partner computed by the same loop (sin with cos): its loop, its
    /// register, and whether this step is the loop's second result.
    pair: Option<(PairLoop, usize, bool)>,
}

/// A fresh register, or one whose value has been read for the last time.
fn register(registers: &mut Vec<Vec<f64>>, free: &mut Vec<usize>) -> usize {
    free.pop().unwrap_or_else(|| {
        registers.push(vec![0.0; BLOCK]);
        registers.len() - 1
    })
}

/// For each node that has a partner in [`PAIRS`] on the same argument, on the
/// member that comes first: the partner's index, the pair's loop, and whether
/// the member that comes first is the loop's second result.
fn partners(program: &Program) -> Vec<Option<(usize, PairLoop, bool)>> {
    let mut partner = vec![None; program.nodes.len()];
    for (first, second, pair) in PAIRS {
        let (a, b) = (Op::named(first), Op::named(second));
        for (i, node) in program.nodes.iter().enumerate() {
            let Node::Apply(op, args) = *node else {
                continue;
            };
            if op != a || !program.varying[i] {
                continue;
            }
            if let Some(j) = program
                .nodes
                .iter()
                .position(|n| *n == Node::Apply(b, args))
            {
                partner[i.min(j)] = Some((i.max(j), *pair, j < i));
            }
        }
    }
    partner
}

/// A program ready to run on blocks of up to [`BLOCK`] lanes, with the values of
/// its uniforms bound. Registers are reused once their value is no longer read,
/// so a long formula still works in a few blocks of memory.
#[derive(Debug)]
pub struct Evaluator {
    steps: Vec<Step>,
    registers: Vec<Vec<f64>>,
    outputs: Vec<Slot>,
}

impl Evaluator {
    /// `program` with `uniforms` (one value per uniform of its scope).
    pub fn new(program: &Program, uniforms: &[f64]) -> Evaluator {
        assert_eq!(
            uniforms.len(),
            program.scope.uniforms.len(),
            "one value per uniform"
        );
        let n = program.nodes.len();
        // Values that do not vary: computed now, one lane each.
        let mut fixed = vec![0.0; n];
        for (i, node) in program.nodes.iter().enumerate() {
            fixed[i] = match *node {
                Node::Uniform(u) => uniforms[u],
                Node::Literal(bits) => f64::from_bits(bits),
                Node::Apply(op, args) if !program.varying[i] => {
                    op.apply(&[fixed[args[0]], fixed[args[1]], fixed[args[2]]])
                }
                _ => 0.0,
            };
        }
        // The last step that reads each node, and whether a varying step reads
        // it; outputs are read after every step.
        let mut last_read = vec![0usize; n];
        let mut read_per_lane = vec![false; n];
        for (i, node) in program.nodes.iter().enumerate() {
            for &a in node.args() {
                last_read[a] = i;
                read_per_lane[a] |= program.varying[i];
            }
        }
        for &o in &program.outputs {
            last_read[o] = usize::MAX;
        }
        let mut registers: Vec<Vec<f64>> = Vec::new();
        let mut free: Vec<usize> = Vec::new();
        let mut slot: Vec<Option<Slot>> = vec![None; n];
        let mut steps = Vec::new();
        let partner = partners(program);
        for (i, node) in program.nodes.iter().enumerate() {
            if slot[i].is_some() {
                // Computed with its partner; what it read may now be free.
                free_after(node, i, &last_read, &slot, program, &mut free);
                continue;
            }
            slot[i] = Some(match *node {
                Node::Lane(l) => Slot::Lane(l),
                _ if !program.varying[i] => {
                    // Read by varying steps (or an output): a block of copies.
                    let needed = read_per_lane[i] || program.outputs.contains(&i);
                    if !needed {
                        continue;
                    }
                    // Its own register: it is filled once, here, never per block.
                    registers.push(vec![fixed[i]; BLOCK]);
                    Slot::Register(registers.len() - 1)
                }
                Node::Apply(op, args) => {
                    let out = register(&mut registers, &mut free);
                    let pair = partner[i].map(|(j, pair, swapped)| {
                        let other = register(&mut registers, &mut free);
                        slot[j] = Some(Slot::Register(other));
                        (pair, other, swapped)
                    });
                    let arg_slots = [0, 1, 2].map(|j| slot[args[j]].unwrap_or(Slot::Register(out)));
                    steps.push(Step {
                        kernel: op.def().kernel,
                        args: arg_slots,
                        out,
                        pair,
                    });
                    free_after(node, i, &last_read, &slot, program, &mut free);
                    Slot::Register(out)
                }
                Node::Uniform(_) | Node::Literal(_) => unreachable!("these never vary"),
            });
        }
        /// Frees the registers whose value node `i` read for the last time.
        fn free_after(
            node: &Node,
            i: usize,
            last_read: &[usize],
            slot: &[Option<Slot>],
            program: &Program,
            free: &mut Vec<usize>,
        ) {
            for &a in node.args() {
                if last_read[a] == i
                    && let Some(Slot::Register(r)) = slot[a]
                    && program.varying[a]
                    && !free.contains(&r)
                {
                    free.push(r);
                }
            }
        }
        Evaluator {
            steps,
            registers,
            outputs: program
                .outputs
                .iter()
                .map(|&o| slot[o].expect("outputs have slots"))
                .collect(),
        }
    }

    /// Evaluates one block of `len` ≤ [`BLOCK`] lanes (`lanes`: one slice of at
    /// least `len` values per lane input) and hands `f` the outputs, each `len`
    /// values long.
    pub fn eval<R>(&mut self, lanes: &[&[f64]], len: usize, f: impl FnOnce(&[&[f64]]) -> R) -> R {
        assert!(len <= BLOCK, "blocks hold at most {BLOCK} lanes");
        for step in &self.steps {
            let mut out = std::mem::take(&mut self.registers[step.out]);
            let mut other = step
                .pair
                .map(|(_, r, _)| std::mem::take(&mut self.registers[r]));
            let registers = &self.registers;
            let arg = |j: usize| -> &[f64] {
                match step.args[j] {
                    Slot::Lane(l) => &lanes[l][..len],
                    Slot::Register(r) => &registers[r][..len],
                }
            };
            let dst = &mut out[..len];
            match (step.kernel, step.pair, other.as_mut()) {
                (_, Some((pair, _, false)), Some(other)) => pair(arg(0), dst, &mut other[..len]),
                (_, Some((pair, _, true)), Some(other)) => pair(arg(0), &mut other[..len], dst),
                (Kernel::Unary(k), ..) => k(arg(0), dst),
                (Kernel::Binary(k), ..) => k(arg(0), arg(1), dst),
                (Kernel::Ternary(k), ..) => k(arg(0), arg(1), arg(2), dst),
            }
            self.registers[step.out] = out;
            if let (Some((_, r, _)), Some(other)) = (step.pair, other) {
                self.registers[r] = other;
            }
        }
        let outputs: Vec<&[f64]> = self
            .outputs
            .iter()
            .map(|slot| match *slot {
                Slot::Lane(l) => &lanes[l][..len],
                Slot::Register(r) => &self.registers[r][..len],
            })
            .collect();
        f(&outputs)
    }

    /// Registers in use: the evaluator's memory is this many blocks.
    pub fn registers(&self) -> usize {
        self.registers.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::Scope;

    fn eval(text: &str, xs: &[f64], p: f64) -> Vec<f64> {
        let scope = Scope::new(&["x"], &["p"]).unwrap();
        let program = Program::compile(&[text], &scope).unwrap();
        let mut ev = Evaluator::new(&program, &[p]);
        ev.eval(&[xs], xs.len(), |o| o[0].to_vec())
    }

    #[test]
    fn blocks_compute_what_the_scalar_functions_compute() {
        let xs: Vec<f64> = (0..BLOCK).map(|i| i as f64 * 0.37 - 20.0).collect();
        let got = eval(
            "sin(x)**2 + cos(x)*p - where(x > 1, exp(x/8), -x)",
            &xs,
            0.25,
        );
        for (&x, &g) in xs.iter().zip(&got) {
            let m = gearbox_core::math::sin(x);
            let w = if x > 1.0 {
                gearbox_core::math::exp(x / 8.0)
            } else {
                -x
            };
            let want = (m * m + gearbox_core::math::cos(x) * 0.25) - w;
            assert_eq!(g.to_bits(), want.to_bits(), "x = {x}");
        }
    }

    #[test]
    fn constants_and_outputs_that_are_inputs_work() {
        assert_eq!(eval("x", &[1.0, 2.0], 0.0), [1.0, 2.0]);
        assert_eq!(eval("p * 2", &[1.0, 2.0], 3.0), [6.0, 6.0]);
        assert_eq!(
            eval("(x < 2) & ~(x == 3) | (p != p)", &[1.0, 2.0, 3.0], 0.0),
            [1.0, 0.0, 0.0]
        );
    }

    #[test]
    fn sine_and_cosine_pairs_share_a_loop_and_give_the_same_bits() {
        let xs: Vec<f64> = (0..BLOCK).map(|i| i as f64 * 1.7 - 400.0).collect();
        for text in [
            "sin(x)*p + cos(x)",
            "cos(x) - sin(x)**2",
            "sind(x) + cosd(x)*cosd(x)",
        ] {
            let scope = Scope::new(&["x"], &["p"]).unwrap();
            let program = Program::compile(&[text], &scope).unwrap();
            let ev = Evaluator::new(&program, &[0.5]);
            assert_eq!(
                ev.steps.iter().filter(|s| s.pair.is_some()).count(),
                1,
                "{text}"
            );
            let got = eval(text, &xs, 0.5);
            for (&x, &g) in xs.iter().zip(&got) {
                let (s, c) = gearbox_core::math::sin_cos(x);
                let (sd, cd) = gearbox_core::math::sin_cos_degrees(x);
                let want = match text {
                    "sin(x)*p + cos(x)" => s * 0.5 + c,
                    "cos(x) - sin(x)**2" => c - s * s,
                    _ => sd + cd * cd,
                };
                assert_eq!(g.to_bits(), want.to_bits(), "{text} at {x}");
            }
        }
    }

    #[test]
    fn registers_are_reused_along_a_chain() {
        let scope = Scope::new(&["x"], &[]).unwrap();
        let long = (0..50).fold("x".to_string(), |acc, i| format!("sin({acc} + {i})"));
        let program = Program::compile(&[&long], &scope).unwrap();
        let ev = Evaluator::new(&program, &[]);
        // 50 literals are fixed registers; the chain itself needs two at a time.
        assert!(ev.registers() <= 53, "{}", ev.registers());
    }
}
