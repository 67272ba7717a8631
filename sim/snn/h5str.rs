//! String attributes of model files as fixed-length UTF-8, never variable-length.
//!
//! A variable-length string lives in the file's global heap, the one metadata structure
//! the HDF5 1.10 format does not checksum: a damaged global heap made libhdf5 loop
//! forever or crash while reading a model (found by the fuzz harness). A fixed-length
//! string is stored in the attribute message itself, inside a checksummed object
//! header, so a damaged one is refused by libhdf5 with an error. Reading accepts both
//! kinds, so models written by other tools (h5py writes variable-length strings by
//! default) load as before.

use hdf5::types::{TypeDescriptor, VarLenUnicode};
use hdf5::Location;

/// Writes attribute `name` of `loc` as a fixed-length UTF-8 string of `s.len()` bytes
/// (at least 1, null-padded).
pub fn write(loc: &Location, name: &str, s: &str) -> hdf5::Result<()> {
    let len = s.len().max(1);
    let attr = loc
        .new_attr_builder()
        .empty_as(TypeDescriptor::FixedUnicode(len))
        .create(name)?;
    let mut buf = s.as_bytes().to_vec();
    buf.resize(len, 0);
    let dtype = attr.dtype()?;
    // SAFETY: `buf` holds exactly the `len` bytes the attribute's type declares, and
    // the memory type is the attribute's own file type (no conversion).
    let rc = hdf5::sync::sync(|| unsafe {
        hdf5_sys::h5a::H5Awrite(attr.id(), dtype.id(), buf.as_ptr().cast())
    });
    if rc < 0 {
        return Err(hdf5::Error::from(format!(
            "writing string attribute {name}"
        )));
    }
    Ok(())
}

/// Reads string attribute `name` of `loc`, fixed- or variable-length, ASCII or UTF-8
/// (trailing null padding removed).
pub fn read(loc: &Location, name: &str) -> hdf5::Result<String> {
    let attr = loc.attr(name)?;
    let dtype = attr.dtype()?;
    match dtype.to_descriptor()? {
        TypeDescriptor::FixedAscii(len) | TypeDescriptor::FixedUnicode(len) => {
            if attr.size() != 1 {
                return Err(hdf5::Error::from(format!(
                    "attribute {name} holds {} strings, expected one",
                    attr.size()
                )));
            }
            let mut buf = vec![0u8; len];
            // SAFETY: one element of `len` bytes, read in the attribute's own type.
            let rc = hdf5::sync::sync(|| unsafe {
                hdf5_sys::h5a::H5Aread(attr.id(), dtype.id(), buf.as_mut_ptr().cast())
            });
            if rc < 0 {
                return Err(hdf5::Error::from(format!(
                    "reading string attribute {name}"
                )));
            }
            let end = buf.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
            buf.truncate(end);
            String::from_utf8(buf)
                .map_err(|e| hdf5::Error::from(format!("attribute {name} is not UTF-8: {e}")))
        }
        TypeDescriptor::VarLenAscii | TypeDescriptor::VarLenUnicode => {
            Ok(attr.read_scalar::<VarLenUnicode>()?.as_str().to_string())
        }
        other => Err(hdf5::Error::from(format!(
            "attribute {name} is {other}, expected a string"
        ))),
    }
}
