//! A workload instance: a workload library's object made with checked
//! parameters, and what the host asks of it. A call that fails is the plugin's
//! failure ([`ErrorKind::Plugin`]), unless it says otherwise (memory: [`ErrorKind::Resources`]).

use gearbox_core::abi::{self, Handle, KernelFfi, RawSliceMut, Sink};
use gearbox_core::backend::{Kernel, call};
use gearbox_core::params::Params;
use gearbox_core::workload::{GridLayout, WorkloadInfo};

use crate::error::{ErrorKind, error, within};
use crate::loader::{WorkloadLib, read_json};

/// A workload instance with its parameters.
pub struct Instance<'r> {
    lib: &'r WorkloadLib,
    handle: Handle,
    /// The resolved parameters.
    pub params: Params,
}

// SAFETY: the object behind the handle is `Send + Sync` (the `Workload` bound) and
// the library's vtable is plain function pointers, so front ends may run an
// instance from several threads (gearbox-mpi computes on one thread and talks on another).
unsafe impl Send for Instance<'_> {}
// SAFETY: as above; every call takes the instance by shared reference.
unsafe impl Sync for Instance<'_> {}

impl Drop for Instance<'_> {
    fn drop(&mut self) {
        (self.lib.vtable.destroy)(self.handle);
    }
}

impl<'r> Instance<'r> {
    pub(crate) fn new(lib: &'r WorkloadLib, handle: Handle, params: Params) -> Self {
        Instance {
            lib,
            handle,
            params,
        }
    }

    /// The library's description.
    pub fn info(&self) -> &WorkloadInfo {
        &self.lib.info
    }

    /// The library file the workload came from.
    pub fn path(&self) -> &std::path::Path {
        &self.lib.path
    }

    pub(crate) fn kernel(&self) -> KernelFfi {
        KernelFfi {
            handle: self.handle,
            vtable: &self.lib.vtable,
        }
    }

    fn context<T>(&self, r: anyhow::Result<T>) -> anyhow::Result<T> {
        r.map_err(|e| within(&self.lib.info.name, ErrorKind::Plugin, e))
    }

    /// The exact result, when the workload knows it.
    pub fn exact(&self) -> anyhow::Result<Option<f64>> {
        self.optional_f64(self.lib.vtable.exact)
    }

    /// Series: a bound on Σ|term(k)| when the workload declares one.
    pub fn abs_sum(&self) -> anyhow::Result<Option<f64>> {
        self.optional_f64(self.lib.vtable.series_abs_sum)
    }

    fn optional_f64(
        &self,
        f: extern "C" fn(Handle, *mut f64, Sink) -> i32,
    ) -> anyhow::Result<Option<f64>> {
        let mut value = 0.0;
        let code = self.context(call(|err| f(self.handle, &mut value, err)))?;
        Ok((code == abi::OK).then_some(value))
    }

    /// Series: the inclusive index range (checked: `first <= last`).
    pub fn range(&self) -> anyhow::Result<(u64, u64)> {
        let (mut first, mut last) = (0, 0);
        self.context(call(|err| {
            (self.lib.vtable.series_range)(self.handle, &mut first, &mut last, err)
        }))?;
        if first > last {
            return Err(error(
                ErrorKind::Plugin,
                format!(
                    "{}: series range {first}..={last} is empty (first > last)",
                    self.lib.path.display()
                ),
            ));
        }
        Ok((first, last))
    }

    /// The workload's WGSL, if it has a GPU kernel.
    pub fn wgsl(&self) -> anyhow::Result<Option<String>> {
        // SAFETY: the kernel points at this live instance.
        self.context(unsafe { Kernel::from_raw(self.kernel()) }.wgsl())
    }

    /// Grid: shape and fields, checked ([`GridLayout::validate`]) before anything is sized from it.
    pub fn layout(&self) -> anyhow::Result<GridLayout> {
        let layout: GridLayout = self.context(read_json(&self.lib.info.name, |out, err| {
            (self.lib.vtable.grid_layout)(self.handle, out, err)
        }))?;
        layout.validate().map_err(|why| {
            error(
                ErrorKind::Plugin,
                format!("{}: {why}", self.lib.path.display()),
            )
        })?;
        Ok(layout)
    }

    /// Grid: the generated coordinate axes.
    pub fn axes(&self, layout: &GridLayout) -> anyhow::Result<Vec<Vec<f64>>> {
        layout
            .dims
            .iter()
            .take(layout.axes.len())
            .enumerate()
            .map(|(i, &d)| {
                let what = format!("the axis {} of {d} values", layout.axes[i]);
                let mut axis = crate::memory::zeros(&what, d)?;
                let out = RawSliceMut {
                    ptr: axis.as_mut_ptr(),
                    len: axis.len(),
                };
                self.context(call(|err| {
                    (self.lib.vtable.grid_axis)(self.handle, i, out, err)
                }))?;
                Ok(axis)
            })
            .collect()
    }
}
