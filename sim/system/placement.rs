//! Placement: where each burst of a projection's encoded synapse data lives in DRAM.
//!
//! A projection's encoding is a linear space of bytes; it is cut into bursts (one DRAM
//! request each) and every burst gets a physical address:
//! - `naive`: contiguous physical addresses from a base; where consecutive bursts land
//!   (same row, other banks, other channels) is whatever `dram.mapping` makes of them.
//! - `drmap`: the DRMap order, independent of the address mapping: fill one DRAM row's
//!   columns first (row-buffer hits), then the same row in the other banks, bank groups,
//!   ranks and channels (parallelism), then other subarrays, then new rows.

use serde::{Deserialize, Serialize};
use spikemem_arch::dram::mapping::AddressMapper;
use spikemem_arch::dram::{DramAddr, Standard};
use std::collections::HashSet;

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PlacementPolicy {
    Naive,
    Drmap,
}

/// The burst addresses of one placed region, and a report of how it is spread.
#[derive(Clone, Debug)]
pub struct Placement {
    pub policy: PlacementPolicy,
    pub burst_bytes: u64,
    /// Physical address of each burst, in the region's byte order.
    pub burst_addr: Vec<u64>,
}

/// How a placed region spreads over the DRAM (reported in summaries).
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct LayoutReport {
    pub policy: String,
    pub bytes: u64,
    pub bursts: u64,
    pub dram_rows_touched: u64,
    pub banks_touched: u64,
    pub channels_touched: u64,
    pub subarrays_touched: u64,
}

/// Geometry the DRMap order walks over.
struct Geometry {
    channels: u32,
    ranks: u32,
    bank_groups: u32,
    banks: u32,
    subarrays: u32,
    rows_per_subarray: u32,
    bursts_per_row: u32,
    columns_per_burst: u32,
}

impl Placement {
    /// Place `bytes` of data starting at the `start_burst`-th burst of the policy's order
    /// (so several regions can be placed one after another without overlap).
    pub fn new(
        policy: PlacementPolicy,
        bytes: u64,
        start_burst: u64,
        mapper: &AddressMapper,
        std: &Standard,
        channels: u32,
        ranks: u32,
    ) -> Result<Placement, String> {
        let burst_bytes = mapper.burst_bytes();
        let n = bytes.div_ceil(burst_bytes);
        let capacity_bursts = mapper.capacity_bytes() / burst_bytes;
        if start_burst + n > capacity_bursts {
            return Err(format!(
                "synapse data of {} bytes does not fit in DRAM ({} bytes)",
                (start_burst + n) * burst_bytes,
                mapper.capacity_bytes()
            ));
        }
        let o = &std.organization;
        let g = Geometry {
            channels,
            ranks,
            bank_groups: o.bank_groups,
            banks: o.banks_per_group,
            subarrays: o.subarrays_per_bank,
            rows_per_subarray: o.rows_per_subarray(),
            bursts_per_row: o.columns / o.columns_per_burst(),
            columns_per_burst: o.columns_per_burst(),
        };
        let burst_addr = (start_burst..start_burst + n)
            .map(|k| match policy {
                PlacementPolicy::Naive => k * burst_bytes,
                PlacementPolicy::Drmap => mapper.encode(&drmap_addr(&g, k)),
            })
            .collect();
        Ok(Placement {
            policy,
            burst_bytes,
            burst_addr,
        })
    }

    /// Burst index holding byte `offset` of the region.
    #[inline]
    pub fn burst_of_byte(&self, offset: u64) -> usize {
        (offset / self.burst_bytes) as usize
    }

    pub fn report(&self, mapper: &AddressMapper) -> LayoutReport {
        let mut rows = HashSet::new();
        let mut banks = HashSet::new();
        let mut chans = HashSet::new();
        let mut subs = HashSet::new();
        for &a in &self.burst_addr {
            let d = mapper.decode(a);
            let bank = (d.channel, d.rank, d.bank_group, d.bank);
            rows.insert((bank, d.row));
            banks.insert(bank);
            chans.insert(d.channel);
            subs.insert((bank, d.subarray));
        }
        LayoutReport {
            policy: format!("{:?}", self.policy).to_lowercase(),
            bytes: self.burst_addr.len() as u64 * self.burst_bytes,
            bursts: self.burst_addr.len() as u64,
            dram_rows_touched: rows.len() as u64,
            banks_touched: banks.len() as u64,
            channels_touched: chans.len() as u64,
            subarrays_touched: subs.len() as u64,
        }
    }
}

/// The k-th location of the DRMap order (innermost first): burst within a row, channel,
/// bank group, bank, rank, subarray, row within the subarray.
fn drmap_addr(g: &Geometry, k: u64) -> DramAddr {
    let mut k = k;
    let mut take = |n: u32| {
        let v = (k % n as u64) as u32;
        k /= n as u64;
        v
    };
    let burst = take(g.bursts_per_row);
    let channel = take(g.channels);
    let bank_group = take(g.bank_groups);
    let bank = take(g.banks);
    let rank = take(g.ranks);
    let subarray = take(g.subarrays);
    let row_in_sa = take(g.rows_per_subarray);
    DramAddr {
        channel,
        rank,
        bank_group,
        bank,
        subarray,
        row: subarray * g.rows_per_subarray + row_in_sa,
        column: burst * g.columns_per_burst,
    }
}
