//! DRAM statistics. Every request is counted once: as a row hit, miss or conflict by
//! its bank's state when its first command is chosen, and its latency when it
//! completes (never per rejected attempt).

use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct BankStats {
    pub channel: u32,
    pub rank: u32,
    pub bank_group: u32,
    pub bank: u32,
    pub row_hits: u64,
    pub row_misses: u64,
    pub row_conflicts: u64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct DramStats {
    /// DRAM command-clock cycles simulated (the last `advance_to` cycle).
    pub cycles: u64,
    /// Requests accepted.
    pub requests: u64,
    /// Requests completed, by kind.
    pub reads: u64,
    pub writes: u64,
    pub row_hits: u64,
    /// The bank (MASA: the subarray) was precharged.
    pub row_misses: u64,
    /// Another row was open.
    pub row_conflicts: u64,
    /// Enqueue to last data beat.
    pub avg_read_latency_cycles: f64,
    pub read_latency_p50_cycles: u64,
    pub read_latency_p90_cycles: u64,
    pub read_latency_p99_cycles: u64,
    pub read_latency_max_cycles: u64,
    /// Enqueue to the last write data beat sent.
    pub avg_write_latency_cycles: f64,
    /// Bytes moved by completed requests.
    pub bytes_transferred: u64,
    /// Issued commands by name (PRE counts explicit precharges only).
    pub commands: BTreeMap<String, u64>,
    pub per_bank: Vec<BankStats>,
}

pub use super::histogram::Histogram;
