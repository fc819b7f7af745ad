//! Memory a run will need, checked before it is allocated: a size that comes from
//! input (a grid shape, a count, a file header) never reaches the allocator
//! unchecked, so a run too large for the machine is one line, not an abort.
//!
//! "Available" is the smaller of the machine's (`MemAvailable` in
//! `/proc/meminfo`) and the headroom under every memory limit of the process's
//! control groups (a Slurm job, a container, a systemd slice): cgroup v2
//! (`memory.max` − `memory.current`) and v1 (`memory.limit_in_bytes` −
//! `memory.usage_in_bytes`), for the process's group and each group above it, the
//! reclaimable page cache (`inactive_file`) counted as free. Past a cgroup's limit
//! the kernel kills the process without a word, so the check must see it.

use std::path::{Path, PathBuf};

use crate::error::{ErrorKind, error};

/// Where the memory a process may still use is bounded, and by how much.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Headroom {
    /// Bytes that may still be allocated.
    pub bytes: u64,
    /// The control group whose limit bounds it (its directory under
    /// `/sys/fs/cgroup`), or `None` when the machine's own memory does.
    pub cgroup: Option<PathBuf>,
}

/// Bytes of memory available to this process, when the OS says (Linux): the
/// smaller of the machine's available memory and the headroom under its cgroup limits.
pub fn available() -> Option<u64> {
    headroom().map(|h| h.bytes)
}

/// The memory available to this process and what bounds it (see the module's text).
pub fn headroom() -> Option<Headroom> {
    let machine = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| meminfo_available(&info))
        .map(|bytes| Headroom {
            bytes,
            cgroup: None,
        });
    let groups = std::fs::read_to_string("/proc/self/cgroup")
        .ok()
        .and_then(|own| cgroup_headroom(Path::new("/sys/fs/cgroup"), &own));
    tighter(machine, groups)
}

/// `MemAvailable` of a `/proc/meminfo` text, in bytes.
fn meminfo_available(info: &str) -> Option<u64> {
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib.saturating_mul(1024))
}

/// The smaller of two optional headrooms.
fn tighter(a: Option<Headroom>, b: Option<Headroom>) -> Option<Headroom> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if b.bytes < a.bytes { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// The tightest headroom under the memory limits of the cgroups named in `own`
/// (the text of `/proc/self/cgroup`), with the cgroup file systems mounted under
/// `root` (`/sys/fs/cgroup`): v2 at `root` (or `root/unified` on hybrid systems),
/// v1's memory controller at `root/memory`. Each group from the process's own up
/// to the mount's root is checked, since a parent's limit binds its children.
/// `None` where no limit is found.
fn cgroup_headroom(root: &Path, own: &str) -> Option<Headroom> {
    let mut best = None;
    for line in own.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let relative = path.trim_start_matches('/');
        let found = if controllers.is_empty() {
            // cgroup v2: one hierarchy; the memory files exist where the controller is enabled.
            [root.to_path_buf(), root.join("unified")]
                .into_iter()
                .find(|mount| mount.join("cgroup.controllers").is_file())
                .and_then(|mount| {
                    walk_up(
                        &mount,
                        relative,
                        "memory.max",
                        "memory.current",
                        "inactive_file",
                    )
                })
        } else if controllers.split(',').any(|c| c == "memory") {
            walk_up(
                &root.join("memory"),
                relative,
                "memory.limit_in_bytes",
                "memory.usage_in_bytes",
                "total_inactive_file",
            )
        } else {
            None
        };
        best = tighter(best, found);
    }
    best
}

/// The tightest `limit − (usage − reclaimable)` from `mount/relative` up to
/// `mount`; a group whose files are missing or unlimited (`max`) is skipped.
fn walk_up(
    mount: &Path,
    relative: &str,
    limit_file: &str,
    usage_file: &str,
    reclaimable: &str,
) -> Option<Headroom> {
    let read = |dir: &Path, file: &str| -> Option<u64> {
        std::fs::read_to_string(dir.join(file))
            .ok()?
            .trim()
            .parse()
            .ok()
    };
    let mut best = None;
    let mut dir = mount.join(relative);
    loop {
        if let (Some(limit), Some(usage)) = (read(&dir, limit_file), read(&dir, usage_file)) {
            let cache = std::fs::read_to_string(dir.join("memory.stat"))
                .ok()
                .and_then(|stat| {
                    stat.lines()
                        .filter_map(|l| l.split_once(' '))
                        .find(|(key, _)| *key == reclaimable)
                        .and_then(|(_, v)| v.trim().parse::<u64>().ok())
                })
                .unwrap_or(0);
            let used = usage.saturating_sub(cache);
            best = tighter(
                best,
                Some(Headroom {
                    bytes: limit.saturating_sub(used),
                    cgroup: Some(dir.clone()),
                }),
            );
        }
        if dir == mount || !dir.starts_with(mount) || !dir.pop() {
            return best;
        }
    }
}

/// `bytes` in GiB, for messages.
pub fn gib(bytes: u128) -> String {
    format!("{:.2} GiB", bytes as f64 / (1u64 << 30) as f64)
}

/// Fails when `what` needs more than the memory available, with both sizes (and
/// the cgroup, when its limit is what leaves too little).
pub fn ensure(what: &str, bytes: u128) -> anyhow::Result<()> {
    check(what, bytes, headroom())
}

/// [`ensure`] against a given headroom.
fn check(what: &str, bytes: u128, headroom: Option<Headroom>) -> anyhow::Result<()> {
    match headroom {
        Some(h) if bytes > u128::from(h.bytes) => Err(error(
            ErrorKind::Resources,
            format!(
                "{what}: {} of memory needed, only {} available{}",
                gib(bytes),
                gib(u128::from(h.bytes)),
                h.cgroup.map_or(String::new(), |dir| format!(
                    " under the memory limit of cgroup {}",
                    dir.display()
                ))
            ),
        )),
        None if bytes > u128::from(u64::MAX) => Err(error(
            ErrorKind::Resources,
            format!("{what}: {} of memory needed", gib(bytes)),
        )),
        _ => Ok(()),
    }
}

/// `len` zeros for `what`, checked with [`ensure`] and allocated fallibly.
pub fn zeros(what: &str, len: u64) -> anyhow::Result<Vec<f64>> {
    ensure(what, u128::from(len) * 8)?;
    let mut values = Vec::new();
    let len = usize::try_from(len)?;
    if values.try_reserve_exact(len).is_err() {
        return Err(error(
            ErrorKind::Resources,
            format!(
                "{what}: {} of memory needed, which the system refused",
                gib(len as u128 * 8)
            ),
        ));
    }
    values.resize(len, 0.0);
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scratch cgroup tree: `files` are (path under the root, contents).
    fn tree(name: &str, files: &[(&str, &str)]) -> PathBuf {
        let root =
            std::env::temp_dir().join(format!("gearbox-cgroup-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (path, text) in files {
            let file = root.join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, text).unwrap();
        }
        root
    }

    #[test]
    fn v2_takes_the_tightest_group_up_the_hierarchy() {
        let root = tree(
            "v2",
            &[
                ("cgroup.controllers", "cpu memory\n"),
                ("job/memory.max", "1000000\n"),
                ("job/memory.current", "300000\n"),
                ("job/step/memory.max", "max\n"),
                ("job/step/memory.current", "100000\n"),
                ("job/step/memory.stat", "anon 5\ninactive_file 50000\n"),
            ],
        );
        let h = cgroup_headroom(&root, "0::/job/step\n").unwrap();
        // The step is unlimited; its parent leaves 1 000 000 − 300 000.
        assert_eq!(h.bytes, 700_000);
        assert_eq!(h.cgroup, Some(root.join("job")));
        std::fs::write(root.join("job/step/memory.max"), "200000").unwrap();
        // 200 000 − (100 000 − 50 000 reclaimable).
        let h = cgroup_headroom(&root, "0::/job/step\n").unwrap();
        assert_eq!((h.bytes, h.cgroup), (150_000, Some(root.join("job/step"))));
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn v1_memory_controller_and_hybrid_mounts() {
        let root = tree(
            "v1",
            &[
                ("memory/memory.limit_in_bytes", "9223372036854771712\n"),
                ("memory/memory.usage_in_bytes", "5000000\n"),
                ("memory/slurm/memory.limit_in_bytes", "400000000\n"),
                ("memory/slurm/memory.usage_in_bytes", "100000000\n"),
                (
                    "memory/slurm/memory.stat",
                    "cache 1\ntotal_inactive_file 40000000\n",
                ),
                ("unified/cgroup.controllers", ""),
            ],
        );
        let own = "12:cpu,cpuacct:/other\n4:memory:/slurm\n0::/\n";
        let h = cgroup_headroom(&root, own).unwrap();
        assert_eq!(h.bytes, 340_000_000);
        assert_eq!(h.cgroup, Some(root.join("memory/slurm")));
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn no_limit_no_files_or_usage_over_the_limit() {
        let root = tree("none", &[("cgroup.controllers", "memory\n")]);
        assert_eq!(cgroup_headroom(&root, "0::/gone\n"), None);
        assert_eq!(cgroup_headroom(&root, "garbage\n"), None);
        std::fs::write(root.join("memory.max"), "max").unwrap();
        std::fs::write(root.join("memory.current"), "7").unwrap();
        assert_eq!(cgroup_headroom(&root, "0::/\n"), None);
        std::fs::write(root.join("memory.max"), "5").unwrap();
        assert_eq!(cgroup_headroom(&root, "0::/\n").unwrap().bytes, 0);
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn the_smaller_headroom_wins_and_is_named() {
        let machine = Some(Headroom {
            bytes: 1 << 34,
            cgroup: None,
        });
        let group = Some(Headroom {
            bytes: 400 << 20,
            cgroup: Some(PathBuf::from("/sys/fs/cgroup/job")),
        });
        let h = tighter(machine.clone(), group.clone()).unwrap();
        assert_eq!(h.bytes, 400 << 20);
        let e = check("the grid", 1 << 30, Some(h)).unwrap_err().to_string();
        assert_eq!(
            e,
            "the grid: 1.00 GiB of memory needed, only 0.39 GiB available \
             under the memory limit of cgroup /sys/fs/cgroup/job"
        );
        assert!(check("x", 1 << 20, tighter(machine, group)).is_ok());
        assert_eq!(
            meminfo_available("MemAvailable:    1000 kB\n"),
            Some(1_024_000)
        );
    }
}
