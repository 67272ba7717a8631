//! Failpoints: let tests kill the process at a chosen point, as `kill -9` would.
//!
//! `SPIKEMEM_FAILPOINT=<name>:<n>` makes [`hit`]`(name, n)` send SIGKILL to the process
//! itself (no destructor, no flush: exactly what a killed run leaves). Points:
//! `run-sample:N` after `spikemem run` finished sample N (0-based) and any checkpoint
//! due then; `train-sample:N` after `spikemem train` ran its N-th sample (1-based,
//! counted over epochs) and any checkpoint due then. Without the variable a hit costs
//! one load of a cached `None`.

use std::sync::OnceLock;

fn armed() -> Option<&'static (String, u64)> {
    static POINT: OnceLock<Option<(String, u64)>> = OnceLock::new();
    POINT
        .get_or_init(|| {
            let v = std::env::var("SPIKEMEM_FAILPOINT").ok()?;
            let (name, n) = v.rsplit_once(':')?;
            Some((name.to_owned(), n.parse().ok()?))
        })
        .as_ref()
}

/// Kill the process if the failpoint `name` is armed at `n`.
pub fn hit(name: &str, n: u64) {
    if let Some((p, at)) = armed() {
        if p == name && *at == n {
            // SAFETY: kill(2) on our own pid has no memory-safety preconditions.
            unsafe {
                libc::kill(libc::getpid(), libc::SIGKILL);
            }
        }
    }
}
