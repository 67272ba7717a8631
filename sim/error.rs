//! Error kinds the CLI maps to exit codes: bad input (2) versus a failed run (1).

use std::fmt;

/// A user-input problem: a malformed or out-of-range config, trace or data file.
/// The message names the file, the key or line, and what is accepted.
#[derive(Debug)]
pub struct InputError(pub String);

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

/// Shorthand: an `anyhow::Error` carrying an [`InputError`].
pub fn input_error(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(InputError(msg.into()))
}

/// True when any error in the chain is bad input.
pub fn is_input_error(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.is::<InputError>())
}

/// Check before any work that an output file can be created where asked: its directory
/// exists. (A long run must not fail only at its end.)
pub fn check_output_path(path: &std::path::Path, what: &str) -> anyhow::Result<()> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.is_dir() => Err(input_error(format!(
            "{what} {}: directory {} does not exist",
            path.display(),
            dir.display()
        ))),
        _ => Ok(()),
    }
}
