//! Trees to programs: names resolved, common subexpressions merged (each
//! distinct operation on the same operands computed once), and the nodes put in
//! an order both code paths follow. Nothing is reassociated or contracted: the
//! CPU and the GPU compute the same operations in the same order.

use std::collections::HashMap;

pub(crate) use gearbox_core::workload::is_plain_name;

use crate::error::{ExprError, suggest};
use crate::ops::{OPS, Op};
use crate::parse::{Ast, parse};

/// Names a formula may use, and what each stands for.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// Per-lane values (the series index `k`, element-wise operands).
    pub lanes: Vec<String>,
    /// Values fixed for a whole run (named constants): uniforms on the GPU.
    pub uniforms: Vec<String>,
}

/// The built-in constants, which no variable may shadow.
pub const CONSTANTS: [(&str, f64); 2] = [("pi", std::f64::consts::PI), ("e", std::f64::consts::E)];

impl Scope {
    /// A scope of lanes `lanes` and uniforms `uniforms`; fails when a name is
    /// used twice, is not a plain name, or is a built-in constant or function.
    pub fn new(lanes: &[&str], uniforms: &[&str]) -> Result<Scope, String> {
        let all: Vec<&str> = lanes.iter().chain(uniforms).copied().collect();
        for (i, name) in all.iter().enumerate() {
            if !is_plain_name(name) {
                return Err(format!(
                    "{name:?} is not a plain name (letters, digits and _)"
                ));
            }
            if all[..i].contains(name) {
                return Err(format!("the name {name} is given twice"));
            }
            if CONSTANTS.iter().any(|(c, _)| c == name) {
                return Err(format!(
                    "{name} is a built-in constant; give the value another name"
                ));
            }
            if Op::function(name).is_some() {
                return Err(format!("{name} is a function; give the value another name"));
            }
        }
        Ok(Scope {
            lanes: lanes.iter().map(|s| s.to_string()).collect(),
            uniforms: uniforms.iter().map(|s| s.to_string()).collect(),
        })
    }
}

/// Whether each node (in evaluation order) depends on a lane.
fn varying(nodes: &[Node]) -> Vec<bool> {
    let mut varying = Vec::with_capacity(nodes.len());
    for node in nodes {
        let v = match node {
            Node::Lane(_) => true,
            Node::Uniform(_) | Node::Literal(_) => false,
            Node::Apply(..) => node.args().iter().any(|&a| varying[a]),
        };
        varying.push(v);
    }
    varying
}

/// A node of a program: a value per lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Node {
    /// Lane input `i` of the scope.
    Lane(usize),
    /// Uniform `i` of the scope.
    Uniform(usize),
    /// A literal (its bits, so nodes can be hashed).
    Literal(u64),
    /// An operation on earlier nodes (unused argument slots are 0).
    Apply(Op, [usize; 3]),
}

impl Node {
    /// The nodes this one reads.
    pub fn args(&self) -> &[usize] {
        match self {
            Node::Apply(op, args) => &args[..op.def().arity()],
            _ => &[],
        }
    }
}

/// One or more formulas over a scope, compiled: every node after the nodes it
/// reads, each distinct node once.
#[derive(Clone, Debug)]
pub struct Program {
    /// The nodes, in evaluation order.
    pub nodes: Vec<Node>,
    /// The node of each output, in the order given.
    pub outputs: Vec<usize>,
    /// What the names stand for.
    pub scope: Scope,
    /// Whether each node depends on a lane (false: the same for every lane).
    pub varying: Vec<bool>,
}

impl Program {
    /// Compiles the formulas `texts` over `scope`; errors name the formula's column.
    pub fn compile(texts: &[&str], scope: &Scope) -> Result<Program, ExprError> {
        let mut builder = Builder {
            scope,
            nodes: Vec::new(),
            known: HashMap::new(),
        };
        let mut outputs = Vec::new();
        for text in texts {
            let ast = parse(text)?;
            outputs.push(builder.lower(&ast)?);
        }
        let nodes = builder.nodes;
        let varying = varying(&nodes);
        Ok(Program {
            nodes,
            outputs,
            scope: scope.clone(),
            varying,
        })
    }
}

impl Program {
    /// The part of this program that computes the nodes `roots`, with the nodes
    /// `lanes` read as lane inputs (lane `i` is node `lanes[i]`) instead of computed;
    /// `scope` names those lanes and keeps this program's uniforms. Fails when a
    /// root needs one of this program's lanes that is not in `lanes`.
    pub fn extract(
        &self,
        roots: &[usize],
        lanes: &[usize],
        scope: Scope,
    ) -> Result<Program, String> {
        let mut needed = vec![false; self.nodes.len()];
        for &r in roots {
            needed[r] = true;
        }
        for i in (0..self.nodes.len()).rev() {
            if needed[i] && !lanes.contains(&i) {
                for &a in self.nodes[i].args() {
                    needed[a] = true;
                }
            }
        }
        let mut builder = Builder {
            scope: &scope,
            nodes: Vec::new(),
            known: HashMap::new(),
        };
        let mut new_index = vec![usize::MAX; self.nodes.len()];
        for (i, node) in self.nodes.iter().enumerate() {
            if !needed[i] {
                continue;
            }
            let node = match (lanes.iter().position(|&l| l == i), *node) {
                (Some(l), _) => Node::Lane(l),
                (None, Node::Lane(l)) => {
                    return Err(format!("the formula needs {} here", self.scope.lanes[l]));
                }
                (None, node @ Node::Apply(op, _)) => {
                    let mut args = [0; 3];
                    for (slot, &a) in args.iter_mut().zip(node.args()) {
                        *slot = new_index[a];
                    }
                    Node::Apply(op, args)
                }
                (None, other) => other,
            };
            new_index[i] = builder.node(node);
        }
        let nodes = builder.nodes;
        let varying = varying(&nodes);
        Ok(Program {
            nodes,
            outputs: roots.iter().map(|&r| new_index[r]).collect(),
            scope,
            varying,
        })
    }

    /// Whether each lane of the scope is read by some node.
    pub fn lanes_read(&self) -> Vec<bool> {
        let mut read = vec![false; self.scope.lanes.len()];
        for node in &self.nodes {
            if let Node::Lane(l) = *node {
                read[l] = true;
            }
        }
        read
    }

    /// Which lanes each node depends on, as a bit mask over `lane_masks` (the
    /// mask of each lane input): e.g. one bit per grid dimension.
    pub fn masks(&self, lane_masks: &[u32]) -> Vec<u32> {
        let mut masks: Vec<u32> = Vec::with_capacity(self.nodes.len());
        for node in &self.nodes {
            let m = match *node {
                Node::Lane(l) => lane_masks[l],
                Node::Uniform(_) | Node::Literal(_) => 0,
                Node::Apply(..) => node.args().iter().fold(0, |m, &a| m | masks[a]),
            };
            masks.push(m);
        }
        masks
    }
}

struct Builder<'s> {
    scope: &'s Scope,
    nodes: Vec<Node>,
    known: HashMap<Node, usize>,
}

impl Builder<'_> {
    /// The index of `node`, added unless an identical one exists.
    fn node(&mut self, node: Node) -> usize {
        *self.known.entry(node).or_insert_with(|| {
            self.nodes.push(node);
            self.nodes.len() - 1
        })
    }

    fn literal(&mut self, x: f64) -> usize {
        self.node(Node::Literal(x.to_bits()))
    }

    fn apply(&mut self, op: &str, args: &[usize]) -> usize {
        let mut slots = [0; 3];
        slots[..args.len()].copy_from_slice(args);
        self.node(Node::Apply(Op::named(op), slots))
    }

    fn lower(&mut self, ast: &Ast) -> Result<usize, ExprError> {
        match ast {
            Ast::Number(x) => Ok(self.literal(*x)),
            Ast::Name { name, column } => self.name(name, *column),
            Ast::Apply { op, args, .. } => {
                // Powers with a literal exponent of 2, 1, 0.5, 0 or −1 are the
                // correctly rounded operation (k**2 is k*k), as NumExpr does.
                if *op == Op::named("pow")
                    && let Ast::Number(y) = args[1]
                {
                    let x = self.lower(&args[0])?;
                    match y {
                        2.0 => return Ok(self.apply("mul", &[x, x])),
                        1.0 => return Ok(x),
                        0.5 => return Ok(self.apply("sqrt", &[x])),
                        0.0 => return Ok(self.literal(1.0)),
                        -1.0 => {
                            let one = self.literal(1.0);
                            return Ok(self.apply("div", &[one, x]));
                        }
                        _ => {}
                    }
                }
                let mut slots = [0; 3];
                for (slot, arg) in slots.iter_mut().zip(args) {
                    *slot = self.lower(arg)?;
                }
                Ok(self.node(Node::Apply(*op, slots)))
            }
        }
    }

    fn name(&mut self, name: &str, column: usize) -> Result<usize, ExprError> {
        if let Some(i) = self.scope.lanes.iter().position(|n| n == name) {
            return Ok(self.node(Node::Lane(i)));
        }
        if let Some(i) = self.scope.uniforms.iter().position(|n| n == name) {
            return Ok(self.node(Node::Uniform(i)));
        }
        if let Some((_, value)) = CONSTANTS.iter().find(|(c, _)| *c == name) {
            return Ok(self.literal(*value));
        }
        let known = self
            .scope
            .lanes
            .iter()
            .chain(&self.scope.uniforms)
            .map(String::as_str)
            .chain(CONSTANTS.iter().map(|(c, _)| *c));
        let mut error = ExprError::new(format!("unknown name '{name}'"), column);
        error = error.hint(suggest(name, known, "names here"));
        if Op::function(name).is_some() || OPS.iter().any(|d| d.name == name) {
            error = error.hint(format!("{name} is a function: call it, {name}(…)"));
        }
        Err(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope::new(&["k"], &["p"]).unwrap()
    }

    #[test]
    fn common_subexpressions_are_computed_once() {
        let p = Program::compile(&["sin(k)**2 + sin(k)*p"], &scope()).unwrap();
        let sines = p
            .nodes
            .iter()
            .filter(|n| matches!(n, Node::Apply(op, _) if op.def().name == "sin"))
            .count();
        assert_eq!(sines, 1);
        // k, sin, sin*sin, p, sin*p, +
        assert_eq!(p.nodes.len(), 6);
    }

    #[test]
    fn outputs_share_nodes_and_constants_do_not_vary() {
        let p = Program::compile(&["cos(p*pi)*k", "cos(p*pi)"], &scope()).unwrap();
        assert_eq!(p.outputs.len(), 2);
        assert!(p.varying[p.outputs[0]]);
        assert!(!p.varying[p.outputs[1]]);
        assert!(p.outputs[1] < p.outputs[0]);
    }

    #[test]
    fn small_literal_powers_become_exact_operations() {
        let p = Program::compile(&["k**2"], &scope()).unwrap();
        assert_eq!(
            p.nodes[p.outputs[0]],
            Node::Apply(Op::named("mul"), [0, 0, 0])
        );
        let p = Program::compile(&["k**0.5"], &scope()).unwrap();
        assert_eq!(
            p.nodes[p.outputs[0]],
            Node::Apply(Op::named("sqrt"), [0, 0, 0])
        );
        let p = Program::compile(&["k**2.5"], &scope()).unwrap();
        assert!(matches!(p.nodes[p.outputs[0]], Node::Apply(op, _) if op == Op::named("pow")));
    }

    #[test]
    fn unknown_names_list_what_exists() {
        let e = Program::compile(&["1/kk"], &scope()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown name 'kk' at column 3; did you mean k?"
        );
        let e = Program::compile(&["zzzzz"], &scope()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown name 'zzzzz' at column 1; names here: e, k, p, pi"
        );
        let e = Program::compile(&["sin + 1"], &scope()).unwrap_err();
        assert!(e.to_string().contains("sin is a function"), "{e}");
    }

    #[test]
    fn scopes_refuse_clashing_names() {
        assert!(Scope::new(&["k"], &["k"]).unwrap_err().contains("twice"));
        assert!(
            Scope::new(&["k"], &["pi"])
                .unwrap_err()
                .contains("built-in")
        );
        assert!(Scope::new(&["sin"], &[]).unwrap_err().contains("function"));
        assert!(Scope::new(&["a-b"], &[]).unwrap_err().contains("plain"));
    }
}
