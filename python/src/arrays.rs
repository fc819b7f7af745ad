//! NumPy arrays in and out: inputs are borrowed in place (float64, C-contiguous:
//! the Python half converts others once), the grid's shape is taken from them,
//! and the outputs are NumPy arrays the run computes into (new ones, or the
//! caller's `out=`), so nothing is copied.

use gearbox_core::GridLayout;
use gearbox_host::GridArrays;
use numpy::{
    PyArrayDescrMethods, PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn, PyReadwriteArrayDyn,
};
use numpy::{PyUntypedArray, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::error::Failure;

/// An input array given by name, borrowed from Python for the run.
pub struct Input<'a> {
    /// The keyword it was given as.
    pub name: String,
    /// Its values, in C order.
    pub values: &'a [f64],
    /// Its shape.
    pub shape: Vec<usize>,
}

/// Borrows `value` (the keyword argument `name`) as a float64 C-contiguous array.
pub fn borrow<'py>(
    name: &str,
    value: &Bound<'py, PyAny>,
) -> Result<PyReadonlyArrayDyn<'py, f64>, Failure> {
    let array = value.cast::<PyUntypedArray>().map_err(|_| {
        let given = value
            .get_type()
            .name()
            .map_or("?".into(), |n| n.to_string());
        Failure::Type(format!(
            "{name} must be a NumPy array of float64, got {given} (use numpy.asarray({name}, dtype=numpy.float64))"
        ))
    })?;
    let dtype = array.dtype();
    if !dtype.is_equiv_to(&numpy::dtype::<f64>(value.py())) {
        return Err(Failure::Type(format!(
            "{name} has dtype {dtype}, gearbox takes float64 (use {name}.astype(numpy.float64))"
        )));
    }
    if !array.is_c_contiguous() || !array.is_aligned() {
        return Err(Failure::Value(format!(
            "{name} is not aligned and C-contiguous (use numpy.require({name}, numpy.float64, 'CA'))"
        )));
    }
    let typed = value
        .cast::<PyArrayDyn<f64>>()
        .map_err(|e| Failure::Type(format!("{name}: {e}")))?;
    typed
        .try_readonly()
        .map_err(|e| Failure::Value(format!("{name}: {e}")))
}

/// Views borrowed arrays as inputs.
pub fn inputs<'a>(borrowed: &'a [(String, PyReadonlyArrayDyn<'_, f64>)]) -> Vec<Input<'a>> {
    borrowed
        .iter()
        .map(|(name, array)| Input {
            name: name.clone(),
            values: array.as_slice().expect("checked C-contiguous"),
            shape: array.shape().to_vec(),
        })
        .collect()
}

fn shape_text(shape: &[u64]) -> String {
    let items: Vec<String> = shape.iter().map(u64::to_string).collect();
    match items.len() {
        1 => format!("({},)", items[0]),
        _ => format!("({})", items.join(", ")),
    }
}

/// Matches `given` to the layout's axes and inputs by name: every one of them, or
/// none (the workload generates them). `about` names the instance in messages.
pub fn grid_arrays<'a>(
    about: &str,
    layout: &GridLayout,
    given: &'a [Input<'a>],
) -> Result<Option<GridArrays<'a>>, Failure> {
    if given.is_empty() {
        return Ok(None);
    }
    let wanted: Vec<&String> = layout.axes.iter().chain(&layout.inputs).collect();
    let list = |names: &[&String]| {
        let names: Vec<&str> = names.iter().map(|n| n.as_str()).collect();
        names.join(", ")
    };
    if let Some(extra) = given.iter().find(|g| !wanted.contains(&&g.name)) {
        return Err(Failure::Type(format!(
            "{about}: unexpected array {} (its arrays are {})",
            extra.name,
            list(&wanted)
        )));
    }
    let missing: Vec<&String> = wanted
        .iter()
        .copied()
        .filter(|w| !given.iter().any(|g| &g.name == *w))
        .collect();
    if !missing.is_empty() {
        return Err(Failure::Value(format!(
            "{about}: missing arrays {} (give all of {}, or none to have them generated)",
            list(&missing),
            list(&wanted)
        )));
    }
    let find = |name: &String, shape: &[u64]| {
        let g = given.iter().find(|g| &g.name == name).expect("all present");
        let has: Vec<u64> = g.shape.iter().map(|&d| d as u64).collect();
        if has != shape {
            return Err(Failure::Value(format!(
                "{about}: {name} has shape {}, the grid needs {}",
                shape_text(&has),
                shape_text(shape)
            )));
        }
        Ok(g.values)
    };
    Ok(Some(GridArrays {
        axes: layout
            .axes
            .iter()
            .zip(&layout.dims)
            .map(|(name, &d)| find(name, &[d]))
            .collect::<Result<_, _>>()?,
        inputs: layout
            .inputs
            .iter()
            .map(|name| find(name, &layout.dims))
            .collect::<Result<_, _>>()?,
    }))
}

/// The grid shape `given` implies for `layout`: the first input field's shape
/// (or, with no input field, the axes' lengths); `None` when no array was given.
/// Arrays that disagree with it are an error naming them and their shapes.
pub fn grid_shape(
    about: &str,
    layout: &GridLayout,
    given: &[Input<'_>],
) -> Result<Option<Vec<u64>>, Failure> {
    let find = |name: &String| given.iter().find(|g| &g.name == name);
    let shape_of = |g: &Input<'_>| -> Vec<u64> { g.shape.iter().map(|&d| d as u64).collect() };
    let shape = match layout.inputs.iter().find_map(find) {
        Some(field) => shape_of(field),
        None => match layout.axes.iter().map(find).collect::<Option<Vec<_>>>() {
            Some(axes) if !axes.is_empty() && axes.iter().all(|a| a.shape.len() == 1) => {
                axes.iter().map(|a| a.shape[0] as u64).collect()
            }
            _ => return Ok(None),
        },
    };
    // What each array should be for `shape`: fields the whole shape, axes their dimension.
    let mut wrong: Vec<String> = Vec::new();
    let mut right: Vec<String> = Vec::new();
    for (name, expected) in layout
        .inputs
        .iter()
        .map(|n| (n, shape.clone()))
        .chain(layout.axes.iter().zip(&shape).map(|(n, &d)| (n, vec![d])))
    {
        if let Some(g) = find(name) {
            match shape_of(g) == expected {
                true => right.push(format!("{name} {}", shape_text(&shape_of(g)))),
                false => wrong.push(format!("{name} {}", shape_text(&shape_of(g)))),
            }
        }
    }
    if !wrong.is_empty() {
        return Err(Failure::Value(format!(
            "{about}: the arrays disagree on the grid's shape: {} make the grid {}, which {} {} not fit",
            right.join(", "),
            shape_text(&shape),
            wrong.join(", "),
            if wrong.len() == 1 { "does" } else { "do" }
        )));
    }
    Ok(Some(shape))
}

/// Borrows the caller's `out=` arrays for writing: one per output, float64,
/// C-contiguous, writeable, of shape `dims`, none of them an input.
pub fn borrow_out<'py>(
    about: &str,
    names: &[String],
    dims: &[u64],
    out: &[Bound<'py, PyAny>],
) -> Result<Vec<PyReadwriteArrayDyn<'py, f64>>, Failure> {
    if out.len() != names.len() {
        return Err(Failure::Value(format!(
            "{about}: out= has {} arrays, the workload has {} outputs ({})",
            out.len(),
            names.len(),
            names.join(", ")
        )));
    }
    let shape: Vec<usize> = dims.iter().map(|&d| d as usize).collect();
    names
        .iter()
        .zip(out)
        .map(|(name, value)| {
            let typed = value.cast::<PyArrayDyn<f64>>().map_err(|_| {
                Failure::Type(format!(
                    "{about}: out= for {name} must be a float64 NumPy array (numpy.empty({}))",
                    shape_text(dims)
                ))
            })?;
            if typed.shape() != shape.as_slice() || !typed.is_c_contiguous() {
                return Err(Failure::Value(format!(
                    "{about}: out= for {name} must be C-contiguous of shape {}, got {}{}",
                    shape_text(dims),
                    shape_text(&typed.shape().iter().map(|&d| d as u64).collect::<Vec<_>>()),
                    if typed.is_c_contiguous() { "" } else { ", not C-contiguous" }
                )));
            }
            typed.try_readwrite().map_err(|e| {
                Failure::Value(format!(
                    "{about}: out= for {name} cannot be written ({e}): is it read-only, or also an input?"
                ))
            })
        })
        .collect()
}

/// New uninitialised float64 arrays of shape `dims`, one per output, allocated by
/// NumPy (large ones on huge pages) and first touched by the threads of the run
/// that writes every element.
pub fn new_outputs<'py>(
    py: Python<'py>,
    count: usize,
    dims: &[u64],
) -> Vec<Bound<'py, PyArrayDyn<f64>>> {
    let shape: Vec<usize> = dims.iter().map(|&d| d as usize).collect();
    (0..count)
        // SAFETY: the array is uninitialised; the run writes every element before
        // it is returned, and a failed run drops it unread.
        .map(|_| unsafe { PyArrayDyn::<f64>::new(py, shape.clone(), false) })
        .collect()
}

/// A buffer export (a `memoryview`) of each input array, held for the run: NumPy
/// refuses to resize an array while it is exported, so no other thread can free
/// the memory the run reads.
pub fn lock<'py>(arrays: &[(String, Bound<'py, PyAny>)]) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let Some((_, first)) = arrays.first() else {
        return Ok(Vec::new());
    };
    let memoryview = first.py().import("builtins")?.getattr("memoryview")?;
    arrays.iter().map(|(_, a)| memoryview.call1((a,))).collect()
}

/// Σx and Σx² of each output array of a grid run (`names`, in the layout's order),
/// as the run would have reported them (JSON, docs/JSON.md): computed without the
/// GIL when a result is first asked for them.
#[pyfunction]
pub fn checksums(
    py: Python<'_>,
    names: Vec<String>,
    arrays: Vec<Bound<'_, PyAny>>,
) -> PyResult<String> {
    let borrowed = names
        .iter()
        .zip(&arrays)
        .map(|(name, a)| borrow(name, a))
        .collect::<Result<Vec<_>, Failure>>()?;
    let fields: Vec<&[f64]> = borrowed
        .iter()
        .map(|a| a.as_slice().expect("checked C-contiguous"))
        .collect();
    let dims: Vec<u64> = borrowed
        .first()
        .map(|a| a.shape().iter().map(|&d| d as u64).collect())
        .unwrap_or_default();
    let sums = py.detach(|| gearbox_host::grid::checksums_of(&dims, &names, &fields));
    Ok(serde_json::to_string(&sums).expect("checksums serialise"))
}

/// `out=` as a list in the layout's order: a dict by output name (every output,
/// no other), or a sequence.
pub fn out_list<'py>(
    about: &str,
    names: &[String],
    out: &Bound<'py, PyAny>,
) -> Result<Vec<Bound<'py, PyAny>>, Failure> {
    let Ok(by_name) = out.cast::<PyDict>() else {
        return out
            .try_iter()
            .and_then(|items| items.collect::<PyResult<Vec<_>>>())
            .map_err(|_| {
                Failure::Type(format!("{about}: out= must be a list or a dict of arrays"))
            });
    };
    let given: Vec<String> = by_name.keys().iter().map(|k| k.to_string()).collect();
    if given.len() != names.len() || given.iter().any(|g| !names.contains(g)) {
        return Err(Failure::Value(format!(
            "{about}: out= needs one array for each of {}, got {}",
            names.join(", "),
            given.join(", ")
        )));
    }
    names
        .iter()
        .map(|n| {
            by_name
                .get_item(n)
                .ok()
                .flatten()
                .ok_or_else(|| Failure::Value(format!("{about}: out= has no {n}")))
        })
        .collect()
}
