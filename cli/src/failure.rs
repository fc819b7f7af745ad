//! How the command fails: one line on stderr and an exit code that says why.

use std::process::ExitCode;
use std::sync::OnceLock;

use gearbox_host::Interrupted;

pub use gearbox_host::usage::{Usage, usage};

/// The command whose failures are also reported as a JSON document on stdout
/// (set by [`json_errors`] when `--json` is given).
static JSON_COMMAND: OnceLock<String> = OnceLock::new();

/// With `--json` in `argv`, failures are also printed on stdout as one JSON
/// document, `{"schema": 1, "command": …, "error": {"kind", "message", "exit_code"}}`
/// (docs/JSON.md), unless the command printed its own document first.
pub fn json_errors(argv: &[String]) {
    if !argv.iter().skip(1).any(|a| a == "--json") {
        return;
    }
    let command = argv
        .iter()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .cloned()
        .unwrap_or_default();
    let _ = JSON_COMMAND.set(command);
}

/// Prints the failure as a JSON document on stdout, when [`json_errors`] asked
/// for it and stdout has nothing yet.
fn json_error(kind: &str, message: &str, code: u8) {
    let Some(command) = JSON_COMMAND.get() else {
        return;
    };
    if crate::output::stdout_used() {
        return;
    }
    let body = serde_json::json!({
        "error": {"kind": kind, "message": message, "exit_code": code}
    });
    println!("{}", gearbox_host::json::document(command, body));
}

/// Prints `error` as one line and picks the exit code: 2 for usage errors, 130 for
/// an interrupted run (the line says how far it got), 1 otherwise.
pub fn report(error: &anyhow::Error) -> ExitCode {
    let message = format!("{error:#}").replace('\n', " ");
    let (kind, label, code) = if error.chain().any(|e| e.is::<Interrupted>()) {
        ("interrupted", "interrupted", 130)
    } else if gearbox_host::is_usage(error) {
        ("usage", "error", 2)
    } else {
        ("failed", "error", 1)
    };
    json_error(kind, &message, code);
    eprintln!("gearbox: {label}: {message}");
    ExitCode::from(code)
}

/// Turns a clap error into one line and exit code 2 (help and version print as usual).
pub fn from_clap(error: clap::Error) -> ExitCode {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        if let Err(e) = error.print() {
            eprintln!("gearbox: error: cannot write the help text: {e}");
            return ExitCode::FAILURE;
        }
        return if error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        };
    }
    let rendered = error.render().to_string();
    let first = rendered
        .lines()
        .next()
        .unwrap_or("invalid arguments")
        .trim_start_matches("error: ")
        .to_string();
    let suggestion = [
        ContextKind::SuggestedSubcommand,
        ContextKind::SuggestedValue,
        ContextKind::SuggestedArg,
    ]
    .into_iter()
    .find_map(|kind| match error.get(kind) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        Some(ContextValue::Strings(v)) if !v.is_empty() => Some(v.join("' or '")),
        _ => None,
    });
    let hint = match (suggestion, error.kind()) {
        (Some(s), _) => format!(" (did you mean '{s}'?); see --help"),
        (None, ErrorKind::InvalidSubcommand) => {
            "; 'gearbox list' shows the workloads found, the directories searched and any library refused".to_string()
        }
        (None, _) => "; see --help".to_string(),
    };
    json_error("usage", &format!("{first}{hint}"), 2);
    eprintln!("gearbox: error: {first}{hint}");
    ExitCode::from(2)
}
