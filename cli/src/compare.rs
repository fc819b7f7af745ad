//! `gearbox compare`: the cross-check a user runs by hand — one workload on
//! every available backend, each against the exact value (or serial's result)
//! within the workload's error bound.

use clap::ArgMatches;
use gearbox_core::Kind;
use gearbox_core::dd::ulp_error;
use gearbox_host::{Finished, Outcome, Registry, json};
use serde_json::json;

use crate::format;
use crate::job::{self, Jobs};

/// Unit roundoff of f64.
const U: f64 = f64::EPSILON / 2.0;
/// Error bound factors (× u × Σ|terms|) for CPU and GPU backends.
const CPU_FACTOR: f64 = 4.0;
const GPU_FACTOR: f64 = 16.0;

struct Row {
    backend: String,
    device: String,
    gpu: bool,
    run: Result<Finished, String>,
    /// The run as JSON (docs/JSON.md), when it finished.
    record: Option<serde_json::Value>,
}

/// Runs the workload in `matches` on every backend and prints the table; fails
/// when a backend's result is outside its bound.
pub fn compare(registry: &Registry, matches: &ArgMatches, jobs: &dyn Jobs) -> anyhow::Result<()> {
    let (name, sub) = matches.subcommand().expect("clap requires a workload");
    let instance = jobs.instantiate(registry, name, sub)?;
    let request = job::grid_request(sub);
    let options = job::backend_options(sub);
    let mut rows: Vec<Row> = Vec::new();
    for backend in registry.backend_names() {
        let opts = job::options_for(registry, &backend, &options);
        let row = match jobs.open_backend(registry, &backend, &opts) {
            Ok((b, _)) => {
                let run = match jobs.execute(&b, &instance, &request, sub) {
                    Err(e) if crate::monitor::interrupted() || e.is::<crate::failure::Usage>() => {
                        let done: Vec<&str> = rows.iter().map(|r| r.backend.as_str()).collect();
                        let done = if done.is_empty() {
                            "none".into()
                        } else {
                            done.join(", ")
                        };
                        return Err(e.context(format!(
                            "compare stopped on {backend} (backends finished: {done})"
                        )));
                    }
                    run => run.map_err(|e| format!("{e:#}")),
                };
                Row {
                    device: b.device.device.clone(),
                    gpu: b.device.threads.is_none(),
                    record: run.as_ref().ok().map(|f| json::run(&instance, &b, f)),
                    run,
                    backend,
                }
            }
            Err(e) => Row {
                backend,
                device: "-".into(),
                gpu: false,
                run: Err(format!("unavailable: {e:#}")),
                record: None,
            },
        };
        rows.push(row);
    }
    let serial = rows
        .iter()
        .find(|r| r.backend == "serial")
        .and_then(|r| r.run.as_ref().ok());
    let Some(serial) = serial else {
        anyhow::bail!("compare needs the serial backend as its reference, and it did not run");
    };
    let mut failures = Vec::new();
    let mut table = Vec::new();
    for row in &rows {
        let Ok(run) = &row.run else {
            let error = row.run.as_ref().err().cloned().unwrap_or_default();
            if !error.starts_with("unavailable") {
                failures.push(row.backend.clone());
            }
            table.push(json!({"backend": row.backend, "device": row.device, "error": error}));
            continue;
        };
        let factor = if row.gpu { GPU_FACTOR } else { CPU_FACTOR };
        let (entry, ok) = match (&run.outcome, &serial.outcome) {
            (
                Outcome::Series { value, exact },
                Outcome::Series {
                    value: reference, ..
                },
            ) => {
                let magnitude = instance
                    .abs_sum()?
                    .unwrap_or(exact.unwrap_or(*reference).abs());
                let bound = factor * U * magnitude;
                let target = exact.unwrap_or(*reference);
                let ok = (value - target).abs() <= bound;
                let entry = json!({
                    "vs_serial_ulps": ulp_error(*value, *reference),
                    "bound": bound,
                });
                (entry, ok)
            }
            (Outcome::Grid(grid), Outcome::Grid(reference)) => {
                let n = grid.layout.len() as f64;
                let mut worst: f64 = 0.0;
                let ok = grid
                    .checksums
                    .iter()
                    .zip(&reference.checksums)
                    .all(|(c, r)| {
                        let sum_bound = 16.0 * factor * U * (n * r.sum_sq).sqrt();
                        let sq_bound = 16.0 * factor * U * r.sum_sq;
                        worst = worst.max((c.sum - r.sum).abs() / sum_bound.max(f64::MIN_POSITIVE));
                        worst = worst
                            .max((c.sum_sq - r.sum_sq).abs() / sq_bound.max(f64::MIN_POSITIVE));
                        (c.sum - r.sum).abs() <= sum_bound
                            && (c.sum_sq - r.sum_sq).abs() <= sq_bound
                    });
                (json!({"worst_fraction_of_bound": worst}), ok)
            }
            _ => unreachable!("one workload has one kind"),
        };
        if !ok {
            failures.push(row.backend.clone());
        }
        let mut record = row.record.clone().unwrap_or_default();
        if let (Some(record), serde_json::Value::Object(checks)) = (record.as_object_mut(), entry) {
            record.extend(checks);
        }
        record["agrees"] = json!(ok);
        table.push(record);
    }

    if sub.get_flag("json") {
        let params = json::params(&instance.info().params, instance.params.iter());
        let body = json!({"workload": name, "params": params, "exact": instance.exact()?, "backends": table});
        println!("{}", json::document("compare", body));
    } else {
        print_table(
            name,
            &instance.params,
            instance.info().kind,
            instance.exact()?,
            &table,
        );
    }
    if failures.is_empty() {
        Ok(())
    } else {
        anyhow::bail!(
            "backends failed or disagree beyond the workload's error bound: {}",
            failures.join(", ")
        )
    }
}

fn print_table(
    name: &str,
    params: &gearbox_core::Params,
    kind: Kind,
    exact: Option<f64>,
    table: &[serde_json::Value],
) {
    let params: Vec<String> = params.iter().map(|(k, v)| format!("{k} = {v}")).collect();
    println!("{name} ({})", params.join(", "));
    if let Some(exact) = exact {
        println!("exact value {}", gearbox_host::decimal(exact));
    }
    match kind {
        Kind::Series => println!(
            "{:<8} {:<52} {:>24}  {:>14}  {:>15}  {:>10}  agrees",
            "backend", "device", "value", "ulps off exact", "ulps off serial", "time"
        ),
        Kind::Grid => println!(
            "{:<8} {:<52} {:>26}  {:>10}  agrees",
            "backend", "device", "checksum gap / error bound", "time"
        ),
    }
    for row in table {
        let text = |k: &str| row[k].as_str().unwrap_or("-").to_string();
        if let Some(err) = row["error"].as_str() {
            println!("{:<8} {:<52} {err}", text("backend"), text("device"));
            continue;
        }
        let agrees = if row["agrees"] == true { "yes" } else { "NO" };
        let seconds = row["seconds"].as_f64().unwrap_or(f64::NAN);
        match kind {
            Kind::Series => println!(
                "{:<8} {:<52} {:>24}  {:>14}  {:>15.1}  {:>10}  {agrees}",
                text("backend"),
                text("device"),
                gearbox_host::decimal(row["result"]["value"].as_f64().unwrap_or(f64::NAN)),
                row["result"]["error_ulps"]
                    .as_f64()
                    .map_or("-".into(), |u| format!("{u:.1}")),
                row["vs_serial_ulps"].as_f64().unwrap_or(f64::NAN),
                format::seconds(seconds)
            ),
            Kind::Grid => println!(
                "{:<8} {:<52} {:>26.3}  {:>10}  {agrees}",
                text("backend"),
                text("device"),
                row["worst_fraction_of_bound"].as_f64().unwrap_or(f64::NAN),
                format::seconds(seconds)
            ),
        }
    }
}
