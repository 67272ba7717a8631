//! Memory budget of an SNN: refuse, before allocating, a network (and run) that would not
//! fit in the machine's memory, instead of aborting on a failed allocation.
//!
//! Invariants:
//! - [`check_network`] runs at the top of `Network::new`, before any per-neuron or
//!   per-synapse allocation, on every network: built from `[snn]` or described by a model
//!   file (whose sizes it therefore bounds, overflow included).
//! - [`check_config`] runs when a config is loaded (so `run`, `train`, `eval` and every
//!   sweep point are checked before any data is read); it adds what a run allocates
//!   besides the network: the accelerator's copies of the input projection and the
//!   per-sample response matrices.
//! - The estimate is an upper-side estimate of the large allocations, in bytes (u128: no
//!   overflow for any declared size). Below [`CHECK_FLOOR_BYTES`] nothing is read from
//!   the system. The limit is `MemAvailable` of /proc/meminfo, or
//!   `SPIKEMEM_MEMORY_LIMIT_BYTES` when set (tests, batch schedulers' limits); without
//!   either, only the floor-free overflow bound applies.
//!
//! Refusals are input errors (exit 2) naming the estimate, the limit and the keys that
//! drive it.

use super::config::SnnConfig;
use super::network::{self, Connectivity, NetworkDesc, Plasticity, WeightInit};
use crate::error::input_error;
use anyhow::Result;

/// Estimates below this are accepted without looking at the machine.
pub const CHECK_FLOOR_BYTES: u128 = 256 << 20;

/// Refused on any machine (also when the limit cannot be read).
pub const ABSURD_BYTES: u128 = 1 << 50;

/// Environment variable overriding the memory limit (bytes).
pub const LIMIT_ENV: &str = "SPIKEMEM_MEMORY_LIMIT_BYTES";

/// Bytes per synapse of the accelerator's copies of the input projection during a run:
/// the weight matrix read out (4), its codes (4), the stored fields (8), and the weights
/// read back through the faulty DRAM (4 + 4).
const ACCEL_BYTES_PER_SYNAPSE: u128 = 24;

/// Bytes per neuron of one network copy (membrane, conductances, threshold, refractory,
/// counts, labels, STDP traces): an upper side.
const BYTES_PER_NEURON: u128 = 64;

/// An estimate: total bytes and its largest parts, for the message.
#[derive(Debug, Default)]
pub struct Estimate {
    pub bytes: u128,
    pub parts: Vec<(String, u128)>,
}

impl Estimate {
    fn add(&mut self, what: String, bytes: u128) {
        self.bytes = self.bytes.saturating_add(bytes);
        if bytes > 0 {
            self.parts.push((what, bytes));
        }
    }
}

/// The network's allocations. `copies`: network copies alive at once (the network and
/// one per evaluation thread); per-synapse weights and delays are shared between copies,
/// masks, STDP accumulators and delay rings are not.
pub fn network_bytes(cfg: &SnnConfig, desc: &NetworkDesc) -> Estimate {
    let mut e = Estimate::default();
    let copies = 1 + cfg.threads.max(1) as u128;
    let neurons: u128 = desc.populations().map(|(_, p)| p.size as u128).sum();
    e.add(
        format!("{neurons} neurons x {copies} copies"),
        neurons * BYTES_PER_NEURON * copies,
    );
    let timestep = cfg.switches().timestep_updates;
    for (_, a, b, p) in desc.projections() {
        let (ns, nt) = (desc.graph[a].size as u128, desc.graph[b].size as u128);
        let structural = matches!(
            p.connectivity,
            Connectivity::OneToOne | Connectivity::AllButOne
        ) && matches!(p.init, WeightInit::Shared(_));
        if structural {
            e.add(format!("{}: fan counts", p.name), 4 * (ns + nt));
            continue;
        }
        if let Some(c) = crate::snn::engine::conv::Conv::of(&p.connectivity) {
            e.add(
                format!("{}: kernel and fan counts", p.name),
                4 * (ns + nt) + 4 * c.kernel_len() as u128 * copies,
            );
            continue;
        }
        let syn = ns * nt;
        // Weights, plus a transient copy (model save / load, read-out).
        let mut shared = 8u128;
        let mut per_copy = 0u128;
        if matches!(
            p.connectivity,
            Connectivity::Sparse { .. } | Connectivity::Local { .. }
        ) {
            // One presence bit per pair, shared by clones.
            e.add(format!("{}: synapse bits", p.name), syn.div_ceil(8));
        }
        if p.delay_max_ms > 0.0 {
            shared += 2;
            let steps = (p.delay_max_ms / cfg.dt_ms).clamp(0.0, 1e6) as u128;
            let depth = (steps + 1).next_power_of_two();
            e.add(
                format!("{}: delay ring {depth} slots x {nt}", p.name),
                depth * nt * 4 * copies,
            );
        }
        if p.plasticity == Plasticity::Stdp && timestep {
            per_copy += 8; // pending changes, by row and by column
        }
        e.add(
            format!("{}: {ns} x {nt} synapses", p.name),
            syn * (shared + per_copy * copies),
        );
    }
    e
}

/// What a run needs with `inputs` input pixels, `label_samples` samples whose responses
/// label the neurons and `test_samples` evaluated.
pub fn run_bytes(cfg: &SnnConfig, inputs: (usize, usize), samples: (u128, u128)) -> Estimate {
    let desc = network::build(cfg, inputs.0, inputs.1);
    let mut e = network_bytes(cfg, &desc);
    let n = cfg.n_excitatory as u128;
    let syn = (inputs.0 as u128) * (inputs.1 as u128) * n;
    e.add(
        "accelerator copies of the input projection".into(),
        syn * ACCEL_BYTES_PER_SYNAPSE,
    );
    // The training window holds at most the training set (here: the labelling one).
    let window = (cfg.report_every.max(1) as u128).min(samples.0.max(1));
    e.add(
        format!(
            "spike-count responses ({} + {} + {window} samples x {n} neurons)",
            samples.0, samples.1
        ),
        (samples.0 + samples.1 + window) * n * 4,
    );
    e
}

/// The memory a network may use: `SPIKEMEM_MEMORY_LIMIT_BYTES`, else MemAvailable.
pub fn limit_bytes() -> Option<(u128, &'static str)> {
    if let Some(v) = std::env::var(LIMIT_ENV)
        .ok()
        .and_then(|v| v.trim().parse().ok())
    {
        return Some((v, LIMIT_ENV));
    }
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kb: u128 = text
        .lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some((kb * 1024, "MemAvailable in /proc/meminfo"))
}

pub fn gib(b: u128) -> String {
    format!("{:.2} GiB", b as f64 / (1u128 << 30) as f64)
}

/// Ok when `e` fits; else the refusal, naming `drivers` (the keys and values that set
/// the sizes) and `fits` (what would fit, if known).
fn judge(e: &Estimate, what: &str, drivers: &str, fits: impl Fn(u128) -> String) -> Result<()> {
    if e.bytes < CHECK_FLOOR_BYTES {
        return Ok(());
    }
    // Without a known limit, still refuse what no machine has.
    let (limit, source) = limit_bytes().unwrap_or((ABSURD_BYTES, "no limit known: 1 PiB"));
    if e.bytes <= limit {
        return Ok(());
    }
    let mut parts: Vec<&(String, u128)> = e.parts.iter().collect();
    parts.sort_by_key(|p| std::cmp::Reverse(p.1));
    let parts: Vec<String> = parts
        .iter()
        .take(3)
        .map(|(w, b)| format!("{w}: {}", gib(*b)))
        .collect();
    Err(input_error(format!(
        "{what} would need about {} ({}), more than the {} this machine has ({source}); \
         driven by {drivers}; {}",
        gib(e.bytes),
        parts.join("; "),
        gib(limit),
        fits(limit)
    )))
}

/// Refuse `bytes` for `what` (e.g. a model file's dataset) when they would not fit.
pub fn check_bytes(bytes: u128, what: &str) -> std::result::Result<(), String> {
    let mut e = Estimate::default();
    e.add(what.to_string(), bytes);
    judge(&e, what, "its declared shape", |_| {
        "accepted: data that fits in memory".into()
    })
    .map_err(|e| e.to_string())
}

/// Refuse a network that would not fit (called by `Network::new` before it allocates).
pub fn check_network(cfg: &SnnConfig, desc: &NetworkDesc) -> Result<()> {
    let e = network_bytes(cfg, desc);
    let sizes: Vec<String> = desc
        .populations()
        .map(|(_, p)| format!("{} {}", p.name, p.size))
        .collect();
    judge(
        &e,
        "the network",
        &format!(
            "the population sizes ({}; snn.n_excitatory or the model file's network) and \
             snn.threads = {}",
            sizes.join(", "),
            cfg.threads
        ),
        |_| "accepted: a network whose estimate fits".into(),
    )
}

/// Refuse a config whose run would not fit: the network built from `[snn]` on the
/// configured data (image size and sample counts read from the IDX headers when the
/// config says "all"), plus the accelerator's copies and the response matrices.
pub fn check_config(config: &crate::config::Config, base_dir: &std::path::Path) -> Result<()> {
    let (snn, d) = (&config.snn, &config.data);
    if snn.model == super::config::SnnModel::SurrogateGradient {
        // Sized when its network is built (surrogate::network::SurrogateNet::new).
        return Ok(());
    }
    let peek = |f: &str| super::dataset::peek_dims(f, base_dir);
    let dims = peek(&d.train_images).filter(|v| v.len() == 3);
    let (rows, cols) = dims.as_ref().map_or((28, 28), |v| (v[1], v[2]));
    let count = |n: usize, f: &str| -> u128 {
        if n != 0 {
            return n as u128;
        }
        peek(f).and_then(|v| v.first().copied()).unwrap_or(0) as u128
    };
    let train = count(d.train_samples, &d.train_images);
    let label = if snn.label_samples != 0 {
        (snn.label_samples as u128).min(train)
    } else {
        train
    };
    let test = count(d.test_samples, &d.test_images);
    let e = run_bytes(snn, (rows, cols), (label, test));
    let drivers = format!(
        "snn.n_excitatory = {}, {rows}x{cols} input images (data.train_images), \
         {label} labelling and {test} test samples (data.train_samples, snn.label_samples, \
         data.test_samples), snn.threads = {}",
        snn.n_excitatory, snn.threads
    );
    judge(&e, "this run", &drivers, |limit| {
        // The largest n_excitatory that fits, all else equal (the estimate grows with it).
        let (mut lo, mut hi) = (0usize, snn.n_excitatory);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            let c = SnnConfig {
                n_excitatory: mid,
                ..snn.clone()
            };
            if run_bytes(&c, (rows, cols), (label, test)).bytes <= limit {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        if lo == 0 {
            "accepted: fewer samples or smaller images".into()
        } else {
            format!("accepted here: snn.n_excitatory up to about {lo} with these settings")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_scale_with_the_network_and_overflow_nowhere() {
        let cfg = SnnConfig {
            n_excitatory: 100_000,
            ..SnnConfig::default()
        };
        let e = run_bytes(&cfg, (28, 28), (1000, 200));
        // The input projection: 78.4 M synapses x (8 + 24) bytes; responses: (1000 +
        // 200 + a 1000-sample window) x 100000 x 4 bytes.
        let syn = 78_400_000u128 * 32;
        let resp = 2200u128 * 100_000 * 4;
        assert!(
            e.bytes > syn + resp && e.bytes < syn + resp + (64 << 20),
            "{e:?}"
        );
        // The lateral projections are structural: linear in n.
        assert!(e
            .parts
            .iter()
            .any(|(w, b)| w.starts_with("inh_exc") && *b < 1 << 20));
        let huge = network::build(&cfg, 1 << 40, 1 << 20);
        assert!(network_bytes(&cfg, &huge).bytes > u64::MAX as u128);
        assert!(check_network(&cfg, &huge).is_err());
    }
}
