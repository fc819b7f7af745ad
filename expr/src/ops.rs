//! The one table of operations: how each is written, its WGSL, its CPU loop and
//! its accuracy. The parser, the CPU evaluator, the WGSL generator and the docs
//! all read this table (as NumExpr's `opcodes.hpp` drives its compiler and VM),
//! so an operation cannot exist on one side only.

use gearbox_core::math as m;

/// How an operation is written in a formula.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    /// `a op b`.
    Infix(&'static str),
    /// `op a`.
    Prefix(&'static str),
    /// `name(a, …)`.
    Call,
}

/// The CPU form of an operation: one tight loop over a block of lanes, the
/// function inlined into it, so it vectorises whatever the formula.
#[derive(Clone, Copy, Debug)]
pub enum Kernel {
    /// `out[i] = f(a[i])`.
    Unary(fn(&[f64], &mut [f64])),
    /// `out[i] = f(a[i], b[i])`.
    Binary(fn(&[f64], &[f64], &mut [f64])),
    /// `out[i] = f(a[i], b[i], c[i])`.
    Ternary(TernaryLoop),
}

/// The loop of a three-argument operation.
pub type TernaryLoop = fn(&[f64], &[f64], &[f64], &mut [f64]);

/// One operation of the language.
#[derive(Debug)]
pub struct OpDef {
    /// The name it is printed with (functions) or known by (operators).
    pub name: &'static str,
    /// Other spellings of a function (NumPy's `arcsin` for `asin`, …).
    pub aliases: &'static [&'static str],
    /// How it is written.
    pub syntax: Syntax,
    /// Its WGSL, with `{0}`, `{1}`, `{2}` for the arguments.
    pub wgsl: &'static str,
    /// Its CPU loop.
    pub kernel: Kernel,
    /// Its accuracy, for the documentation.
    pub accuracy: &'static str,
}

impl OpDef {
    /// Number of arguments.
    pub fn arity(&self) -> usize {
        match self.kernel {
            Kernel::Unary(_) => 1,
            Kernel::Binary(_) => 2,
            Kernel::Ternary(_) => 3,
        }
    }

    /// Every name a formula may call it by (none for operators).
    pub fn spellings(&self) -> impl Iterator<Item = &'static str> {
        let callable = self.syntax == Syntax::Call;
        std::iter::once(self.name)
            .chain(self.aliases.iter().copied())
            .filter(move |_| callable)
    }
}

/// An operation: an index into [`OPS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Op(u8);

impl Op {
    /// Its entry in [`OPS`].
    pub fn def(self) -> &'static OpDef {
        &OPS[usize::from(self.0)]
    }

    /// The operation called `name` (a function or one of its aliases).
    pub fn function(name: &str) -> Option<Op> {
        Op::find(|d| d.spellings().any(|s| s == name))
    }

    /// The operation written `symbol` in `syntax` position.
    pub(crate) fn operator(symbol: &str, prefix: bool) -> Option<Op> {
        Op::find(|d| match d.syntax {
            Syntax::Infix(s) => !prefix && s == symbol,
            Syntax::Prefix(s) => prefix && s == symbol,
            Syntax::Call => false,
        })
    }

    /// The operation named `name` in the table (operators included).
    pub(crate) fn named(name: &str) -> Op {
        Op::find(|d| d.name == name).expect("an operation of the table")
    }

    fn find(hit: impl FnMut(&OpDef) -> bool) -> Option<Op> {
        OPS.iter().position(hit).map(|i| Op(i as u8))
    }

    /// Applies the operation to one value per argument (constants, tests).
    pub fn apply(self, args: &[f64]) -> f64 {
        let mut out = [0.0];
        match self.def().kernel {
            Kernel::Unary(f) => f(&args[..1], &mut out),
            Kernel::Binary(f) => f(&args[..1], &args[1..2], &mut out),
            Kernel::Ternary(f) => f(&args[..1], &args[1..2], &args[2..3], &mut out),
        }
        out[0]
    }
}

/// The loop of an operation pair: one argument, two results.
pub type PairLoop = fn(&[f64], &mut [f64], &mut [f64]);

/// The loop of a pair: `f` of each lane of `a` into `s` and `c`, compiled for
/// each CPU level (gearbox_core::dispatch).
macro_rules! pair {
    ($f:path) => {{
        gearbox_core::dispatched! {
            fn pair(a: &[f64], s: &mut [f64], c: &mut [f64]) {
                for ((s, c), &x) in s.iter_mut().zip(c.iter_mut()).zip(a) {
                    (*s, *c) = $f(x);
                }
            }
        }
        pair
    }};
}

/// Operations on the same argument that one CPU loop computes together, sharing
/// the argument reduction: when a program computes both (`sin(x)` and `cos(x)`),
/// the evaluator runs the pair's loop once. Same bits as the two alone.
pub static PAIRS: &[(&str, &str, PairLoop)] = &[
    ("sin", "cos", pair!(m::sin_cos)),
    ("sind", "cosd", pair!(m::sin_cos_degrees)),
];

/// The CPU loop of a closure over one, two or three lanes, compiled for each
/// CPU level (gearbox_core::dispatch).
macro_rules! kernel {
    (|$a:ident| $body:expr) => {
        Kernel::Unary({
            gearbox_core::dispatched! {
                fn block(a: &[f64], out: &mut [f64]) {
                    for (o, &$a) in out.iter_mut().zip(a) {
                        *o = $body;
                    }
                }
            }
            block
        })
    };
    (|$a:ident, $b:ident| $body:expr) => {
        Kernel::Binary({
            gearbox_core::dispatched! {
                fn block(a: &[f64], b: &[f64], out: &mut [f64]) {
                    for ((o, &$a), &$b) in out.iter_mut().zip(a).zip(b) {
                        *o = $body;
                    }
                }
            }
            block
        })
    };
    (|$a:ident, $b:ident, $c:ident| $body:expr) => {
        Kernel::Ternary({
            gearbox_core::dispatched! {
                fn block(a: &[f64], b: &[f64], c: &[f64], out: &mut [f64]) {
                    for (((o, &$a), &$b), &$c) in out.iter_mut().zip(a).zip(b).zip(c) {
                        *o = $body;
                    }
                }
            }
            block
        })
    };
}

/// 1 for true, 0 for false: the language's booleans.
#[inline(always)]
fn truth(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

const EXACT: &str = "correctly rounded";
const EXACTLY: &str = "exact";
const ULP: &str = "≤ 1 ulp";

use Syntax::{Call, Infix, Prefix};

/// Every operation of the language.
#[rustfmt::skip]
pub static OPS: &[OpDef] = &[
    OpDef { name: "add", aliases: &[], syntax: Infix("+"), wgsl: "({0} + {1})", accuracy: EXACT, kernel: kernel!(|a, b| a + b) },
    OpDef { name: "sub", aliases: &[], syntax: Infix("-"), wgsl: "({0} - {1})", accuracy: EXACT, kernel: kernel!(|a, b| a - b) },
    OpDef { name: "mul", aliases: &[], syntax: Infix("*"), wgsl: "({0} * {1})", accuracy: EXACT, kernel: kernel!(|a, b| a * b) },
    OpDef { name: "div", aliases: &[], syntax: Infix("/"), wgsl: "({0} / {1})", accuracy: EXACT, kernel: kernel!(|a, b| a / b) },
    OpDef { name: "neg", aliases: &[], syntax: Prefix("-"), wgsl: "(-{0})", accuracy: EXACTLY, kernel: kernel!(|a| -a) },
    OpDef { name: "lt", aliases: &[], syntax: Infix("<"), wgsl: "select(0.0lf, 1.0lf, {0} < {1})", accuracy: EXACTLY, kernel: kernel!(|a, b| truth(a < b)) },
    OpDef { name: "le", aliases: &[], syntax: Infix("<="), wgsl: "select(0.0lf, 1.0lf, {0} <= {1})", accuracy: EXACTLY, kernel: kernel!(|a, b| truth(a <= b)) },
    OpDef { name: "gt", aliases: &[], syntax: Infix(">"), wgsl: "select(0.0lf, 1.0lf, {0} > {1})", accuracy: EXACTLY, kernel: kernel!(|a, b| truth(a > b)) },
    OpDef { name: "ge", aliases: &[], syntax: Infix(">="), wgsl: "select(0.0lf, 1.0lf, {0} >= {1})", accuracy: EXACTLY, kernel: kernel!(|a, b| truth(a >= b)) },
    OpDef { name: "eq", aliases: &[], syntax: Infix("=="), wgsl: "select(0.0lf, 1.0lf, {0} == {1})", accuracy: EXACTLY, kernel: kernel!(|a, b| truth(a == b)) },
    OpDef { name: "ne", aliases: &[], syntax: Infix("!="), wgsl: "select(0.0lf, 1.0lf, {0} != {1})", accuracy: EXACTLY, kernel: kernel!(|a, b| truth(a != b)) },
    OpDef { name: "and", aliases: &[], syntax: Infix("&"), wgsl: "select(0.0lf, 1.0lf, {0} != 0.0lf && {1} != 0.0lf)", accuracy: EXACTLY, kernel: kernel!(|a, b| truth(a != 0.0 && b != 0.0)) },
    OpDef { name: "or", aliases: &[], syntax: Infix("|"), wgsl: "select(0.0lf, 1.0lf, {0} != 0.0lf || {1} != 0.0lf)", accuracy: EXACTLY, kernel: kernel!(|a, b| truth(a != 0.0 || b != 0.0)) },
    OpDef { name: "not", aliases: &[], syntax: Prefix("~"), wgsl: "select(0.0lf, 1.0lf, {0} == 0.0lf)", accuracy: EXACTLY, kernel: kernel!(|a| truth(a == 0.0)) },
    OpDef { name: "where", aliases: &[], syntax: Call, wgsl: "select({2}, {1}, {0} != 0.0lf)", accuracy: EXACTLY, kernel: kernel!(|c, a, b| if c != 0.0 { a } else { b }) },
    OpDef { name: "pow", aliases: &["power"], syntax: Call, wgsl: "pow_f64({0}, {1})", accuracy: ULP, kernel: kernel!(|a, b| m::pow(a, b)) },
    OpDef { name: "sqrt", aliases: &[], syntax: Call, wgsl: "sqrt({0})", accuracy: EXACT, kernel: kernel!(|a| a.sqrt()) },
    OpDef { name: "cbrt", aliases: &[], syntax: Call, wgsl: "cbrt_f64({0})", accuracy: ULP, kernel: kernel!(|a| m::cbrt(a)) },
    OpDef { name: "hypot", aliases: &[], syntax: Call, wgsl: "hypot_f64({0}, {1})", accuracy: ULP, kernel: kernel!(|a, b| m::hypot(a, b)) },
    OpDef { name: "abs", aliases: &["absolute"], syntax: Call, wgsl: "abs({0})", accuracy: EXACTLY, kernel: kernel!(|a| a.abs()) },
    OpDef { name: "floor", aliases: &[], syntax: Call, wgsl: "floor({0})", accuracy: EXACTLY, kernel: kernel!(|a| a.floor()) },
    OpDef { name: "ceil", aliases: &[], syntax: Call, wgsl: "ceil({0})", accuracy: EXACTLY, kernel: kernel!(|a| a.ceil()) },
    OpDef { name: "trunc", aliases: &["fix"], syntax: Call, wgsl: "trunc_f64({0})", accuracy: EXACTLY, kernel: kernel!(|a| a.trunc()) },
    OpDef { name: "round", aliases: &["rint"], syntax: Call, wgsl: "round_f64({0})", accuracy: "exact (ties to even, as NumPy)", kernel: kernel!(|a| a.round_ties_even()) },
    OpDef { name: "min", aliases: &["minimum"], syntax: Call, wgsl: "select({1}, {0}, {0} < {1})", accuracy: EXACTLY, kernel: kernel!(|a, b| if a < b { a } else { b }) },
    OpDef { name: "max", aliases: &["maximum"], syntax: Call, wgsl: "select({1}, {0}, {0} > {1})", accuracy: EXACTLY, kernel: kernel!(|a, b| if a > b { a } else { b }) },
    OpDef { name: "exp", aliases: &[], syntax: Call, wgsl: "exp_f64({0})", accuracy: ULP, kernel: kernel!(|a| m::exp(a)) },
    OpDef { name: "exp2", aliases: &[], syntax: Call, wgsl: "exp2_f64({0})", accuracy: ULP, kernel: kernel!(|a| m::exp2(a)) },
    OpDef { name: "expm1", aliases: &[], syntax: Call, wgsl: "expm1_f64({0})", accuracy: ULP, kernel: kernel!(|a| m::expm1(a)) },
    OpDef { name: "log", aliases: &[], syntax: Call, wgsl: "log_f64({0})", accuracy: ULP, kernel: kernel!(|a| m::log(a)) },
    OpDef { name: "log2", aliases: &[], syntax: Call, wgsl: "log2_f64({0})", accuracy: ULP, kernel: kernel!(|a| m::log2(a)) },
    OpDef { name: "log10", aliases: &[], syntax: Call, wgsl: "log10_f64({0})", accuracy: ULP, kernel: kernel!(|a| m::log10(a)) },
    OpDef { name: "log1p", aliases: &[], syntax: Call, wgsl: "log1p_f64({0})", accuracy: ULP, kernel: kernel!(|a| m::log1p(a)) },
    OpDef { name: "sin", aliases: &[], syntax: Call, wgsl: "sin_f64({0})", accuracy: ULP, kernel: kernel!(|a| m::sin(a)) },
    OpDef { name: "cos", aliases: &[], syntax: Call, wgsl: "cos_f64({0})", accuracy: ULP, kernel: kernel!(|a| m::cos(a)) },
    OpDef { name: "tan", aliases: &[], syntax: Call, wgsl: "tan_f64({0})", accuracy: ULP, kernel: kernel!(|a| m::tan(a)) },
    OpDef { name: "asin", aliases: &["arcsin"], syntax: Call, wgsl: "asin_f64({0})", accuracy: ULP, kernel: kernel!(|a| m::asin(a)) },
    OpDef { name: "acos", aliases: &["arccos"], syntax: Call, wgsl: "acos_f64({0})", accuracy: ULP, kernel: kernel!(|a| m::acos(a)) },
    OpDef { name: "atan", aliases: &["arctan"], syntax: Call, wgsl: "atan_f64({0})", accuracy: ULP, kernel: kernel!(|a| m::atan(a)) },
    OpDef { name: "atan2", aliases: &["arctan2"], syntax: Call, wgsl: "atan2_f64({0}, {1})", accuracy: ULP, kernel: kernel!(|a, b| m::atan2(a, b)) },
    OpDef { name: "sinh", aliases: &[], syntax: Call, wgsl: "sinh_f64({0})", accuracy: ULP, kernel: kernel!(|a| m::sinh(a)) },
    OpDef { name: "cosh", aliases: &[], syntax: Call, wgsl: "cosh_f64({0})", accuracy: ULP, kernel: kernel!(|a| m::cosh(a)) },
    OpDef { name: "tanh", aliases: &[], syntax: Call, wgsl: "tanh_f64({0})", accuracy: ULP, kernel: kernel!(|a| m::tanh(a)) },
    OpDef { name: "asinh", aliases: &["arcsinh"], syntax: Call, wgsl: "asinh_f64({0})", accuracy: ULP, kernel: kernel!(|a| m::asinh(a)) },
    OpDef { name: "acosh", aliases: &["arccosh"], syntax: Call, wgsl: "acosh_f64({0})", accuracy: ULP, kernel: kernel!(|a| m::acosh(a)) },
    OpDef { name: "atanh", aliases: &["arctanh"], syntax: Call, wgsl: "atanh_f64({0})", accuracy: ULP, kernel: kernel!(|a| m::atanh(a)) },
    OpDef { name: "erf", aliases: &[], syntax: Call, wgsl: "erf_f64({0})", accuracy: ULP, kernel: kernel!(|a| m::erf(a)) },
    OpDef { name: "erfc", aliases: &[], syntax: Call, wgsl: "erfc_f64({0})", accuracy: ULP, kernel: kernel!(|a| m::erfc(a)) },
    OpDef { name: "radians", aliases: &["deg2rad"], syntax: Call, wgsl: "radians_f64({0})", accuracy: "≤ 0.5 ulp (from a double-double product)", kernel: kernel!(|a| m::radians(a)) },
    OpDef { name: "degrees", aliases: &["rad2deg"], syntax: Call, wgsl: "degrees_f64({0})", accuracy: "≤ 0.5 ulp (from a double-double product)", kernel: kernel!(|a| m::degrees(a)) },
    OpDef { name: "sind", aliases: &[], syntax: Call, wgsl: "sind_f64({0})", accuracy: "≤ 1 ulp; exactly 0 at multiples of 180°", kernel: kernel!(|a| m::sind(a)) },
    OpDef { name: "cosd", aliases: &[], syntax: Call, wgsl: "cosd_f64({0})", accuracy: "≤ 1 ulp; exactly 0 at 90° + multiples of 180°", kernel: kernel!(|a| m::cosd(a)) },
];
