//! `gearbox run`: one workload on one backend, with its result, exact value,
//! error and time.

use clap::ArgMatches;
use gearbox_host::{Phase, Registry};
use serde_json::json;

use gearbox_host::{Finished, Outcome};

use crate::job;

/// Runs the workload chosen in `matches` (the `run` subcommand's matches).
pub fn run(registry: &Registry, matches: &ArgMatches) -> anyhow::Result<()> {
    let (name, sub) = matches.subcommand().expect("clap requires a workload");
    let instance = job::instantiate(registry, name, sub)?;
    let backend_name = sub.get_one::<String>("backend").expect("has a default");
    let (backend, load_seconds) =
        job::open_backend(registry, backend_name, &job::backend_options(sub))?;
    let finished = job::execute(&backend, &instance, &job::grid_request(sub), sub)?;
    let mut phases = vec![Phase {
        name: "load".into(),
        seconds: load_seconds,
    }];
    phases.extend(finished.phases.iter().cloned());

    if sub.get_flag("json") {
        let mut out = json!({
            "workload": name,
            "params": instance.params,
            "backend": backend.name,
            "device": backend.device.device,
            "threads": backend.device.threads,
            "seconds": finished.seconds,
            "load_seconds": load_seconds,
            "phases": phases,
        });
        merge(&mut out, finished.outcome.to_json());
        println!("{out}");
        return Ok(());
    }

    println!("{}", job::headline(&instance, &backend));
    print_outcome(&finished);
    println!(
        "  time      {:.6} s  (+ {:.1} ms to load and open the backend)",
        finished.seconds,
        load_seconds * 1e3
    );
    if sub.get_flag("profile") {
        println!("  phases");
        for p in &phases {
            println!("    {:<12} {:>12.6} s", p.name, p.seconds);
        }
    }
    Ok(())
}

fn merge(target: &mut serde_json::Value, extra: serde_json::Value) {
    if let (Some(t), serde_json::Value::Object(e)) = (target.as_object_mut(), extra) {
        t.extend(e);
    }
}

fn print_outcome(finished: &Finished) {
    match &finished.outcome {
        Outcome::Series { value, exact } => {
            println!("  result    {value:.17e}");
            match exact {
                Some(exact) => println!(
                    "  exact     {exact:.17e}  (error {} ulp)",
                    finished
                        .outcome
                        .error_ulps()
                        .map_or("?".into(), |u| format!("{u:.0}"))
                ),
                None => println!("  exact     not known in closed form for this workload"),
            }
        }
        Outcome::Grid(g) => {
            let dims: Vec<String> = g.layout.dims.iter().map(u64::to_string).collect();
            println!(
                "  grid      {} = {} points",
                dims.join(" × "),
                g.layout.len()
            );
            println!(
                "  {:<10} {:>24} {:>24}",
                "checksum", "sum", "sum of squares"
            );
            for c in &g.checksums {
                println!("  {:<10} {:>24.16e} {:>24.16e}", c.name, c.sum, c.sum_sq);
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
                let values: Vec<String> = s.values.iter().map(|v| format!("{v:>24.16e}")).collect();
                println!(
                    "  {:<20} {}",
                    format!("[{}]", idx.join(", ")),
                    values.join(" ")
                );
            }
        }
    }
}
