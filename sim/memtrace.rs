//! Memory-trace readers (Ramulator 2, Ramulator 1, DRAMsim3) and synthetic request
//! generators for `spikemem dram`.
//!
//! Formats, one request per line (blank lines and lines starting with `#` skipped):
//! - Ramulator 2 (`ramulator`):  `LD 0x<addr>` or `ST 0x<addr>`
//! - Ramulator 1 (`ramulator1`): `0x<addr> R` or `0x<addr> W`
//! - DRAMsim3 (`dramsim3`):      `0x<addr> READ|WRITE <cycle>` (the earliest cycle to offer it)
//!
//! Addresses are hex with `0x` or decimal.

use crate::cli::{SyntheticKind, TraceFormat};
use crate::error::input_error;
use anyhow::Result;
use spikemem_arch::dram::ReqKind;
use spikemem_arch::rng::Rng;
use std::io::BufRead;
use std::path::Path;

/// One request of a trace: address, kind and (DRAMsim3) the earliest cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceRequest {
    pub addr: u64,
    pub kind: ReqKind,
    pub cycle: u64,
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
    let toks: Vec<&str> = line.split_whitespace().collect();
    let bad_addr = |t: &str| format!("bad address `{t}` (expected 0x<hex> or decimal)");
    let (addr_tok, kind_tok, cycle_tok, want) = match format {
        TraceFormat::Ramulator => (toks.get(1), toks.first(), None, "`LD|ST 0x<addr>`"),
        TraceFormat::Ramulator1 => (toks.first(), toks.get(1), None, "`0x<addr> R|W`"),
        TraceFormat::Dramsim3 => (
            toks.first(),
            toks.get(1),
            toks.get(2),
            "`0x<addr> READ|WRITE <cycle>`",
        ),
    };
    let n_expected = if format == TraceFormat::Dramsim3 {
        3
    } else {
        2
    };
    if toks.len() != n_expected {
        return Err(format!("expected {want}, found {} fields", toks.len()));
    }
    let addr = parse_addr(addr_tok.unwrap()).ok_or_else(|| bad_addr(addr_tok.unwrap()))?;
    let k = kind_tok.unwrap();
    let kind = match (format, k.to_ascii_uppercase().as_str()) {
        (TraceFormat::Ramulator, "LD") => ReqKind::Read,
        (TraceFormat::Ramulator, "ST") => ReqKind::Write,
        (TraceFormat::Ramulator1, "R") => ReqKind::Read,
        (TraceFormat::Ramulator1, "W") => ReqKind::Write,
        (TraceFormat::Dramsim3, "READ") => ReqKind::Read,
        (TraceFormat::Dramsim3, "WRITE") => ReqKind::Write,
        _ => return Err(format!("bad request kind `{k}`: expected {want}")),
    };
    let cycle = match cycle_tok {
        Some(t) => t
            .parse::<u64>()
            .map_err(|_| format!("bad cycle `{t}` (expected a non-negative integer)"))?,
        None => 0,
    };
    Ok(Some(TraceRequest { addr, kind, cycle }))
}

/// Read a whole trace file; an error names the file and the 1-based line.
pub fn read_trace(path: &Path, format: TraceFormat) -> Result<Vec<TraceRequest>> {
    let f = std::fs::File::open(path)
        .map_err(|e| input_error(format!("{}: cannot open trace: {e}", path.display())))?;
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line
            .map_err(|e| input_error(format!("{}:{}: cannot read: {e}", path.display(), i + 1)))?;
        match parse_line(format, &line) {
            Ok(Some(r)) => out.push(r),
            Ok(None) => {}
            Err(msg) => {
                return Err(input_error(format!(
                    "{}:{}: {msg} (trace format {:?}; choose another with --trace-format)",
                    path.display(),
                    i + 1,
                    format
                )))
            }
        }
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

/// Generate the stream (deterministic for a seed).
pub fn synthetic(spec: &SyntheticSpec) -> Vec<TraceRequest> {
    let mut rng = Rng::new(spec.seed);
    let bursts = (spec.capacity_bytes / spec.burst_bytes).max(1);
    (0..spec.requests)
        .map(|i| {
            let addr = match spec.kind {
                SyntheticKind::Stream => (i * spec.burst_bytes) % spec.capacity_bytes,
                SyntheticKind::Random => rng.below(bursts) * spec.burst_bytes,
                SyntheticKind::Strided => (i.wrapping_mul(spec.stride_bytes)) % spec.capacity_bytes,
            };
            let kind = if spec.write_fraction > 0.0 && rng.bernoulli(spec.write_fraction) {
                ReqKind::Write
            } else {
                ReqKind::Read
            };
            TraceRequest {
                addr,
                kind,
                cycle: 0,
            }
        })
        .collect()
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
