//! Composing a workload's WGSL with gearbox's library and a driver, and checking
//! it with naga before the driver ever sees it: compile errors name the part of
//! the shader (library, workload, driver) and its own line, and f64 calls of the
//! transcendental built-ins, which Vulkan drivers compute wrongly without an
//! error (wgpu #6087), are refused.

use anyhow::{anyhow, bail};
use wgpu::naga::{self, MathFunction, ScalarKind, valid};

/// A shader made of named parts, concatenated in order.
pub struct Composed {
    /// The whole WGSL text.
    pub text: String,
    /// Each part's name and first line (1-based) in `text`.
    parts: Vec<(&'static str, u32)>,
}

impl Composed {
    /// Concatenates `parts` (name, WGSL), each starting on a fresh line.
    pub fn new(parts: &[(&'static str, &str)]) -> Composed {
        let mut text = String::new();
        let mut starts = Vec::new();
        for (name, wgsl) in parts {
            starts.push((*name, text.lines().count() as u32 + 1));
            text.push_str(wgsl);
            if !text.ends_with('\n') {
                text.push('\n');
            }
        }
        Composed {
            text,
            parts: starts,
        }
    }

    /// "workload line 7 (`code`)" for line `line` of the whole text.
    fn place(&self, line: u32) -> String {
        let (name, start) = self
            .parts
            .iter()
            .rev()
            .find(|(_, start)| *start <= line)
            .copied()
            .unwrap_or(("shader", 1));
        let code = self
            .text
            .lines()
            .nth(line as usize - 1)
            .unwrap_or("")
            .trim();
        format!("{name} WGSL line {} (`{code}`)", line - start + 1)
    }

    fn place_of(&self, location: Option<naga::SourceLocation>) -> String {
        location.map_or_else(|| "the shader".into(), |l| self.place(l.line_number))
    }

    /// Parses and validates the shader and refuses f64 transcendental built-ins.
    pub fn check(&self) -> anyhow::Result<()> {
        let module = naga::front::wgsl::parse_str(&self.text).map_err(|e| {
            let labels: Vec<&str> = e
                .labels()
                .map(|(_, label)| label)
                .filter(|l| !l.is_empty())
                .collect();
            let detail = if labels.is_empty() {
                String::new()
            } else {
                format!(" ({})", labels.join("; "))
            };
            anyhow!(
                "WGSL error at {}: {}{detail}",
                self.place_of(e.location(&self.text)),
                e.message()
            )
        })?;
        let info = valid::Validator::new(valid::ValidationFlags::all(), valid::Capabilities::all())
            .validate(&module)
            .map_err(|e| {
                let mut message = e.as_inner().to_string();
                let mut source: &dyn std::error::Error = e.as_inner();
                while let Some(next) = source.source() {
                    message = format!("{message}: {next}");
                    source = next;
                }
                anyhow!(
                    "WGSL error at {}: {message}",
                    self.place_of(e.location(&self.text))
                )
            })?;
        let functions = module
            .functions
            .iter()
            .map(|(handle, f)| (f, &info[handle]))
            .chain(
                module
                    .entry_points
                    .iter()
                    .enumerate()
                    .map(|(i, ep)| (&ep.function, info.get_entry_point(i))),
            );
        for (function, finfo) in functions {
            for (handle, expr) in function.expressions.iter() {
                let naga::Expression::Math { fun, arg, .. } = *expr else {
                    continue;
                };
                let Some((name, why, instead)) = inexact_on_f64(fun) else {
                    continue;
                };
                let scalar = finfo[arg].ty.inner_with(&module.types).scalar();
                if scalar.is_some_and(|s| s.kind == ScalarKind::Float && s.width == 8) {
                    let span = function.expressions.get_span(handle);
                    bail!(
                        "WGSL calls the built-in {name} on f64, which {why}; {instead} (at {})",
                        self.place(span.location(&self.text).line_number)
                    );
                }
            }
        }
        Ok(())
    }
}

/// Why the GLSL.std.450 built-ins are refused on f64.
const WRONG: &str = "is wrong on most Vulkan drivers (wgpu #6087)";

/// The WGSL name of `fun`, why it is refused and what to use instead, if `fun` has no exact f64
/// SPIR-V form: naga lowers these to GLSL.std.450 instructions defined only for
/// 16- and 32-bit floats (garbage on Mesa), or, for inverseSqrt, to one whose
/// rounding is the driver's.
fn inexact_on_f64(fun: MathFunction) -> Option<(&'static str, &'static str, String)> {
    use MathFunction as M;
    let name = match fun {
        M::Sin => "sin",
        M::Cos => "cos",
        M::Tan => "tan",
        M::Asin => "asin",
        M::Acos => "acos",
        M::Atan => "atan",
        M::Atan2 => "atan2",
        M::Sinh => "sinh",
        M::Cosh => "cosh",
        M::Tanh => "tanh",
        M::Asinh => "asinh",
        M::Acosh => "acosh",
        M::Atanh => "atanh",
        M::Exp => "exp",
        M::Exp2 => "exp2",
        M::Log => "log",
        M::Log2 => "log2",
        M::Pow => "pow",
        M::InverseSqrt => {
            return Some((
                "inverseSqrt",
                "is not correctly rounded on Vulkan drivers",
                "use 1.0 / sqrt(x) (sqrt is correctly rounded)".into(),
            ));
        }
        M::Radians => "radians",
        M::Degrees => "degrees",
        _ => return None,
    };
    let instead = match fun {
        M::Radians => "multiply by 0.017453292519943295lf".into(),
        M::Degrees => "multiply by 57.29577951308232lf".into(),
        _ => format!("use {name}_f64 from gearbox's shared WGSL"),
    };
    Some((name, WRONG, instead))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(workload: &str) -> anyhow::Result<()> {
        Composed::new(&[
            ("library", &gearbox_core::wgsl::library()),
            ("workload", workload),
            (
                "driver",
                "@compute @workgroup_size(1)\nfn main() {\n    _ = f(2.0lf);\n}\n",
            ),
        ])
        .check()
    }

    #[test]
    fn f64_arithmetic_is_accepted() {
        check("fn f(x: f64) -> f64 {\n    return sqrt(x) * floor(x) + abs(x);\n}\n").unwrap();
    }

    #[test]
    fn f64_cos_is_refused_with_its_place() {
        let e = check("fn f(x: f64) -> f64 {\n    let y = x + 1.0;\n    return cos(y);\n}\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("built-in cos on f64"), "{e}");
        assert!(e.contains("cos_f64"), "{e}");
        assert!(e.contains("workload WGSL line 3"), "{e}");
    }

    /// Every refused built-in, called on f64 with its arity.
    const REFUSED: [&str; 21] = [
        "sin(x)",
        "cos(x)",
        "tan(x)",
        "asin(x)",
        "acos(x)",
        "atan(x)",
        "atan2(x, x)",
        "sinh(x)",
        "cosh(x)",
        "tanh(x)",
        "asinh(x)",
        "acosh(x)",
        "atanh(x)",
        "exp(x)",
        "exp2(x)",
        "log(x)",
        "log2(x)",
        "pow(x, x)",
        "inverseSqrt(x)",
        "radians(x)",
        "degrees(x)",
    ];

    #[test]
    fn every_inexact_f64_built_in_is_refused_with_a_replacement_that_exists() {
        let library = gearbox_core::wgsl::library();
        for call in REFUSED {
            let name = &call[..call.find('(').unwrap()];
            let e = check(&format!("fn f(x: f64) -> f64 {{ return {call}; }}"))
                .unwrap_err()
                .to_string();
            assert!(e.contains(&format!("built-in {name} on f64")), "{e}");
            let suggested = format!("{name}_f64");
            if e.contains(&suggested) {
                assert!(
                    library.contains(&format!("fn {suggested}(")),
                    "{suggested} missing"
                );
            } else {
                assert!(e.contains("sqrt") || e.contains("multiply by"), "{e}");
            }
            // The suggestion compiles where the built-in was refused.
            let fixed = if e.contains(&suggested) {
                format!("{name}_f64{}", &call[name.len()..])
            } else if name == "inverseSqrt" {
                "1.0 / sqrt(x)".into()
            } else {
                "x * 0.5lf".into()
            };
            check(&format!("fn f(x: f64) -> f64 {{ return {fixed}; }}")).unwrap();
        }
    }

    #[test]
    fn the_library_defines_every_listed_function() {
        let library = gearbox_core::wgsl::library();
        for name in gearbox_core::wgsl::FUNCTIONS {
            assert!(library.contains(&format!("fn {name}_f64(")), "{name}_f64");
        }
    }

    #[test]
    fn f64_vector_exp_is_refused_and_f32_cos_allowed() {
        let e = check("fn f(x: f64) -> f64 { return exp(vec2<f64>(x, x)).x; }")
            .unwrap_err()
            .to_string();
        assert!(e.contains("built-in exp on f64"), "{e}");
        check("fn f(x: f64) -> f64 { return f64(cos(f32(x))); }").unwrap();
    }

    #[test]
    fn compile_errors_name_the_part_and_its_line() {
        let e = check("fn f(x: f64) -> f64 {\n    return x + undefined_thing;\n}\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("workload WGSL line 2"), "{e}");
        assert!(e.contains("undefined_thing"), "{e}");
        let e = check("fn f(x: f64) -> f64 {\n    return 1u;\n}\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("WGSL error at"), "{e}");
    }
}
