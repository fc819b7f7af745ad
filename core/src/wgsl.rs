//! WGSL shared by every workload on the GPU (the files in `shaders/`), and the
//! check that keeps f64 transcendental built-ins out of shaders, and the uniform
//! through which a shader reads its workload's numeric parameters.

use crate::params::{ParamKind, Params};

/// Double-double helpers (`two_sum`, `dd_add_f64`, `dd_add`), prepended by the
/// wgpu backend to every workload's WGSL.
pub const DD: &str = include_str!("../../shaders/dd.wgsl");

/// f64 `sin_f64`, `cos_f64`, `sincos_f64`, `tan_f64`, and `radians_f64`,
/// `degrees_f64`, `sincosd_f64`, `sind_f64`, `cosd_f64` (the algorithms of
/// [`crate::math`]): the f64 built-ins are silently wrong on lavapipe, see
/// docs/GPU.md.
pub const F64_MATH: &str = include_str!("../../shaders/f64_math.wgsl");

/// f64 `exp_f64`, `exp2_f64`, `expm1_f64`, `log_f64`, `log2_f64`, `log10_f64`,
/// `log1p_f64`, `pow_f64`, `cbrt_f64`, `hypot_f64` and the helpers the other
/// files share.
pub const F64_EXP_LOG: &str = include_str!("../../shaders/f64_exp_log.wgsl");

/// f64 `atan_f64`, `atan2_f64`, `asin_f64`, `acos_f64`, `sinh_f64`, `cosh_f64`,
/// `tanh_f64`, `asinh_f64`, `acosh_f64`, `atanh_f64`.
pub const F64_INVERSE: &str = include_str!("../../shaders/f64_inverse.wgsl");

/// f64 `erf_f64` and `erfc_f64`.
pub const F64_ERF: &str = include_str!("../../shaders/f64_erf.wgsl");

/// Every f64 function of the shared WGSL, by the name a shader calls it with
/// (`<name>_f64`), each with the algorithm of the [`crate::math`] function of
/// the same name.
pub const FUNCTIONS: [&str; 33] = [
    "round", "trunc", "sin", "cos", "sincos", "tan", "radians", "degrees", "sincosd", "sind",
    "cosd", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "pow", "cbrt", "hypot",
    "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "erf",
    "erfc",
];

/// The WGSL library every workload's shader can call.
pub fn library() -> String {
    [DD, F64_MATH, F64_EXP_LOG, F64_INVERSE, F64_ERF].join("\n")
}

/// Where a shader reads its workload's numeric parameters: bind group 1, binding 1
/// (binding 0 is the library's `gearbox_zero`).
pub const PARAMS_BINDING: u32 = 1;

/// The uniform that carries a workload's `Count`, `Integer` and `Float` parameters
/// to its shader, so that a shader compiles once per workload, not once per value.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamsUniform {
    /// `struct Params` with one field per parameter in declaration order (`u64` for
    /// `Count` and `Integer`, `f64` for `Float`; named by [`field_name`]) and
    /// its binding `params`: the same text whatever the values.
    pub wgsl: String,
    /// The values as the struct lays them out: 8 bytes a field, padded to 16.
    pub bytes: Vec<u8>,
}

/// WGSL's keywords and reserved words that are plain parameter names.
const WGSL_RESERVED: &[&str] = &[
    "alias",
    "break",
    "case",
    "const",
    "const_assert",
    "continue",
    "continuing",
    "default",
    "diagnostic",
    "discard",
    "else",
    "enable",
    "false",
    "fn",
    "for",
    "if",
    "let",
    "loop",
    "override",
    "requires",
    "return",
    "struct",
    "switch",
    "true",
    "var",
    "while",
    "NULL",
    "Self",
    "abstract",
    "active",
    "alignas",
    "alignof",
    "as",
    "asm",
    "asm_fragment",
    "async",
    "attribute",
    "auto",
    "await",
    "become",
    "binding_array",
    "cast",
    "catch",
    "class",
    "co_await",
    "co_return",
    "co_yield",
    "coherent",
    "column_major",
    "common",
    "compile",
    "compile_fragment",
    "concept",
    "const_cast",
    "consteval",
    "constexpr",
    "constinit",
    "crate",
    "debugger",
    "decltype",
    "delete",
    "demote",
    "demote_to_helper",
    "do",
    "dynamic_cast",
    "enum",
    "explicit",
    "export",
    "extends",
    "extern",
    "external",
    "fallthrough",
    "filter",
    "final",
    "finally",
    "friend",
    "from",
    "fxgroup",
    "get",
    "goto",
    "groupshared",
    "highp",
    "impl",
    "implements",
    "import",
    "inline",
    "instanceof",
    "interface",
    "layout",
    "lowp",
    "macro",
    "macro_rules",
    "match",
    "mediump",
    "meta",
    "mod",
    "module",
    "move",
    "mut",
    "mutable",
    "namespace",
    "new",
    "nil",
    "noexcept",
    "noinline",
    "nointerpolation",
    "noperspective",
    "null",
    "nullptr",
    "of",
    "operator",
    "package",
    "packoffset",
    "partition",
    "pass",
    "patch",
    "pixelfragment",
    "precise",
    "precision",
    "premerge",
    "priv",
    "protected",
    "pub",
    "public",
    "readonly",
    "ref",
    "regardless",
    "register",
    "reinterpret_cast",
    "require",
    "resource",
    "restrict",
    "self",
    "set",
    "shared",
    "sizeof",
    "smooth",
    "snorm",
    "static",
    "static_assert",
    "static_cast",
    "std",
    "subroutine",
    "super",
    "target",
    "template",
    "this",
    "thread_local",
    "throw",
    "trait",
    "try",
    "type",
    "typedef",
    "typeid",
    "typename",
    "typeof",
    "union",
    "unless",
    "unorm",
    "unsafe",
    "unsized",
    "use",
    "using",
    "varying",
    "virtual",
    "volatile",
    "wgsl",
    "where",
    "with",
    "writeonly",
    "yield",
];

/// The field of the params uniform for parameter `name`: `-` becomes `_`, and a
/// WGSL keyword or reserved word gets a trailing `_` (`--from` is `params.from_`).
pub fn field_name(name: &str) -> String {
    let field = name.replace('-', "_");
    if WGSL_RESERVED.contains(&field.as_str()) {
        field + "_"
    } else {
        field
    }
}

/// The [`ParamsUniform`] of `params`, or `None` when the workload declares no
/// numeric parameter (`Text` parameters are the workload's to splice into its WGSL).
pub fn params_uniform(params: &Params) -> anyhow::Result<Option<ParamsUniform>> {
    let mut fields = String::new();
    let mut bytes = Vec::new();
    for spec in &params.specs {
        let (ty, value) = match spec.kind {
            ParamKind::Count | ParamKind::Integer => {
                ("u64", params.integer(&spec.name)?.to_le_bytes())
            }
            ParamKind::Float => ("f64", params.float(&spec.name)?.to_le_bytes()),
            ParamKind::Text => continue,
        };
        fields.push_str(&format!("    {}: {ty},\n", field_name(&spec.name)));
        bytes.extend_from_slice(&value);
    }
    if bytes.is_empty() {
        return Ok(None);
    }
    bytes.resize(bytes.len().next_multiple_of(16), 0);
    Ok(Some(ParamsUniform {
        wgsl: format!(
            "// The workload's numeric parameters, read as params.<name>.\n\
             struct Params {{\n{fields}}}\n\
             @group(1) @binding({PARAMS_BINDING}) var<uniform> params: Params;\n"
        ),
        bytes,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::ParamSpec;

    fn specs() -> Vec<ParamSpec> {
        vec![
            ParamSpec::new("n", ParamKind::Count, "10", "terms"),
            ParamSpec::new("label", ParamKind::Text, "x", "not numeric"),
            ParamSpec::new("p-exp", ParamKind::Float, "2.5", "exponent"),
            ParamSpec::new("seed", ParamKind::Integer, "0", "seed"),
        ]
    }

    #[test]
    fn numeric_parameters_become_fields_in_declaration_order() {
        let params = Params::resolve(&specs(), [("p-exp", "-1.5"), ("seed", "7")]).unwrap();
        let uniform = params_uniform(&params).unwrap().unwrap();
        assert!(
            uniform
                .wgsl
                .contains("struct Params {\n    n: u64,\n    p_exp: f64,\n    seed: u64,\n}"),
            "{}",
            uniform.wgsl
        );
        let mut expected = Vec::new();
        expected.extend_from_slice(&10u64.to_le_bytes());
        expected.extend_from_slice(&(-1.5f64).to_le_bytes());
        expected.extend_from_slice(&7u64.to_le_bytes());
        expected.extend_from_slice(&[0; 8]);
        assert_eq!(uniform.bytes, expected);
    }

    #[test]
    fn the_declarations_do_not_depend_on_the_values() {
        let a = Params::resolve(&specs(), [("n", "1e9"), ("p-exp", "3")]).unwrap();
        let b = Params::resolve(&specs(), []).unwrap();
        let (a, b) = (params_uniform(&a).unwrap(), params_uniform(&b).unwrap());
        assert_eq!(a.as_ref().unwrap().wgsl, b.as_ref().unwrap().wgsl);
        assert_ne!(a.unwrap().bytes, b.unwrap().bytes);
    }

    #[test]
    fn reserved_words_get_an_underscore() {
        assert_eq!(field_name("from"), "from_");
        assert_eq!(field_name("p-exp"), "p_exp");
        assert_eq!(field_name("n"), "n");
    }

    #[test]
    fn no_numeric_parameter_no_uniform() {
        let text = [ParamSpec::new("label", ParamKind::Text, "x", "text")];
        let params = Params::resolve(&text, []).unwrap();
        assert_eq!(params_uniform(&params).unwrap(), None);
    }
}
