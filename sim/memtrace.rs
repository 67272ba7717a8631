//! Memory-trace readers (Ramulator 2, Ramulator 1, DRAMsim3) and synthetic request
//! generators for `spikemem dram`.
//!
//! Formats, one request per line (blank lines and lines starting with `#` skipped):
//! - Ramulator 2 (`ramulator`):  `LD 0x<addr>` or `ST 0x<addr>`
//! - Ramulator 1 (`ramulator1`): `0x<addr> R` or `0x<addr> W`
//! - DRAMsim3 (`dramsim3`):      `0x<addr> READ|WRITE <cycle>` (the earliest cycle to offer it)
//!
//! Addresses are hex with `0x` or decimal.
//!
//! Both sources stream: [`TraceReader`] reads one line at a time and [`Synthetic`]
//! makes one request at a time, so memory does not grow with the number of requests.
//! Input bounds (each violation is an input error naming the file and line):
//! - a line holds at most [`MAX_LINE_BYTES`] bytes (a file without newlines, such as
//!   `/dev/zero`, is refused at its first line instead of filling memory);
//! - a DRAMsim3 cycle is at most [`MAX_TRACE_CYCLE`];
//! - a token echoed in an error is cut to [`ECHO_CHARS`] characters.

use crate::cli::{SyntheticKind, TraceFormat};
use crate::error::input_error;
use anyhow::Result;
use spikemem_arch::dram::ReqKind;
use spikemem_arch::rng::Rng;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// Longest accepted trace line, in bytes (without its newline).
pub const MAX_LINE_BYTES: usize = 4096;
/// Latest accepted DRAMsim3 request cycle: 2^40 DRAM cycles (about 15 minutes of
/// DDR4-2400 time). Every cycle x tCK_ps (tCK_ps <= 10^5, the standard's bound) then
/// fits u64 picoseconds with room to spare (< 2^57), and idle time up to it is booked
/// in closed form by the controller (O(1) per idle span).
pub const MAX_TRACE_CYCLE: u64 = 1 << 40;
/// Characters of a bad token echoed in an error message.
pub const ECHO_CHARS: usize = 40;

/// One request of a trace: address, kind and (DRAMsim3) the earliest cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceRequest {
    pub addr: u64,
    pub kind: ReqKind,
    pub cycle: u64,
}

/// `tok` for an error message: whole when short, else its first [`ECHO_CHARS`]
/// characters and its length.
pub fn echo(tok: &str) -> String {
    match tok.char_indices().nth(ECHO_CHARS) {
        None => tok.to_string(),
        Some((cut, _)) => format!("{}... ({} bytes)", &tok[..cut], tok.len()),
    }
}

fn parse_addr(tok: &str) -> Option<u64> {
    if let Some(h) = tok.strip_prefix("0x").or_else(|| tok.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else {
        tok.parse().ok()
    }
}

/// Parse one line; Ok(None) for blank and comment lines. Errors say what was expected.
pub fn parse_line(format: TraceFormat, line: &str) -> Result<Option<TraceRequest>, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let want = match format {
        TraceFormat::Ramulator => "`LD|ST 0x<addr>`",
        TraceFormat::Ramulator1 => "`0x<addr> R|W`",
        TraceFormat::Dramsim3 => "`0x<addr> READ|WRITE <cycle>`",
    };
    let n_expected = if format == TraceFormat::Dramsim3 {
        3
    } else {
        2
    };
    // The fields without collecting them (no allocation per line).
    let mut toks = line.split_whitespace();
    let mut f = [""; 3];
    let mut n = 0;
    for t in toks.by_ref() {
        if n < 3 {
            f[n] = t;
        }
        n += 1;
        if n > 3 {
            break;
        }
    }
    if n != n_expected {
        let found = if n > 3 {
            "more than 3".to_string()
        } else {
            n.to_string()
        };
        return Err(format!("expected {want}, found {found} fields"));
    }
    let (addr_tok, kind_tok, cycle_tok) = match format {
        TraceFormat::Ramulator => (f[1], f[0], None),
        TraceFormat::Ramulator1 => (f[0], f[1], None),
        TraceFormat::Dramsim3 => (f[0], f[1], Some(f[2])),
    };
    let addr = parse_addr(addr_tok).ok_or_else(|| {
        format!(
            "bad address `{}` (expected 0x<hex> or decimal, at most 64 bits)",
            echo(addr_tok)
        )
    })?;
    let kind = match (format, kind_tok.to_ascii_uppercase().as_str()) {
        (TraceFormat::Ramulator, "LD") => ReqKind::Read,
        (TraceFormat::Ramulator, "ST") => ReqKind::Write,
        (TraceFormat::Ramulator1, "R") => ReqKind::Read,
        (TraceFormat::Ramulator1, "W") => ReqKind::Write,
        (TraceFormat::Dramsim3, "READ") => ReqKind::Read,
        (TraceFormat::Dramsim3, "WRITE") => ReqKind::Write,
        _ => {
            return Err(format!(
                "bad request kind `{}`: expected {want}",
                echo(kind_tok)
            ))
        }
    };
    let cycle = match cycle_tok {
        Some(t) => match t.parse::<u64>() {
            Ok(c) if c <= MAX_TRACE_CYCLE => c,
            _ => {
                return Err(format!(
                    "bad cycle `{}` (expected an integer in 0..={MAX_TRACE_CYCLE})",
                    echo(t)
                ))
            }
        },
        None => 0,
    };
    Ok(Some(TraceRequest { addr, kind, cycle }))
}

/// A text file read one line at a time, each line at most [`MAX_LINE_BYTES`] bytes: the
/// memory traces here and `spikemem check`'s command traces. An error names the file
/// and the 1-based line.
pub struct LineReader<R> {
    input: BufReader<R>,
    path: PathBuf,
    line_no: u64,
    buf: Vec<u8>,
}

impl<R: Read> LineReader<R> {
    pub fn new(input: R, path: &Path) -> Self {
        LineReader {
            input: BufReader::with_capacity(1 << 16, input),
            path: path.to_owned(),
            line_no: 0,
            buf: Vec::with_capacity(256),
        }
    }

    /// The 1-based number of the line last read.
    pub fn line_no(&self) -> u64 {
        self.line_no
    }

    /// An input error at the line last read.
    pub fn error(&self, msg: impl std::fmt::Display) -> anyhow::Error {
        input_error(format!("{}:{}: {msg}", self.path.display(), self.line_no))
    }

    /// The next line (without its newline); None at the end. Reads at most
    /// `MAX_LINE_BYTES` + 1 bytes of a line before refusing it.
    pub fn next_line(&mut self) -> Result<Option<&str>> {
        self.buf.clear();
        self.line_no += 1;
        loop {
            let chunk = match self.input.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.error(format_args!("cannot read: {e}"))),
            };
            if chunk.is_empty() {
                if self.buf.is_empty() {
                    return Ok(None);
                }
                break;
            }
            let (take, end) = match memchr(chunk) {
                Some(i) => (i, true),
                None => (chunk.len(), false),
            };
            let room = MAX_LINE_BYTES + 1 - self.buf.len();
            self.buf.extend_from_slice(&chunk[..take.min(room)]);
            self.input.consume(if end { take + 1 } else { take });
            if self.buf.len() > MAX_LINE_BYTES {
                return Err(self.error(format_args!(
                    "line longer than {MAX_LINE_BYTES} bytes (a trace has one request per line)"
                )));
            }
            if end {
                break;
            }
        }
        match std::str::from_utf8(&self.buf) {
            Ok(l) => Ok(Some(l)),
            Err(_) => Err(self.error("not UTF-8 text")),
        }
    }
}

/// A memory-trace file read one line at a time. An error names the file and the
/// 1-based line.
pub struct TraceReader<R> {
    lines: LineReader<R>,
    format: TraceFormat,
}

impl TraceReader<std::fs::File> {
    pub fn open(path: &Path, format: TraceFormat) -> Result<Self> {
        let f = std::fs::File::open(path)
            .map_err(|e| input_error(format!("{}: cannot open trace: {e}", path.display())))?;
        Ok(TraceReader::new(f, path, format))
    }
}

impl<R: Read> TraceReader<R> {
    pub fn new(input: R, path: &Path, format: TraceFormat) -> Self {
        TraceReader {
            lines: LineReader::new(input, path),
            format,
        }
    }

    /// The next request; None at the end of the file.
    pub fn next_request(&mut self) -> Result<Option<TraceRequest>> {
        let format = self.format;
        while let Some(line) = self.lines.next_line()? {
            match parse_line(format, line) {
                Ok(Some(r)) => return Ok(Some(r)),
                Ok(None) => {}
                Err(msg) => {
                    return Err(self.lines.error(format_args!(
                        "{msg} (trace format {format:?}; choose another with --trace-format)"
                    )))
                }
            }
        }
        Ok(None)
    }
}

/// Position of the first newline.
#[inline]
fn memchr(s: &[u8]) -> Option<usize> {
    s.iter().position(|&b| b == b'\n')
}

/// Read a whole trace file (tests and small tools; `spikemem dram` streams with
/// [`TraceReader`]).
pub fn read_trace(path: &Path, format: TraceFormat) -> Result<Vec<TraceRequest>> {
    let mut r = TraceReader::open(path, format)?;
    let mut out = Vec::new();
    while let Some(req) = r.next_request()? {
        out.push(req);
    }
    Ok(out)
}

/// Parameters of a synthetic request stream.
#[derive(Clone, Copy, Debug)]
pub struct SyntheticSpec {
    pub kind: SyntheticKind,
    pub requests: u64,
    pub seed: u64,
    /// Stride in bytes (strided only).
    pub stride_bytes: u64,
    pub write_fraction: f64,
    /// Addresses stay below this (the memory's capacity).
    pub capacity_bytes: u64,
    /// Bytes per request (one burst): stream steps by it, random aligns to it.
    pub burst_bytes: u64,
}

/// The synthetic stream, one request at a time (deterministic for a seed).
pub struct Synthetic {
    spec: SyntheticSpec,
    rng: Rng,
    bursts: u64,
    i: u64,
}

impl Synthetic {
    pub fn new(spec: &SyntheticSpec) -> Self {
        Synthetic {
            spec: *spec,
            rng: Rng::new(spec.seed),
            bursts: (spec.capacity_bytes / spec.burst_bytes).max(1),
            i: 0,
        }
    }
}

impl Iterator for Synthetic {
    type Item = TraceRequest;
    #[inline]
    fn next(&mut self) -> Option<TraceRequest> {
        let spec = &self.spec;
        if self.i >= spec.requests {
            return None;
        }
        let i = self.i;
        self.i += 1;
        let addr = match spec.kind {
            SyntheticKind::Stream => i.wrapping_mul(spec.burst_bytes) % spec.capacity_bytes,
            SyntheticKind::Random => self.rng.below(self.bursts) * spec.burst_bytes,
            SyntheticKind::Strided => i.wrapping_mul(spec.stride_bytes) % spec.capacity_bytes,
        };
        let kind = if spec.write_fraction > 0.0 && self.rng.bernoulli(spec.write_fraction) {
            ReqKind::Write
        } else {
            ReqKind::Read
        };
        Some(TraceRequest {
            addr,
            kind,
            cycle: 0,
        })
    }
}

/// Generate the whole stream (the benchmarks pre-build theirs).
pub fn synthetic(spec: &SyntheticSpec) -> Vec<TraceRequest> {
    Synthetic::new(spec).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_format() {
        let r = parse_line(TraceFormat::Ramulator, "LD 0x40")
            .unwrap()
            .unwrap();
        assert_eq!((r.addr, r.kind, r.cycle), (0x40, ReqKind::Read, 0));
        let r = parse_line(TraceFormat::Ramulator, "ST 128")
            .unwrap()
            .unwrap();
        assert_eq!((r.addr, r.kind), (128, ReqKind::Write));
        let r = parse_line(TraceFormat::Ramulator1, "0xABC W")
            .unwrap()
            .unwrap();
        assert_eq!((r.addr, r.kind), (0xABC, ReqKind::Write));
        let r = parse_line(TraceFormat::Dramsim3, "0x1f READ 17")
            .unwrap()
            .unwrap();
        assert_eq!((r.addr, r.kind, r.cycle), (0x1f, ReqKind::Read, 17));
        assert_eq!(
            parse_line(TraceFormat::Dramsim3, "  # comment").unwrap(),
            None
        );
        assert_eq!(parse_line(TraceFormat::Dramsim3, "").unwrap(), None);
    }

    #[test]
    fn rejects_malformed_lines() {
        assert!(parse_line(TraceFormat::Ramulator, "LD").is_err());
        assert!(parse_line(TraceFormat::Ramulator, "XX 0x10")
            .unwrap_err()
            .contains("LD|ST"));
        assert!(parse_line(TraceFormat::Ramulator1, "0xZZ R")
            .unwrap_err()
            .contains("bad address"));
        assert!(parse_line(TraceFormat::Dramsim3, "0x10 READ -3")
            .unwrap_err()
            .contains("cycle"));
    }

    #[test]
    fn file_errors_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.trace");
        std::fs::write(&p, "LD 0x0\nST 0x40\nLD nope\n").unwrap();
        let e = read_trace(&p, TraceFormat::Ramulator).unwrap_err();
        let msg = format!("{e:#}");
        assert!(msg.contains("t.trace:3") && msg.contains("nope"), "{msg}");
        assert!(crate::error::is_input_error(&e));
        let e = read_trace(&dir.path().join("missing"), TraceFormat::Ramulator).unwrap_err();
        assert!(format!("{e:#}").contains("missing"));
    }

    #[test]
    fn bad_tokens_are_echoed_cut() {
        let long = format!("0x{}", "z".repeat(10_000));
        let e = parse_line(TraceFormat::Ramulator, &format!("LD {long}")).unwrap_err();
        assert!(
            e.contains(&format!("`0x{}... (10002 bytes)`", "z".repeat(38))),
            "{e}"
        );
        assert!(e.len() < 200, "{e}");
        let e =
            parse_line(TraceFormat::Dramsim3, &format!("0x0 {} 3", "Q".repeat(500))).unwrap_err();
        assert!(e.contains("(500 bytes)") && e.len() < 200, "{e}");
        assert_eq!(echo("short"), "short");
        // (Cut on a character boundary.)
        assert_eq!(
            echo(&"é".repeat(41)),
            format!("{}... (82 bytes)", "é".repeat(40))
        );
    }

    #[test]
    fn cycles_and_lines_are_bounded() {
        let r = parse_line(
            TraceFormat::Dramsim3,
            &format!("0x40 READ {MAX_TRACE_CYCLE}"),
        );
        assert_eq!(r.unwrap().unwrap().cycle, MAX_TRACE_CYCLE);
        for c in [MAX_TRACE_CYCLE + 1, u64::MAX] {
            let e = parse_line(TraceFormat::Dramsim3, &format!("0x40 READ {c}")).unwrap_err();
            assert!(e.contains("0..=1099511627776"), "{e}");
        }
        // A line of exactly MAX_LINE_BYTES is read; one byte more is refused, and only
        // about that much is read of it.
        let ok = format!("LD {:0>width$}\n", 64, width = MAX_LINE_BYTES - 3);
        let long = format!("LD {:0>width$}\n", 64, width = MAX_LINE_BYTES - 2);
        let both = ok + &long;
        let mut r = TraceReader::new(both.as_bytes(), Path::new("t"), TraceFormat::Ramulator);
        assert_eq!(r.next_request().unwrap().unwrap().addr, 64);
        let e = format!("{:#}", r.next_request().unwrap_err());
        assert!(
            e.contains("t:2") && e.contains("longer than 4096 bytes"),
            "{e}"
        );
        let zeros = std::io::repeat(0).take(1 << 30);
        let e = format!(
            "{:#}",
            TraceReader::new(zeros, Path::new("z"), TraceFormat::Ramulator)
                .next_request()
                .unwrap_err()
        );
        assert!(e.contains("z:1"), "{e}");
        // Last line without a newline, CRLF, blank and comment lines.
        let text = "LD 0x1\r\n\n# c\nST 0x2";
        let mut r = TraceReader::new(text.as_bytes(), Path::new("t"), TraceFormat::Ramulator);
        assert_eq!(r.next_request().unwrap().unwrap().addr, 1);
        assert_eq!(r.next_request().unwrap().unwrap().kind, ReqKind::Write);
        assert!(r.next_request().unwrap().is_none());
    }

    #[test]
    fn synthetic_streams() {
        let spec = SyntheticSpec {
            kind: SyntheticKind::Stream,
            requests: 5,
            seed: 3,
            stride_bytes: 4096,
            write_fraction: 0.0,
            capacity_bytes: 1 << 20,
            burst_bytes: 64,
        };
        let s: Vec<u64> = synthetic(&spec).iter().map(|r| r.addr).collect();
        assert_eq!(s, vec![0, 64, 128, 192, 256]);
        let st = synthetic(&SyntheticSpec {
            kind: SyntheticKind::Strided,
            ..spec
        });
        assert_eq!(st[2].addr, 8192);
        let r1 = synthetic(&SyntheticSpec {
            kind: SyntheticKind::Random,
            requests: 1000,
            ..spec
        });
        let r2 = synthetic(&SyntheticSpec {
            kind: SyntheticKind::Random,
            requests: 1000,
            ..spec
        });
        assert_eq!(r1, r2);
        assert!(r1.iter().all(|r| r.addr % 64 == 0 && r.addr < 1 << 20));
        let w = synthetic(&SyntheticSpec {
            write_fraction: 0.5,
            requests: 10_000,
            ..spec
        });
        let writes = w.iter().filter(|r| r.kind == ReqKind::Write).count();
        assert!((4700..5300).contains(&writes), "{writes}");
    }
}
