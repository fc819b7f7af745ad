//! WGSL shared by every workload on the GPU (the files in `shaders/`), and the
//! check that keeps f64 transcendental built-ins out of shaders.

/// Double-double helpers (`two_sum`, `dd_add_f64`, `dd_add`), prepended by the
/// wgpu backend to every workload's WGSL.
pub const DD: &str = include_str!("../../shaders/dd.wgsl");

/// f64 `sin_f64`, `cos_f64`, `sincos_f64` and `tan_f64` (the algorithms of
/// [`crate::math`]): the f64 built-ins are silently wrong on lavapipe, see
/// GPU-NOTES.md.
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
pub const FUNCTIONS: [&str; 26] = [
    "sin", "cos", "sincos", "tan", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "pow",
    "cbrt", "hypot", "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh", "asinh", "acosh",
    "atanh", "erf", "erfc",
];

/// The WGSL library every workload's shader can call.
pub fn library() -> String {
    [DD, F64_MATH, F64_EXP_LOG, F64_INVERSE, F64_ERF].join("\n")
}
