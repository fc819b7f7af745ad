//! `gearbox bench`: a warm-up run, then K timed runs of one workload on one
//! backend: min/median/max, throughput and the median time of every phase.

use clap::ArgMatches;
use gearbox_core::Kind;
use gearbox_host::{Instance, Registry, json};
use serde_json::json;

use crate::format;
use crate::job::{self, Jobs};
use crate::stats::Summary;

/// Work done by one run, for throughput: (amount, unit).
fn work(instance: &Instance<'_>) -> anyhow::Result<(f64, &'static str)> {
    Ok(match instance.info().kind {
        Kind::Series => {
            let (first, last) = instance.range()?;
            ((last - first + 1) as f64, " terms/s")
        }
        Kind::Grid => {
            let layout = instance.layout()?;
            let bytes =
                layout.len() as f64 * (layout.inputs.len() + layout.outputs.len()) as f64 * 8.0;
            (bytes, "B/s of fields read and written")
        }
    })
}

/// How much of a grid run's file I/O the pipeline hid behind the compute, from
/// the median phases: reading runs ahead in the background ("read"; "read wait"
/// is what the compute waited for it), a writer thread writes slabs as they
/// finish ("write"; "write wait" is the workers' time handing them over), and
/// "sync" is what was left to flush at the end.
fn overlap(phases: &[(String, Summary)]) -> Option<String> {
    let median = |name: &str| {
        phases
            .iter()
            .find(|(p, _)| p == name)
            .map(|(_, s)| s.median)
    };
    let mut parts = Vec::new();
    if let (Some(read), Some(waited)) = (median("read"), median("read wait")) {
        let hidden = if read > 0.0 {
            (1.0 - waited / read).max(0.0)
        } else {
            1.0
        };
        parts.push(format!(
            "reading {:.0}% hidden ({read:.3} s read ahead, compute waited {waited:.3} s)",
            hidden * 100.0
        ));
    }
    if let (Some(write), Some(waited), Some(sync)) =
        (median("write"), median("write wait"), median("sync"))
    {
        parts.push(format!(
            "writing {write:.3} s in the background (workers handed slabs over in {waited:.3} s), {sync:.3} s left to flush at the end"
        ));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// Runs the benchmark chosen in `matches` and prints its statistics.
pub fn bench(registry: &Registry, matches: &ArgMatches, jobs: &dyn Jobs) -> anyhow::Result<()> {
    let (name, sub) = matches.subcommand().expect("clap requires a workload");
    let instance = jobs.instantiate(registry, name, sub)?;
    let backend_name = sub.get_one::<String>("backend").expect("has a default");
    let repeat = *sub.get_one::<u32>("repeat").expect("has a default");
    let (backend, load_seconds) =
        jobs.open_backend(registry, backend_name, &job::backend_options(sub))?;
    let request = job::grid_request(sub);

    let warm_up = jobs.execute(&backend, &instance, &request, sub)?;
    let runs: Vec<gearbox_host::Finished> = (0..repeat)
        .map(|_| jobs.execute(&backend, &instance, &request, sub))
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
        record["throughput_unit"] = json!(unit.trim());
        println!("{}", json::document("bench", record));
        return Ok(());
    }
    println!("{}", job::headline(&instance, &backend));
    println!(
        "  runs        warm-up {:.4} s, then {repeat} timed",
        warm_up.seconds
    );
    println!(
        "  time        min {}   median {}   max {}",
        format::seconds(times.min),
        format::seconds(times.median),
        format::seconds(times.max)
    );
    println!("  throughput  {} (median)", format::si(throughput, unit));
    println!("  phases (median)");
    let mut times = vec![("load".to_string(), load_seconds)];
    times.extend(phases.iter().map(|(name, s)| (name.clone(), s.median)));
    for line in format::phases(&times) {
        println!("{line}");
    }
    if let Some(line) = overlap(&phases) {
        println!("  overlap     {line}");
    }
    Ok(())
}
