//! `gearbox bench`: a warm-up run, then K timed runs of one workload on one
//! backend: min/median/max, throughput and the median time of every phase.

use clap::ArgMatches;
use gearbox_core::Kind;
use gearbox_host::{Instance, Registry, json};
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
    let quiet = sub.get_flag("quiet");

    let warm_up = job::execute(&backend, &instance, &request, quiet)?;
    let runs: Vec<gearbox_host::Finished> = (0..repeat)
        .map(|_| job::execute(&backend, &instance, &request, quiet))
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
        let timed = |name: &str, s: &Summary| json!({"name": name, "seconds": s.median, "seconds_min": s.min, "seconds_max": s.max});
        let load = Summary::of(&[load_seconds]);
        let mut phase_json = vec![timed("load", &load)];
        phase_json.extend(phases.iter().map(|(name, s)| timed(name, s)));
        let mut record = json::run(&instance, &backend, &warm_up);
        record["seconds"] = json!(times.median);
        record["seconds_min"] = json!(times.min);
        record["seconds_max"] = json!(times.max);
        record["phases"] = json!(phase_json);
        record["repeat"] = json!(repeat);
        record["warm_up_seconds"] = json!(warm_up.seconds);
        record["throughput"] = json!(throughput);
        record["throughput_unit"] = json!(unit);
        println!("{}", json::document("bench", record));
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
