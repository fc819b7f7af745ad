//! Output slabs written on a thread of their own: workers copy a finished slab
//! into a recycled buffer and go on computing, while the writer puts each slab
//! at its offset in the output files and starts its writeback to disk. One
//! writer per run keeps the files' writes from contending with each other, and a
//! short queue bounds the memory held.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use anyhow::bail;

use crate::npy::NpyWriter;

/// Slabs queued for the writer beyond the one it is writing.
const QUEUE: usize = 4;

/// A slab to write: its first element, its length, and every field one after the other.
type Slab = (u64, usize, Vec<f64>);

/// The output files of a run and the queue into them.
pub struct SlabWriter {
    files: Vec<NpyWriter>,
    sender: Mutex<Option<SyncSender<Slab>>>,
    receiver: Mutex<Option<Receiver<Slab>>>,
    /// Buffers written out, for the next slabs.
    free: Mutex<Vec<Vec<f64>>>,
    error: Mutex<Option<String>>,
    write_nanos: AtomicU64,
    wait_nanos: AtomicU64,
}

impl SlabWriter {
    /// A writer into `files`, one per output field.
    pub fn new(files: Vec<NpyWriter>) -> SlabWriter {
        let (sender, receiver) = sync_channel(QUEUE);
        SlabWriter {
            files,
            sender: Mutex::new(Some(sender)),
            receiver: Mutex::new(Some(receiver)),
            free: Mutex::default(),
            error: Mutex::default(),
            write_nanos: AtomicU64::new(0),
            wait_nanos: AtomicU64::new(0),
        }
    }

    fn failed(&self) -> Option<String> {
        self.error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Queues the fields `outputs` of the slab starting at element `offset`
    /// (waits while the queue is full).
    pub fn submit(&self, offset: u64, outputs: &[&[f64]]) -> anyhow::Result<()> {
        let start = Instant::now();
        if let Some(e) = self.failed() {
            bail!("{e}");
        }
        let sender = self
            .sender
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let Some(sender) = sender else {
            bail!("the outputs are closed");
        };
        let mut buffer = self
            .free
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
            .unwrap_or_default();
        buffer.clear();
        outputs.iter().for_each(|o| buffer.extend_from_slice(o));
        let len = outputs.first().map_or(0, |o| o.len());
        let sent = sender.send((offset, len, buffer));
        self.wait_nanos
            .fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
        if sent.is_err() {
            bail!(
                "{}",
                self.failed().unwrap_or_else(|| "the writer stopped".into())
            );
        }
        Ok(())
    }

    /// The writer: writes queued slabs in order until [`SlabWriter::close`], or the first error.
    pub fn run(&self) {
        let Some(receiver) = self
            .receiver
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        else {
            return;
        };
        // Slabs arrive nearly in order; writing them strictly in order keeps the
        // files sequential and lets writeback cover whole pages only.
        let mut pending = BTreeMap::new();
        let mut written = 0;
        for (offset, len, buffer) in receiver {
            pending.insert(offset, (len, buffer));
            while let Some((len, buffer)) = pending.remove(&written) {
                let start = Instant::now();
                for (file, values) in self.files.iter().zip(buffer.chunks(len.max(1))) {
                    if let Err(e) = file.write_at(written, values) {
                        *self.error.lock().unwrap_or_else(PoisonError::into_inner) =
                            Some(format!("{e:#}"));
                        return;
                    }
                    file.start_writeback(written, written + len as u64);
                }
                written += len as u64;
                self.write_nanos
                    .fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
                self.free
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(buffer);
            }
        }
    }

    /// No more slabs: the writer finishes the queue and stops.
    pub fn close(&self) {
        self.sender
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }

    /// Seconds the writer spent writing, and seconds workers spent handing slabs over.
    pub fn seconds(&self) -> (f64, f64) {
        let s = |n: &AtomicU64| n.load(Ordering::Relaxed) as f64 * 1e-9;
        (s(&self.write_nanos), s(&self.wait_nanos))
    }

    /// The files, every slab written, or the first write error.
    pub fn into_files(self) -> anyhow::Result<Vec<NpyWriter>> {
        match self.failed() {
            Some(e) => bail!("{e}"),
            None => Ok(self.files),
        }
    }
}
