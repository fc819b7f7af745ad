//! `gearbox compare`: the cross-check a user runs by hand — one workload on
//! every available backend, each against the exact value (or serial's result)
//! within the workload's error bound.

use clap::ArgMatches;
use gearbox_core::Kind;
use gearbox_host::{Finished, Registry, agree, json};
use serde_json::json;

use crate::format;
use crate::job::{self, Jobs};

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
                    Err(e)
                        if crate::monitor::interrupted()
                            || gearbox_host::kind_of(&e).is_some_and(|k| k.is_request()) =>
                    {
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
                    gpu: agree::on_gpu(&b),
                    record: run.as_ref().ok().map(|f| json::run(&instance, &b, f)),
                    run,
                    backend,
                }
            }
            Err(e) => Row {
                backend,
                device: "-".into(),
                gpu: false,
                // An adapter asked for by name and not found is a failure, not a
                // backend that happens to be unavailable on this machine.
                run: Err(if opts.adapter.is_some() {
                    format!("{e:#}")
                } else {
                    format!("unavailable: {e:#}")
                }),
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
        let agreement = agree::outcomes(&instance, &serial.outcome, &run.outcome, row.gpu)?;
        if !agreement.agrees() {
            failures.push(row.backend.clone());
        }
        let mut record = row.record.clone().unwrap_or_default();
        if let (Some(record), serde_json::Value::Object(checks)) =
            (record.as_object_mut(), json::agreement(&agreement))
        {
            record.extend(checks);
        }
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
