//! WGSL shared by every workload on the GPU (the files in `shaders/`), and the
//! check that keeps f64 transcendental built-ins out of shaders.

/// Double-double helpers (`two_sum`, `dd_add_f64`, `dd_add`), prepended by the
/// wgpu backend to every workload's WGSL.
pub const DD: &str = include_str!("../../shaders/dd.wgsl");

/// f64 `sin_f64`, `cos_f64` and `sincos_f64` (the algorithm of [`crate::math`]):
/// the f64 `sin`/`cos` built-ins are silently wrong on lavapipe, see GPU-NOTES.md.
pub const F64_MATH: &str = include_str!("../../shaders/f64_math.wgsl");

/// The WGSL library every workload's shader can call.
pub fn library() -> String {
    [DD, F64_MATH].join("\n")
}
