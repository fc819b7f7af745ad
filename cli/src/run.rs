//! `gearbox run`: one workload on one backend, with its result, exact value,
//! error and time.

use clap::ArgMatches;
use gearbox_host::{Finished, Outcome, Phase, Registry, json};

use crate::format;
use crate::job::{self, Jobs};

/// Runs the workload chosen in `matches` (the `run` subcommand's matches).
pub fn run(registry: &Registry, matches: &ArgMatches, jobs: &dyn Jobs) -> anyhow::Result<()> {
    let (name, sub) = matches.subcommand().expect("clap requires a workload");
    let instance = jobs.instantiate(registry, name, sub)?;
    let backend_name = sub.get_one::<String>("backend").expect("has a default");
    let (backend, load_seconds) =
        jobs.open_backend(registry, backend_name, &job::backend_options(sub))?;
    let request = job::grid_request(sub);
    if let Some(dir) = &request.output_dir
        && !sub.get_flag("quiet")
    {
        let layout = instance.layout()?;
        let bytes = layout.len() as f64 * 8.0;
        let files: Vec<String> = layout.outputs.iter().map(|o| format!("{o}.npy")).collect();
        eprintln!(
            "writing {} ({} × {} = {}) into {}",
            files.join(", "),
            files.len(),
            format::si(bytes, "B"),
            format::si(bytes * files.len() as f64, "B"),
            dir.display()
        );
    }
    let finished = jobs.execute(&backend, &instance, &request, sub)?;
    let mut phases = vec![Phase {
        name: "load".into(),
        seconds: load_seconds,
    }];
    phases.extend(finished.phases.iter().cloned());

    if sub.get_flag("json") {
        let shown = Finished {
            phases: phases.clone(),
            ..finished
        };
        let record = json::run(&instance, &backend, &shown);
        println!("{}", json::document("run", record));
        return Ok(());
    }

    println!("{}", job::headline(&instance, &backend));
    print_outcome(&finished);
    println!(
        "  time      {}  (+ {} to load and open the backend)",
        format::seconds(finished.seconds),
        format::seconds(load_seconds)
    );
    if sub.get_flag("profile") {
        println!("  phases");
        let times: Vec<(String, f64)> =
            phases.iter().map(|p| (p.name.clone(), p.seconds)).collect();
        for line in format::phases(&times) {
            println!("{line}");
        }
    }
    Ok(())
}

/// "latitude 500 × radius 300 × longitude 800 = 120000000 points" (array order,
/// axes named), or "100000000 points" for a grid of one unnamed dimension.
pub fn grid_shape(layout: &gearbox_core::GridLayout) -> String {
    if layout.dims.len() == 1 && layout.axes.is_empty() {
        return format!("{} points", layout.len());
    }
    let dims: Vec<String> = layout
        .dims
        .iter()
        .enumerate()
        .map(|(i, d)| match layout.axes.get(i) {
            Some(axis) => format!("{axis} {d}"),
            None => d.to_string(),
        })
        .collect();
    format!("{} = {} points", dims.join(" × "), layout.len())
}

fn print_outcome(finished: &Finished) {
    match &finished.outcome {
        Outcome::Series { value, exact } => {
            println!("  result    {}", gearbox_host::decimal(*value));
            match exact {
                Some(exact) => println!(
                    "  exact     {}  (error {} ulp)",
                    gearbox_host::decimal(*exact),
                    finished
                        .outcome
                        .error_ulps()
                        .map_or("?".into(), |u| format!("{u:.0}"))
                ),
                None => println!("  exact     not known in closed form for this workload"),
            }
        }
        Outcome::Grid(g) => {
            println!("  grid      {}", grid_shape(&g.layout));
            println!(
                "  {:<10} {:>24} {:>24}",
                "checksum", "sum", "sum of squares"
            );
            for c in &g.checksums {
                println!(
                    "  {:<10} {:>24} {:>24}",
                    c.name,
                    gearbox_host::decimal(c.sum),
                    gearbox_host::decimal(c.sum_sq)
                );
            }
            let header: Vec<String> = g
                .layout
                .outputs
                .iter()
                .map(|o| format!("{o:>24}"))
                .collect();
            println!("  {:<20} {}", "sample", header.join(" "));
            for s in &g.samples {
                let idx: Vec<String> = s.index.iter().map(u64::to_string).collect();
                let values: Vec<String> = s
                    .values
                    .iter()
                    .map(|v| format!("{:>24}", gearbox_host::decimal(*v)))
                    .collect();
                println!(
                    "  {:<20} {}",
                    format!("[{}]", idx.join(", ")),
                    values.join(" ")
                );
            }
        }
    }
}
