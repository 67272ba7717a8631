//! `spikemem run`: the command layer over [`system::run`](crate::system::run): reads
//! the config and the arguments, calls the run, writes `--json` and prints the summary.

use crate::cli::RunArgs;
use crate::config;
use crate::dramrun::write_json;
use crate::error::input_error;
use crate::system::run::{run, RunOptions, RunOutcome};
use crate::system::summary::print_run_summary;
use anyhow::Result;
use spikemem_traces as traces;
use std::path::PathBuf;

pub fn cmd_run(a: &RunArgs) -> Result<()> {
    let loaded = config::load(a.config(), &a.sets)?;
    let format: traces::TraceFormat = a
        .format
        .parse()
        .map_err(|e: traces::TraceError| input_error(format!("--format: {e}")))?;
    // --out, else `spikemem-run.<ext>` in the working directory.
    let trace = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("spikemem-run.{}", format.extension())));
    crate::error::check_output_path(&trace, "--out")?;
    if let Some(j) = &a.json {
        crate::error::check_output_path(j, "--json")?;
    }
    let opts = RunOptions {
        trace,
        format,
        learn: a.learn,
        force: a.force,
        checkpoint_seconds: a.checkpoint_seconds,
    };
    let outcome = run(&loaded, &opts)?;
    if let Some(p) = &a.json {
        write_json(p, outcome.summary())?;
    }
    if let RunOutcome::AlreadyComplete(_) = outcome {
        println!(
            "{} is complete (its stored summary follows; --force runs it again)",
            opts.trace.display()
        );
    }
    print_run_summary(outcome.summary(), &opts.trace);
    Ok(())
}
