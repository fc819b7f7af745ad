//! Reading and writing NumPy `.npy` files of little-endian float64 in C order,
//! the format users hand grids in and out with. Written by hand rather than with
//! a crate because outputs are written slab by slab at their final offsets, from
//! several threads, into a temporary file renamed into place when complete.

use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

const MAGIC: &[u8] = b"\x93NUMPY";

/// The header of a version 1.0 `.npy` file for an f64 array of `shape`, padded
/// so the data starts on a 64-byte boundary.
pub fn header(shape: &[u64]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(u64::to_string).collect();
    let shape = if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let mut dict = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}");
    let unpadded = MAGIC.len() + 2 + 2 + dict.len() + 1;
    dict.push_str(&" ".repeat(unpadded.next_multiple_of(64) - unpadded));
    dict.push('\n');
    let mut out = Vec::with_capacity(dict.len() + 10);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out
}

/// Reads an f64 array from `path`, checking it has exactly `shape`.
pub fn read(path: &Path, shape: &[u64]) -> anyhow::Result<Vec<f64>> {
    let mut file = File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        bail!("{}: is a directory, not a .npy file", path.display());
    }
    let mut prefix = [0u8; 10];
    file.read_exact(&mut prefix)
        .map_err(|_| anyhow::anyhow!("{}: too short to be a .npy file", path.display()))?;
    if &prefix[..6] != MAGIC {
        bail!("{}: not a .npy file", path.display());
    }
    let header_len = match prefix[6] {
        1 => u16::from_le_bytes([prefix[8], prefix[9]]) as usize,
        2 | 3 => {
            let mut rest = [0u8; 2];
            file.read_exact(&mut rest)?;
            u32::from_le_bytes([prefix[8], prefix[9], rest[0], rest[1]]) as usize
        }
        v => bail!("{}: unsupported .npy version {v}", path.display()),
    };
    let size = file.metadata().map_or(0, |m| m.len());
    if header_len as u64 > size {
        bail!(
            "{}: header length {header_len} bytes, but the file holds only {size}",
            path.display()
        );
    }
    let mut dict = vec![0u8; header_len];
    file.read_exact(&mut dict)
        .map_err(|_| anyhow::anyhow!("{}: truncated header", path.display()))?;
    let dict = String::from_utf8_lossy(&dict);
    let field = |key: &str| -> Option<String> {
        let at = dict.find(&format!("'{key}'"))? + key.len() + 2;
        let rest = dict[at..].trim_start().strip_prefix(':')?.trim_start();
        let end = if rest.starts_with('(') {
            rest.find(')')? + 1
        } else {
            rest.find(',')?
        };
        Some(rest[..end].trim().to_string())
    };
    let descr = field("descr").unwrap_or_default();
    if descr.is_empty() {
        bail!("{}: header has no dtype ('descr')", path.display());
    }
    if descr != "'<f8'" {
        bail!(
            "{}: dtype {descr} is not float64 ('<f8'); convert with arr.astype(np.float64)",
            path.display()
        );
    }
    if field("fortran_order").as_deref() != Some("False") {
        bail!(
            "{}: Fortran-ordered array; save it with np.ascontiguousarray",
            path.display()
        );
    }
    let found: Vec<u64> = field("shape")
        .unwrap_or_default()
        .trim_matches(|c| c == '(' || c == ')')
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse::<u64>())
        .collect::<Result<_, _>>()
        .map_err(|_| anyhow::anyhow!("{}: unreadable shape", path.display()))?;
    if found != shape {
        bail!("{}: shape {found:?}, expected {shape:?}", path.display());
    }
    let len = shape.iter().product::<u64>() as usize;
    let mut data = vec![0f64; len];
    file.read_exact(bytemuck_bytes_mut(&mut data))
        .map_err(|_| {
            anyhow::anyhow!(
                "{}: holds fewer than the {len} values its header declares",
                path.display()
            )
        })?;
    if cfg!(target_endian = "big") {
        data.iter_mut()
            .for_each(|x| *x = f64::from_bits(x.to_bits().swap_bytes()));
    }
    Ok(data)
}

fn bytemuck_bytes_mut(data: &mut [f64]) -> &mut [u8] {
    // SAFETY: any byte pattern is a valid f64, and u8 has alignment 1.
    unsafe {
        std::slice::from_raw_parts_mut(data.as_mut_ptr() as *mut u8, std::mem::size_of_val(data))
    }
}

fn bytes(data: &[f64]) -> &[u8] {
    // SAFETY: f64 has no padding; u8 has alignment 1.
    unsafe { std::slice::from_raw_parts(data.as_ptr() as *const u8, std::mem::size_of_val(data)) }
}

/// An `.npy` file being written piece by piece under a temporary name; it appears
/// under its final name only on [`NpyWriter::finish`], and is removed if dropped unfinished.
pub struct NpyWriter {
    file: File,
    data_start: u64,
    temp: PathBuf,
    target: PathBuf,
    finished: bool,
}

impl NpyWriter {
    /// Creates `target` (as a temporary file beside it) for an f64 array of `shape`.
    pub fn create(target: &Path, shape: &[u64]) -> anyhow::Result<NpyWriter> {
        let name = target
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("out.npy");
        let temp = target.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
        let mut file =
            File::create(&temp).with_context(|| format!("{}: cannot create", temp.display()))?;
        let head = header(shape);
        file.write_all(&head)?;
        let len = shape.iter().product::<u64>();
        file.set_len(head.len() as u64 + len * 8)
            .with_context(|| format!("{}: cannot reserve {} bytes", temp.display(), len * 8))?;
        Ok(NpyWriter {
            file,
            data_start: head.len() as u64,
            temp,
            target: target.to_path_buf(),
            finished: false,
        })
    }

    /// Writes `values` starting at element `offset`; may be called from several threads.
    pub fn write_at(&self, offset: u64, values: &[f64]) -> anyhow::Result<()> {
        let data = if cfg!(target_endian = "big") {
            bail!("writing .npy on big-endian machines is not supported")
        } else {
            bytes(values)
        };
        self.file
            .write_all_at(data, self.data_start + offset * 8)
            .with_context(|| format!("{}: write failed", self.temp.display()))
    }

    /// Flushes and renames the file into place.
    pub fn finish(mut self) -> anyhow::Result<()> {
        self.file.sync_all()?;
        std::fs::rename(&self.temp, &self.target)
            .with_context(|| format!("{}: cannot rename into place", self.target.display()))?;
        self.finished = true;
        Ok(())
    }
}

impl Drop for NpyWriter {
    fn drop(&mut self) {
        if !self.finished {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_aligned_and_parsable() {
        let h = header(&[2, 3]);
        assert_eq!(h.len() % 64, 0);
        assert!(String::from_utf8_lossy(&h).contains("'shape': (2, 3)"));
        assert!(String::from_utf8_lossy(&header(&[5])).contains("'shape': (5,)"));
    }

    #[test]
    fn round_trip_through_a_file() {
        let dir = std::env::temp_dir().join(format!("gearbox-npy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.npy");
        let w = NpyWriter::create(&path, &[2, 2]).unwrap();
        w.write_at(2, &[3.0, 4.0]).unwrap();
        w.write_at(0, &[1.0, 2.0]).unwrap();
        w.finish().unwrap();
        assert_eq!(read(&path, &[2, 2]).unwrap(), vec![1.0, 2.0, 3.0, 4.0]);
        let e = read(&path, &[4]).unwrap_err().to_string();
        assert!(e.contains("shape [2, 2], expected [4]"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
