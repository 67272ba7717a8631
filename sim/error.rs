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

/// Longest line of an error message as printed; a longer line (a whole TOML line or a
/// `--set` value of 100 kB quoted by a parser) is cut, saying how long it was.
pub const MAX_MESSAGE_LINE_CHARS: usize = 2000;

/// `msg` with every line longer than [`MAX_MESSAGE_LINE_CHARS`] cut.
pub fn bounded_message(msg: &str) -> String {
    msg.lines()
        .map(|l| match l.char_indices().nth(MAX_MESSAGE_LINE_CHARS) {
            Some((at, _)) => format!("{}... ({} bytes)", &l[..at], l.len()),
            None => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_cut_and_short_ones_kept() {
        let long = "é".repeat(100_000);
        let m = bounded_message(&format!("error: bad\n{long}\nend"));
        let lines: Vec<&str> = m.lines().collect();
        assert_eq!(lines[0], "error: bad");
        assert_eq!(lines[2], "end");
        assert!(
            lines[1].ends_with("... (200000 bytes)"),
            "{}",
            &lines[1][600..]
        );
        assert_eq!(
            lines[1].chars().count(),
            MAX_MESSAGE_LINE_CHARS + "... (200000 bytes)".len()
        );
    }
}
