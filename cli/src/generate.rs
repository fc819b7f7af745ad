//! `gearbox completions SHELL` and `gearbox manpage`: shell completions and roff
//! man pages generated from the command line itself, workloads included (so
//! generate them where the libraries are installed; `install.sh` does).

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Arg, ArgMatches, Command, value_parser};
use clap_complete::Shell;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, roman};

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
        Command::new("manpage")
            .about("Print the gearbox(1) man page (roff); with --dir, write it and the page of every subcommand it names (gearbox-run(1), …) into DIR")
            .arg(
                Arg::new("dir")
                    .long("dir")
                    .value_name("DIR")
                    .value_parser(value_parser!(PathBuf))
                    .help("Write gearbox.1 and one page per subcommand into DIR (a man1 directory)"),
            ),
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

/// Writes the man page to stdout, or with `--dir` in `matches`, every page into
/// that directory (made if missing).
pub fn manpage(command: Command, matches: &ArgMatches) -> anyhow::Result<()> {
    let mut command = command.disable_help_subcommand(true);
    command.build();
    match matches.get_one::<PathBuf>("dir") {
        None => {
            let mut out = Vec::new();
            render(&command, &mut out)?;
            std::io::stdout().write_all(&out)?;
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| anyhow::anyhow!("{}: cannot create: {e}", dir.display()))?;
            write_pages(&command, dir)?;
        }
    }
    Ok(())
}

/// Writes the page of `command` and of each of its subcommands, at every depth,
/// into `dir`, so that every page a SUBCOMMANDS section names exists.
fn write_pages(command: &Command, dir: &Path) -> anyhow::Result<()> {
    let path = dir.join(Man::new(command.clone()).get_filename());
    let mut out = Vec::new();
    render(command, &mut out)?;
    std::fs::write(&path, out).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir)?;
    }
    Ok(())
}

/// The page of `command`: clap_mangen's sections, with the examples as a list of
/// command lines, each followed by what it does (roff would fill a table of them
/// into one paragraph).
fn render(command: &Command, out: &mut dyn Write) -> std::io::Result<()> {
    let man = Man::new(command.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    if command.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(out)?;
    }
    if command.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(out)?;
    }
    if command.get_after_help().is_some() {
        examples(out)?;
    }
    if command.get_version().is_some() {
        man.render_version_section(out)?;
    }
    Ok(())
}

/// The EXAMPLES section: [`crate::args::EXAMPLES`], one tagged paragraph each.
fn examples(out: &mut dyn Write) -> std::io::Result<()> {
    let mut roff = Roff::new();
    roff.control("SH", ["EXAMPLES"]);
    for (command, what) in crate::args::EXAMPLES {
        roff.control("TP", []);
        roff.text([bold(command)]);
        roff.text([roman(what)]);
    }
    roff.to_writer(out)
}
