//! Fixed work plans: how a series range is cut into chunks and a grid into slabs.
//!
//! A plan depends only on the problem, never on the thread count or the backend,
//! so partials combined in plan order give the same bits on every CPU backend, and
//! a plan can be split into contiguous parts and shipped (e.g. to MPI ranks).

use serde::{Deserialize, Serialize};

use crate::dd::Dd;

/// Terms per chunk of a series: large enough to amortise a call across the
/// plugin boundary, small enough for fine-grained progress and load balance.
pub const DEFAULT_CHUNK_LEN: u64 = 1 << 18;

/// An inclusive range of series indices `first..=last`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chunk {
    /// First index in the chunk.
    pub first: u64,
    /// Last index in the chunk (inclusive).
    pub last: u64,
}

impl Chunk {
    /// Number of indices in the chunk.
    pub fn len(&self) -> u64 {
        self.last - self.first + 1
    }

    /// Always false: a chunk holds at least one index.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// The inclusive index range `first..=last` cut into chunks of `chunk_len`
/// (the last one shorter).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(C)]
pub struct ChunkPlan {
    /// First index of the series.
    pub first: u64,
    /// Last index of the series (inclusive).
    pub last: u64,
    /// Indices per chunk.
    pub chunk_len: u64,
}

impl ChunkPlan {
    /// A plan over `first..=last` with the default chunk length.
    pub fn new(first: u64, last: u64) -> ChunkPlan {
        ChunkPlan::with_chunk_len(first, last, DEFAULT_CHUNK_LEN)
    }

    /// A plan over `first..=last` with a chosen chunk length (≥ 1).
    pub fn with_chunk_len(first: u64, last: u64, chunk_len: u64) -> ChunkPlan {
        assert!(
            first <= last && chunk_len > 0,
            "empty range or zero chunk length"
        );
        ChunkPlan {
            first,
            last,
            chunk_len,
        }
    }

    /// Number of indices covered.
    pub fn terms(&self) -> u64 {
        self.last - self.first + 1
    }

    /// Number of chunks.
    pub fn len(&self) -> u64 {
        (self.terms() - 1) / self.chunk_len + 1
    }

    /// Always false: a plan holds at least one chunk.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The `i`-th chunk.
    pub fn chunk(&self, i: u64) -> Chunk {
        let first = self.first + i * self.chunk_len;
        let last = first.saturating_add(self.chunk_len - 1).min(self.last);
        Chunk { first, last }
    }

    /// All chunks, in order.
    pub fn chunks(&self) -> impl ExactSizeIterator<Item = Chunk> + '_ {
        (0..self.len() as usize).map(|i| self.chunk(i as u64))
    }
}

/// Combines chunk partials in plan order: the one place where the order of the
/// final reduction is fixed.
#[derive(Clone, Copy, Debug, Default)]
pub struct OrderedSum {
    total: Dd,
}

impl OrderedSum {
    /// Adds the next partial in plan order.
    pub fn push(&mut self, partial: Dd) {
        self.total = self.total + partial;
    }

    /// The sum so far.
    pub fn total(&self) -> Dd {
        self.total
    }
}

/// A grid cut along its outermost dimension into slabs of `rows` rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlabPlan {
    /// Size of the outermost dimension.
    pub outer: u64,
    /// Outer rows per slab.
    pub rows: u64,
}

impl SlabPlan {
    /// A plan for `outer` rows of `row_len` elements each, with slabs of about
    /// `target_elems` elements (at least one row).
    pub fn new(outer: u64, row_len: u64, target_elems: u64) -> SlabPlan {
        let rows = (target_elems / row_len.max(1)).clamp(1, outer.max(1));
        SlabPlan { outer, rows }
    }

    /// Number of slabs.
    pub fn len(&self) -> u64 {
        self.outer.div_ceil(self.rows)
    }

    /// Always false for a non-empty grid.
    pub fn is_empty(&self) -> bool {
        self.outer == 0
    }

    /// Outer rows `start..end` of slab `i`.
    pub fn slab(&self, i: u64) -> std::ops::Range<u64> {
        let start = i * self.rows;
        start..(start + self.rows).min(self.outer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_tile_the_range_exactly() {
        let plan = ChunkPlan::with_chunk_len(1, 10, 4);
        let chunks: Vec<_> = plan.chunks().map(|c| (c.first, c.last)).collect();
        assert_eq!(chunks, vec![(1, 4), (5, 8), (9, 10)]);
        assert_eq!(plan.terms(), 10);
    }

    #[test]
    fn chunk_near_u64_max_does_not_overflow() {
        let plan = ChunkPlan::with_chunk_len(u64::MAX - 5, u64::MAX, 4);
        assert_eq!(
            plan.chunk(1),
            Chunk {
                first: u64::MAX - 1,
                last: u64::MAX
            }
        );
    }

    #[test]
    fn slabs_cover_every_row_once() {
        let plan = SlabPlan::new(10, 100, 300);
        let rows: Vec<_> = (0..plan.len()).flat_map(|i| plan.slab(i)).collect();
        assert_eq!(rows, (0..10).collect::<Vec<_>>());
    }
}
