//! Embedding gearbox in another Rust program: a series and a grid from memory.
//!
//! ```sh
//! cargo build --release --workspace
//! GEARBOX_PLUGIN_PATH=target/release cargo run --release -p gearbox-host --example embed
//! ```

use gearbox_host::{GridArrays, GridRequest, Outcome, Registry, Silent, execute};

fn main() -> anyhow::Result<()> {
    let registry = Registry::discover(&[])?;
    let backend = registry.open_backend("rayon", &Default::default())?;

    // A series: the Basel sum to N = 1e8, next to its exact value.
    let basel = registry
        .workload("basel")
        .ok_or_else(|| anyhow::anyhow!("no basel workload found; set GEARBOX_PLUGIN_PATH"))?;
    let run = execute(
        &backend,
        &basel.instantiate([("n", "1e8")])?,
        &GridRequest::default(),
        &Silent,
    )?;
    if let Outcome::Series { value, exact } = &run.outcome {
        println!(
            "basel: {value} (exact {exact:?}, {:?} ulp) in {:.3} s",
            run.outcome.error_ulps(),
            run.seconds
        );
    }

    // A grid from arrays in memory, outputs kept in memory.
    let velocity = registry
        .workload("velocity")
        .ok_or_else(|| anyhow::anyhow!("no velocity workload found"))?;
    let instance = velocity.instantiate([("grid", "4x6x5")])?;
    let layout = instance.layout()?;
    let axes = instance.axes(&layout)?;
    let ones = vec![1.0; layout.len() as usize];
    let request = GridRequest {
        arrays: Some(GridArrays {
            axes: axes.iter().map(Vec::as_slice).collect(),
            inputs: vec![&ones; layout.inputs.len()]
                .into_iter()
                .map(Vec::as_slice)
                .collect(),
        }),
        keep_outputs: true,
        ..GridRequest::default()
    };
    let run = execute(&backend, &instance, &request, &Silent)?;
    if let Outcome::Grid(grid) = &run.outcome {
        for (name, values) in grid.layout.outputs.iter().zip(&grid.arrays) {
            println!("{name}: {} values, first {:?}", values.len(), &values[..3]);
        }
    }
    Ok(())
}
