//! The record types a run emits, and their flat text forms (CSV rows, JSON lines).
//!
//! Every record is `#[repr(C)]` so the HDF5 compound type derived from it has the
//! same field offsets h5py/numpy compute for the equivalent C struct.

use hdf5::H5Type;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// A record kind the writers know how to store in every format.
pub trait Record: H5Type + Serialize + Copy + Send + 'static {
    /// Value of the `"record"` field in JSON lines, and the CSV file suffix.
    const KIND: &'static str;
    /// Field names in declaration order: the CSV header and the HDF5 member names.
    const FIELDS: &'static [&'static str];
    /// Unit of each field, in `FIELDS` order (the HDF5 table's `units` attribute):
    /// `count`, `index`, `core_cycles`, `dram_cycles`, `ns`, `pJ`, or `enum` (a code
    /// named by another attribute or the docs).
    const UNITS: &'static [&'static str];
    /// Appends the record as one CSV line (with the trailing newline).
    fn write_csv(&self, out: &mut String);
    /// Parses one CSV line written by [`Record::write_csv`] (no quoting: all fields are numbers).
    fn from_csv(line: &str) -> Result<Self, String>;
}

/// Declares a record struct once and derives its CSV header, writer and parser from
/// the same field list, so the three can never disagree.
macro_rules! record {
    ($(#[$meta:meta])* $name:ident, $kind:literal { $($(#[$fmeta:meta])* $field:ident : $ty:ty => $unit:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[repr(C)]
        #[derive(H5Type, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Default)]
        pub struct $name { $($(#[$fmeta])* pub $field: $ty),+ }

        impl Record for $name {
            const KIND: &'static str = $kind;
            const FIELDS: &'static [&'static str] = &[$(stringify!($field)),+];
            const UNITS: &'static [&'static str] = &[$($unit),+];

            fn write_csv(&self, out: &mut String) {
                let mut first = true;
                $(
                    if !first { out.push(','); }
                    first = false;
                    // Debug of a float is the shortest text that parses back to the same bits and
                    // always has a `.` or exponent, so readers infer a float column.
                    let _ = write!(out, "{:?}", self.$field);
                )+
                let _ = first;
                out.push('\n');
            }

            fn from_csv(line: &str) -> Result<Self, String> {
                let mut cols = line.trim_end_matches(['\n', '\r']).split(',');
                let rec = $name {
                    $($field: {
                        let text = cols.next().ok_or_else(|| format!("missing column `{}`", stringify!($field)))?;
                        text.parse::<$ty>().map_err(|e| format!("column `{}`: {:?}: {}", stringify!($field), text, e))?
                    }),+
                };
                if cols.next().is_some() {
                    return Err(format!("more than {} columns", Self::FIELDS.len()));
                }
                Ok(rec)
            }
        }
    };
}

record!(
    /// One row per evaluated sample (input presentation): outcome, work, DRAM traffic, energy.
    SampleRecord, "sample" {
        /// Index of the sample in the run (0-based, contiguous; a resumed run continues it).
        sample: u64 => "index",
        /// Ground-truth class.
        label: i32 => "enum",
        /// Class the network predicted (-1 if no output neuron fired).
        prediction: i32 => "enum",
        /// Core clock cycles spent on this sample.
        cycles: u64 => "core_cycles",
        /// Simulated wall time of this sample.
        time_ns: f64 => "ns",
        input_spikes: u64 => "count",
        output_spikes: u64 => "count",
        synaptic_ops: u64 => "count",
        neuron_updates: u64 => "count",
        dram_reads: u64 => "count",
        dram_writes: u64 => "count",
        dram_row_hits: u64 => "count",
        energy_core_pj: f64 => "pJ",
        energy_sram_pj: f64 => "pJ",
        energy_dram_pj: f64 => "pJ",
        /// The part of `energy_dram_pj` spent serving requests: ACT+PRE pairs, RD and WR
        /// bursts.
        energy_dram_access_pj: f64 => "pJ",
        /// The rest of `energy_dram_pj`: refresh, standby, power-down, self-refresh.
        energy_dram_background_pj: f64 => "pJ",
        energy_total_pj: f64 => "pJ",
    }
);

record!(
    /// One row per simulated timestep of a sample.
    TimestepRecord, "timestep" {
        sample: u64 => "index",
        step: u32 => "index",
        input_spikes: u32 => "count",
        output_spikes: u32 => "count",
        dram_requests: u32 => "count",
        cycles: u64 => "core_cycles",
        energy_pj: f64 => "pJ",
    }
);

record!(
    /// One row per DRAM command issued.
    CommandRecord, "command" {
        /// DRAM command-clock cycle at which the command issued.
        cycle: u64 => "dram_cycles",
        /// Index into the `command_names` attribute of `/dram/commands`.
        command: u8 => "enum",
        channel: u8 => "index",
        rank: u8 => "index",
        bank_group: u8 => "index",
        /// u16, not u8: the record then has no padding byte (HDF5 would store its
        /// uninitialized value, and two identical runs would give different files).
        bank: u16 => "index",
        subarray: u16 => "index",
        row: u32 => "index",
        column: u32 => "index",
    }
);

/// Appends `{"record":"<kind>",<fields>}\n` to `out`.
pub(crate) fn write_jsonl<R: Record>(r: &R, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
    out.extend_from_slice(b"{\"record\":\"");
    out.extend_from_slice(R::KIND.as_bytes());
    out.extend_from_slice(b"\",");
    let start = out.len();
    serde_json::to_writer(&mut *out, r)?;
    // Splice the tag in front of the struct's own fields by dropping its opening brace.
    out.remove(start);
    out.push(b'\n');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_round_trips_extreme_values() {
        let r = SampleRecord {
            sample: u64::MAX,
            label: i32::MIN,
            prediction: -1,
            time_ns: 0.1 + 0.2,
            energy_total_pj: 1e-300,
            energy_dram_pj: f64::MAX,
            ..Default::default()
        };
        let mut s = String::new();
        r.write_csv(&mut s);
        assert_eq!(s.matches(',').count(), SampleRecord::FIELDS.len() - 1);
        assert_eq!(SampleRecord::from_csv(&s).unwrap(), r);
    }

    #[test]
    fn csv_parse_errors_name_the_column() {
        let err = TimestepRecord::from_csv("1,2,x,4,5,6,7").unwrap_err();
        assert!(err.contains("input_spikes"), "{err}");
        assert!(TimestepRecord::from_csv("1,2,3")
            .unwrap_err()
            .contains("output_spikes"));
    }

    #[test]
    fn jsonl_line_is_tagged_and_parses_back() {
        let c = CommandRecord {
            cycle: 7,
            command: 2,
            subarray: 300,
            row: 65535,
            column: 12,
            ..Default::default()
        };
        let mut buf = Vec::new();
        write_jsonl(&c, &mut buf).unwrap();
        let line = std::str::from_utf8(&buf).unwrap();
        assert!(
            line.starts_with("{\"record\":\"command\",\"cycle\":7,"),
            "{line}"
        );
        assert!(line.ends_with("}\n"));
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["record"], "command");
        let back: CommandRecord = serde_json::from_str(line).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn layouts_have_the_expected_sizes() {
        // h5py builds its numpy dtype from these offsets; a change here changes the file schema.
        assert_eq!(std::mem::size_of::<SampleRecord>(), 136);
        assert_eq!(std::mem::size_of::<TimestepRecord>(), 40);
        assert_eq!(std::mem::size_of::<CommandRecord>(), 24);
    }

    /// Every byte of a record is a field: no padding reaches the file.
    #[test]
    fn records_have_no_padding() {
        fn field_bytes<R: Record>() -> usize {
            match R::type_descriptor() {
                hdf5::types::TypeDescriptor::Compound(c) => {
                    c.fields.iter().map(|f| f.ty.size()).sum()
                }
                other => panic!("not a compound: {other:?}"),
            }
        }
        assert_eq!(
            field_bytes::<SampleRecord>(),
            std::mem::size_of::<SampleRecord>()
        );
        assert_eq!(
            field_bytes::<TimestepRecord>(),
            std::mem::size_of::<TimestepRecord>()
        );
        assert_eq!(
            field_bytes::<CommandRecord>(),
            std::mem::size_of::<CommandRecord>()
        );
    }

    #[test]
    fn every_field_has_a_unit() {
        assert_eq!(SampleRecord::UNITS.len(), SampleRecord::FIELDS.len());
        assert_eq!(TimestepRecord::UNITS.len(), TimestepRecord::FIELDS.len());
        assert_eq!(CommandRecord::UNITS.len(), CommandRecord::FIELDS.len());
    }
}
