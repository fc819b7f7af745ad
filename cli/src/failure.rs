//! How the command fails: one line on stderr and an exit code that says why.

use std::process::ExitCode;
use std::sync::OnceLock;

use gearbox_host::{ErrorKind, kind_of};

pub use gearbox_host::usage;

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

/// The exit code for an error of `kind`: 2 for a mistake in the request (usage,
/// not found, unknown or bad parameter), 130 for an interrupted run, 1 otherwise.
fn exit_code(kind: Option<ErrorKind>) -> u8 {
    match kind {
        Some(ErrorKind::Interrupted) => 130,
        Some(k) if k.is_request() => 2,
        _ => 1,
    }
}

/// Prints `error` as one line and exits with [`exit_code`] of its kind; with
/// `--json`, also as a JSON document whose `kind` is the error's (`"failed"` when
/// no site classified it).
pub fn report(error: &anyhow::Error) -> ExitCode {
    let message = format!("{error:#}").replace('\n', " ");
    let kind = kind_of(error);
    let code = exit_code(kind);
    let label = match kind {
        Some(ErrorKind::Interrupted) => "interrupted",
        _ => "error",
    };
    json_error(kind.map_or("failed", ErrorKind::name), &message, code);
    eprintln!("gearbox: {label}: {message}");
    ExitCode::from(code)
}

/// Turns a clap error into one line and exit code 2 (help and version print as
/// usual); with `--json` its kind is `bad-parameter` for a value a check refused, else `usage`.
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
    // A value a parameter's own check refused; any other mistake on the command line is usage.
    let kind = match error.kind() {
        ErrorKind::ValueValidation => gearbox_host::ErrorKind::BadParameter,
        _ => gearbox_host::ErrorKind::Usage,
    };
    json_error(kind.name(), &format!("{first}{hint}"), 2);
    eprintln!("gearbox: error: {first}{hint}");
    ExitCode::from(2)
}
