//! The message costs of docs/DISTRIBUTED.md's scaling model: the round trip of
//! the messages gearbox-mpi sends (a 24-byte batch partial answered by an 8-byte
//! assignment) and the bandwidth of a grid rank's per-slab checksums, between
//! ranks 0 and 1. Run: `mpirun -np 2 target/release/examples/pingpong`.

use std::time::Instant;

use mpi::traits::*;

const ROUNDS: usize = 20_000;

fn main() {
    let universe = mpi::initialize().expect("MPI initialises");
    let world = universe.world();
    let other = world.process_at_rank(1 - world.rank());
    for &(ask, answer) in &[(3usize, 1usize), (1 << 14, 1)] {
        let (big, small) = (vec![7u64; ask], vec![1u64; answer]);
        world.barrier();
        let start = Instant::now();
        for _ in 0..ROUNDS {
            if world.rank() == 1 {
                other.send(&big[..]);
                let _ = other.receive_vec::<u64>();
            } else {
                let _ = other.receive_vec::<u64>();
                other.send(&small[..]);
            }
        }
        let seconds = start.elapsed().as_secs_f64() / ROUNDS as f64;
        if world.rank() == 0 {
            println!(
                "{:>7} B sent, {:>2} B answered: round trip {:>8.2} µs ({:.2} GB/s one way)",
                ask * 8,
                answer * 8,
                seconds * 1e6,
                (ask * 8) as f64 / seconds / 1e9
            );
        }
    }
}
