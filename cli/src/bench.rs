//! `gearbox bench`: a warm-up run, then K timed runs of one workload on one
//! backend: min/median/max, throughput and the median time of every phase.

use clap::ArgMatches;
use gearbox_core::Kind;
use gearbox_host::{Instance, Registry};
use serde_json::json;

use crate::job;
use crate::stats::Summary;

/// Work done by one run, for throughput: (amount, unit).
fn work(instance: &Instance<'_>) -> anyhow::Result<(f64, &'static str)> {
    Ok(match instance.info().kind {
        Kind::Series => {
            let (first, last) = instance.range()?;
            ((last - first + 1) as f64, "terms/s")
        }
        Kind::Grid => {
            let layout = instance.layout()?;
            let bytes =
                layout.len() as f64 * (layout.inputs.len() + layout.outputs.len()) as f64 * 8.0;
            (bytes / 1e9, "GB/s of fields")
        }
    })
}

/// Runs the benchmark chosen in `matches` and prints its statistics.
pub fn bench(registry: &Registry, matches: &ArgMatches) -> anyhow::Result<()> {
    let (name, sub) = matches.subcommand().expect("clap requires a workload");
    let instance = job::instantiate(registry, name, sub)?;
    let backend_name = sub.get_one::<String>("backend").expect("has a default");
    let repeat = *sub.get_one::<u32>("repeat").expect("has a default");
    let (backend, load_seconds) =
        job::open_backend(registry, backend_name, &job::backend_options(sub))?;
    let request = job::grid_request(sub);

    let warm_up = job::execute(&backend, &instance, &request, sub)?;
    let runs: Vec<gearbox_host::Finished> = (0..repeat)
        .map(|_| job::execute(&backend, &instance, &request, sub))
        .collect::<anyhow::Result<_>>()?;
    let times = Summary::of(&runs.iter().map(|r| r.seconds).collect::<Vec<_>>());
    let mut phase_names: Vec<String> = Vec::new();
    for name in runs.iter().flat_map(|r| r.phases.iter().map(|p| &p.name)) {
        if !phase_names.contains(name) {
            phase_names.push(name.clone());
        }
    }
    let phases: Vec<(String, Summary)> = phase_names
        .into_iter()
        .map(|phase| {
            let secs: Vec<f64> = runs
                .iter()
                .map(|r| {
                    r.phases
                        .iter()
                        .filter(|p| p.name == phase)
                        .map(|p| p.seconds)
                        .sum()
                })
                .collect();
            (phase, Summary::of(&secs))
        })
        .collect();
    let (amount, unit) = work(&instance)?;
    let throughput = amount / times.median;

    if sub.get_flag("json") {
        let mut phase_json = serde_json::Map::new();
        for (name, s) in &phases {
            phase_json.insert(name.clone(), json!(s));
        }
        phase_json.insert(
            "load".into(),
            json!({"min": load_seconds, "median": load_seconds, "max": load_seconds}),
        );
        println!(
            "{}",
            json!({
                "workload": name,
                "params": instance.params,
                "backend": backend.name,
                "device": backend.device.device,
                "threads": backend.device.threads,
                "repeat": repeat,
                "warm_up_seconds": warm_up.seconds,
                "seconds": times,
                "throughput": throughput,
                "throughput_unit": unit,
                "phases": phase_json,
                "result": warm_up.outcome.to_json(),
            })
        );
        return Ok(());
    }
    println!("{}", job::headline(&instance, &backend));
    println!(
        "  runs        warm-up {:.4} s, then {repeat} timed",
        warm_up.seconds
    );
    println!(
        "  time        min {:.6} s   median {:.6} s   max {:.6} s",
        times.min, times.median, times.max
    );
    println!("  throughput  {throughput:.4e} {unit} (median)");
    println!("  phases (median s)");
    println!(
        "    {:<12} {:>12.6}   (library load and backend open, once)",
        "load", load_seconds
    );
    for (phase, s) in &phases {
        println!("    {phase:<12} {:>12.6}", s.median);
    }
    Ok(())
}
