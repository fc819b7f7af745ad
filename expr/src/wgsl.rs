//! Programs to WGSL: one `let` per node, in the program's order, each the
//! operation's WGSL from [`crate::ops`] (the shared `<name>_f64` functions for
//! everything but the exact built-ins), uniforms read from the params uniform.

use crate::program::{Node, Program};

/// A literal as WGSL writes an f64: the shortest text that reads back exactly.
pub fn literal(x: f64) -> String {
    format!("{x:?}lf")
}

/// The WGSL of `program`: `let` statements (one per node, indented four spaces)
/// and the expression of each output. `lane(i)` names lane input `i`, and
/// `uniform(i)` uniform `i` (e.g. `params.c_p`).
pub fn body(
    program: &Program,
    lane: impl Fn(usize) -> String,
    uniform: impl Fn(usize) -> String,
) -> (String, Vec<String>) {
    let mut lets = String::new();
    let value = |i: usize| format!("v{i}");
    for (i, node) in program.nodes.iter().enumerate() {
        let expr = match *node {
            Node::Lane(l) => lane(l),
            Node::Uniform(u) => uniform(u),
            Node::Literal(bits) => literal(f64::from_bits(bits)),
            Node::Apply(op, args) => {
                let mut text = op.def().wgsl.to_string();
                for (j, &a) in args[..op.def().arity()].iter().enumerate() {
                    text = text.replace(&format!("{{{j}}}"), &value(a));
                }
                text
            }
        };
        lets.push_str(&format!("    let {} = {expr};\n", value(i)));
    }
    let outputs = program.outputs.iter().map(|&o| value(o)).collect();
    (lets, outputs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::Scope;

    #[test]
    fn each_node_is_one_let_in_program_order() {
        let scope = Scope::new(&["k"], &["p"]).unwrap();
        let program = Program::compile(&["log(k)/k**p", "-k**2"], &scope).unwrap();
        let (lets, outputs) = body(&program, |_| "x".into(), |_| "params.c_p".into());
        assert_eq!(
            lets,
            "    let v0 = x;\n    let v1 = log_f64(v0);\n    let v2 = params.c_p;\n    \
             let v3 = pow_f64(v0, v2);\n    let v4 = (v1 / v3);\n    let v5 = (v0 * v0);\n    \
             let v6 = (-v5);\n"
        );
        assert_eq!(outputs, ["v4", "v6"]);
    }

    #[test]
    fn literals_read_back_exactly() {
        for x in [0.1, 2.0, 1e300, 5e-324, 1.0 / 3.0] {
            let text = literal(x);
            let back: f64 = text.trim_end_matches("lf").parse().unwrap();
            assert_eq!(back, x);
        }
    }
}
