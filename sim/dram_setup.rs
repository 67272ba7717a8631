//! The DRAM as a run configures it: `[dram]` resolved to a standard (preset or file,
//! timing overrides) at its voltage operating point, with its energy model; and the
//! statistics report (`spikemem dram --out`, a run summary's `dram`). Used by the DRAM
//! commands and the accelerator alike.

use crate::config;
use crate::error::input_error;
use anyhow::Result;
use serde_json::{json, Value};
use spikemem_arch::dram::controller::MemorySystem;
use spikemem_arch::dram::power::{DramPower, EnergyBreakdown};
use spikemem_arch::dram::voltage::{OperatingPoint, VoltageTable};
use spikemem_arch::dram::{DramConfig, Standard};
use std::path::Path;

/// A DRAM system resolved from the config: the standard after timing overrides and
/// the voltage operating point, and its energy model.
pub struct ResolvedDram {
    pub standard: Standard,
    pub op: OperatingPoint,
    pub power: DramPower,
}

/// Resolve `[dram]`: standard (preset or path), `[dram.timing]` overrides, then the
/// reduced-voltage operating point (timing stretch, energy scale, BER).
pub fn resolve_dram(dram: &DramConfig, base_dir: &Path) -> Result<ResolvedDram> {
    let mut standard = config::resolve_standard(dram, base_dir)?;
    let table = match &dram.voltage_table {
        Some(p) => {
            let path = base_dir.join(p);
            let text = std::fs::read_to_string(&path).map_err(|e| {
                input_error(format!(
                    "dram.voltage_table: cannot read `{}`: {e}",
                    path.display()
                ))
            })?;
            VoltageTable::from_toml_str(&text)
                .map_err(|e| input_error(format!("{}: {e}", path.display())))?
        }
        None => VoltageTable::default_for(&standard),
    };
    let vdd = dram.vdd.unwrap_or(standard.power.VDD);
    let op = table.at(vdd).map_err(|e| input_error(e.to_string()))?;
    op.apply_timing(&mut standard);
    let power = DramPower::new(&standard, op.energy_scale);
    Ok(ResolvedDram {
        standard,
        op,
        power,
    })
}

/// The stats object of `spikemem dram` (and the `dram` member of a run's summary).
pub fn stats_json(mem: &MemorySystem, rd: &ResolvedDram, cycles: u64, wall_seconds: f64) -> Value {
    let stats = mem.stats();
    let activity = mem.activity();
    let energy: EnergyBreakdown = rd.power.energy(&activity);
    let tck_ps = rd.standard.timing.tCK_ps as f64;
    let time_ns = cycles as f64 * tck_ps / 1000.0;
    let mut v = serde_json::to_value(&stats).expect("stats serialize");
    let o = v.as_object_mut().expect("stats is an object");
    o.insert("cycles".into(), json!(cycles));
    o.insert("standard".into(), json!(rd.standard.name));
    o.insert("tck_ps".into(), json!(rd.standard.timing.tCK_ps));
    o.insert("vdd".into(), json!(rd.op.vdd));
    o.insert("ber".into(), json!(rd.op.ber));
    o.insert("time_ns".into(), json!(time_ns));
    let bytes = stats.bytes_transferred as f64;
    o.insert(
        "bandwidth_gb_per_s".into(),
        json!(if time_ns > 0.0 { bytes / time_ns } else { 0.0 }),
    );
    let hits = stats.row_hits as f64;
    let total = (stats.row_hits + stats.row_misses + stats.row_conflicts).max(1) as f64;
    o.insert("row_hit_rate".into(), json!(hits / total));
    o.insert("energy_pj".into(), json!(energy.total_pj()));
    // Access (ACT+PRE, RD, WR) + background (refresh, standby, power-down,
    // self-refresh) = energy_pj: EnforceSNN's split of DRAM energy.
    o.insert("energy_access_pj".into(), json!(energy.access_pj()));
    o.insert("energy_background_pj".into(), json!(energy.background_pj()));
    let breakdown: serde_json::Map<String, Value> = energy
        .entries()
        .iter()
        .map(|(k, e)| (k.to_string(), json!(e)))
        .collect();
    o.insert("energy_breakdown_pj".into(), Value::Object(breakdown));
    o.insert("powerdowns".into(), json!(activity.powerdowns));
    o.insert(
        "powerdown_rank_cycles".into(),
        json!(activity.active_powerdown_rank_cycles + activity.precharged_powerdown_rank_cycles),
    );
    o.insert("self_refreshes".into(), json!(activity.self_refreshes));
    o.insert(
        "self_refresh_rank_cycles".into(),
        json!(activity.self_refresh_rank_cycles),
    );
    o.insert("wall_seconds".into(), json!(wall_seconds));
    let rps = if wall_seconds > 0.0 {
        stats.requests as f64 / wall_seconds
    } else {
        0.0
    };
    o.insert("requests_per_second".into(), json!(rps));
    v
}
