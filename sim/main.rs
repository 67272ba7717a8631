use clap::Parser;
use spikemem::cli::{Cli, Command};
use spikemem::error::is_input_error;
use std::process::ExitCode;

/// `run` and `tolerance` simulate Diehl & Cook / FSpiNN networks only: a config with
/// `snn.model = "surrogate_gradient"` is bad input for them (exit 2), not a silent
/// Diehl & Cook run. (Surrogate model files are refused where models are opened.)
fn main() -> ExitCode {
    // `spikemem ... | head` must end quietly when the reader goes away, not panic on a
    // failed print: restore the default SIGPIPE action that Rust's runtime ignores.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(a) => spikemem::run_command::cmd_run(&a),
        Command::Dram(a) => spikemem::dramrun::cmd_dram(&a),
        Command::Check(a) => spikemem::dramrun::cmd_check(&a),
        Command::Presets => spikemem::dramrun::cmd_presets(),
        Command::Train(a) => spikemem::snn::cli::cmd_train(&a),
        Command::Eval(a) => spikemem::snn::cli::cmd_eval(&a),
        Command::Bench(a) => spikemem::bench::cmd_bench(&a),
        Command::Sweep(a) => spikemem::sweep::cmd_sweep(&a),
        Command::Select(a) => spikemem::select::cmd_select(&a),
        Command::Tolerance(a) => spikemem::tolerance::cmd_tolerance(&a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "{}",
                spikemem::error::bounded_message(&format!("error: {e:#}"))
            );
            if is_input_error(&e) {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}
