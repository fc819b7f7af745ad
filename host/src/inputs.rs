//! The input fields of a grid run, lent to the backend slab by slab. Fields in
//! memory are lent as they are. Fields in `.npy` files are memory-mapped; a
//! reader thread runs ahead of the backend in slab order, asking the kernel for
//! the next slabs' pages and mapping them in (converting float32 or big-endian
//! values into buffers), and pages of released slabs are dropped again, so the
//! memory held is a window of slabs whatever the grid's size.

use std::collections::{BTreeSet, HashMap};
use std::ffi::c_void;
use std::ops::Range;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Instant;

use anyhow::{Context, bail};
use gearbox_core::plan::SlabPlan;

use crate::npy::{self, Dtype};

/// Slabs read ahead of the oldest slab the backend still holds.
pub const AHEAD: u64 = 8;

/// Bytes of each file beyond the slab being mapped in that the kernel is asked to
/// read from disk, in requests of at least half this.
const DISK_AHEAD: u64 = 64 << 20;

/// A read-only memory map of a whole `.npy` file.
struct Mapped {
    base: *mut u8,
    len: usize,
    /// Byte offset of the first value.
    data: usize,
    dtype: Dtype,
    /// So that a fault in the mapping (the file truncated meanwhile) names the file.
    watched: Option<crate::crash::WatchedInput>,
}

// SAFETY: the mapping is read-only and lives as long as the `Mapped`.
unsafe impl Send for Mapped {}
// SAFETY: as above.
unsafe impl Sync for Mapped {}

impl Mapped {
    fn open(path: &Path, shape: &[u64]) -> anyhow::Result<Mapped> {
        let mut file = npy::open(path)?;
        let header = npy::read_header(&mut file, path, shape)?;
        let len = usize::try_from(file.metadata()?.len()).context("file too large to map")?;
        // SAFETY: a fresh read-only shared mapping of an open file; checked below.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error())
                .with_context(|| format!("{}: cannot map", path.display()));
        }
        Ok(Mapped {
            base: base as *mut u8,
            len,
            data: header.data_offset as usize,
            dtype: header.dtype,
            watched: Some(crate::crash::watch_input(base as *const u8, len, path)),
        })
    }

    /// True when values can be lent straight from the map (aligned `<f8`).
    fn direct(&self) -> bool {
        self.dtype == Dtype::F64 && self.data.is_multiple_of(8) && cfg!(target_endian = "little")
    }

    /// Byte range of the values `elements`.
    fn bytes(&self, elements: &Range<u64>) -> Range<usize> {
        let size = self.dtype.size();
        self.data + elements.start as usize * size..self.data + elements.end as usize * size
    }

    /// Applies `advice` to the pages of `bytes` (the first page in full).
    fn advise(&self, bytes: Range<usize>, advice: i32) -> std::io::Result<()> {
        let start = bytes.start / page_size() * page_size();
        let end = bytes.end.min(self.len);
        if start >= end {
            return Ok(());
        }
        // SAFETY: the range lies inside our mapping.
        let r = unsafe { libc::madvise(self.base.add(start) as *mut c_void, end - start, advice) };
        if r == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        }
    }

    /// Maps the pages of `bytes` in, reading them from disk if needed.
    fn populate(&self, bytes: Range<usize>) {
        if self
            .advise(bytes.clone(), libc::MADV_POPULATE_READ)
            .is_err()
        {
            // Kernels before 5.14: touch one byte per page.
            let page = page_size();
            for at in (bytes.start / page * page..bytes.end).step_by(page) {
                // SAFETY: inside the mapping; volatile so the read is not elided.
                unsafe { std::ptr::read_volatile(self.base.add(at)) };
            }
        }
    }

    fn slice(&self, bytes: Range<usize>) -> &[u8] {
        // SAFETY: inside the mapping, which lives as long as `self`.
        unsafe { std::slice::from_raw_parts(self.base.add(bytes.start), bytes.len()) }
    }
}

impl Drop for Mapped {
    fn drop(&mut self) {
        // Forgotten first: the addresses may be reused once unmapped.
        drop(self.watched.take());
        // SAFETY: our own mapping, unmapped once.
        unsafe { libc::munmap(self.base as *mut c_void, self.len) };
    }
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    (unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).max(4096) as usize
}

/// Where one input field comes from.
enum Source<'a> {
    Memory(&'a [f64]),
    File(Mapped),
}

/// The slabs read ahead and given back.
#[derive(Default)]
struct Window {
    /// Every slab below this has been given back.
    released_below: u64,
    /// Slabs given back at or above `released_below`.
    released: BTreeSet<u64>,
    /// Every slab below this has been read ahead.
    read_below: u64,
    /// Converted fields of slabs read ahead (empty vectors for fields lent directly).
    converted: HashMap<u64, Vec<Vec<f64>>>,
    /// The run is over: the reader stops.
    stop: bool,
}

/// The input fields of one grid run.
pub struct Inputs<'a> {
    plan: SlabPlan,
    row_len: u64,
    fields: Vec<Source<'a>>,
    window: Mutex<Window>,
    changed: Condvar,
    read_nanos: AtomicU64,
    wait_nanos: AtomicU64,
}

impl<'a> Inputs<'a> {
    fn new(plan: SlabPlan, row_len: u64, fields: Vec<Source<'a>>) -> Inputs<'a> {
        Inputs {
            plan,
            row_len,
            fields,
            window: Mutex::default(),
            changed: Condvar::new(),
            read_nanos: AtomicU64::new(0),
            wait_nanos: AtomicU64::new(0),
        }
    }

    /// Fields held in memory, lent as they are.
    pub fn memory(plan: SlabPlan, row_len: u64, fields: &[&'a [f64]]) -> Inputs<'a> {
        let fields = fields.iter().map(|f| Source::Memory(f)).collect();
        Inputs::new(plan, row_len, fields)
    }

    /// Fields in the `.npy` files `paths`, each of `shape`, mapped and checked.
    pub fn files(
        plan: SlabPlan,
        row_len: u64,
        paths: &[std::path::PathBuf],
        shape: &[u64],
    ) -> anyhow::Result<Inputs<'a>> {
        let fields = paths
            .iter()
            .map(|p| Mapped::open(p, shape).map(Source::File))
            .collect::<anyhow::Result<_>>()?;
        Ok(Inputs::new(plan, row_len, fields))
    }

    fn lock(&self) -> MutexGuard<'_, Window> {
        self.window.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn elements(&self, slab: u64) -> Range<u64> {
        let rows = self.plan.slab(slab);
        rows.start * self.row_len..rows.end * self.row_len
    }

    fn files_iter(&self) -> impl Iterator<Item = &Mapped> {
        self.fields.iter().filter_map(|f| match f {
            Source::File(m) => Some(m),
            Source::Memory(_) => None,
        })
    }

    /// True when some field is read from a file (and [`Inputs::read_ahead`] has work).
    pub fn from_files(&self) -> bool {
        self.files_iter().next().is_some()
    }

    /// Reads slab `slab` in: its pages mapped, converted fields converted.
    fn read_slab(&self, slab: u64) -> Vec<Vec<f64>> {
        let elements = self.elements(slab);
        self.fields
            .iter()
            .map(|f| match f {
                Source::File(m) if !m.direct() => {
                    let mut out = vec![0.0; (elements.end - elements.start) as usize];
                    m.dtype.convert(m.slice(m.bytes(&elements)), &mut out);
                    out
                }
                Source::File(m) => {
                    m.populate(m.bytes(&elements));
                    Vec::new()
                }
                Source::Memory(_) => Vec::new(),
            })
            .collect()
    }

    /// The reader: reads slabs in order, at most [`AHEAD`] beyond the oldest one
    /// still lent, until every slab is read or [`Inputs::stop`] is called.
    pub fn read_ahead(&self) {
        if !self.from_files() {
            return;
        }
        let end = self.elements(self.plan.len() - 1).end;
        let ahead = DISK_AHEAD / 8;
        let mut asked_below = 0;
        loop {
            let slab = {
                let mut w = self.lock();
                while !w.stop
                    && w.read_below < self.plan.len()
                    && w.read_below >= w.released_below + AHEAD
                {
                    w = self.changed.wait(w).unwrap_or_else(|p| p.into_inner());
                }
                if w.stop || w.read_below >= self.plan.len() {
                    return;
                }
                w.read_below
            };
            let start = Instant::now();
            let from = self.elements(slab).start;
            if asked_below < (from + ahead / 2).min(end) {
                let ask = asked_below..(from + ahead).min(end);
                for m in self.files_iter() {
                    let _ = m.advise(m.bytes(&ask), libc::MADV_WILLNEED);
                }
                asked_below = ask.end;
            }
            let converted = self.read_slab(slab);
            self.read_nanos
                .fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
            let mut w = self.lock();
            let given_back = slab < w.released_below || w.released.contains(&slab);
            if converted.iter().any(|c| !c.is_empty()) && !given_back {
                // A slab the backend fetched out of order keeps the buffers it was lent.
                w.converted.entry(slab).or_insert(converted);
            }
            w.read_below = slab + 1;
            self.changed.notify_all();
        }
    }

    /// Stops the reader.
    pub fn stop(&self) {
        self.lock().stop = true;
        self.changed.notify_all();
    }

    /// The fields of `slab`, lent until [`Inputs::release`]: waits for the reader
    /// when the slab is in its window, reads the slab itself otherwise.
    pub fn fetch(&self, slab: u64) -> anyhow::Result<Vec<(*const f64, usize)>> {
        if slab >= self.plan.len() {
            bail!("no slab {slab} (the grid has {})", self.plan.len());
        }
        let start = Instant::now();
        let mut w = self.lock();
        if self.from_files() {
            while slab >= w.read_below && slab < w.released_below + AHEAD && !w.stop {
                w = self.changed.wait(w).unwrap_or_else(|p| p.into_inner());
            }
        }
        self.wait_nanos
            .fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
        let elements = self.elements(slab);
        let converts = self
            .fields
            .iter()
            .any(|f| matches!(f, Source::File(m) if !m.direct()));
        if converts && !w.converted.contains_key(&slab) {
            drop(w);
            let converted = self.read_slab(slab);
            w = self.lock();
            w.converted.entry(slab).or_insert(converted);
        }
        let converted = w.converted.get(&slab);
        Ok(self
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| match f {
                Source::Memory(a) => {
                    let part = &a[elements.start as usize..elements.end as usize];
                    (part.as_ptr(), part.len())
                }
                Source::File(m) if m.direct() => {
                    let bytes = m.bytes(&elements);
                    (
                        m.slice(bytes).as_ptr() as *const f64,
                        (elements.end - elements.start) as usize,
                    )
                }
                Source::File(_) => {
                    let c = &converted.expect("converted above")[i];
                    (c.as_ptr(), c.len())
                }
            })
            .collect())
    }

    /// Takes back the fields of `slab`; pages no slab still needs are dropped.
    pub fn release(&self, slab: u64) {
        let mut guard = self.lock();
        let w = &mut *guard;
        w.converted.remove(&slab);
        let before = w.released_below;
        if slab == w.released_below {
            w.released_below += 1;
            while w.released.remove(&w.released_below) {
                w.released_below += 1;
            }
        } else if slab > w.released_below {
            w.released.insert(slab);
        }
        let after = w.released_below;
        self.changed.notify_all();
        drop(guard);
        if after > before {
            let done = self.elements(before).start..self.elements(after - 1).end;
            for m in self.files_iter() {
                // Not the page holding the first value of the slab after.
                let bytes = m.bytes(&done);
                let end = bytes.end / page_size() * page_size();
                let _ = m.advise(bytes.start..end, libc::MADV_DONTNEED);
            }
        }
    }

    /// Seconds the reader spent reading, and seconds the backend waited for it.
    pub fn seconds(&self) -> (f64, f64) {
        let s = |n: &AtomicU64| n.load(Ordering::Relaxed) as f64 * 1e-9;
        (s(&self.read_nanos), s(&self.wait_nanos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::npy::NpyWriter;

    /// Reads every slab of `inputs` in `order`, with the reader running, and
    /// returns the values seen.
    fn read_all(inputs: &Inputs<'_>, order: &[u64]) -> Vec<Vec<f64>> {
        std::thread::scope(|scope| {
            scope.spawn(|| inputs.read_ahead());
            let mut seen = vec![Vec::new(); order.len()];
            for &slab in order {
                let fields = inputs.fetch(slab).unwrap();
                // SAFETY: lent until the release below.
                seen[slab as usize] =
                    unsafe { std::slice::from_raw_parts(fields[0].0, fields[0].1) }.to_vec();
                inputs.release(slab);
            }
            inputs.stop();
            seen
        })
    }

    #[test]
    fn slabs_read_in_any_order_hold_the_file_and_are_all_given_back() {
        let dir = std::env::temp_dir().join(format!("gearbox-inputs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f.npy");
        let values: Vec<f64> = (0..40 * 3).map(f64::from).collect();
        let w = NpyWriter::create(&path, &[40, 3]).unwrap();
        w.write_at(0, &values).unwrap();
        w.finish().unwrap();
        let plan = SlabPlan { outer: 40, rows: 2 };
        let expected: Vec<Vec<f64>> = values.chunks(6).map(<[f64]>::to_vec).collect();
        let forward: Vec<u64> = (0..plan.len()).collect();
        let backward: Vec<u64> = forward.iter().rev().copied().collect();
        for order in [forward, backward] {
            let inputs = Inputs::files(plan, 3, std::slice::from_ref(&path), &[40, 3]).unwrap();
            assert_eq!(read_all(&inputs, &order), expected);
            let w = inputs.lock();
            assert_eq!(w.released_below, plan.len());
            assert!(w.released.is_empty() && w.converted.is_empty());
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
