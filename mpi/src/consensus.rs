//! Every rank must run the same job. `mpirun` can start ranks with different
//! command lines (MPMD: `mpirun -np 1 gearbox-mpi run basel --n 1e9 : -np 1
//! gearbox-mpi run basel --n 2e9`), and ranks that split different jobs between
//! them sum the wrong terms, or wait for messages that never come. So right after
//! parsing, each rank describes its job, the ranks compare hashes of the
//! descriptions (one allgather: every rank is there, as parsing was agreed), and
//! any difference fails the job on every rank, rank 0 naming the ranks that differ.

use std::collections::BTreeMap;

use clap::ArgMatches;
use clap::parser::ValueSource;
use gearbox_cli::failure::usage;
use gearbox_core::params::parse_integer;
use gearbox_core::{ParamKind, ParamSpec};
use gearbox_host::Registry;
use mpi::traits::*;

use crate::wire;

/// Options each rank may set for itself: its device (`--threads`, `--adapter`:
/// CPU backends give the same bits for any thread count, and each rank may pick
/// its own GPU), where it finds libraries (its node's paths; the workload's
/// library is compared instead), and what only rank 0 shows.
const PER_RANK: [&str; 6] = [
    "threads",
    "adapter",
    "plugin-dir",
    "quiet",
    "json",
    "profile",
];

/// Job descriptions shown in a disagreement, at most (the rest are counted).
const SHOWN: usize = 3;

/// One rank's job, as compared with the other ranks'.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Job {
    /// The command and every option that is not [`PER_RANK`], defaults included,
    /// sorted, with numbers normalised (`--n 1e9` is `--n 1000000000`).
    key: String,
    /// The command as typed, without defaults: `run basel --n 2e9`.
    typed: String,
    /// The workload's library and what it declares, and this program's version and ABI.
    library: String,
}

impl Job {
    /// The job `matches` (gearbox-mpi's own) asks for.
    fn of(registry: &Registry, matches: &ArgMatches) -> Job {
        // The options of every level of `run basel …`, the innermost last (global
        // options repeat at every level with the same value).
        let mut words = Vec::new();
        let mut options: BTreeMap<String, (Vec<String>, bool)> = BTreeMap::new();
        let mut level = matches;
        loop {
            for id in level.ids().map(|id| id.as_str()) {
                let Ok(Some(raw)) = level.try_get_raw(id) else {
                    continue;
                };
                let values = raw.map(|v| v.to_string_lossy().into_owned()).collect();
                let typed = level.value_source(id) == Some(ValueSource::CommandLine);
                options.insert(id.to_string(), (values, typed));
            }
            match level.subcommand() {
                Some((name, sub)) => {
                    words.push(name.to_string());
                    level = sub;
                }
                None => break,
            }
        }
        let lib = words.get(1).and_then(|name| registry.workload(name));
        let spec = |id: &str| lib.and_then(|l| l.info.params.iter().find(|p| p.name == id));
        let mut key = words.join(" ");
        let mut typed = key.clone();
        for (id, (values, given)) in &options {
            if PER_RANK.contains(&id.as_str()) {
                continue;
            }
            let normal: Vec<String> = values.iter().map(|v| normalise(spec(id), v)).collect();
            key += &format!(" --{id}={normal:?}");
            if *given {
                typed += &match values.as_slice() {
                    [flag] if spec(id).is_none() && flag == "true" => format!(" --{id}"),
                    _ => format!(" --{id} {}", values.join(" ")),
                };
            }
        }
        let library = match lib {
            Some(lib) => format!(
                "{} declaring {} (digest {:016x})",
                lib.path.file_name().map_or_else(
                    || lib.path.display().to_string(),
                    |f| f.to_string_lossy().into()
                ),
                lib.info.name,
                fnv1a(format!("{:?}", lib.info).as_bytes())
            ),
            None => "no workload library".into(),
        };
        Job {
            key,
            typed,
            library: format!(
                "{library}, gearbox-mpi {} (ABI {})",
                env!("CARGO_PKG_VERSION"),
                gearbox_core::abi::ABI_VERSION
            ),
        }
    }

    /// What the ranks compare.
    fn hash(&self) -> u64 {
        fnv1a(format!("{}\0{}", self.key, self.library).as_bytes())
    }

    /// The job as one message (command-line text holds no NUL).
    fn encode(&self) -> Vec<u8> {
        [&self.key, &self.typed, &self.library]
            .map(String::as_str)
            .join("\0")
            .into_bytes()
    }

    /// The job of [`Job::encode`]'s bytes.
    fn decode(bytes: &[u8]) -> Job {
        let text = String::from_utf8_lossy(bytes);
        let mut parts = text.split('\0').map(str::to_string);
        let mut next = || parts.next().unwrap_or_default();
        Job {
            key: next(),
            typed: next(),
            library: next(),
        }
    }

    /// How this job and `other` differ, shown side by side: the commands as typed
    /// when they differ, else as compared, else the libraries.
    fn versus(&self, other: &Job) -> String {
        let (mine, theirs) = if self.typed != other.typed {
            (&self.typed, &other.typed)
        } else if self.key != other.key {
            (&self.key, &other.key)
        } else {
            (&self.library, &other.library)
        };
        format!("{mine} vs {theirs}")
    }
}

/// A workload parameter's value as its kind reads it, so that two spellings of
/// one number are one job; any other value as given.
fn normalise(spec: Option<&ParamSpec>, raw: &str) -> String {
    match spec.map(|s| s.kind) {
        Some(ParamKind::Count | ParamKind::Integer) => {
            parse_integer(raw).map_or_else(|_| raw.to_string(), |n| n.to_string())
        }
        Some(ParamKind::Float) => raw
            .trim()
            .parse::<f64>()
            .map_or_else(|_| raw.to_string(), |x| format!("{x:?}")),
        _ => raw.to_string(),
    }
}

/// FNV-1a, 64 bits: the same on every machine and Rust version (unlike std's hasher).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// "rank 3", "ranks 1, 2": ranks in increasing order, runs of three or more as ranges ("ranks 1-4, 7").
fn ranks(list: &[i32]) -> String {
    let mut runs: Vec<(i32, i32)> = Vec::new();
    for &r in list {
        match runs.last_mut() {
            Some((_, last)) if *last + 1 == r => *last = r,
            _ => runs.push((r, r)),
        }
    }
    let text: Vec<String> = runs
        .iter()
        .flat_map(|&(a, b)| match b - a {
            0 => vec![a.to_string()],
            1 => vec![a.to_string(), b.to_string()],
            _ => vec![format!("{a}-{b}")],
        })
        .collect();
    let plural = if list.len() == 1 { "rank" } else { "ranks" };
    format!("{plural} {}", text.join(", "))
}

/// "rank 1 differs", "ranks 1, 2 differ".
fn differ(list: &[i32]) -> String {
    let verb = if list.len() == 1 { "differs" } else { "differ" };
    format!("{} {verb}", ranks(list))
}

/// Rank 0's one line: which ranks differ from it, and how (each different job once).
fn disagreement(rank0: &Job, others: &[(i32, Job)]) -> String {
    let mut groups: Vec<(Vec<i32>, &Job)> = Vec::new();
    for (rank, job) in others {
        match groups.iter_mut().find(|(_, j)| *j == job) {
            Some((members, _)) => members.push(*rank),
            None => groups.push((vec![*rank], job)),
        }
    }
    let all: Vec<i32> = others.iter().map(|(r, _)| *r).collect();
    let mut how: Vec<String> = groups
        .iter()
        .take(SHOWN)
        .map(|(members, job)| match groups.len() {
            1 => job.versus(rank0),
            _ => format!("{}: {}", ranks(members), job.versus(rank0)),
        })
        .collect();
    if groups.len() > SHOWN {
        how.push(format!("{} more", groups.len() - SHOWN));
    }
    format!(
        "ranks disagree on the job: {} from rank 0 ({}); every rank must run the same job; only --threads, --adapter, --plugin-dir and output flags may differ",
        differ(&all),
        how.join("; ")
    )
}

/// Checks that every rank runs the job `matches` describes (called by every rank
/// once its command line is parsed). A difference is a usage error on every rank;
/// rank 0's names the ranks that differ from it and how.
pub fn check(registry: &Registry, matches: &ArgMatches) -> anyhow::Result<()> {
    let world = wire::world();
    let mine = Job::of(registry, matches);
    let mut hashes = vec![0u64; world.size() as usize];
    world.all_gather_into(&mine.hash(), &mut hashes[..]);
    let different: Vec<i32> = (1..world.size())
        .filter(|&r| hashes[r as usize] != hashes[0])
        .collect();
    if different.is_empty() {
        return Ok(());
    }
    if world.rank() != 0 {
        if different.contains(&world.rank()) {
            world
                .process_at_rank(0)
                .send_with_tag(&mine.encode()[..], wire::JOB);
        }
        return Err(usage(format!(
            "ranks disagree on the job ({} from rank 0)",
            differ(&different)
        )));
    }
    let others: Vec<(i32, Job)> = different
        .iter()
        .map(|&r| {
            let (bytes, _) = world
                .process_at_rank(r)
                .receive_vec_with_tag::<u8>(wire::JOB);
            (r, Job::decode(&bytes))
        })
        .collect();
    Err(usage(disagreement(&mine, &others)))
}
