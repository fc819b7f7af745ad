//! gearbox-host as a library: grids from arrays in memory with outputs kept in
//! memory (the host's, or the caller's) give the same values as the file path, on
//! every backend; bad arrays are refused with a message naming what is wrong.

use gearbox_host::grid::{GridArrays, GridOutcome, GridRequest, OutputMemory, checksums_of};
use gearbox_host::kit::{self, ScratchDir};
use gearbox_host::{Instance, Outcome, Silent, execute, npy};

const GRID: &str = "7x9x5";

/// A small velocity instance.
fn instance() -> Instance<'static> {
    kit::registry()
        .workload("velocity")
        .expect("velocity is built")
        .instantiate([("grid", GRID)])
        .expect("valid parameters")
}

/// Runs velocity on `backend` with `request`, returning the grid outcome.
fn velocity(backend: &gearbox_host::OpenBackend, request: &GridRequest<'_>) -> GridOutcome {
    let instance = instance();
    match execute(backend, &instance, request, &Silent)
        .unwrap_or_else(|e| panic!("velocity on {}: {e:#}", backend.name))
        .outcome
    {
        Outcome::Grid(g) => *g,
        Outcome::Series { .. } => panic!("velocity is a grid"),
    }
}

fn write_npy(path: &std::path::Path, shape: &[u64], values: &[f64]) {
    let writer = npy::NpyWriter::create(path, shape).unwrap();
    writer.write_at(0, values).unwrap();
    writer.finish().unwrap();
}

#[test]
fn arrays_in_memory_match_files_on_every_backend() {
    let files = ScratchDir::new("host-files");
    for backend in kit::backends() {
        let instance = instance();
        let layout = instance.layout().unwrap();
        let axes = instance.axes(&layout).unwrap();
        // Inputs that differ per point and per field, so a mix-up shows.
        let inputs: Vec<Vec<f64>> = (0..layout.inputs.len())
            .map(|f| {
                (0..layout.len())
                    .map(|i| ((i * 7 + f as u64 * 13) % 17) as f64 / 8.0 - 1.0)
                    .collect()
            })
            .collect();
        for (name, values) in layout.axes.iter().zip(&axes) {
            write_npy(
                &files.path().join(format!("{name}.npy")),
                &[values.len() as u64],
                values,
            );
        }
        for (name, values) in layout.inputs.iter().zip(&inputs) {
            write_npy(
                &files.path().join(format!("{name}.npy")),
                &layout.dims,
                values,
            );
        }
        let out = ScratchDir::new("host-out");
        let from_files = velocity(
            backend,
            &GridRequest {
                input_dir: Some(files.path().to_path_buf()),
                output_dir: Some(out.path().to_path_buf()),
                ..GridRequest::default()
            },
        );
        let in_memory = velocity(
            backend,
            &GridRequest {
                arrays: Some(GridArrays {
                    axes: axes.iter().map(Vec::as_slice).collect(),
                    inputs: inputs.iter().map(Vec::as_slice).collect(),
                }),
                keep_outputs: true,
                ..GridRequest::default()
            },
        );
        assert!(from_files.arrays.is_empty(), "outputs kept without asking");
        assert_eq!(
            in_memory.checksums, from_files.checksums,
            "{}",
            backend.name
        );
        assert_eq!(in_memory.arrays.len(), layout.outputs.len());
        for (name, kept) in layout.outputs.iter().zip(&in_memory.arrays) {
            let written = npy::read(&out.path().join(format!("{name}.npy")), &layout.dims).unwrap();
            assert_eq!(kept.len(), written.len());
            assert!(
                kept.iter()
                    .zip(&written)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "{name} on {} differs between memory and file",
                backend.name
            );
        }
    }
}

#[test]
fn arrays_of_the_wrong_shape_are_refused() {
    let backend = &kit::backends()[0];
    let instance = instance();
    let layout = instance.layout().unwrap();
    let axes = instance.axes(&layout).unwrap();
    let short = vec![0.0; layout.len() as usize - 1];
    let request = GridRequest {
        arrays: Some(GridArrays {
            axes: axes.iter().map(Vec::as_slice).collect(),
            inputs: vec![short.as_slice(); layout.inputs.len()],
        }),
        ..GridRequest::default()
    };
    let e = execute(backend, &instance, &request, &Silent).unwrap_err();
    let message = format!("{e:#}");
    assert!(
        message.contains(&format!("has {} values", short.len())),
        "{message}"
    );
    let request = GridRequest {
        arrays: Some(GridArrays {
            axes: axes.iter().map(Vec::as_slice).collect(),
            inputs: Vec::new(),
        }),
        ..GridRequest::default()
    };
    let message = format!(
        "{:#}",
        execute(backend, &instance, &request, &Silent).unwrap_err()
    );
    assert!(
        message.contains("expected 3 axes and 3 input fields"),
        "{message}"
    );
}

#[test]
fn outputs_are_computed_into_the_callers_memory_with_checksums_only_when_asked() {
    for backend in kit::backends() {
        let instance = instance();
        let layout = instance.layout().unwrap();
        let kept = velocity(
            backend,
            &GridRequest {
                keep_outputs: true,
                ..GridRequest::default()
            },
        );
        let mut memory: Vec<Vec<f64>> = vec![vec![f64::NAN; layout.len() as usize]; 3];
        let request = GridRequest {
            outputs: Some(OutputMemory::new(
                memory.iter_mut().map(Vec::as_mut_slice).collect(),
            )),
            checksums: false,
            ..GridRequest::default()
        };
        // Twice: the memory is lent back after each run.
        for _ in 0..2 {
            let lent = velocity(backend, &request);
            assert!(lent.arrays.is_empty() && lent.checksums.is_empty());
            assert_eq!(lent.samples, kept.samples, "{}", backend.name);
        }
        drop(request);
        for (ours, theirs) in memory.iter().zip(&kept.arrays) {
            assert!(
                ours.iter()
                    .zip(theirs)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "{} wrote other values into the caller's memory",
                backend.name
            );
        }
        // The checksums of the arrays, computed afterwards, are the run's own bits.
        let fields: Vec<&[f64]> = memory.iter().map(Vec::as_slice).collect();
        assert_eq!(
            checksums_of(&layout.dims, &layout.outputs, &fields),
            kept.checksums
        );
    }
}

#[test]
fn output_memory_of_the_wrong_size_is_refused() {
    let backend = &kit::backends()[0];
    let instance = instance();
    let mut short = vec![0.0; 5];
    let request = GridRequest {
        outputs: Some(OutputMemory::new(vec![short.as_mut_slice()])),
        ..GridRequest::default()
    };
    let message = format!(
        "{:#}",
        execute(backend, &instance, &request, &Silent).unwrap_err()
    );
    assert!(
        message.contains("the output memory has fields of [5] values"),
        "{message}"
    );
}
