//! Checkpoints of `spikemem run`: a killed run, run again, ends with exactly the
//! outputs of the run that was never interrupted (wall-clock fields aside).
//!
//! Why a checkpoint and not only the trace: inference samples are independent in the
//! SNN (its state is reset before every sample and the weights are frozen), but not in
//! the hardware, whose DRAM rows, refresh phase, power state, counters and energy carry
//! over from sample to sample. A checkpoint therefore holds the accelerator's whole
//! simulated state at a sample boundary ([`AccelState`](super::run::AccelState): the
//! DRAM controller with its caches, the core, the SRAMs, the time, the counters) plus
//! the parts of the summary made before inference (`learning`, `model`).
//!
//! Invariants:
//! - A checkpoint at sample k (a multiple of 16, at least `--checkpoint-seconds` after
//!   the previous one) is written only after the trace writer has flushed the first k
//!   samples, and atomically (temporary file, fsync, rename): it never covers samples
//!   the trace lacks.
//! - The network the inference uses is recreated exactly: from `system.model`, or, when
//!   the run trained it or learned on chip, from its dynamic state
//!   ([`NetState`]) saved beside the checkpoint once (`.ckpt-trained`: the network as
//!   trained, before the DRAM's faults are applied; `.ckpt-learned`: after on-chip
//!   learning and labelling).
//! - A checkpoint is used only by the binary that wrote it (same executable size and
//!   modification time) with the same config text; anything else is ignored, and the
//!   rerun re-simulates from sample 0, which is exact too, only slower.
//! - Resume restores checkpoint k, re-simulates samples k..n that the trace already
//!   holds without writing them, and requires each to equal its stored row (a mismatch
//!   is an error, never a silently mixed result), then continues at n.
//! - The side files are removed when the run finishes.

use super::accelerator::AccelState;
use crate::snapshot_file;
use crate::snn::engine::{NetState, Network};
use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

fn load_net(path: &Path) -> Result<NetState> {
    match snapshot_file::load::<NetState>(path, NET_MAGIC) {
        Ok(Some(s)) => Ok(s),
        Ok(None) => anyhow::bail!("{}: missing", path.display()),
        Err(why) => anyhow::bail!("{}: {why}", path.display()),
    }
}

/// Checkpoints fall on multiples of this many samples, and at least
/// `--checkpoint-seconds` apart (a checkpoint waits for the trace's flush and syncs a
/// file: about 20 ms).
pub const CHECKPOINT_EVERY_SAMPLES: u64 = 16;

const MAGIC: &[u8; 8] = b"SPKMCKP1";
const NET_MAGIC: &[u8; 8] = b"SPKMNET1";

/// Everything a rerun needs to continue a run at `samples_done`.
#[derive(Serialize, Deserialize)]
pub struct RunCheckpoint {
    /// Identity of the binary that wrote it (see [`snapshot_file::binary_identity`]).
    pub binary: String,
    pub config_toml: String,
    pub learn: bool,
    pub samples_done: u64,
    /// The network was trained in this run and saved to the `trained` side file.
    pub trained_net: bool,
    /// On-chip learning ran and its network is in the `learned` side file.
    pub learned_net: bool,
    /// The summary's `learning` and `model` objects, as JSON text.
    pub learning_json: String,
    pub model_json: String,
    pub acc: AccelState,
}

/// The checkpoint files of one trace.
pub struct CheckpointFiles {
    state: PathBuf,
    trained: PathBuf,
    learned: PathBuf,
}

impl CheckpointFiles {
    /// The files beside `trace`: `<trace>.ckpt`, `<trace>.ckpt-trained`,
    /// `<trace>.ckpt-learned`.
    pub fn beside(trace: &Path) -> Self {
        CheckpointFiles {
            state: snapshot_file::beside(trace, ".ckpt"),
            trained: snapshot_file::beside(trace, ".ckpt-trained"),
            learned: snapshot_file::beside(trace, ".ckpt-learned"),
        }
    }

    /// The newest checkpoint if it is usable for this config and binary; `None`
    /// otherwise (logged: the run then starts from sample 0, which is exact too).
    pub fn load(&self, config_toml: &str, learn: bool) -> Option<RunCheckpoint> {
        let own = snapshot_file::load_own(&self.state, MAGIC, config_toml, |c: &RunCheckpoint| {
            (&c.binary, &c.config_toml)
        });
        let usable = own.and_then(|c| match c {
            Some(c) if c.learn != learn => Err("written for another config".to_string()),
            Some(c)
                if (c.trained_net && !self.trained.exists())
                    || (c.learned_net && !self.learned.exists()) =>
            {
                Err("its saved network is missing".into())
            }
            c => Ok(c),
        });
        usable.unwrap_or_else(|why| {
            tracing::warn!(
                checkpoint = %self.state.display(),
                "ignoring checkpoint: {why}; re-simulating from the first sample"
            );
            None
        })
    }

    pub fn save(&self, ck: &RunCheckpoint) -> Result<()> {
        snapshot_file::save(&self.state, MAGIC, ck)
    }

    pub fn save_trained(&self, net: &Network) -> Result<()> {
        snapshot_file::save(&self.trained, NET_MAGIC, &net.state())
    }

    pub fn save_learned(&self, net: &Network) -> Result<()> {
        snapshot_file::save(&self.learned, NET_MAGIC, &net.state())
    }

    pub fn load_trained(&self) -> Result<NetState> {
        load_net(&self.trained)
    }

    pub fn load_learned(&self) -> Result<NetState> {
        load_net(&self.learned)
    }

    /// Removes the checkpoint and its side files (absent ones are fine).
    pub fn remove(&self) {
        for p in [&self.state, &self.trained, &self.learned] {
            let _ = std::fs::remove_file(p);
        }
    }
}
