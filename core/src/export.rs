//! The library side of the ABI: generic `extern "C"` shims over the safe traits,
//! and the macros that export them. Every shim catches panics, so a bug in a
//! plugin or backend becomes an error message in the host, never an abort.

use std::any::Any;
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::abi::{
    self, BackendVTable, ControlFfi, GridJobFfi, Handle, KernelFfi, RawSlice, RawSliceMut,
    SeriesSum, Sink, SlabFfi, Str, WorkloadVTable,
};
use crate::backend::{
    Backend, BackendInfo, BackendOptions, CancelledWithSum, Control, GridJob, Kernel, status_of,
};
use crate::dd::Dd;
use crate::params::Params;
use crate::plan::ChunkPlan;
use crate::workload::{Grid, GridLayout, Kind, Series, Slab, Workload, WorkloadInfo};

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// Runs `f` behind the boundary: errors and panics become a status and a message.
fn guard(what: &str, err: &Sink, f: impl FnOnce() -> anyhow::Result<i32>) -> i32 {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => status_of(result, err),
        Err(payload) => {
            err.put(&format!(
                "{what} panicked: {}",
                panic_message(payload.as_ref())
            ));
            abi::BROKEN
        }
    }
}

fn json_out<T: serde::Serialize>(out: &Sink, value: &T) -> anyhow::Result<i32> {
    out.put(&serde_json::to_string(value)?);
    Ok(abi::OK)
}

/// What a handle points to: the workload and the parameters it was made from.
struct Instance<W> {
    workload: W,
    params: Params,
}

/// # Safety
/// `h` must be a handle made by `create::<W>`.
unsafe fn instance<'a, W>(h: Handle) -> &'a W {
    // SAFETY: guaranteed by the caller.
    unsafe { &(*(h as *const Instance<W>)).workload }
}

/// # Safety
/// `h` must be a handle made by `backend_open::<B>`.
unsafe fn opened<'a, B>(h: Handle) -> &'a B {
    // SAFETY: guaranteed by the caller.
    unsafe { &*(h as *const B) }
}

// ---- every workload ----

fn describe<W: Workload>(kind: Kind, out: Sink, err: Sink) -> i32 {
    guard(W::NAME, &err, || {
        let info = WorkloadInfo {
            name: W::NAME.into(),
            kind,
            about: W::ABOUT.into(),
            params: W::params(),
        };
        json_out(&out, &info)
    })
}

extern "C" fn describe_series<W: Series>(out: Sink, err: Sink) -> i32 {
    describe::<W>(Kind::Series, out, err)
}

extern "C" fn describe_grid<W: Grid>(out: Sink, err: Sink) -> i32 {
    describe::<W>(Kind::Grid, out, err)
}

extern "C" fn create<W: Workload>(params: Str, out: *mut Handle, err: Sink) -> i32 {
    guard(W::NAME, &err, || {
        // SAFETY: the host passes JSON that outlives the call.
        let mut params: Params = serde_json::from_str(unsafe { params.as_str() }?)?;
        params.specs = W::params();
        let workload = W::from_params(&params)?;
        let instance = Instance { workload, params };
        // SAFETY: `out` is a valid pointer from the host.
        unsafe { *out = Box::into_raw(Box::new(instance)) as Handle };
        Ok(abi::OK)
    })
}

extern "C" fn destroy<W: Workload>(h: Handle) {
    // SAFETY: `h` came from `create::<W>` and is destroyed once. A panic in a
    // destructor is contained and dropped: there is nobody left to tell.
    let _ = catch_unwind(AssertUnwindSafe(|| {
        drop(unsafe { Box::from_raw(h as *mut Instance<W>) })
    }));
}

/// Writes an optional value through `out`: `OK` with the value, or `ABSENT`.
fn optional_out(out: *mut f64, value: Option<f64>) -> anyhow::Result<i32> {
    Ok(match value {
        Some(v) => {
            // SAFETY: the host passes a valid `out` pointer.
            unsafe { *out = v };
            abi::OK
        }
        None => abi::ABSENT,
    })
}

extern "C" fn exact<W: Workload>(h: Handle, out: *mut f64, err: Sink) -> i32 {
    // SAFETY: `h` is a live instance.
    guard(W::NAME, &err, || {
        optional_out(out, unsafe { instance::<W>(h) }.exact())
    })
}

extern "C" fn wgsl<W: Workload>(h: Handle, out: Sink, err: Sink) -> i32 {
    guard(W::NAME, &err, || {
        // SAFETY: `h` is a live instance.
        match unsafe { instance::<W>(h) }.wgsl() {
            Some(text) => {
                out.put(&text);
                Ok(abi::OK)
            }
            None => Ok(abi::ABSENT),
        }
    })
}

extern "C" fn params<W: Workload>(h: Handle, out: Sink, err: Sink) -> i32 {
    guard(W::NAME, &err, || {
        // SAFETY: `h` is a live instance made by `create::<W>`.
        let instance = unsafe { &*(h as *const Instance<W>) };
        let mut params = instance.params.clone();
        for (name, value) in instance.workload.uniform_values() {
            params.add_uniform_value(&name, value)?;
        }
        json_out(&out, &params)
    })
}

// ---- series ----

extern "C" fn series_range<W: Series>(
    h: Handle,
    first: *mut u64,
    last: *mut u64,
    err: Sink,
) -> i32 {
    guard(W::NAME, &err, || {
        // SAFETY: `h` is a live instance; the pointers are valid.
        let (a, b) = unsafe { instance::<W>(h) }.range();
        anyhow::ensure!(a <= b, "{} declares an empty range {a}..={b}", W::NAME);
        unsafe { (*first, *last) = (a, b) };
        Ok(abi::OK)
    })
}

extern "C" fn series_partial<W: Series>(
    h: Handle,
    first: u64,
    last: u64,
    out: *mut Dd,
    err: Sink,
) -> i32 {
    guard(W::NAME, &err, || {
        // SAFETY: `h` is a live instance; `out` is valid.
        let sum = unsafe { instance::<W>(h) }.partial_sum(first, last);
        unsafe { *out = sum };
        Ok(abi::OK)
    })
}

extern "C" fn series_abs_sum<W: Series>(h: Handle, out: *mut f64, err: Sink) -> i32 {
    // SAFETY: `h` is a live instance.
    guard(W::NAME, &err, || {
        optional_out(out, unsafe { instance::<W>(h) }.abs_sum())
    })
}

extern "C" fn not_series_value(_: Handle, _: *mut f64, err: Sink) -> i32 {
    err.put("this workload is not a series");
    abi::FAILED
}

extern "C" fn not_series(_: Handle, _: *mut u64, _: *mut u64, err: Sink) -> i32 {
    err.put("this workload is not a series");
    abi::FAILED
}

extern "C" fn not_series_partial(_: Handle, _: u64, _: u64, _: *mut Dd, err: Sink) -> i32 {
    err.put("this workload is not a series");
    abi::FAILED
}

// ---- grid ----

/// The pieces of a slab passed across the boundary.
struct SlabParts<'a> {
    rows: Range<u64>,
    axes: Vec<&'a [f64]>,
    inputs: Vec<&'a mut [f64]>,
    outputs: Vec<&'a mut [f64]>,
}

/// Checks a slab from the backend against the instance's `layout` before any
/// slice is made from it: the rows inside the grid, one slice per axis and field
/// (`outputs` of them), each of the length the rows and dimensions give.
///
/// # Safety
/// `slab` and its arrays of slice descriptors must be readable.
unsafe fn check_slab(slab: &SlabFfi, layout: &GridLayout, outputs: usize) -> anyhow::Result<()> {
    let rows = slab.row_first..slab.row_end;
    anyhow::ensure!(
        rows.start < rows.end && rows.end <= layout.dims[0],
        "backend passed rows {rows:?} of a grid of {} rows",
        layout.dims[0]
    );
    let len = (rows.end - rows.start)
        .checked_mul(layout.row_len())
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| anyhow::anyhow!("backend passed a slab too large to address"))?;
    let counts = [
        (slab.n_axes, layout.axes.len(), "axes"),
        (slab.n_inputs, layout.inputs.len(), "input fields"),
        (slab.n_outputs, outputs, "output fields"),
    ];
    for (given, expected, what) in counts {
        anyhow::ensure!(
            given == expected,
            "backend passed {given} {what}, the layout has {expected}"
        );
    }
    let lens = |p: *const RawSliceMut, n: usize| -> Vec<(bool, usize)> {
        if n == 0 || p.is_null() {
            return vec![(false, 0); n];
        }
        // SAFETY: guaranteed by the caller.
        unsafe { std::slice::from_raw_parts(p, n) }
            .iter()
            .map(|r| (!r.ptr.is_null(), r.len))
            .collect()
    };
    let axes = if slab.n_axes == 0 || slab.axes.is_null() {
        vec![(false, 0); slab.n_axes]
    } else {
        // SAFETY: guaranteed by the caller.
        unsafe { std::slice::from_raw_parts(slab.axes, slab.n_axes) }
            .iter()
            .map(|r| (!r.ptr.is_null(), r.len))
            .collect()
    };
    for (&(ok, given), &d) in axes.iter().zip(&layout.dims) {
        anyhow::ensure!(
            ok && given as u64 == d,
            "backend passed an axis of {given} values for a dimension of {d}"
        );
    }
    let fields = lens(slab.inputs, slab.n_inputs)
        .into_iter()
        .chain(lens(slab.outputs, slab.n_outputs));
    for (ok, given) in fields {
        anyhow::ensure!(
            ok && given == len,
            "backend passed a field slice of {given} values for rows {rows:?} ({len} values)"
        );
    }
    Ok(())
}

/// # Safety
/// Every pointer in `slab` must be valid, and the mutable slices unaliased.
unsafe fn slab_parts<'a>(slab: *const SlabFfi) -> SlabParts<'a> {
    // SAFETY: guaranteed by the caller.
    unsafe {
        let s = &*slab;
        let slices_mut = |p: *const RawSliceMut, n: usize| -> Vec<&'a mut [f64]> {
            if n == 0 {
                return Vec::new();
            }
            std::slice::from_raw_parts(p, n)
                .iter()
                .map(|r| std::slice::from_raw_parts_mut(r.ptr, r.len))
                .collect()
        };
        let axes = if s.n_axes == 0 {
            Vec::new()
        } else {
            std::slice::from_raw_parts(s.axes, s.n_axes)
                .iter()
                .map(|r| std::slice::from_raw_parts(r.ptr, r.len))
                .collect()
        };
        SlabParts {
            rows: s.row_first..s.row_end,
            axes,
            inputs: slices_mut(s.inputs, s.n_inputs),
            outputs: slices_mut(s.outputs, s.n_outputs),
        }
    }
}

extern "C" fn grid_layout<W: Grid>(h: Handle, out: Sink, err: Sink) -> i32 {
    // SAFETY: `h` is a live instance.
    guard(W::NAME, &err, || {
        json_out(&out, &unsafe { instance::<W>(h) }.layout())
    })
}

extern "C" fn grid_axis<W: Grid>(h: Handle, axis: usize, out: RawSliceMut, err: Sink) -> i32 {
    guard(W::NAME, &err, || {
        // SAFETY: `h` is a live instance; `out` is a valid buffer.
        let axes = unsafe { instance::<W>(h) }.axes();
        let dst = unsafe { std::slice::from_raw_parts_mut(out.ptr, out.len) };
        let src = axes
            .get(axis)
            .ok_or_else(|| anyhow::anyhow!("{} has no axis {axis}", W::NAME))?;
        fill(dst, src, || format!("{}: axis {axis}", W::NAME), "")
    })
}

/// Copies `values` into the caller's buffer `dst`, which has room for exactly as
/// many; else an error naming them (`what`), with `hint` after the counts.
fn fill(
    dst: &mut [f64],
    values: &[f64],
    what: impl FnOnce() -> String,
    hint: &str,
) -> anyhow::Result<i32> {
    anyhow::ensure!(
        values.len() == dst.len(),
        "{} has {} values, expected {}{hint}",
        what(),
        values.len(),
        dst.len()
    );
    dst.copy_from_slice(values);
    Ok(abi::OK)
}

extern "C" fn grid_axis_table<W: Grid>(
    h: Handle,
    axis: usize,
    values: RawSlice,
    out: RawSliceMut,
    err: Sink,
) -> i32 {
    guard(W::NAME, &err, || {
        // SAFETY: `h` is a live instance; `values` and `out` are valid buffers.
        let w = unsafe { instance::<W>(h) };
        let values = unsafe { std::slice::from_raw_parts(values.ptr, values.len) };
        let dst = unsafe { std::slice::from_raw_parts_mut(out.ptr, out.len) };
        fill(
            dst,
            &w.axis_table(axis, values),
            || format!("{}: the table of axis {axis}", W::NAME),
            " (its layout's axis_tables width times the axis's length; Grid::axis_table computes it)",
        )
    })
}

extern "C" fn grid_fill<W: Grid>(h: Handle, slab: *const SlabFfi, err: Sink) -> i32 {
    guard(W::NAME, &err, || {
        // SAFETY: `h` is a live instance; the backend built `slab` from live buffers,
        // and `check_slab` holds their lengths to the layout before they are used.
        let w = unsafe { instance::<W>(h) };
        unsafe { check_slab(&*slab, &w.layout(), 0) }?;
        let mut parts = unsafe { slab_parts(slab) };
        w.fill_inputs(parts.rows, &parts.axes, &mut parts.inputs);
        Ok(abi::OK)
    })
}

extern "C" fn grid_map<W: Grid>(h: Handle, slab: *const SlabFfi, err: Sink) -> i32 {
    guard(W::NAME, &err, || {
        // SAFETY: as in `grid_fill`.
        let w = unsafe { instance::<W>(h) };
        let layout = w.layout();
        unsafe { check_slab(&*slab, &layout, layout.outputs.len()) }?;
        let mut parts = unsafe { slab_parts(slab) };
        let inputs: Vec<&[f64]> = parts.inputs.iter().map(|s| &**s).collect();
        let view = Slab {
            rows: parts.rows.clone(),
            axes: &parts.axes,
            inputs: &inputs,
        };
        w.map(&view, &mut parts.outputs);
        Ok(abi::OK)
    })
}

extern "C" fn not_grid_layout(_: Handle, _: Sink, err: Sink) -> i32 {
    err.put("this workload is not a grid");
    abi::FAILED
}

extern "C" fn not_grid_axis(_: Handle, _: usize, _: RawSliceMut, err: Sink) -> i32 {
    err.put("this workload is not a grid");
    abi::FAILED
}

extern "C" fn not_grid_axis_table(
    _: Handle,
    _: usize,
    _: RawSlice,
    _: RawSliceMut,
    err: Sink,
) -> i32 {
    err.put("this workload is not a grid");
    abi::FAILED
}

extern "C" fn not_grid_slab(_: Handle, _: *const SlabFfi, err: Sink) -> i32 {
    err.put("this workload is not a grid");
    abi::FAILED
}

/// The vtable of a series workload (used by [`export_series!`](crate::export_series)).
pub fn series_vtable<W: Series>() -> WorkloadVTable {
    WorkloadVTable {
        describe: describe_series::<W>,
        create: create::<W>,
        destroy: destroy::<W>,
        exact: exact::<W>,
        wgsl: wgsl::<W>,
        params: params::<W>,
        series_range: series_range::<W>,
        series_abs_sum: series_abs_sum::<W>,
        series_partial: series_partial::<W>,
        grid_layout: not_grid_layout,
        grid_axis: not_grid_axis,
        grid_axis_table: not_grid_axis_table,
        grid_fill: not_grid_slab,
        grid_map: not_grid_slab,
    }
}

/// The vtable of a grid workload (used by [`export_grid!`](crate::export_grid)).
pub fn grid_vtable<W: Grid>() -> WorkloadVTable {
    WorkloadVTable {
        describe: describe_grid::<W>,
        create: create::<W>,
        destroy: destroy::<W>,
        exact: exact::<W>,
        wgsl: wgsl::<W>,
        params: params::<W>,
        series_range: not_series,
        series_abs_sum: not_series_value,
        series_partial: not_series_partial,
        grid_layout: grid_layout::<W>,
        grid_axis: grid_axis::<W>,
        grid_axis_table: grid_axis_table::<W>,
        grid_fill: grid_fill::<W>,
        grid_map: grid_map::<W>,
    }
}

// ---- backends ----

extern "C" fn backend_describe<B: Backend>(out: Sink, err: Sink) -> i32 {
    let info = BackendInfo {
        name: B::NAME.into(),
        about: B::ABOUT.into(),
        options: B::OPTIONS.iter().map(|o| o.to_string()).collect(),
    };
    guard(B::NAME, &err, || json_out(&out, &info))
}

extern "C" fn backend_open<B: Backend>(options: Str, out: *mut Handle, err: Sink) -> i32 {
    guard(B::NAME, &err, || {
        // SAFETY: the host passes JSON that outlives the call.
        let options: BackendOptions = serde_json::from_str(unsafe { options.as_str() }?)?;
        let backend = B::open(&options)?;
        // SAFETY: `out` is a valid pointer from the host. The backend is never
        // freed: libraries stay loaded, and devices are dropped at exit by the OS.
        unsafe { *out = Box::into_raw(Box::new(backend)) as Handle };
        Ok(abi::OK)
    })
}

extern "C" fn backend_device<B: Backend>(h: Handle, out: Sink, err: Sink) -> i32 {
    // SAFETY: `h` is an open backend.
    guard(B::NAME, &err, || {
        json_out(&out, &unsafe { opened::<B>(h) }.device())
    })
}

extern "C" fn backend_run_series<B: Backend>(
    h: Handle,
    kernel: *const KernelFfi,
    plan: *const ChunkPlan,
    control: *const ControlFfi,
    out: *mut SeriesSum,
    err: Sink,
) -> i32 {
    guard(B::NAME, &err, || {
        // SAFETY: the host passes live pointers for the duration of the call.
        let (backend, kernel, plan, control) = unsafe {
            (
                opened::<B>(h),
                Kernel::from_raw(*kernel),
                &*plan,
                Control::from_raw(*control),
            )
        };
        let (sum, chunks, code) = match backend.run_series(&kernel, plan, &control) {
            Ok(sum) => (sum, plan.len(), abi::OK),
            Err(e) => match e.downcast::<CancelledWithSum>() {
                Ok(p) => (p.sum, p.chunks, abi::CANCELLED),
                Err(e) => return Err(e),
            },
        };
        // SAFETY: `out` is valid for the call.
        unsafe { *out = SeriesSum { sum, chunks } };
        Ok(code)
    })
}

extern "C" fn backend_run_grid<B: Backend>(
    h: Handle,
    kernel: *const KernelFfi,
    job: *const GridJobFfi,
    control: *const ControlFfi,
    err: Sink,
) -> i32 {
    guard(B::NAME, &err, || {
        // SAFETY: the host passes live pointers for the duration of the call.
        let (backend, kernel, job, control) = unsafe {
            (
                opened::<B>(h),
                Kernel::from_raw(*kernel),
                GridJob::from_raw(&*job),
                Control::from_raw(*control),
            )
        };
        backend.run_grid(&kernel, &job, &control)?;
        Ok(abi::OK)
    })
}

/// The vtable of a backend (used by [`export_backend!`](crate::export_backend)).
pub fn backend_vtable<B: Backend>() -> BackendVTable {
    BackendVTable {
        describe: backend_describe::<B>,
        open: backend_open::<B>,
        device: backend_device::<B>,
        run_series: backend_run_series::<B>,
        run_grid: backend_run_grid::<B>,
    }
}

/// Exports a [`Series`] workload from a `cdylib` crate: `gearbox_core::export_series!(Basel);`
#[macro_export]
macro_rules! export_series {
    ($workload:ty) => {
        $crate::__export_library!(
            gearbox_workload,
            $crate::abi::WorkloadVTable,
            $crate::export::series_vtable::<$workload>()
        );
    };
}

/// Exports a [`Grid`] workload from a `cdylib` crate: `gearbox_core::export_grid!(Velocity);`
#[macro_export]
macro_rules! export_grid {
    ($workload:ty) => {
        $crate::__export_library!(
            gearbox_workload,
            $crate::abi::WorkloadVTable,
            $crate::export::grid_vtable::<$workload>()
        );
    };
}

/// Exports a [`Backend`] from a `cdylib` crate: `gearbox_core::export_backend!(Serial);`
#[macro_export]
macro_rules! export_backend {
    ($backend:ty) => {
        $crate::__export_library!(
            gearbox_backend,
            $crate::abi::BackendVTable,
            $crate::export::backend_vtable::<$backend>()
        );
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __export_library {
    ($symbol:ident, $vtable:ty, $value:expr) => {
        /// The gearbox ABI version this library was built against.
        #[unsafe(no_mangle)]
        pub extern "C" fn gearbox_abi_version() -> u32 {
            $crate::abi::ABI_VERSION
        }

        /// The library's entry points.
        #[unsafe(no_mangle)]
        pub extern "C" fn $symbol() -> $vtable {
            $value
        }
    };
}
