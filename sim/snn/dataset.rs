//! Image datasets in IDX format (raw or gzip), and the MNIST sample embedded in the binary.
//!
//! Paths may start with `builtin:` to name a file of the shipped sample
//! (`builtin:mnist-sample/train-images`, `.../train-labels`, `.../test-images`,
//! `.../test-labels`); other relative paths resolve against the config file's directory.

use crate::error::input_error;
use anyhow::Result;
use std::io::Read;
use std::path::Path;

/// Files of the shipped MNIST sample (tests/data/mnist, see its README.md).
pub const BUILTIN: &[(&str, &[u8])] = &[
    (
        "mnist-sample/train-images",
        include_bytes!("../../tests/data/mnist/train-images-idx3-ubyte.gz"),
    ),
    (
        "mnist-sample/train-labels",
        include_bytes!("../../tests/data/mnist/train-labels-idx1-ubyte.gz"),
    ),
    (
        "mnist-sample/test-images",
        include_bytes!("../../tests/data/mnist/t10k-images-idx3-ubyte.gz"),
    ),
    (
        "mnist-sample/test-labels",
        include_bytes!("../../tests/data/mnist/t10k-labels-idx1-ubyte.gz"),
    ),
];

/// Images (u8 pixels, row-major) and their labels.
#[derive(Clone, Debug)]
pub struct ImageSet {
    pub rows: usize,
    pub cols: usize,
    pub pixels: Vec<u8>,
    pub labels: Vec<u8>,
    /// Where the images and the labels came from (as messages name them).
    pub images_name: String,
    pub labels_name: String,
}

impl ImageSet {
    pub fn len(&self) -> usize {
        self.labels.len()
    }
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
    pub fn pixels_per_image(&self) -> usize {
        self.rows * self.cols
    }
    pub fn image(&self, i: usize) -> &[u8] {
        let n = self.pixels_per_image();
        &self.pixels[i * n..(i + 1) * n]
    }
    /// The first `n` samples (all when n is 0 or larger than the set).
    pub fn truncated(mut self, n: usize) -> Self {
        if n > 0 && n < self.len() {
            self.labels.truncate(n);
            self.pixels.truncate(n * self.pixels_per_image());
        }
        self
    }
}

/// Largest IDX file accepted, raw or after gunzip (Fashion-MNIST's 60,000 training
/// images are 47 MB): a gzip stream inflating beyond it is refused, not read to the end.
pub const MAX_IDX_BYTES: u64 = 4 << 30;

/// Read a file's bytes: `builtin:NAME`, or a path (relative to `base_dir`); gunzip when
/// the content starts with the gzip magic. At most [`MAX_IDX_BYTES`], raw or inflated.
pub fn read_bytes(spec: &str, base_dir: &Path) -> Result<(String, Vec<u8>)> {
    read_bytes_at_most(spec, base_dir, MAX_IDX_BYTES)
}

fn read_bytes_at_most(spec: &str, base_dir: &Path, max: u64) -> Result<(String, Vec<u8>)> {
    let too_big = |name: &str, what: &str| {
        input_error(format!(
            "{name}: {what} more than {max} bytes; accepted: IDX files up to {max} bytes"
        ))
    };
    let (name, raw): (String, Vec<u8>) = if let Some(b) = spec.strip_prefix("builtin:") {
        let (_, bytes) = BUILTIN.iter().find(|(n, _)| *n == b).ok_or_else(|| {
            let known: Vec<String> = BUILTIN
                .iter()
                .map(|(n, _)| format!("builtin:{n}"))
                .collect();
            input_error(format!(
                "{spec}: no such builtin data file (known: {})",
                known.join(", ")
            ))
        })?;
        (spec.to_string(), bytes.to_vec())
    } else {
        let p = base_dir.join(spec);
        let cannot = |e: std::io::Error| input_error(format!("{}: cannot read: {e}", p.display()));
        let mut bytes = Vec::new();
        std::fs::File::open(&p)
            .and_then(|f| f.take(max + 1).read_to_end(&mut bytes))
            .map_err(cannot)?;
        if bytes.len() as u64 > max {
            return Err(too_big(&p.display().to_string(), "holds"));
        }
        (p.display().to_string(), bytes)
    };
    if raw.len() >= 2 && raw[0] == 0x1f && raw[1] == 0x8b {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..])
            .take(max + 1)
            .read_to_end(&mut out)
            .map_err(|e| input_error(format!("{name}: corrupt or truncated gzip data: {e}")))?;
        if out.len() as u64 > max {
            return Err(too_big(&name, "gzip data inflating to"));
        }
        Ok((name, out))
    } else {
        Ok((name, raw))
    }
}

/// Parse IDX bytes: returns (dims, payload). Only unsigned-byte data (type 0x08).
pub fn parse_idx<'a>(name: &str, b: &'a [u8]) -> Result<(Vec<usize>, &'a [u8])> {
    if b.len() < 4 {
        return Err(input_error(format!(
            "{name}: truncated IDX file ({} bytes, header needs 4)",
            b.len()
        )));
    }
    if b[0] != 0 || b[1] != 0 {
        return Err(input_error(format!(
            "{name}: bad IDX magic {:02x}{:02x}{:02x}{:02x} (expected 0000 08 NN)",
            b[0], b[1], b[2], b[3]
        )));
    }
    if b[2] != 0x08 {
        return Err(input_error(format!(
            "{name}: IDX data type 0x{:02x} not supported (only 0x08, unsigned byte)",
            b[2]
        )));
    }
    let nd = b[3] as usize;
    if nd == 0 || nd > 4 {
        return Err(input_error(format!(
            "{name}: IDX with {nd} dimensions not supported (1..=4)"
        )));
    }
    let hdr = 4 + 4 * nd;
    if b.len() < hdr {
        return Err(input_error(format!(
            "{name}: truncated IDX header ({} bytes, needs {hdr})",
            b.len()
        )));
    }
    let dims: Vec<usize> = (0..nd)
        .map(|k| {
            u32::from_be_bytes([b[4 + 4 * k], b[5 + 4 * k], b[6 + 4 * k], b[7 + 4 * k]]) as usize
        })
        .collect();
    let payload = &b[hdr..];
    let n = dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    let Some(n) = n.filter(|&n| n <= payload.len()) else {
        return Err(input_error(format!(
            "{name}: truncated IDX data: header {dims:?} needs {} bytes, file has {}",
            dims.iter().map(|&d| d as u128).product::<u128>(),
            payload.len()
        )));
    };
    Ok((dims, &payload[..n]))
}

/// Load an image file (IDX3) and a label file (IDX1); counts must agree.
pub fn load_pair(images: &str, labels: &str, base_dir: &Path) -> Result<ImageSet> {
    let (iname, ib) = read_bytes(images, base_dir)?;
    let (lname, lb) = read_bytes(labels, base_dir)?;
    let (idims, ipx) = parse_idx(&iname, &ib)?;
    let (ldims, lpx) = parse_idx(&lname, &lb)?;
    if idims.len() != 3 {
        return Err(input_error(format!(
            "{iname}: expected 3 dimensions (count, rows, cols), found {idims:?}"
        )));
    }
    if ldims.len() != 1 {
        return Err(input_error(format!(
            "{lname}: expected 1 dimension (count), found {ldims:?}"
        )));
    }
    if idims[0] != ldims[0] {
        return Err(input_error(format!(
            "count mismatch: {iname} has {} images (shape {idims:?}), {lname} has {} labels \
             (shape {ldims:?}); accepted: as many labels as images",
            idims[0], ldims[0]
        )));
    }
    if let Some(bad) = lpx.iter().find(|&&l| l > 9) {
        return Err(input_error(format!(
            "{lname}: label {bad} out of range 0..=9"
        )));
    }
    Ok(ImageSet {
        rows: idims[1],
        cols: idims[2],
        pixels: ipx.to_vec(),
        labels: lpx.to_vec(),
        images_name: iname,
        labels_name: lname,
    })
}

/// Check that a test set can be fed to a network trained on `train`: both sets' images
/// have the same rows x cols. The message names both image files and both shapes.
pub fn check_same_shape(train: &ImageSet, test: &ImageSet) -> Result<()> {
    if (train.rows, train.cols) == (test.rows, test.cols) {
        return Ok(());
    }
    Err(input_error(format!(
        "image sizes differ: train images {} are {}x{} ({} images), test images {} are {}x{} \
         ({} images); accepted: train and test images of the same size",
        train.images_name,
        train.rows,
        train.cols,
        train.len(),
        test.images_name,
        test.rows,
        test.cols,
        test.len()
    )))
}

/// Check that a test set fits a network with `n_inputs` input neurons (e.g. a model
/// file's); the message names both.
pub fn check_inputs(model: &str, n_inputs: usize, test: &ImageSet) -> Result<()> {
    if n_inputs == test.pixels_per_image() {
        return Ok(());
    }
    Err(input_error(format!(
        "{model}: the model has {n_inputs} inputs, but test images {} are {}x{} = {} pixels; \
         accepted: test images with as many pixels as the model's inputs",
        test.images_name,
        test.rows,
        test.cols,
        test.pixels_per_image()
    )))
}

/// The dimensions in an IDX file's header (count first), reading only the header (a
/// gzip file is decompressed only that far). For estimates before the data is loaded;
/// `load_pair` reports a bad file properly.
pub fn peek_dims(spec: &str, base_dir: &Path) -> Option<Vec<usize>> {
    if let Some(b) = spec.strip_prefix("builtin:") {
        // Inflated once per process (sweeps check thousands of points).
        static DIMS: std::sync::OnceLock<Vec<Option<Vec<usize>>>> = std::sync::OnceLock::new();
        let dims = DIMS.get_or_init(|| BUILTIN.iter().map(|(_, b)| header_dims(*b)).collect());
        let k = BUILTIN.iter().position(|(n, _)| *n == b)?;
        return dims[k].clone();
    }
    header_dims(std::fs::File::open(base_dir.join(spec)).ok()?)
}

/// The dimensions in the IDX header at the start of `raw` (gzip or not).
fn header_dims(raw: impl Read) -> Option<Vec<usize>> {
    let mut head = [0u8; 20];
    let mut raw = std::io::BufReader::new(raw);
    let gz = std::io::BufRead::fill_buf(&mut raw)
        .ok()
        .is_some_and(|b| b.len() >= 2 && b[0] == 0x1f && b[1] == 0x8b);
    let (mut inflated, mut plain);
    let r: &mut dyn Read = if gz {
        inflated = flate2::read::MultiGzDecoder::new(raw);
        &mut inflated
    } else {
        plain = raw;
        &mut plain
    };
    r.read_exact(&mut head[..4]).ok()?;
    let nd = head[3] as usize;
    if head[..3] != [0, 0, 8] || !(1..=4).contains(&nd) {
        return None;
    }
    r.read_exact(&mut head[4..4 + 4 * nd]).ok()?;
    Some(
        (0..nd)
            .map(|k| u32::from_be_bytes(head[4 + 4 * k..8 + 4 * k].try_into().unwrap()) as usize)
            .collect(),
    )
}

/// Encode images and labels as IDX bytes (used by tests and tools).
pub fn to_idx(set: &ImageSet) -> (Vec<u8>, Vec<u8>) {
    let mut im = vec![0, 0, 8, 3];
    for d in [set.len(), set.rows, set.cols] {
        im.extend_from_slice(&(d as u32).to_be_bytes());
    }
    im.extend_from_slice(&set.pixels);
    let mut lb = vec![0, 0, 8, 1];
    lb.extend_from_slice(&(set.len() as u32).to_be_bytes());
    lb.extend_from_slice(&set.labels);
    (im, lb)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> ImageSet {
        ImageSet {
            rows: 2,
            cols: 3,
            pixels: (0..12).collect(),
            labels: vec![3, 7],
            images_name: "tiny-images".into(),
            labels_name: "tiny-labels".into(),
        }
    }

    #[test]
    fn idx_round_trip_raw_and_gz() {
        let dir = tempfile::tempdir().unwrap();
        let (im, lb) = to_idx(&tiny());
        std::fs::write(dir.path().join("i"), &im).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, &lb).unwrap();
        std::fs::write(dir.path().join("l.gz"), gz.finish().unwrap()).unwrap();
        let s = load_pair("i", "l.gz", dir.path()).unwrap();
        assert_eq!((s.rows, s.cols, s.len()), (2, 3, 2));
        assert_eq!(peek_dims("i", dir.path()), Some(vec![2, 2, 3]));
        assert_eq!(peek_dims("l.gz", dir.path()), Some(vec![2]));
        let b = "builtin:mnist-sample/test-images";
        assert_eq!(peek_dims(b, dir.path()), Some(vec![200, 28, 28]));
        assert_eq!(peek_dims("nope", dir.path()), None);
        assert_eq!(s.image(1), &[6, 7, 8, 9, 10, 11]);
        assert_eq!(s.labels, vec![3, 7]);
    }

    #[test]
    fn truncated_and_bad_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let (im, lb) = to_idx(&tiny());
        std::fs::write(dir.path().join("i"), &im[..im.len() - 1]).unwrap();
        std::fs::write(dir.path().join("l"), &lb).unwrap();
        let e = format!("{:#}", load_pair("i", "l", dir.path()).unwrap_err());
        assert!(e.contains("truncated") && e.contains("i"), "{e}");
        std::fs::write(dir.path().join("i"), [1u8, 2, 3, 4, 5]).unwrap();
        let e = format!("{:#}", load_pair("i", "l", dir.path()).unwrap_err());
        assert!(e.contains("bad IDX magic"), "{e}");
        let mut lb3 = lb.clone();
        lb3[7] = 3;
        lb3.push(0);
        std::fs::write(dir.path().join("i"), &im).unwrap();
        std::fs::write(dir.path().join("l"), &lb3).unwrap();
        let e = format!("{:#}", load_pair("i", "l", dir.path()).unwrap_err());
        assert!(e.contains("count mismatch"), "{e}");
        let e = load_pair("nope", "l", dir.path()).unwrap_err();
        assert!(crate::error::is_input_error(&e));
        // Inflating or raw beyond the bound: refused without reading on.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, &vec![0u8; 1 << 20]).unwrap();
        std::fs::write(dir.path().join("bomb.gz"), gz.finish().unwrap()).unwrap();
        let e = read_bytes_at_most("bomb.gz", dir.path(), 1000).unwrap_err();
        let msg = format!("{e:#}");
        assert!(
            msg.contains("bomb.gz") && msg.contains("1000 bytes"),
            "{msg}"
        );
        assert!(read_bytes_at_most("i", dir.path(), 10).is_err());
        assert!(read_bytes_at_most("i", dir.path(), 1000).is_ok());
    }

    #[test]
    fn builtin_sample_loads() {
        let s = load_pair(
            "builtin:mnist-sample/train-images",
            "builtin:mnist-sample/train-labels",
            Path::new("."),
        )
        .unwrap();
        assert_eq!((s.len(), s.rows, s.cols), (1000, 28, 28));
        let t = load_pair(
            "builtin:mnist-sample/test-images",
            "builtin:mnist-sample/test-labels",
            Path::new("."),
        )
        .unwrap();
        assert_eq!(t.len(), 200);
        // Every class appears in the sample.
        for c in 0..10u8 {
            assert!(s.labels.contains(&c));
        }
    }
}
