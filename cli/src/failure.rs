//! How the command fails: one line on stderr and an exit code that says why.

use std::process::ExitCode;

use gearbox_host::Interrupted;

/// A mistake in what the user typed (exit code 2).
#[derive(Debug)]
pub struct Usage(pub String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

/// A usage error with `message`.
pub fn usage(message: impl Into<String>) -> anyhow::Error {
    Usage(message.into()).into()
}

/// Prints `error` as one line and picks the exit code: 2 for usage errors, 130 for
/// an interrupted run (the line says how far it got), 1 otherwise.
pub fn report(error: &anyhow::Error) -> ExitCode {
    let message = format!("{error:#}").replace('\n', " ");
    if error.is::<Interrupted>() || error.chain().any(|e| e.is::<Interrupted>()) {
        eprintln!("gearbox: interrupted: {message}");
        return ExitCode::from(130);
    }
    eprintln!("gearbox: error: {message}");
    if error.is::<Usage>() || error.chain().any(|e| e.is::<Usage>()) {
        ExitCode::from(2)
    } else {
        ExitCode::FAILURE
    }
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
    eprintln!("gearbox: error: {first}{hint}");
    ExitCode::from(2)
}
