//! NumPy `.npy` files: headers parsed and checked, small arrays read whole, and
//! grid fields written slab by slab. Written by hand rather than with a crate
//! because inputs are memory-mapped and streamed slab by slab, and outputs are
//! written at their final offsets from several threads into files that appear
//! only when the whole set is committed ([`crate::outputs`]).

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::outputs::TempFile;

const MAGIC: &[u8] = b"\x93NUMPY";

/// The longest header accepted (NumPy's own reader stops at 10 000 bytes by default).
const MAX_HEADER: usize = 1 << 16;

/// How the values of a file are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dtype {
    /// `<f8`: little-endian float64, gearbox's own format (read without conversion).
    F64,
    /// `>f8`: big-endian float64 (byte-swapped while reading).
    F64Swapped,
    /// `<f4`: little-endian float32 (widened while reading).
    F32,
    /// `>f4`: big-endian float32 (swapped and widened while reading).
    F32Swapped,
}

impl Dtype {
    fn parse(descr: &str) -> Option<Dtype> {
        Some(match descr {
            "<f8" => Dtype::F64,
            ">f8" => Dtype::F64Swapped,
            "<f4" => Dtype::F32,
            ">f4" => Dtype::F32Swapped,
            _ => return None,
        })
    }

    /// Bytes per value.
    pub fn size(self) -> usize {
        match self {
            Dtype::F64 | Dtype::F64Swapped => 8,
            Dtype::F32 | Dtype::F32Swapped => 4,
        }
    }

    /// Converts `bytes` (values stored as `self`) into `out`, one value per `size()` bytes.
    pub fn convert(self, bytes: &[u8], out: &mut [f64]) {
        let values = bytes.chunks_exact(self.size()).zip(out);
        match self {
            Dtype::F64 => values.for_each(|(b, o)| *o = f64::from_le_bytes(b.try_into().unwrap())),
            Dtype::F64Swapped => {
                values.for_each(|(b, o)| *o = f64::from_be_bytes(b.try_into().unwrap()))
            }
            Dtype::F32 => {
                values.for_each(|(b, o)| *o = f64::from(f32::from_le_bytes(b.try_into().unwrap())))
            }
            Dtype::F32Swapped => {
                values.for_each(|(b, o)| *o = f64::from(f32::from_be_bytes(b.try_into().unwrap())))
            }
        }
    }
}

/// What a `.npy` header says, checked against the shape a grid expects.
#[derive(Clone, Debug, PartialEq)]
pub struct Header {
    /// How values are stored.
    pub dtype: Dtype,
    /// Sizes, outermost first.
    pub shape: Vec<u64>,
    /// Byte offset of the first value.
    pub data_offset: u64,
}

impl Header {
    /// Number of values.
    pub fn len(&self) -> u64 {
        self.shape.iter().product()
    }

    /// True when the array holds no value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

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

/// The value of `key` in a header dictionary (a Python literal): a quoted string,
/// a bare word, or a parenthesised tuple.
fn dict_value<'d>(dict: &'d str, key: &str) -> Option<&'d str> {
    let at = ["'", "\""]
        .iter()
        .find_map(|q| dict.find(&format!("{q}{key}{q}")))?
        + key.len()
        + 2;
    let rest = dict[at..].trim_start().strip_prefix(':')?.trim_start();
    let end = match rest.chars().next()? {
        '(' => rest.find(')')? + 1,
        q @ ('\'' | '"') => rest[1..].find(q)? + 2,
        _ => rest.find([',', '}'])?,
    };
    Some(rest[..end].trim())
}

/// How many times `key` is a key of the header dictionary `dict` (quoted either
/// way and followed by `:`).
fn key_count(dict: &str, key: &str) -> usize {
    ["'", "\""]
        .iter()
        .map(|q| {
            let quoted = format!("{q}{key}{q}");
            dict.match_indices(&quoted)
                .filter(|(at, _)| dict[at + quoted.len()..].trim_start().starts_with(':'))
                .count()
        })
        .sum()
}

/// Parses and checks the header of `path` (opened as `file`): a float64 or
/// float32 array in C order (or with one non-trivial dimension) of exactly `shape`.
pub fn read_header(file: &mut File, path: &Path, shape: &[u64]) -> anyhow::Result<Header> {
    parse_header(file, path, Some(shape))
}

/// The shape of the `.npy` file `path`, its header checked as by [`read_header`].
pub fn shape(path: &Path) -> anyhow::Result<Vec<u64>> {
    Ok(parse_header(&mut open(path)?, path, None)?.shape)
}

/// [`read_header`], with the shape checked only when `expected` is given.
fn parse_header(file: &mut File, path: &Path, expected: Option<&[u64]>) -> anyhow::Result<Header> {
    let name = path.display();
    let size = file.metadata()?.len();
    let mut prefix = [0u8; 10];
    file.read_exact(&mut prefix)
        .map_err(|_| anyhow::anyhow!("{name}: too short to be a .npy file"))?;
    if &prefix[..6] != MAGIC {
        bail!("{name}: not a .npy file");
    }
    let (header_len, fixed) = match prefix[6] {
        1 => (u64::from(u16::from_le_bytes([prefix[8], prefix[9]])), 10),
        2 | 3 => {
            let mut rest = [0u8; 2];
            file.read_exact(&mut rest)
                .map_err(|_| anyhow::anyhow!("{name}: truncated header"))?;
            let len = u32::from_le_bytes([prefix[8], prefix[9], rest[0], rest[1]]);
            (u64::from(len), 12)
        }
        v => bail!("{name}: unsupported .npy version {v}"),
    };
    if header_len > MAX_HEADER as u64 || fixed + header_len > size {
        bail!(
            "{name}: header length {header_len} is {} (the file has {size} bytes)",
            if header_len > MAX_HEADER as u64 {
                format!("over the {MAX_HEADER}-byte limit")
            } else {
                "past the end of the file".to_string()
            }
        );
    }
    let mut dict = vec![0u8; header_len as usize];
    file.read_exact(&mut dict)
        .map_err(|_| anyhow::anyhow!("{name}: truncated header"))?;
    let dict = String::from_utf8_lossy(&dict);
    for key in ["descr", "fortran_order", "shape"] {
        if key_count(&dict, key) > 1 {
            bail!(
                "{name}: the header gives '{key}' more than once (NumPy would read the last, \
                 gearbox the first); save the array again with np.save"
            );
        }
    }
    let descr = dict_value(&dict, "descr")
        .map(|d| d.trim_matches(['\'', '"']))
        .filter(|d| !d.is_empty())
        .ok_or_else(|| anyhow::anyhow!("{name}: the header names no dtype ('descr')"))?;
    let dtype = Dtype::parse(descr).ok_or_else(|| {
        anyhow::anyhow!(
            "{name}: dtype '{descr}' is not float64 or float32; convert with arr.astype(np.float64)"
        )
    })?;
    let found: Vec<u64> = dict_value(&dict, "shape")
        .ok_or_else(|| anyhow::anyhow!("{name}: the header has no shape"))?
        .trim_matches(['(', ')'])
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse::<u64>())
        .collect::<Result<_, _>>()
        .map_err(|_| anyhow::anyhow!("{name}: unreadable shape"))?;
    if let Some(shape) = expected
        && found != shape
    {
        bail!("{name}: shape {found:?}, expected {shape:?}");
    }
    match dict_value(&dict, "fortran_order") {
        Some("False") => {}
        Some("True") if found.iter().filter(|&&d| d > 1).count() <= 1 => {}
        Some("True") => bail!(
            "{name}: Fortran-ordered array; gearbox streams grids by outer rows, which a \
             Fortran-ordered file scatters over the whole file; save it in C order with \
             np.save(path, np.ascontiguousarray(arr))"
        ),
        _ => bail!("{name}: the header has no fortran_order"),
    }
    let data_offset = fixed + header_len;
    let bytes = found
        .iter()
        .try_fold(dtype.size() as u64, |acc, &d| acc.checked_mul(d));
    if bytes.is_none_or(|b| data_offset.checked_add(b).is_none_or(|end| end > size)) {
        bail!(
            "{name}: holds fewer than the {} values its header declares",
            found.iter().fold(1u64, |acc, &d| acc.saturating_mul(d))
        );
    }
    Ok(Header {
        dtype,
        shape: found,
        data_offset,
    })
}

/// Opens `path` (following symbolic links) as a `.npy` file, refusing anything
/// but a regular file with a message naming what it is. The type is checked
/// before the file is opened, so a FIFO or a device is never opened (that could
/// block forever, or have side effects); the file is then opened without blocking
/// and checked again, in case it was replaced in between.
pub fn open(path: &Path) -> anyhow::Result<File> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("{}: cannot open", path.display()))?;
    regular(path, &meta.file_type())?;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .with_context(|| format!("{}: cannot open", path.display()))?;
    regular(path, &file.metadata()?.file_type())?;
    Ok(file)
}

/// Fails unless `kind` is a regular file, naming what `path` is instead.
fn regular(path: &Path, kind: &std::fs::FileType) -> anyhow::Result<()> {
    if kind.is_file() {
        return Ok(());
    }
    if kind.is_dir() {
        bail!("{}: is a directory, not a .npy file", path.display());
    }
    let what = if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "of an unknown type"
    };
    bail!("{}: is {what}, not a regular .npy file", path.display())
}

/// Reads a whole (small) array from `path`, checking it has exactly `shape`, as f64.
pub fn read(path: &Path, shape: &[u64]) -> anyhow::Result<Vec<f64>> {
    let mut file = open(path)?;
    let header = read_header(&mut file, path, shape)?;
    let len = usize::try_from(header.len()).context("array too large")?;
    let mut bytes = vec![0u8; len * header.dtype.size()];
    file.read_exact(&mut bytes).map_err(|_| {
        anyhow::anyhow!(
            "{}: holds fewer than the {len} values its header declares",
            path.display()
        )
    })?;
    let mut data = vec![0f64; len];
    header.dtype.convert(&bytes, &mut data);
    Ok(data)
}

fn bytes(data: &[f64]) -> &[u8] {
    // SAFETY: f64 has no padding; u8 has alignment 1.
    unsafe { std::slice::from_raw_parts(data.as_ptr() as *const u8, std::mem::size_of_val(data)) }
}

/// An `.npy` file of f64 being written piece by piece, invisible until
/// [`NpyWriter::finish`] (or [`crate::outputs::commit`] of a set) puts it in place;
/// nothing is left behind if it is dropped unfinished or the process dies.
pub struct NpyWriter {
    file: TempFile,
    data_start: u64,
}

impl NpyWriter {
    /// Starts `target` for an f64 array of `shape`, reserving its disk space.
    pub fn create(target: &Path, shape: &[u64]) -> anyhow::Result<NpyWriter> {
        let head = header(shape);
        let bytes = shape
            .iter()
            .try_fold(8u64, |acc, &d| acc.checked_mul(d))
            .context("array too large")?;
        let file = TempFile::create(target, head.len() as u64 + bytes)?;
        file.write_at(&head, 0)?;
        Ok(NpyWriter {
            file,
            data_start: head.len() as u64,
        })
    }

    /// Writes `values` starting at element `offset`; may be called from several threads.
    pub fn write_at(&self, offset: u64, values: &[f64]) -> anyhow::Result<()> {
        if cfg!(target_endian = "big") {
            bail!("writing .npy on big-endian machines is not supported")
        }
        self.file
            .write_at(bytes(values), self.data_start + offset * 8)
    }

    /// Starts writing the whole pages of elements `from..to` to disk in the background.
    pub fn start_writeback(&self, from: u64, to: u64) {
        self.file
            .start_writeback(self.data_start + from * 8..self.data_start + to * 8);
    }

    /// The file, for committing it with others.
    pub fn into_file(self) -> TempFile {
        self.file
    }

    /// Flushes the file to disk and puts it in place.
    pub fn finish(self) -> anyhow::Result<()> {
        crate::outputs::commit(vec![self.file])
    }

    /// Where the file will appear.
    pub fn target(&self) -> PathBuf {
        self.file.target().to_path_buf()
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
    fn dict_values_of_every_kind() {
        let d = "{'descr': '<f4', \"fortran_order\": True, 'shape': (3, 4), }";
        assert_eq!(dict_value(d, "descr"), Some("'<f4'"));
        assert_eq!(dict_value(d, "fortran_order"), Some("True"));
        assert_eq!(dict_value(d, "shape"), Some("(3, 4)"));
        assert_eq!(dict_value(d, "missing"), None);
        assert_eq!(key_count(d, "shape"), 1);
        assert_eq!(key_count(d, "missing"), 0);
        let twice = "{'descr': '<f8', 'shape': (2,), \"shape\" : (3,), 'fortran_order': False}";
        assert_eq!(key_count(twice, "shape"), 2);
        assert_eq!(key_count(twice, "descr"), 1);
    }

    #[test]
    fn conversions_widen_and_swap() {
        let mut out = [0.0; 2];
        Dtype::F32.convert(&[0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0], &mut out);
        assert_eq!(out, [1.0, -2.0]);
        Dtype::F64Swapped.convert(&1.5f64.to_be_bytes(), &mut out[..1]);
        assert_eq!(out[0], 1.5);
        Dtype::F32Swapped.convert(&0.25f32.to_be_bytes(), &mut out[..1]);
        assert_eq!(out[0], 0.25);
    }

    #[test]
    fn round_trip_through_a_file() {
        let dir = std::env::temp_dir().join(format!("gearbox-npy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.npy");
        let w = NpyWriter::create(&path, &[2, 2]).unwrap();
        w.write_at(2, &[3.0, 4.0]).unwrap();
        w.write_at(0, &[1.0, 2.0]).unwrap();
        assert!(!path.exists(), "visible before it is finished");
        w.finish().unwrap();
        assert_eq!(read(&path, &[2, 2]).unwrap(), vec![1.0, 2.0, 3.0, 4.0]);
        let e = read(&path, &[4]).unwrap_err().to_string();
        assert!(e.contains("shape [2, 2], expected [4]"), "{e}");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
