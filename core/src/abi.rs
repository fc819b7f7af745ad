//! The C ABI between the `gearbox` host and its libraries. Only `#[repr(C)]`
//! data and `extern "C"` function pointers cross it; descriptions travel as JSON.
//! Plugin and backend authors never touch this module: the export macros and the
//! host's loader are its only users.

use std::ffi::c_void;

use crate::dd::Dd;
use crate::plan::ChunkPlan;

/// Version of this ABI. Bump on any change to the types below; the loader refuses
/// a library built against another version.
pub const ABI_VERSION: u32 = 6;

/// Symbol every gearbox library exports: `extern "C" fn() -> u32`, the ABI version.
pub const VERSION_SYMBOL: &[u8] = b"gearbox_abi_version";
/// Symbol of a workload library: `extern "C" fn() -> WorkloadVTable`.
pub const WORKLOAD_SYMBOL: &[u8] = b"gearbox_workload";
/// Symbol of a backend library: `extern "C" fn() -> BackendVTable`.
pub const BACKEND_SYMBOL: &[u8] = b"gearbox_backend";

/// Call succeeded.
pub const OK: i32 = 0;
/// Call succeeded and there is no value (e.g. no exact result, no WGSL).
pub const ABSENT: i32 = 1;
/// Call failed; the message went to the error sink.
pub const FAILED: i32 = 2;
/// The run was cancelled through its control block.
pub const CANCELLED: i32 = 3;
/// Call failed because the callee is broken (it panicked, or read a parameter it
/// does not declare), not because of its input; the message went to the error
/// sink. A host that does not know this status reads it as [`FAILED`].
pub const BROKEN: i32 = 4;

/// An opaque instance owned by the library that made it.
pub type Handle = *mut c_void;

/// Borrowed UTF-8 text.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Str {
    /// First byte.
    pub ptr: *const u8,
    /// Length in bytes.
    pub len: usize,
}

impl Str {
    /// Borrows a `&str`.
    pub fn new(s: &str) -> Str {
        Str {
            ptr: s.as_ptr(),
            len: s.len(),
        }
    }

    /// The text, checked to be UTF-8 (it comes from the other side of the boundary).
    ///
    /// # Safety
    /// `ptr..ptr+len` must be readable bytes that outlive `'a`.
    pub unsafe fn as_str<'a>(self) -> Result<&'a str, std::str::Utf8Error> {
        if self.len == 0 || self.ptr.is_null() {
            return Ok("");
        }
        // SAFETY: guaranteed by the caller.
        std::str::from_utf8(unsafe { std::slice::from_raw_parts(self.ptr, self.len) })
    }
}

/// Where a callee writes text (descriptions, WGSL, error messages): the caller
/// owns the buffer, so no allocation crosses the boundary.
#[repr(C)]
pub struct Sink {
    /// Caller's buffer.
    pub ctx: *mut c_void,
    /// Appends `len` bytes at `ptr` to the buffer.
    pub write: extern "C" fn(ctx: *mut c_void, ptr: *const u8, len: usize),
}

/// Appends the bytes to the `String` behind `ctx`; bytes that are not UTF-8 (a
/// library that breaks the contract) become U+FFFD, and names made of them are
/// refused where they are checked.
extern "C" fn append_to_string(ctx: *mut c_void, ptr: *const u8, len: usize) {
    if len == 0 || ptr.is_null() {
        return;
    }
    // SAFETY: `ctx` is the `&mut String` given to `Sink::to_string`, alive for the
    // call, and `ptr..ptr+len` are readable bytes from the other side.
    unsafe {
        let s = &mut *(ctx as *mut String);
        s.push_str(&String::from_utf8_lossy(std::slice::from_raw_parts(
            ptr, len,
        )));
    }
}

impl Sink {
    /// A sink that appends to `s`.
    pub fn to_string(s: &mut String) -> Sink {
        Sink {
            ctx: s as *mut String as *mut c_void,
            write: append_to_string,
        }
    }

    /// Writes `text` to the sink.
    pub fn put(&self, text: &str) {
        (self.write)(self.ctx, text.as_ptr(), text.len());
    }
}

/// A borrowed `&[f64]`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct RawSlice {
    /// First element.
    pub ptr: *const f64,
    /// Number of elements.
    pub len: usize,
}

impl RawSlice {
    /// `slice`, borrowed across the ABI.
    pub fn of(slice: &[f64]) -> RawSlice {
        RawSlice {
            ptr: slice.as_ptr(),
            len: slice.len(),
        }
    }
}

/// A borrowed `&mut [f64]`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct RawSliceMut {
    /// First element.
    pub ptr: *mut f64,
    /// Number of elements.
    pub len: usize,
}

/// One slab of a grid as the workload's CPU kernel sees it.
#[repr(C)]
pub struct SlabFfi {
    /// First outer row.
    pub row_first: u64,
    /// One past the last outer row.
    pub row_end: u64,
    /// Full coordinate axes.
    pub axes: *const RawSlice,
    /// Number of axes.
    pub n_axes: usize,
    /// Input fields of the slab (read by `grid_map`, written by `grid_fill`).
    pub inputs: *const RawSliceMut,
    /// Number of input fields.
    pub n_inputs: usize,
    /// Output fields of the slab (written by `grid_map`).
    pub outputs: *const RawSliceMut,
    /// Number of output fields.
    pub n_outputs: usize,
}

/// The functions of a workload library. Functions of the other kind fail with a message.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct WorkloadVTable {
    /// Writes the `WorkloadInfo` JSON.
    pub describe: extern "C" fn(out: Sink, err: Sink) -> i32,
    /// Makes an instance from `Params` JSON.
    pub create: extern "C" fn(params: Str, out: *mut Handle, err: Sink) -> i32,
    /// Frees an instance.
    pub destroy: extern "C" fn(h: Handle),
    /// Writes the exact result, or returns `ABSENT`.
    pub exact: extern "C" fn(h: Handle, out: *mut f64, err: Sink) -> i32,
    /// Writes the WGSL, or returns `ABSENT`.
    pub wgsl: extern "C" fn(h: Handle, out: Sink, err: Sink) -> i32,
    /// Writes the `Params` JSON the instance was made from (every declared
    /// parameter, defaults filled in), which GPU backends hand to the shader.
    pub params: extern "C" fn(h: Handle, out: Sink, err: Sink) -> i32,
    /// Series: the inclusive index range.
    pub series_range: extern "C" fn(h: Handle, first: *mut u64, last: *mut u64, err: Sink) -> i32,
    /// Series: an upper bound on Σ|term(k)|, or `ABSENT` (then |result| is used).
    pub series_abs_sum: extern "C" fn(h: Handle, out: *mut f64, err: Sink) -> i32,
    /// Series: the compensated partial sum of `first..=last`.
    pub series_partial:
        extern "C" fn(h: Handle, first: u64, last: u64, out: *mut Dd, err: Sink) -> i32,
    /// Grid: writes the `GridLayout` JSON.
    pub grid_layout: extern "C" fn(h: Handle, out: Sink, err: Sink) -> i32,
    /// Grid: writes coordinate axis `axis` into `out` (its length is the dimension's size).
    pub grid_axis: extern "C" fn(h: Handle, axis: usize, out: RawSliceMut, err: Sink) -> i32,
    /// Grid: writes into `out` the table a GPU shader reads in place of coordinate
    /// axis `axis`, computed from the axis's `values` (its length is the dimension's
    /// size times the layout's `axis_tables` width for that axis).
    pub grid_axis_table:
        extern "C" fn(h: Handle, axis: usize, values: RawSlice, out: RawSliceMut, err: Sink) -> i32,
    /// Grid: generates the slab's inputs.
    pub grid_fill: extern "C" fn(h: Handle, slab: *const SlabFfi, err: Sink) -> i32,
    /// Grid: computes the slab's outputs.
    pub grid_map: extern "C" fn(h: Handle, slab: *const SlabFfi, err: Sink) -> i32,
}

/// A workload instance handed to a backend.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct KernelFfi {
    /// The instance.
    pub handle: Handle,
    /// Its library's functions.
    pub vtable: *const WorkloadVTable,
}

/// The host's side of a run: progress, cancellation and phase timings.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ControlFfi {
    /// Host state (thread-safe).
    pub ctx: *const c_void,
    /// `done` more units (chunks or slabs) are finished.
    pub advance: extern "C" fn(ctx: *const c_void, done: u64),
    /// True once the user asked to stop.
    pub cancelled: extern "C" fn(ctx: *const c_void) -> bool,
    /// Records `seconds` spent in phase `name` (set-up, transfer, compute…).
    pub phase: extern "C" fn(ctx: *const c_void, name: Str, seconds: f64),
}

/// A grid run handed to a backend.
#[repr(C)]
pub struct GridJobFfi {
    /// Sizes, outermost first.
    pub dims: *const u64,
    /// Number of dimensions.
    pub n_dims: usize,
    /// Outer rows per slab (the canonical slab plan).
    pub rows_per_slab: u64,
    /// First canonical slab to run (a part of the plan, e.g. one MPI rank's share).
    pub slabs_first: u64,
    /// One past the last canonical slab to run.
    pub slabs_end: u64,
    /// Full coordinate axes.
    pub axes: *const RawSlice,
    /// Number of axes.
    pub n_axes: usize,
    /// True when the host supplies the inputs (through `fetch`); false when the
    /// workload generates them.
    pub host_inputs: bool,
    /// Number of input fields of the workload.
    pub n_fields_in: usize,
    /// Number of output fields.
    pub n_fields_out: usize,
    /// Where the host keeps the outputs: `n_fields_out` slices of the whole grid's
    /// length, or null when it has no such memory (outputs to files, checksums only).
    /// A backend may compute each slab's outputs straight into that slab's range,
    /// once per slab, and deliver those same slices: the host then copies nothing.
    pub outputs: *const RawSliceMut,
    /// Host state for `fetch`, `release` and `deliver` (thread-safe).
    pub ctx: *const c_void,
    /// Writes into `inputs` the `n` input fields of canonical slab `slab`, borrowed
    /// from the host until `release(slab)`. Any thread, once per slab; the host reads
    /// ahead in increasing slab order, so fetching in that order streams fastest.
    pub fetch: extern "C" fn(
        ctx: *const c_void,
        slab: u64,
        inputs: *mut RawSlice,
        n: usize,
        err: Sink,
    ) -> i32,
    /// Gives back the inputs of `slab` fetched before.
    pub release: extern "C" fn(ctx: *const c_void, slab: u64),
    /// Hands the outputs of canonical slab `slab` to the host; may be called from
    /// any thread, in any order, once per slab.
    pub deliver: extern "C" fn(
        ctx: *const c_void,
        slab: u64,
        outputs: *const RawSlice,
        n: usize,
        err: Sink,
    ) -> i32,
}

/// What a backend's `run_series` hands back: the sum of the plan's first `chunks`
/// chunks — all of them when it returns `OK`, the finished prefix (possibly none)
/// when it returns `CANCELLED`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SeriesSum {
    /// Compensated sum of the chunks covered.
    pub sum: Dd,
    /// Number of leading chunks of the plan it covers.
    pub chunks: u64,
}

/// The functions of a backend library.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct BackendVTable {
    /// Writes the `BackendInfo` JSON.
    pub describe: extern "C" fn(out: Sink, err: Sink) -> i32,
    /// Opens the backend with `BackendOptions` JSON.
    pub open: extern "C" fn(options: Str, out: *mut Handle, err: Sink) -> i32,
    /// Writes the `DeviceInfo` JSON of an open backend.
    pub device: extern "C" fn(h: Handle, out: Sink, err: Sink) -> i32,
    /// Sums a series over `plan` (see [`SeriesSum`] for what `out` holds on cancellation).
    pub run_series: extern "C" fn(
        h: Handle,
        kernel: *const KernelFfi,
        plan: *const ChunkPlan,
        control: *const ControlFfi,
        out: *mut SeriesSum,
        err: Sink,
    ) -> i32,
    /// Runs a grid job.
    pub run_grid: extern "C" fn(
        h: Handle,
        kernel: *const KernelFfi,
        job: *const GridJobFfi,
        control: *const ControlFfi,
        err: Sink,
    ) -> i32,
}
