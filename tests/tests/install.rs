//! An installed gearbox: the executable finds its libraries in `../lib/gearbox/`
//! beside it (the layout `install.sh` makes), says where it looked when it finds
//! none, and generates completions and a man page from its own command line.

mod common;

use common::{gearbox, gearbox_in, install, scratch, stderr};

/// A PREFIX with bin/gearbox and, when `with_libs`, the serial backend and basel in lib/gearbox/.
fn prefix(name: &str, with_libs: bool) -> std::path::PathBuf {
    let root = scratch(name);
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::copy(
        gearbox_host::kit::target_dir().join("gearbox"),
        root.join("bin/gearbox"),
    )
    .unwrap();
    if with_libs {
        let lib = root.join("lib/gearbox");
        std::fs::create_dir_all(&lib).unwrap();
        install("gearbox_backend_serial", &lib, "gearbox_backend_serial");
        install("gearbox_plugin_basel", &lib, "gearbox_plugin_basel");
    }
    root
}

#[test]
fn an_installed_gearbox_finds_its_libraries_beside_it() {
    let root = prefix("install-prefix", true);
    let o = gearbox_in(
        &root.join("bin/gearbox"),
        &[
            "run",
            "basel",
            "--n",
            "1000",
            "--backend",
            "serial",
            "--json",
        ],
    );
    let v = common::stdout_json(&o);
    assert_eq!(v["workload"], "basel");
    assert_eq!(v["backend"], "serial");
}

#[test]
fn nothing_found_is_an_error_that_says_where_gearbox_looked() {
    let root = prefix("install-lonely", false);
    let exe = root.join("bin/gearbox");
    let list = gearbox_in(&exe, &["list"]);
    assert!(!list.status.success(), "list with no libraries exited 0");
    let message = stderr(&list);
    assert!(
        message.contains("no gearbox workload libraries"),
        "{message}"
    );
    assert!(
        message.contains(&root.join("lib/gearbox").display().to_string()),
        "{message}"
    );
    assert!(message.contains("GEARBOX_PLUGIN_PATH"), "{message}");

    let run = gearbox_in(&exe, &["run", "basel", "--n", "10"]);
    assert_eq!(run.status.code(), Some(2));
    let message = stderr(&run);
    assert!(
        message.contains("no gearbox workload libraries"),
        "{message}"
    );
    assert!(!message.contains("unexpected argument"), "{message}");
}

#[test]
fn completions_and_man_page_come_from_the_command_line() {
    let bash = gearbox(&["completions", "bash"]);
    assert!(bash.status.success(), "{}", stderr(&bash));
    let text = String::from_utf8(bash.stdout).unwrap();
    assert!(text.contains("complete -F"), "not a bash completion script");
    assert!(
        text.contains("basel") && text.contains("--backend"),
        "workloads and flags missing"
    );

    let man = gearbox(&["manpage"]);
    assert!(man.status.success(), "{}", stderr(&man));
    let roff = String::from_utf8(man.stdout).unwrap();
    assert!(
        roff.starts_with(".ie") || roff.contains(".TH gearbox"),
        "not roff: {}",
        &roff[..80.min(roff.len())]
    );
    assert!(
        roff.contains("run"),
        "subcommands missing from the man page"
    );

    let bad = gearbox(&["completions", "tcsh"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn every_man_page_named_is_written_and_examples_keep_their_lines() {
    let dir = scratch("install-man");
    let o = gearbox(&["manpage", "--dir", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let page = |name: &str| std::fs::read_to_string(dir.join(format!("{name}.1")));
    let top = page("gearbox").expect("gearbox.1 written");
    // Each page a SUBCOMMANDS section names (gearbox\-run(1), …) is there, at every depth.
    let mut named = Vec::new();
    let mut pages = vec![top.clone()];
    while let Some(text) = pages.pop() {
        for word in text.split_whitespace() {
            if let Some(name) = word
                .strip_suffix("(1)")
                .filter(|w| w.starts_with("gearbox\\-"))
            {
                let name = name.replace("\\-", "-");
                let text =
                    page(&name).unwrap_or_else(|_| panic!("{name}(1) is named, not written"));
                if !named.contains(&name) {
                    named.push(name);
                    pages.push(text);
                }
            }
        }
    }
    for name in [
        "gearbox-run",
        "gearbox-run-basel",
        "gearbox-list",
        "gearbox-manpage",
    ] {
        assert!(
            named.iter().any(|n| n == name),
            "{name} not named: {named:?}"
        );
    }
    assert!(
        !named.iter().any(|n| n == "gearbox-help"),
        "a help page is named"
    );
    // The examples: a tagged paragraph each, the command line its tag, so that man
    // never fills them into one paragraph.
    let examples = top
        .split(".SH EXAMPLES")
        .nth(1)
        .expect("an EXAMPLES section");
    assert_eq!(examples.matches(".TP").count(), 7, "{examples}");
    assert!(
        examples.contains("\\fBgearbox run basel \\-\\-n 1e9\\fR\nBasel sum"),
        "{examples}"
    );
    // `gearbox manpage` alone prints the same top page.
    let o = gearbox(&["manpage"]);
    assert_eq!(String::from_utf8(o.stdout).unwrap(), top);
}
