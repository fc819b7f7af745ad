//! The JSON every front end prints or returns (schema 1, documented in
//! docs/JSON.md): one shape for a run, a workload, a backend, whichever command
//! or language asks. Numbers are JSON numbers, parameters typed by their kind.

use gearbox_core::params::{ParamKind, ParamSpec, parse_integer};
use serde_json::{Map, Value, json};

use crate::agree::Agreement;
use crate::backend::OpenBackend;
use crate::instance::Instance;
use crate::job::{Finished, Outcome};
use crate::loader::{Registry, WorkloadLib};

/// Version of the documents below: raised when a key changes meaning or goes away.
pub const SCHEMA: u32 = 1;

/// `{"schema": 1, "command": command}` followed by the fields of `body` (an object).
pub fn document(command: &str, body: Value) -> Value {
    let mut doc = Map::new();
    doc.insert("schema".into(), json!(SCHEMA));
    doc.insert("command".into(), json!(command));
    if let Value::Object(fields) = body {
        doc.extend(fields);
    }
    Value::Object(doc)
}

/// A parameter value as its kind reads it: a number for counts, integers and
/// floats, a string for text (and for anything that does not parse).
pub fn param_value(spec: &ParamSpec, raw: &str) -> Value {
    let number = match spec.kind {
        ParamKind::Count | ParamKind::Integer => parse_integer(raw).ok().map(Value::from),
        ParamKind::Float => raw.trim().parse::<f64>().ok().map(Value::from),
        ParamKind::Text => None,
    };
    number.unwrap_or_else(|| json!(raw))
}

/// Named parameter values, typed by the declarations in `specs`.
pub fn params<'a>(
    specs: &[ParamSpec],
    values: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Value {
    let typed = values.into_iter().map(|(name, raw)| {
        let value = match specs.iter().find(|s| s.name == name) {
            Some(spec) => param_value(spec, raw),
            None => json!(raw),
        };
        (name.to_string(), value)
    });
    Value::Object(typed.collect())
}

/// The result of a run: `{value, exact, error_ulps}` for a series,
/// `{grid, checksums, samples}` for a grid.
pub fn outcome(outcome: &Outcome) -> Value {
    match outcome {
        Outcome::Series { value, exact } => json!({
            "value": value,
            "exact": exact,
            "error_ulps": outcome.error_ulps(),
        }),
        Outcome::Grid(g) => json!({
            "grid": g.layout.dims,
            "checksums": g.checksums,
            "samples": g.samples.iter().map(|s| {
                let mut point = Map::new();
                point.insert("index".into(), json!(s.index));
                for (name, v) in g.layout.outputs.iter().zip(&s.values) {
                    point.insert(name.clone(), json!(v));
                }
                Value::Object(point)
            }).collect::<Vec<_>>(),
        }),
    }
}

/// One finished run: what ran where, its time, phases and result.
pub fn run(instance: &Instance<'_>, backend: &OpenBackend, finished: &Finished) -> Value {
    let info = instance.info();
    json!({
        "workload": info.name,
        "kind": info.kind,
        "params": params(&info.params, instance.params.iter()),
        "backend": backend.name,
        "device": backend.device.device,
        "threads": backend.device.threads,
        "seconds": finished.seconds,
        "phases": finished.phases,
        "result": outcome(&finished.outcome),
    })
}

/// How a run compares with the reference run (a row of `compare`): `agrees`, and
/// for a series `vs_serial_ulps` and `bound`, for a grid `worst_fraction_of_bound`.
pub fn agreement(agreement: &Agreement) -> Value {
    match *agreement {
        Agreement::Series {
            agrees,
            vs_reference_ulps,
            bound,
        } => json!({"agrees": agrees, "vs_serial_ulps": vs_reference_ulps, "bound": bound}),
        Agreement::Grid {
            agrees,
            worst_fraction_of_bound,
        } => json!({"agrees": agrees, "worst_fraction_of_bound": worst_fraction_of_bound}),
    }
}

/// A workload library: name, kind, what it computes, file, and its parameters
/// with typed defaults.
pub fn workload(lib: &WorkloadLib) -> Value {
    let params: Vec<Value> = lib
        .info
        .params
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "kind": p.kind,
                "default": param_value(p, &p.default),
                "help": p.help,
            })
        })
        .collect();
    json!({
        "name": lib.info.name,
        "kind": lib.info.kind,
        "about": lib.info.about,
        "file": lib.path,
        "params": params,
    })
}

/// Backend `name`, opened with default options to show its device, or why it is unavailable.
pub fn backend(registry: &Registry, name: &str) -> Value {
    let slot = registry.backend(name);
    let opened = slot
        .library
        .map_err(anyhow::Error::msg)
        .and_then(|lib| lib.open(&Default::default()));
    match opened {
        Ok(b) => json!({
            "name": name, "file": slot.path, "available": true,
            "device": b.device.device, "threads": b.device.threads, "reason": null,
        }),
        Err(e) => json!({
            "name": name, "file": slot.path, "available": false,
            "device": null, "threads": null, "reason": format!("{e:#}"),
        }),
    }
}
