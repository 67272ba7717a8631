//! Physical address -> channel / rank / bank group / bank / subarray / row / column.
//!
//! An order names the address fields from the most significant bit to the least:
//! `Ch` channel, `Ra` rank, `Bg` bank group, `Ba` bank, `Ro` row, `Co` column (in
//! bursts). Bits below the burst size are the byte offset and never select anything.
//!
//! Named orders (fields run together, MSB -> LSB): "RoBaRaCoCh", "RoRaBaChCo",
//! "ChRaBaRoCo", "RoBaRaChCo", "RoCoBaRaCh", "RoRaBaCoCh", "RoCoRaBaCh" — in fact any
//! concatenation of the two-letter fields is accepted. Custom orders separate the
//! fields with '-', e.g. "Ro-Bg-Ba-Ra-Co-Ch".
//!
//! When an order has no `Bg` field, `Ba` selects bank group and bank together: its
//! LOW log2(bank_groups) bits are the bank group and its high bits the bank within the
//! group, so consecutive bank indices alternate bank groups (tCCD_S / tRRD_S instead of
//! the longer _L timings). The subarray is the high row bits: row / rows_per_subarray.

use super::{DramAddr, DramError, Standard};

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
enum Field {
    Ch,
    Ra,
    Bg,
    Ba,
    Ro,
    Co,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct AddressMapper {
    /// (field, bit width), least significant field first.
    fields: Vec<(Field, u32)>,
    /// Per field (indexed by `Field as usize`): its bit position after the burst offset
    /// and its mask (0 for an absent `Bg`), so decoding is six shift-and-masks.
    shift: [u32; 6],
    mask: [u64; 6],
    offset_bits: u32,
    bg_bits: u32,
    columns_per_burst: u32,
    /// log2(rows per subarray) (the standard's counts are powers of two).
    subarray_shift: u32,
    capacity_bytes: u64,
    burst_bytes: u64,
    /// The address bits that only choose the column or the byte within the burst: two
    /// addresses that differ in no other bit decode alike but for the column.
    column_or_offset_bits: u64,
}

fn log2(v: u32) -> u32 {
    v.trailing_zeros()
}

const ACCEPTED: &str = "a named order such as RoBaRaCoCh, RoRaBaChCo, ChRaBaRoCo, RoBaRaChCo, \
RoCoBaRaCh (two-letter fields run together, MSB first), or a custom order of the fields \
Ch, Ra, Bg, Ba, Ro, Co separated by '-' (e.g. Ro-Bg-Ba-Ra-Co-Ch); each of Ch, Ra, Ba, Ro, Co \
exactly once, Bg at most once";

impl AddressMapper {
    pub fn new(order: &str, std: &Standard, channels: u32, ranks: u32) -> Result<Self, DramError> {
        let bad = |why: String| DramError::InvalidConfig {
            key: "dram.mapping".into(),
            msg: format!("`{order}`: {why}; accepted: {ACCEPTED}"),
        };
        let tokens: Vec<String> = if order.contains('-') {
            order.split('-').map(|s| s.trim().to_string()).collect()
        } else {
            if !order.len().is_multiple_of(2) || !order.is_ascii() {
                return Err(bad("not a sequence of two-letter fields".into()));
            }
            (0..order.len() / 2)
                .map(|i| order[2 * i..2 * i + 2].to_string())
                .collect()
        };
        let mut seq = Vec::new();
        for t in &tokens {
            let f = match t.to_ascii_lowercase().as_str() {
                "ch" => Field::Ch,
                "ra" => Field::Ra,
                "bg" => Field::Bg,
                "ba" => Field::Ba,
                "ro" => Field::Ro,
                "co" => Field::Co,
                _ => return Err(bad(format!("unknown field `{t}`"))),
            };
            if seq.contains(&f) {
                return Err(bad(format!("field `{t}` appears twice")));
            }
            seq.push(f);
        }
        for need in [Field::Ch, Field::Ra, Field::Ba, Field::Ro, Field::Co] {
            if !seq.contains(&need) {
                return Err(bad(format!("field {need:?} is missing")));
            }
        }
        let o = &std.organization;
        if !channels.is_power_of_two() || !ranks.is_power_of_two() {
            return Err(bad("channels and ranks must be powers of two".into()));
        }
        let has_bg = seq.contains(&Field::Bg);
        let bg_bits = log2(o.bank_groups);
        let width = |f: Field| match f {
            Field::Ch => log2(channels),
            Field::Ra => log2(ranks),
            Field::Bg => bg_bits,
            Field::Ba => {
                if has_bg {
                    log2(o.banks_per_group)
                } else {
                    bg_bits + log2(o.banks_per_group)
                }
            }
            Field::Ro => log2(o.rows),
            Field::Co => log2(o.columns / o.columns_per_burst().min(o.columns)),
        };
        let fields: Vec<(Field, u32)> = seq.iter().rev().map(|&f| (f, width(f))).collect();
        let burst_bytes = o.burst_bytes() as u64;
        let offset_bits = log2(o.burst_bytes());
        let total_bits: u32 = offset_bits + fields.iter().map(|f| f.1).sum::<u32>();
        if total_bits > 63 {
            return Err(bad(format!("the address needs {total_bits} bits (> 63)")));
        }
        let (mut shift, mut mask, mut pos) = ([0u32; 6], [0u64; 6], 0u32);
        for &(f, w) in &fields {
            shift[f as usize] = pos;
            mask[f as usize] = (1u64 << w) - 1;
            pos += w;
        }
        Ok(AddressMapper {
            fields,
            shift,
            mask,
            offset_bits,
            bg_bits: if has_bg { 0 } else { bg_bits },
            columns_per_burst: o.columns_per_burst(),
            subarray_shift: o.rows_per_subarray().max(1).trailing_zeros(),
            capacity_bytes: 1u64 << total_bits,
            burst_bytes,
            column_or_offset_bits: (mask[Field::Co as usize]
                << (shift[Field::Co as usize] + offset_bits))
                | (burst_bytes - 1),
        })
    }

    /// Addresses at or above the capacity wrap (their high bits are ignored).
    #[inline]
    pub fn decode(&self, addr: u64) -> DramAddr {
        let x = addr >> self.offset_bits;
        let field = |f: Field| ((x >> self.shift[f as usize]) & self.mask[f as usize]) as u32;
        let ba = field(Field::Ba);
        let row = field(Field::Ro);
        let (bank_group, bank) = if self.bg_bits > 0 {
            (ba & ((1 << self.bg_bits) - 1), ba >> self.bg_bits)
        } else {
            (field(Field::Bg), ba)
        };
        DramAddr {
            channel: field(Field::Ch),
            rank: field(Field::Ra),
            bank_group,
            bank,
            subarray: row >> self.subarray_shift,
            row,
            column: field(Field::Co) * self.columns_per_burst,
        }
    }

    /// `decode(addr)`, given `prev_addr` and its decoding `prev`: when the two differ in
    /// the column and burst-offset bits alone (a stream within a row), only the column is
    /// decoded again.
    #[inline]
    pub fn decode_after(&self, addr: u64, prev_addr: u64, prev: &DramAddr) -> DramAddr {
        if (addr ^ prev_addr) & !self.column_or_offset_bits != 0 {
            return self.decode(addr);
        }
        let co = Field::Co as usize;
        let x = addr >> self.offset_bits;
        let column = ((x >> self.shift[co]) & self.mask[co]) as u32 * self.columns_per_burst;
        DramAddr { column, ..*prev }
    }

    /// The first byte of the burst holding `a` (the column is rounded down to its burst).
    pub fn encode(&self, a: &DramAddr) -> u64 {
        let ba = if self.bg_bits > 0 {
            (a.bank << self.bg_bits) | a.bank_group
        } else {
            a.bank
        };
        let mut x = 0u64;
        for &(f, w) in self.fields.iter().rev() {
            let v = match f {
                Field::Ch => a.channel,
                Field::Ra => a.rank,
                Field::Bg => a.bank_group,
                Field::Ba => ba,
                Field::Ro => a.row,
                Field::Co => a.column / self.columns_per_burst,
            } as u64;
            x = (x << w) | (v & ((1u64 << w) - 1));
        }
        x << self.offset_bits
    }

    /// A power of two (every organization field is), so `addr & (capacity - 1)` wraps.
    pub fn capacity_bytes(&self) -> u64 {
        self.capacity_bytes
    }

    pub fn burst_bytes(&self) -> u64 {
        self.burst_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ddr4() -> Standard {
        Standard::preset("DDR4-2400").unwrap()
    }

    #[test]
    fn capacity_and_burst() {
        let m = AddressMapper::new("RoBaRaCoCh", &ddr4(), 2, 2).unwrap();
        // 8 GiB per rank (8 x 8Gb devices) x 2 ranks x 2 channels.
        assert_eq!(m.capacity_bytes(), 32 << 30);
        assert_eq!(m.burst_bytes(), 64);
    }

    #[test]
    fn roundtrip_all_named_orders() {
        let s = ddr4();
        for order in [
            "RoBaRaCoCh",
            "RoRaBaChCo",
            "ChRaBaRoCo",
            "RoBaRaChCo",
            "RoCoBaRaCh",
            "Ro-Bg-Ba-Ra-Co-Ch",
        ] {
            let m = AddressMapper::new(order, &s, 4, 2).unwrap();
            let mut x = 0x1234_5678_9abcu64;
            for _ in 0..2000 {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let addr = ((x >> 7) % m.capacity_bytes()) & !(m.burst_bytes() - 1);
                let d = m.decode(addr);
                assert!(d.channel < 4 && d.rank < 2 && d.bank_group < 4 && d.bank < 4);
                assert!(d.row < 65536 && d.column < 1024 && d.column.is_multiple_of(8));
                assert_eq!(d.subarray, d.row / 512);
                assert_eq!(m.encode(&d), addr, "{order}");
            }
        }
    }

    #[test]
    fn decode_after_equals_decode() {
        // Pairs within one burst, one row (the column bits alone differ) and anywhere,
        // under orders that put the column lowest, highest and in between; each preset.
        for (name, _) in crate::dram::standard::PRESETS {
            let s = Standard::preset(name).unwrap();
            for order in ["RoBaRaCoCh", "RoRaBaChCo", "ChRaBaRoCo", "RoCoBaRaCh"] {
                let m = AddressMapper::new(order, &s, 2, 2).unwrap();
                let col_bits = m.column_or_offset_bits;
                let mut x = 0x9e37_79b9_7f4a_7c15u64;
                let mut prev = (u64::MAX, DramAddr::default());
                let mut same_row = 0;
                for i in 0..3000 {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let anywhere = (x >> 3) & (m.capacity_bytes() - 1);
                    let addr = match i % 3 {
                        0 => anywhere,
                        1 => (prev.0 & !col_bits) | (anywhere & col_bits),
                        _ => prev.0.wrapping_add(m.burst_bytes()) & (m.capacity_bytes() - 1),
                    };
                    let d = m.decode_after(addr, prev.0, &prev.1);
                    assert_eq!(
                        d,
                        m.decode(addr),
                        "{name} {order} {addr:#x} after {:#x}",
                        prev.0
                    );
                    same_row += (prev.0 != u64::MAX && (addr ^ prev.0) & !col_bits == 0) as u32;
                    prev = (addr, d);
                }
                assert!(
                    same_row >= 1000,
                    "{name} {order}: the shortcut was taken {same_row} times"
                );
            }
        }
    }

    #[test]
    fn field_positions() {
        let s = ddr4();
        // RoBaRaCoCh, 2 channels: bit 6 is the channel, then 7 column bits.
        let m = AddressMapper::new("RoBaRaCoCh", &s, 2, 1).unwrap();
        assert_eq!(m.decode(64).channel, 1);
        assert_eq!(m.decode(128).column, 8);
        // Ba after 7 column bits: its low 2 bits are the bank group.
        let ba0 = 1u64 << (6 + 1 + 7);
        assert_eq!((m.decode(ba0).bank_group, m.decode(ba0).bank), (1, 0));
        assert_eq!(
            (m.decode(ba0 << 2).bank_group, m.decode(ba0 << 2).bank),
            (0, 1)
        );
        // Row is the top: the highest address bit is the top row bit.
        let top = m.capacity_bytes() / 2;
        assert_eq!(m.decode(top).row, 32768);
        assert_eq!(m.decode(top).subarray, 64);
    }

    #[test]
    fn bad_orders_name_the_key() {
        let s = ddr4();
        for bad in [
            "",
            "RoBa",
            "RoBaRaCoCx",
            "RoRoBaRaCoCh",
            "Ro-Ba-Ra-Co",
            "RoBaRaCoC",
        ] {
            match AddressMapper::new(bad, &s, 1, 1) {
                Err(DramError::InvalidConfig { key, msg }) => {
                    assert_eq!(key, "dram.mapping");
                    assert!(msg.contains("accepted"));
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }
}
