//! NumPy arrays in and out: inputs are borrowed in place (float64, C-contiguous,
//! of the grid's shape, or refused), outputs become arrays that own the vectors
//! the run filled, so nothing is copied after the run.

use gearbox_core::GridLayout;
use gearbox_host::GridArrays;
use numpy::ndarray::{ArrayD, IxDyn};
use numpy::{PyArrayDescrMethods, PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn};
use numpy::{PyUntypedArray, PyUntypedArrayMethods};
use pyo3::prelude::*;

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
    if !array.is_c_contiguous() {
        return Err(Failure::Value(format!(
            "{name} is not C-contiguous (use numpy.ascontiguousarray({name}))"
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

/// Output fields as NumPy arrays of shape `dims` that take ownership of the vectors.
pub fn outputs<'py>(
    py: Python<'py>,
    dims: &[u64],
    fields: Vec<Vec<f64>>,
) -> PyResult<Vec<Bound<'py, PyArrayDyn<f64>>>> {
    let shape: Vec<usize> = dims.iter().map(|&d| d as usize).collect();
    fields
        .into_iter()
        .map(|values| {
            let array = ArrayD::from_shape_vec(IxDyn(&shape), values)
                .map_err(|e| Failure::Run(format!("output of the wrong size: {e}")))?;
            Ok(PyArrayDyn::from_owned_array(py, array))
        })
        .collect()
}
