//! `gearbox completions SHELL` and `gearbox manpage`: shell completions and a
//! roff man page generated from the command line itself, workloads included
//! (so generate them where the libraries are installed; `install.sh` does).

use std::io::Write;

use clap::{Arg, ArgMatches, Command, value_parser};
use clap_complete::Shell;

/// The `completions` and `manpage` subcommands.
pub fn commands() -> [Command; 2] {
    [
        Command::new("completions")
            .about("Print shell completions for gearbox (bash, zsh, fish, elvish, powershell)")
            .arg(
                Arg::new("shell")
                    .value_name("SHELL")
                    .required(true)
                    .value_parser(value_parser!(Shell)),
            ),
        Command::new("manpage").about("Print the gearbox(1) man page (roff)"),
    ]
}

/// Writes completions for the shell in `matches` to stdout.
pub fn completions(mut command: Command, matches: &ArgMatches) -> anyhow::Result<()> {
    let shell = *matches.get_one::<Shell>("shell").expect("required");
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "gearbox", &mut out);
    std::io::stdout().write_all(&out)?;
    Ok(())
}

/// Writes the man page to stdout.
pub fn manpage(command: Command) -> anyhow::Result<()> {
    let mut out = Vec::new();
    clap_mangen::Man::new(command).render(&mut out)?;
    std::io::stdout().write_all(&out)?;
    Ok(())
}
