//! `spikemem train` and `spikemem eval`.

use crate::cli::{EvalArgs, TrainArgs};
use anyhow::{bail, Result};

pub fn cmd_train(_a: &TrainArgs) -> Result<()> {
    bail!("train: being built")
}

pub fn cmd_eval(_a: &EvalArgs) -> Result<()> {
    bail!("eval: being built")
}
