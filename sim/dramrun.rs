//! `spikemem dram`, `check`, `presets` and `bench`: the DRAM subsystem on its own.

use crate::cli::{BenchArgs, CheckArgs, DramArgs};
use anyhow::{bail, Result};
use spikemem_arch::dram::Standard;

pub fn cmd_presets() -> Result<()> {
    println!("DRAM standards (dram.standard):");
    for (name, _) in spikemem_arch::dram::standard::PRESETS {
        let s = Standard::preset(name)?;
        println!("  {:<14} {}", name, s.source);
    }
    println!("config presets (--config NAME):");
    for (name, _) in crate::config::CONFIG_PRESETS {
        println!("  {name}");
    }
    Ok(())
}

pub fn cmd_dram(_a: &DramArgs) -> Result<()> {
    bail!("dram: being built")
}

pub fn cmd_check(_a: &CheckArgs) -> Result<()> {
    bail!("check: being built")
}

pub fn cmd_bench(_a: &BenchArgs) -> Result<()> {
    bail!("bench: being built")
}
