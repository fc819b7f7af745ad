//! # gearbox-expr
//!
//! gearbox's expression language: a formula written as in NumExpr
//! (`sin(twoPi*a)**2 + cos(twoPi*a)**2`, `log(k)/k**p`), parsed once and run on
//! every backend from one tree:
//! - on the CPU by an [`Evaluator`] over blocks of lanes, each operation one
//!   vectorising loop (no compiler at run time);
//! - on the GPU as WGSL calling the shared `<name>_f64` functions ([`wgsl`]).
//!
//! One table ([`ops::OPS`]) says for every operation how it is written, its
//! WGSL, its CPU loop and its accuracy. Evaluation follows the formula as
//! written (no reassociation, no contraction), so every backend computes the
//! same operations; common subexpressions are computed once.
//!
//! ```
//! use gearbox_expr::SeriesTerm;
//!
//! let basel = SeriesTerm::new("1/k**2", &[]).unwrap();
//! let s = basel.partial_sum(1, 1_000_000).to_f64();
//! assert!((s - 1.644_933_066_848_726_5).abs() < 1e-15);
//! assert!(basel.wgsl().contains("fn series_partial"));
//! ```
//!
//! Plugins and the Python package use this crate; backends never do.

#![deny(missing_docs)]

mod cpu;
mod error;
mod grid;
pub mod ops;
mod parse;
mod program;
mod series;
pub mod wgsl;

pub use cpu::{BLOCK, Evaluator};
pub use error::ExprError;
pub use grid::{GridFormula, MAX_DIMS, parse_statements};
pub use parse::{Ast, parse};
pub use program::{CONSTANTS, Node, Program, Scope};
pub use series::{INDEX, SeriesTerm, parse_constants};
