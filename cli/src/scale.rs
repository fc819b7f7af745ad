//! `gearbox scale`: the course's scaling tables without a line of Python —
//! runtime, speed-up and parallel efficiency per thread count, and runtime
//! against any workload parameter given as a list — as text, CSV and plots.

use clap::ArgMatches;
use gearbox_core::BackendOptions;
use gearbox_host::{Registry, json};

use crate::stats::Summary;
use crate::{job, output, plot};

/// One measured point.
#[derive(Clone, Debug)]
struct Point {
    /// Workload parameters of this point.
    params: Vec<(String, String)>,
    threads: u32,
    seconds: Summary,
    /// Median time at the fewest threads with the same parameters, over this one.
    speedup: f64,
    /// Speed-up divided by the thread ratio.
    efficiency: f64,
}

/// Every combination of the listed values, in order (the last parameter varies fastest).
fn combinations(lists: &[(String, Vec<String>)]) -> Vec<Vec<(String, String)>> {
    lists.iter().fold(vec![Vec::new()], |acc, (name, values)| {
        acc.iter()
            .flat_map(|prefix| {
                values.iter().map(move |v| {
                    let mut next = prefix.clone();
                    next.push((name.clone(), v.clone()));
                    next
                })
            })
            .collect()
    })
}

/// Runs the study chosen in `matches` and prints, writes and draws its tables.
pub fn scale(registry: &Registry, matches: &ArgMatches) -> anyhow::Result<()> {
    let (name, sub) = matches.subcommand().expect("clap requires a workload");
    let lib = registry
        .workload(name)
        .expect("clap only accepts known workloads");
    let lists: Vec<(String, Vec<String>)> = lib
        .info
        .params
        .iter()
        .map(|p| {
            let raw = sub.get_one::<String>(&p.name).expect("has a default");
            (
                p.name.clone(),
                raw.split(',').map(|v| v.trim().to_string()).collect(),
            )
        })
        .collect();
    let swept: Vec<String> = lists
        .iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(n, _)| n.clone())
        .collect();
    let threads: Vec<u32> = sub
        .get_one::<String>("threads")
        .expect("has a default")
        .split(',')
        .map(|t| t.trim().parse().expect("validated"))
        .collect();
    let backend_name = sub.get_one::<String>("backend").expect("has a default");
    let repeat = *sub.get_one::<u32>("repeat").expect("has a default");
    let adapter = sub.get_one::<String>("adapter").cloned();
    let request = job::grid_request(sub);

    // A backend without threads (the GPU) is measured once, unless threads were asked for.
    let takes_threads = registry
        .backend(backend_name)
        .library
        .is_ok_and(|lib| lib.takes("threads"));
    let explicit = sub.value_source("threads") == Some(clap::parser::ValueSource::CommandLine);
    if !takes_threads && explicit {
        return Err(crate::failure::usage(format!(
            "backend {backend_name} does not take --threads"
        )));
    }
    let threads = if takes_threads { threads } else { vec![1] };
    let mut points: Vec<Point> = Vec::new();
    for &t in &threads {
        let options = BackendOptions {
            threads: takes_threads.then_some(t as usize),
            adapter: adapter.clone(),
        };
        let (backend, _) = job::open_backend(registry, backend_name, &options)?;
        for params in combinations(&lists) {
            let instance = lib.instantiate(params.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
            job::execute(&backend, &instance, &request, sub)?; // warm-up
            let times: Vec<f64> = (0..repeat)
                .map(|_| job::execute(&backend, &instance, &request, sub).map(|r| r.seconds))
                .collect::<anyhow::Result<_>>()?;
            points.push(Point {
                params,
                threads: t,
                seconds: Summary::of(&times),
                speedup: 1.0,
                efficiency: 1.0,
            });
        }
    }
    let fewest = *threads.iter().min().expect("at least one thread count");
    for i in 0..points.len() {
        let base = points
            .iter()
            .find(|p| p.threads == fewest && p.params == points[i].params)
            .map(|p| p.seconds.median);
        if let Some(base) = base {
            let p = &mut points[i];
            p.speedup = base / p.seconds.median;
            p.efficiency = p.speedup / (f64::from(p.threads) / f64::from(fewest));
        }
    }

    if let Some(path) = sub.get_one::<std::path::PathBuf>("csv") {
        output::write_file(path, csv(&lists, &points).as_bytes())?;
    }
    if let Some(path) = sub.get_one::<std::path::PathBuf>("plot") {
        let study = plot::Study {
            workload: name,
            backend: backend_name,
            repeat,
            params: &lib.info.params,
            swept: &swept,
            samples: points
                .iter()
                .map(|p| plot::Sample {
                    params: &p.params,
                    threads: p.threads,
                    seconds: p.seconds,
                    speedup: p.speedup,
                })
                .collect(),
        };
        let format = plot::Format::of(path).map_err(anyhow::Error::msg)?;
        output::write_file(path, &plot::render(&study, format)?)?;
    }
    if sub.get_flag("json") {
        let points: Vec<serde_json::Value> = points
            .iter()
            .map(|p| {
                let values = p.params.iter().map(|(k, v)| (k.as_str(), v.as_str()));
                serde_json::json!({
                    "params": json::params(&lib.info.params, values),
                    "threads": p.threads,
                    "seconds": p.seconds.median,
                    "seconds_min": p.seconds.min,
                    "seconds_max": p.seconds.max,
                    "speedup": p.speedup,
                    "efficiency": p.efficiency,
                })
            })
            .collect();
        let body = serde_json::json!({"workload": name, "backend": backend_name, "repeat": repeat, "points": points});
        println!("{}", json::document("scale", body));
        return Ok(());
    }
    println!("{name} on {backend_name}, median of {repeat} runs after a warm-up");
    let names: Vec<&str> = lists.iter().map(|(n, _)| n.as_str()).collect();
    println!(
        "{:<24} {:>8} {:>12} {:>10} {:>11}",
        names.join(", "),
        "threads",
        "time (s)",
        "speed-up",
        "efficiency"
    );
    for p in &points {
        let values: Vec<&str> = p.params.iter().map(|(_, v)| v.as_str()).collect();
        println!(
            "{:<24} {:>8} {:>12.6} {:>9.2}× {:>10.0}%",
            values.join(", "),
            p.threads,
            p.seconds.median,
            p.speedup,
            p.efficiency * 100.0
        );
    }
    Ok(())
}

fn csv(lists: &[(String, Vec<String>)], points: &[Point]) -> String {
    let mut out: String = lists.iter().map(|(n, _)| format!("{n},")).collect();
    out.push_str("threads,median_s,min_s,max_s,speedup,efficiency\n");
    for p in points {
        for (_, v) in &p.params {
            out.push_str(&format!("{v},"));
        }
        out.push_str(&format!(
            "{},{:.9},{:.9},{:.9},{:.6},{:.6}\n",
            p.threads, p.seconds.median, p.seconds.min, p.seconds.max, p.speedup, p.efficiency
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combinations_vary_the_last_parameter_fastest() {
        let lists = vec![
            ("a".to_string(), vec!["1".into(), "2".into()]),
            ("b".to_string(), vec!["x".into(), "y".into()]),
        ];
        let c: Vec<String> = combinations(&lists)
            .iter()
            .map(|p| p.iter().map(|(_, v)| v.as_str()).collect())
            .collect();
        assert_eq!(c, ["1x", "1y", "2x", "2y"]);
    }
}
