//! `spikemem dram`, `check` and `presets`: the DRAM subsystem on its own.

use crate::cli::{CheckArgs, DramArgs, SyntheticKind};
use crate::config::{self, Loaded};
use crate::dram_setup::{resolve_dram, stats_json};
use crate::error::input_error;
use crate::memtrace::{self, echo, SyntheticSpec, TraceRequest};
use anyhow::{Context, Result};
use serde_json::Value;
use spikemem_arch::dram::controller::MemorySystem;
use spikemem_arch::dram::{checker, Command, DramAddr, IssuedCommand, Request, Standard};
use std::io::Write;
use std::path::Path;
use std::time::Instant;

pub fn cmd_presets() -> Result<()> {
    println!("DRAM standards (dram.standard = NAME, or a path to a TOML file of the same shape):");
    for (name, _) in spikemem_arch::dram::standard::PRESETS {
        let s = Standard::preset(name)?;
        let o = &s.organization;
        println!(
            "  {:<14} {} MHz, {} bank groups x {} banks, {} rows, {} columns, x{}, {}-bit bus, VDD {} V",
            name,
            1_000_000 / s.timing.tCK_ps as u64,
            o.bank_groups,
            o.banks_per_group,
            o.rows,
            o.columns,
            o.device_width,
            o.bus_width,
            s.power.VDD
        );
    }
    println!("config presets (--config NAME):");
    for (name, _) in crate::config::CONFIG_PRESETS {
        println!("  {name}");
    }
    Ok(())
}

/// Outcome of driving a request list through the memory system.
pub struct DriveOutcome {
    pub cycles: u64,
    pub completed: u64,
    pub wall_seconds: f64,
}

/// Offer a list of requests (the benchmarks): no in-flight bound beyond the queues.
pub fn drive(mem: &mut MemorySystem, reqs: &[TraceRequest]) -> DriveOutcome {
    let start = Instant::now();
    // Addresses beyond the capacity wrap: a mask (the capacity is a power of two), not a
    // divide per request.
    let wrap = mem.mapper().capacity_bytes() - 1;
    let mut done = Vec::with_capacity(1024);
    let request = |i: usize| {
        let r = &reqs[i];
        (
            Request {
                id: i as u64,
                addr: r.addr & wrap,
                kind: r.kind,
            },
            r.cycle,
        )
    };
    let last = mem.offer_requests(0, reqs.len(), usize::MAX, request, &mut done, |_| {});
    DriveOutcome {
        cycles: last + 1,
        completed: reqs.len() as u64,
        wall_seconds: start.elapsed().as_secs_f64(),
    }
}

/// Offer a stream of requests (trace mode), each taken from `source` as it is offered,
/// so memory does not grow with the stream. A source error ends the stream: the
/// requests accepted before it are served, then the error is returned. A watchdog stop
/// (`MemorySystem::stall`) is a failed run.
pub fn drive_stream(
    mem: &mut MemorySystem,
    mut source: impl FnMut() -> Result<Option<TraceRequest>>,
) -> Result<DriveOutcome> {
    let start = Instant::now();
    let wrap = mem.mapper().capacity_bytes() - 1;
    let mut done = Vec::with_capacity(1024);
    let mut failed = None;
    let mut completed = 0u64;
    let next = |i: usize| match source() {
        Ok(Some(r)) => Some((
            Request {
                id: i as u64,
                addr: r.addr & wrap,
                kind: r.kind,
            },
            r.cycle,
        )),
        Ok(None) => None,
        Err(e) => {
            failed = Some(e);
            None
        }
    };
    let last = mem.offer_stream(0, usize::MAX, next, &mut done, |_| completed += 1);
    if let Some(e) = failed {
        return Err(e);
    }
    if let Some(stall) = mem.stall() {
        anyhow::bail!("{stall}");
    }
    Ok(DriveOutcome {
        cycles: last + 1,
        completed,
        wall_seconds: start.elapsed().as_secs_f64(),
    })
}

/// Drive `mem` with the requests `a` asks for: the trace file, read as it is offered,
/// or the synthetic generator, generated as offered.
fn drive_requests(a: &DramArgs, mem: &mut MemorySystem) -> Result<DriveOutcome> {
    if let Some(p) = &a.trace {
        let mut reader = memtrace::TraceReader::open(p, a.trace_format)?;
        return drive_stream(mem, || reader.next_request());
    }
    if !(0.0..=1.0).contains(&a.write_fraction) {
        return Err(input_error(format!(
            "--write-fraction {} is not accepted: 0..=1",
            a.write_fraction
        )));
    }
    if a.stride == 0 {
        return Err(input_error(
            "--stride 0 is not accepted: a positive number of bytes",
        ));
    }
    let mut gen = memtrace::Synthetic::new(&SyntheticSpec {
        kind: a.synthetic.unwrap_or(SyntheticKind::Stream),
        requests: a.requests,
        seed: a.seed,
        stride_bytes: a.stride,
        write_fraction: a.write_fraction,
        capacity_bytes: mem.mapper().capacity_bytes(),
        burst_bytes: mem.mapper().burst_bytes(),
    });
    drive_stream(mem, || Ok(gen.next()))
}

pub fn cmd_dram(a: &DramArgs) -> Result<()> {
    // Without --config, every [dram] key at its default (the embedded `dram` preset):
    // the DRAM as validated, not the accelerator's default run (which powers down).
    let loaded: Loaded = config::load(a.cfg.config.as_deref().or(Some("dram")), &a.cfg.sets)?;
    let rd = resolve_dram(&loaded.config.dram, &loaded.base_dir)?;
    let mut mem = MemorySystem::new(&loaded.config.dram, &rd.standard)
        .map_err(|e| input_error(format!("{}: {e}", loaded.source)))?;
    for p in a.out.iter().chain(&a.command_trace) {
        crate::error::check_output_path(p, "output")?;
    }
    if a.command_trace.is_some() {
        mem.enable_command_log();
    }
    let pb = crate::progress::bar(1, "dram");
    let out = drive_requests(a, &mut mem);
    pb.finish_and_clear();
    let out = out?;
    let stats = stats_json(&mem, &rd, out.cycles, out.wall_seconds);
    // Every file before anything goes to stdout (`spikemem dram ... | head` still writes
    // them), the small stats first: a command trace that fills the disk must not cost
    // them.
    if let Some(p) = &a.out {
        write_json(p, &stats)?;
    }
    if let Some(p) = &a.command_trace {
        if mem.command_log_overflowed() {
            return Err(input_error(format!(
                "--command-trace {}: the run issued more than {} commands on a channel, the most a command trace holds (the statistics{} are complete; trace a shorter span)",
                p.display(),
                spikemem_arch::dram::controller::MAX_LOGGED_COMMANDS,
                if a.out.is_some() { " written to --out" } else { "" }
            )));
        }
        write_command_csv(p, &mem.take_command_log())?;
    }
    print_summary(&mut std::io::stdout().lock(), &stats);
    Ok(())
}

/// Print the summary to `w`; a closed or failing stdout is ignored (the files are
/// written already), so `| head` or `>&-` is never a panic.
fn print_summary(w: &mut impl Write, s: &Value) {
    let _ = write_summary(w, s);
}

fn write_summary(w: &mut impl Write, s: &Value) -> std::io::Result<()> {
    let f = |k: &str| s.get(k).and_then(Value::as_f64).unwrap_or(0.0);
    writeln!(
        w,
        "{}: {} requests ({} reads, {} writes) in {} cycles = {:.1} ns",
        s["standard"].as_str().unwrap_or("?"),
        f("requests"),
        f("reads"),
        f("writes"),
        f("cycles"),
        f("time_ns")
    )?;
    writeln!(
        w,
        "  row hits {} / misses {} / conflicts {} (hit rate {:.3})",
        f("row_hits"),
        f("row_misses"),
        f("row_conflicts"),
        f("row_hit_rate")
    )?;
    writeln!(
        w,
        "  read latency: mean {:.1} cycles, p99 {} cycles; bandwidth {:.2} GB/s",
        f("avg_read_latency_cycles"),
        f("read_latency_p99_cycles"),
        f("bandwidth_gb_per_s")
    )?;
    writeln!(
        w,
        "  energy {:.1} nJ (access {:.1} nJ, background {:.1} nJ); simulated {:.2} M requests/s",
        f("energy_pj") / 1000.0,
        f("energy_access_pj") / 1000.0,
        f("energy_background_pj") / 1000.0,
        f("requests_per_second") / 1e6
    )?;
    if f("powerdowns") > 0.0 || f("self_refreshes") > 0.0 {
        writeln!(
            w,
            "  power-down: {} entries, {} rank-cycles; self-refresh: {} entries, {} rank-cycles",
            f("powerdowns"),
            f("powerdown_rank_cycles"),
            f("self_refreshes"),
            f("self_refresh_rank_cycles")
        )?;
    }
    Ok(())
}

/// Write `v` as pretty JSON, atomically (see [`write_output`]). Every command's JSON
/// output goes through here.
pub fn write_json<T: serde::Serialize + ?Sized>(path: &Path, v: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(v)? + "\n";
    write_output(path, |w| w.write_all(text.as_bytes()))
}

/// Write an output file whole: a regular file (or a new one) atomically
/// (`spikemem_traces::write_atomic_with`: temporary file in the same directory, fsync,
/// rename, so it is its old or its new complete content, never a partial one); an
/// existing file that is not a regular one (`/dev/stdout`, a FIFO, a device) directly,
/// as it cannot be replaced by a rename.
pub fn write_output(
    path: &Path,
    fill: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> Result<()> {
    let special = std::fs::metadata(path).is_ok_and(|m| !m.is_file());
    let res = if special {
        std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|f| {
                let mut w = std::io::BufWriter::new(f);
                fill(&mut w)?;
                w.flush()
            })
    } else {
        spikemem_traces::write_atomic_with(path, fill)
    };
    res.with_context(|| format!("cannot write {}", path.display()))
}

/// Command trace CSV: `cycle,command,channel,rank,bankgroup,bank,subarray,row,column`.
pub const COMMAND_CSV_HEADER: &str =
    "cycle,command,channel,rank,bankgroup,bank,subarray,row,column";

/// Write the command trace CSV atomically (as `write_json`).
pub fn write_command_csv(path: &Path, cmds: &[IssuedCommand]) -> Result<()> {
    write_output(path, |w| {
        writeln!(w, "{COMMAND_CSV_HEADER}")?;
        for c in cmds {
            let a = &c.addr;
            writeln!(
                w,
                "{},{},{},{},{},{},{},{},{}",
                c.cycle,
                c.cmd.name(),
                a.channel,
                a.rank,
                a.bank_group,
                a.bank,
                a.subarray,
                a.row,
                a.column
            )?;
        }
        Ok(())
    })
}

/// A command trace (the CSV `spikemem dram --command-trace` writes) read one line at a
/// time, each at most `memtrace::MAX_LINE_BYTES` bytes. An error names the file and the
/// line and says what a line holds.
pub struct CommandCsv<R> {
    lines: memtrace::LineReader<R>,
}

impl CommandCsv<std::fs::File> {
    pub fn open(path: &Path) -> Result<Self> {
        let f = std::fs::File::open(path).map_err(|e| {
            input_error(format!(
                "{}: cannot read command trace: {e}",
                path.display()
            ))
        })?;
        Ok(CommandCsv {
            lines: memtrace::LineReader::new(f, path),
        })
    }
}

impl<R: std::io::Read> CommandCsv<R> {
    /// The next command and its 1-based line; None at the end of the file.
    pub fn next_command(&mut self) -> Result<Option<(u64, IssuedCommand)>> {
        loop {
            let first = self.lines.line_no() == 0;
            let Some(line) = self.lines.next_line()? else {
                return Ok(None);
            };
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || (first && line.starts_with("cycle")) {
                continue;
            }
            let parsed = parse_command(line);
            return match parsed {
                Ok(c) => Ok(Some((self.lines.line_no(), c))),
                Err(m) => Err(self
                    .lines
                    .error(format_args!("{m} (expected {COMMAND_CSV_HEADER})"))),
            };
        }
    }
}

/// One line of a command trace: `cycle,command,channel,rank,bank_group,bank,subarray,row,column`.
fn parse_command(line: &str) -> std::result::Result<IssuedCommand, String> {
    let mut f = [""; 9];
    let mut n = 0;
    for x in line.split(',') {
        if n < f.len() {
            f[n] = x.trim();
        }
        n += 1;
    }
    if n != 9 {
        return Err(format!("{n} fields"));
    }
    let num = |k: usize| {
        f[k].parse::<u64>()
            .map_err(|_| format!("field {} `{}` is not a number", k + 1, echo(f[k])))
    };
    let cmd = Command::parse(f[1]).ok_or_else(|| format!("unknown command `{}`", echo(f[1])))?;
    let cycle = num(0)?;
    if cycle > memtrace::MAX_TRACE_CYCLE {
        return Err(format!(
            "cycle {cycle} is past the last accepted cycle, {}",
            memtrace::MAX_TRACE_CYCLE
        ));
    }
    Ok(IssuedCommand {
        cycle,
        cmd,
        addr: DramAddr {
            channel: num(2)? as u32,
            rank: num(3)? as u32,
            bank_group: num(4)? as u32,
            bank: num(5)? as u32,
            subarray: num(6)? as u32,
            row: num(7)? as u32,
            column: num(8)? as u32,
        },
    })
}

/// Violations `spikemem check` prints (all are counted).
const SHOWN_VIOLATIONS: usize = 50;

/// `spikemem check`: stream the command trace through the checker, keeping the first
/// `SHOWN_VIOLATIONS` violations (with their lines) and a count, so memory does not
/// grow with the trace.
pub fn cmd_check(a: &CheckArgs) -> Result<()> {
    let loaded = config::load(a.cfg.config.as_deref(), &a.cfg.sets)?;
    let rd = resolve_dram(&loaded.config.dram, &loaded.base_dir)?;
    let mut csv = CommandCsv::open(&a.commands)?;
    let mut checker = checker::Checker::new(&rd.standard, loaded.config.dram.salp);
    let mut shown = Vec::new();
    let mut count = 0u64;
    while let Some((line, cmd)) = csv.next_command()? {
        let v = checker.push(cmd);
        count += v.len() as u64;
        let room = SHOWN_VIOLATIONS - shown.len();
        shown.extend(v.iter().take(room).map(|x| (line, x.clone())));
    }
    println!(
        "{}: {} commands checked against {}",
        a.commands.display(),
        checker.checked(),
        rd.standard.name
    );
    for (line, x) in &shown {
        println!(
            "  line {line}: cycle {} {}: {} (earliest {})",
            x.cycle,
            x.cmd.name(),
            x.rule,
            x.earliest_cycle
        );
    }
    if count == 0 {
        println!("  no timing violation");
        Ok(())
    } else {
        anyhow::bail!("{count} timing violations")
    }
}
