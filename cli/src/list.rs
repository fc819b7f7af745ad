//! `gearbox list`: what was found, from which file, and whether it works here.

use gearbox_host::{Registry, json};

/// Prints every backend (opened, to show its device or why it is unavailable),
/// every workload with its parameters, and the CPU level the kernels run at;
/// with `--files`, only the library files that would be loaded (none is).
pub fn list(registry: &Registry, matches: &clap::ArgMatches) -> anyhow::Result<()> {
    let as_json = matches.get_flag("json");
    if matches.get_flag("files") {
        return files(registry, as_json);
    }
    let cpu = gearbox_host::cpu_level()?;
    let backends: Vec<serde_json::Value> = registry
        .backend_names()
        .iter()
        .map(|name| json::backend(registry, name))
        .collect();
    if as_json {
        let workloads: Vec<serde_json::Value> =
            registry.workloads.iter().map(json::workload).collect();
        let body = serde_json::json!({
            "search_dirs": registry.dirs,
            "cpu_level": cpu.name(),
            "backends": backends,
            "workloads": workloads,
            "problems": registry.problems,
        });
        println!("{}", json::document("list", body));
        if registry.workloads.is_empty() {
            anyhow::bail!(registry.nothing_found());
        }
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
    println!(
        "\nCPU kernels: {cpu} (the best this CPU runs: {}; GEARBOX_CPU=baseline|avx2|avx512 forces one)",
        gearbox_core::dispatch::Level::best()
    );
    print_searched(registry);
    if registry.workloads.is_empty() {
        anyhow::bail!(registry.nothing_found());
    }
    Ok(())
}

/// The search directories and the library files in them, without loading any.
fn files(registry: &Registry, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        println!(
            "{}",
            json::document(
                "list",
                serde_json::json!({"search_dirs": registry.dirs, "files": registry.files})
            )
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
