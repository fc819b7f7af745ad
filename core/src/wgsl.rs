//! WGSL shared by every workload on the GPU (the files in `shaders/`), and the
//! check that keeps f64 transcendental built-ins out of shaders.

/// Double-double helpers (`two_sum`, `dd_add_f64`, `dd_add`), prepended by the
/// wgpu backend to every workload's WGSL.
pub const DD: &str = include_str!("../../shaders/dd.wgsl");

/// The WGSL library every workload's shader can call.
pub fn library() -> String {
    DD.to_string()
}
