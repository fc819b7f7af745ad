//! A series across ranks. Every rank makes the same canonical batches
//! ([`SeriesRun`]); rank 0 hands them out one by one as ranks ask (its own
//! compute thread included), receives each batch's partial (16 bytes) and folds
//! the partials in batch order, exactly as one process does, then sends the sum
//! to every rank.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use anyhow::Context;
use gearbox_core::plan::OrderedSum;
use gearbox_core::{ChunkPlan, Dd};
use gearbox_host::{Instance, Interrupted, Monitor, OpenBackend, SeriesOutcome, SeriesRun};
use mpi::traits::*;

use crate::wire::{self, ASSIGN, FAILED, FINAL, NO_MORE, REQUEST, RESULT};

/// Requests a worker keeps in flight, so it never waits for its next batch.
const IN_FLIGHT: u8 = 2;
/// How long rank 0 waits for its own thread's next result before it looks for
/// messages again (workers keep a request in flight, so they do not wait on it).
const POLL: Duration = Duration::from_millis(1);

/// Sums `instance` over `plan` on all ranks; every rank returns rank 0's sum.
pub fn run(
    backend: &OpenBackend,
    instance: &Instance<'_>,
    plan: &ChunkPlan,
    monitor: &dyn Monitor,
) -> anyhow::Result<SeriesOutcome> {
    let run = backend.series_run(instance, plan, monitor)?;
    if wire::rank() == 0 {
        coordinate(run, monitor)
    } else {
        work(run)
    }
}

/// Rank 0: serves requests, computes batches on a thread of its own, folds in order.
fn coordinate(run: SeriesRun<'_>, monitor: &dyn Monitor) -> anyhow::Result<SeriesOutcome> {
    let world = wire::world();
    let total = run.batches();
    let next = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel::<(u64, anyhow::Result<Dd>)>();
    let mut partials: Vec<Option<Dd>> = vec![None; total as usize];
    let mut sum = OrderedSum::default();
    let mut folded = 0u64;
    let mut no_more = vec![0u8; world.size() as usize];
    let run_ref = &run;
    let outcome = std::thread::scope(|s| {
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let result = run_ref.batch(i);
                let failed = result.is_err();
                let _ = tx.send((i, result));
                if failed {
                    break;
                }
            }
        });
        let result = (|| loop {
            while let Some((message, status)) = world.any_process().immediate_matched_probe() {
                let (from, tag) = (status.source_rank(), status.tag());
                let (payload, _) = (message, status).matched_receive_vec::<u64>();
                match tag {
                    REQUEST => {}
                    RESULT => {
                        let i = payload[0];
                        partials[i as usize] = Some(Dd {
                            hi: f64::from_bits(payload[1]),
                            lo: f64::from_bits(payload[2]),
                        });
                        monitor.advance(run_ref.batch_chunks(i));
                    }
                    FAILED => wire::fail_job(from, &wire::decode_text(&payload)),
                    tag => wire::fail_job(from, &format!("unexpected message (tag {tag})")),
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                let answer = if i < total {
                    i
                } else {
                    no_more[from as usize] += 1;
                    NO_MORE
                };
                world
                    .process_at_rank(from)
                    .send_with_tag(&[answer][..], ASSIGN);
            }
            match rx.recv_timeout(POLL) {
                Ok((i, Ok(p))) => partials[i as usize] = Some(p),
                Ok((_, Err(e))) => return wire::fail_unless_interrupted(Err(e)),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => std::thread::sleep(POLL),
            }
            while folded < total {
                let Some(p) = partials[folded as usize] else {
                    break;
                };
                sum.push(p);
                folded += 1;
            }
            if folded == total && no_more[1..].iter().all(|&n| n == IN_FLIGHT) {
                return Ok(sum.total());
            }
            if monitor.cancelled() {
                return Err(Interrupted {
                    done: (0..folded).map(|b| run_ref.batch_chunks(b)).sum(),
                    total: run_ref.chunks(),
                    unit: "chunks",
                    partial: None,
                }
                .into());
            }
        })();
        stop.store(true, Ordering::Relaxed);
        result
    })?;
    let bits = [outcome.hi.to_bits(), outcome.lo.to_bits()];
    for r in 1..world.size() {
        world.process_at_rank(r).send_with_tag(&bits[..], FINAL);
    }
    Ok(SeriesOutcome {
        sum: outcome,
        phases: run.into_phases(),
    })
}

/// Other ranks: ask for batches, compute them, send their partials, take the sum.
fn work(run: SeriesRun<'_>) -> anyhow::Result<SeriesOutcome> {
    let world = wire::world();
    let root = world.process_at_rank(0);
    for _ in 0..IN_FLIGHT {
        root.send_with_tag(&[0u64][..], REQUEST);
    }
    let mut in_flight = IN_FLIGHT;
    while in_flight > 0 {
        let (assigned, _) = root.receive_vec_with_tag::<u64>(ASSIGN);
        let i = *assigned.first().context("empty assignment from rank 0")?;
        if i == NO_MORE {
            in_flight -= 1;
            continue;
        }
        let p = wire::fail_unless_interrupted(run.batch(i))?;
        root.send_with_tag(&[i, p.hi.to_bits(), p.lo.to_bits()][..], RESULT);
    }
    let (bits, _) = root.receive_vec_with_tag::<u64>(FINAL);
    Ok(SeriesOutcome {
        sum: Dd {
            hi: f64::from_bits(bits[0]),
            lo: f64::from_bits(bits[1]),
        },
        phases: run.into_phases(),
    })
}
