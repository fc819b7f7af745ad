//! `gearbox list`: what was found, from which file, and whether it works here.

use gearbox_core::BackendOptions;
use gearbox_host::Registry;
use serde_json::json;

/// Prints every backend (opened, to show its device or why it is unavailable)
/// and every workload with its parameters; with `--files`, only the library
/// files that would be loaded (none is).
pub fn list(registry: &Registry, matches: &clap::ArgMatches) -> anyhow::Result<()> {
    let as_json = matches.get_flag("json");
    if matches.get_flag("files") {
        return files(registry, as_json);
    }
    let backends: Vec<serde_json::Value> = registry
        .backend_names()
        .iter()
        .map(|name| {
            let slot = registry.backend(name);
            let opened = slot.library.map_err(anyhow::Error::msg).and_then(|lib| lib.open(&BackendOptions::default()));
            match opened {
                Ok(b) => json!({"name": name, "file": slot.path, "available": true, "device": b.device.device, "threads": b.device.threads}),
                Err(e) => json!({"name": name, "file": slot.path, "available": false, "reason": format!("{e:#}")}),
            }
        })
        .collect();
    if as_json {
        let workloads: Vec<serde_json::Value> = registry
            .workloads
            .iter()
            .map(|w| json!({"name": w.info.name, "kind": w.info.kind, "about": w.info.about, "file": w.path, "params": w.info.params}))
            .collect();
        let out = json!({
            "search_dirs": registry.dirs,
            "backends": backends,
            "workloads": workloads,
            "problems": registry.problems,
        });
        println!("{out}");
        return Ok(());
    }
    println!("Backends:");
    for b in &backends {
        let status = if b["available"] == true {
            format!("available    {}", b["device"].as_str().unwrap_or_default())
        } else {
            format!("unavailable  {}", b["reason"].as_str().unwrap_or_default())
        };
        println!("  {:<8} {status}", b["name"].as_str().unwrap_or_default());
        println!(
            "  {:<8} from {}",
            "",
            b["file"].as_str().unwrap_or_default()
        );
    }
    println!("\nWorkloads:");
    for w in &registry.workloads {
        let kind = serde_json::to_value(w.info.kind)?;
        println!(
            "  {:<10} {} ({})",
            w.info.name,
            w.info.about,
            kind.as_str().unwrap_or_default()
        );
        println!("  {:<10} from {}", "", w.path.display());
        for p in &w.info.params {
            let flag = format!("--{} {}", p.name, p.kind.placeholder());
            println!(
                "  {:<10}   {flag:<18} {} [default: {}]",
                "", p.help, p.default
            );
        }
    }
    if !registry.problems.is_empty() {
        println!("\nLibraries that could not be used:");
        for p in &registry.problems {
            println!("  {p}");
        }
    }
    print_searched(registry);
    Ok(())
}

/// The search directories and the library files in them, without loading any.
fn files(registry: &Registry, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        println!(
            "{}",
            json!({"search_dirs": registry.dirs, "files": registry.files})
        );
        return Ok(());
    }
    println!("Library files gearbox would load (native code, run with your rights):");
    for file in &registry.files {
        println!("  {}", file.display());
    }
    print_searched(registry);
    Ok(())
}

fn print_searched(registry: &Registry) {
    let dirs: Vec<String> = registry
        .dirs
        .iter()
        .map(|d| d.display().to_string())
        .collect();
    println!("\nSearched: {}", dirs.join(", "));
}
