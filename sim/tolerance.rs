//! `spikemem tolerance`: a trained model's accuracy against the DRAM bit error rate,
//! for each error model, over several fault maps, optionally with the errors confined
//! to chosen bit positions of the weight (EnforceSNN's error-tolerance analysis).
//!
//! A point is (ber, error_model, fault_seed, bits): the deployment's fault map at that
//! BER (same DRAM, mapping and placement as `run` with this config) gives the stuck
//! bits of every stored synapse field; the model's weights are read through them and
//! the network is evaluated on the test set, exactly as `eval` evaluates it. DRAM
//! timing and energy do not depend on the BER at a fixed voltage, so nothing is
//! simulated cycle by cycle: a point costs one evaluation, and none when no stored bit
//! errs (the accuracy is then the fault-free one, which is also the BER 0 row).

use crate::cli::ToleranceArgs;
use crate::config;
use crate::error::{check_output_path, input_error};
use crate::plot::{line_plot, LinePlot, Series, SpreadPoint};
use crate::snn::{cli::load_sets, model_io, train};
use crate::system::deploy::Deployment;
use crate::system::fault_inject::{apply_dram_faults, FieldStuck};
use crate::system::WeightHome;
use anyhow::{Context, Result};
use spikemem_arch::dram::config::ErrorModel;
use std::fmt::Write as _;
use std::time::Instant;

/// BER 0 and 1e-9 .. 1e-1 by decades.
pub const DEFAULT_BERS: [f64; 10] = [0.0, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1];
pub const DEFAULT_ERROR_MODELS: [ErrorModel; 4] = [
    ErrorModel::Uniform,
    ErrorModel::Bitline,
    ErrorModel::Wordline,
    ErrorModel::DataDependent,
];

/// The CSV's header (scripts rely on these names).
pub const CSV_HEADER: &str = "ber,error_model,fault_seed,bits,accuracy,bits_flipped";

pub fn error_model_name(m: ErrorModel) -> &'static str {
    match m {
        ErrorModel::None => "none",
        ErrorModel::Uniform => "uniform",
        ErrorModel::Bitline => "bitline",
        ErrorModel::Wordline => "wordline",
        ErrorModel::DataDependent => "data_dependent",
    }
}

/// An error model by name or EDEN number (0-3).
pub fn parse_error_model(s: &str) -> Option<ErrorModel> {
    Some(match s.trim() {
        "uniform" | "0" => ErrorModel::Uniform,
        "bitline" | "1" => ErrorModel::Bitline,
        "wordline" | "2" => ErrorModel::Wordline,
        "data_dependent" | "3" => ErrorModel::DataDependent,
        _ => return None,
    })
}

/// Bit positions of the weight that errors may reach: `all` (every bit of the stored
/// field, delay bits included), `msb`, `lsb`, a position `N` or a range `A-B` (0 = the
/// LSB of the weight code).
#[derive(Clone, Debug, PartialEq)]
pub struct BitSet {
    pub name: String,
    /// Field bits kept (u64::MAX for all).
    pub mask: u64,
}

pub fn parse_bits(spec: &str, weight_bits: u32) -> Result<BitSet, String> {
    let s = spec.trim();
    let accepted = "accepted: all, msb, lsb, a bit N or a range A-B, bit 0 = the weight's LSB";
    let bit = |t: &str| -> Result<u32, String> {
        let b: u32 = t
            .trim()
            .parse()
            .map_err(|_| format!("`{t}` is not a bit position ({accepted})"))?;
        if b >= weight_bits {
            return Err(format!(
                "bit {b} is past the weight's {weight_bits} bits (0..{})",
                weight_bits - 1
            ));
        }
        Ok(b)
    };
    let range = |lo: u32, hi: u32| -> u64 { ((1u64 << (hi - lo + 1)) - 1) << lo };
    let mask = match s {
        "all" => u64::MAX,
        "msb" => 1 << (weight_bits - 1),
        "lsb" => 1,
        _ => match s.split_once('-') {
            Some((a, b)) => {
                let (lo, hi) = (bit(a)?, bit(b)?);
                if lo > hi {
                    return Err(format!("range `{s}`: {lo} > {hi} ({accepted})"));
                }
                range(lo, hi)
            }
            None => 1 << bit(s)?,
        },
    };
    Ok(BitSet {
        name: s.to_string(),
        mask,
    })
}

/// `stuck` confined to the field bits of `bits`.
fn confine(stuck: &[FieldStuck], bits: &BitSet) -> Vec<FieldStuck> {
    if bits.mask == u64::MAX {
        return stuck.to_vec();
    }
    stuck
        .iter()
        .map(|s| FieldStuck {
            synapse: s.synapse,
            and: s.and | !bits.mask,
            or: s.or & bits.mask,
        })
        .filter(|s| s.and != u64::MAX || s.or != 0)
        .collect()
}

/// One row of tol.csv.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub ber: f64,
    pub error_model: ErrorModel,
    pub fault_seed: u64,
    pub bits: String,
    pub accuracy: f64,
    pub bits_flipped: u64,
}

fn csv(rows: &[Row]) -> String {
    let mut s = String::from(CSV_HEADER);
    s.push('\n');
    for r in rows {
        let _ = writeln!(
            s,
            "{:e},{},{},{},{},{}",
            r.ber,
            error_model_name(r.error_model),
            r.fault_seed,
            r.bits,
            r.accuracy,
            r.bits_flipped
        );
    }
    s
}

pub fn cmd_tolerance(a: &ToleranceArgs) -> Result<()> {
    check_output_path(&a.out, "--out")?;
    if let Some(p) = &a.plot {
        check_output_path(p, "--plot")?;
    }
    let l = config::load(a.cfg.config.as_deref(), &a.cfg.sets)?;
    crate::snn::surrogate::refuse(&l, "tolerance")?;
    let cfg = &l.config;
    if cfg.system.weights_in != WeightHome::Dram {
        return Err(input_error(format!(
            "{}: system.weights_in = \"sram\": the weights are on chip, no DRAM error reaches them (tolerance needs system.weights_in = \"dram\")",
            l.source
        )));
    }
    let bers: Vec<f64> = a.ber.clone().unwrap_or_else(|| DEFAULT_BERS.to_vec());
    if let Some(b) = bers.iter().find(|b| !(0.0..=0.5).contains(*b)) {
        return Err(input_error(format!(
            "--ber {b}: accepted: bit error rates in [0, 0.5]"
        )));
    }
    let models: Vec<ErrorModel> = match &a.error_models {
        None => DEFAULT_ERROR_MODELS.to_vec(),
        Some(list) => list
            .iter()
            .map(|s| {
                parse_error_model(s).ok_or_else(|| {
                    input_error(format!(
                        "--error-models: `{s}`; accepted: uniform, bitline, wordline, data_dependent (or 0-3)"
                    ))
                })
            })
            .collect::<Result<_>>()?,
    };
    if a.fault_seeds == 0 {
        return Err(input_error(
            "--fault-seeds: accepted: 1 or more".to_string(),
        ));
    }
    let (_, test_set) = load_sets(&l, false)?;
    let net0 = model_io::load(&a.model, &cfg.snn)?;
    let dep = Deployment::new(cfg, &l, &net0)?;
    let weight_bits = dep.dense().weight_bits;
    let bit_sets: Vec<BitSet> = a
        .bits
        .iter()
        .map(|s| parse_bits(s, weight_bits).map_err(|e| input_error(format!("--bits: {e}"))))
        .collect::<Result<_>>()?;
    let threads = cfg.snn.threads;
    let t0 = Instant::now();
    let base = train::evaluate(&net0, &test_set, threads, None)
        .scores
        .accuracy;
    eprintln!(
        "fault-free accuracy {:.2}% on {} samples ({} x {} synapses, {}-bit weights)",
        100.0 * base,
        test_set.len(),
        dep.info.pre_size,
        dep.info.post_size,
        weight_bits
    );
    let mut rows = Vec::new();
    let (mut evaluated, total) = (
        0usize,
        bers.len() * models.len() * a.fault_seeds as usize * bit_sets.len(),
    );
    for &model in &models {
        for s in 0..a.fault_seeds as u64 {
            let seed = cfg.dram.fault_seed.wrapping_add(s);
            for &ber in &bers {
                // One map per (model, seed, ber); the bit sets confine it.
                let stuck = if ber > 0.0 {
                    dep.stuck_bits(&dep.fault_map(model, ber, seed))?
                } else {
                    Vec::new()
                };
                for bits in &bit_sets {
                    let kept = confine(&stuck, bits);
                    let mut net = net0.clone();
                    let flipped = apply_dram_faults(&mut net, dep.dense(), &kept)?;
                    let accuracy = if flipped == 0 {
                        base
                    } else {
                        evaluated += 1;
                        train::evaluate(&net, &test_set, threads, None)
                            .scores
                            .accuracy
                    };
                    rows.push(Row {
                        ber,
                        error_model: model,
                        fault_seed: seed,
                        bits: bits.name.clone(),
                        accuracy,
                        bits_flipped: flipped,
                    });
                    eprintln!(
                        "[{}/{total}] {} ber {ber:e} seed {seed} bits {}: accuracy {:.2}%, {flipped} bits flipped",
                        rows.len(),
                        error_model_name(model),
                        bits.name,
                        100.0 * accuracy
                    );
                }
            }
            // Rows so far stay readable if the command is stopped; the last write holds
            // every row.
            spikemem_traces::write_atomic(&a.out, csv(&rows))
                .with_context(|| format!("{}: cannot write", a.out.display()))?;
        }
    }
    if let Some(p) = &a.plot {
        line_plot(p, &figure(&rows, &bit_sets, &a.model.display().to_string()))?;
    }
    println!(
        "{} points ({evaluated} evaluated, the others with no bit in error) in {:.1} s: {}",
        rows.len(),
        t0.elapsed().as_secs_f64(),
        a.out.display()
    );
    print!("{}", table(&rows, &bers));
    Ok(())
}

/// Mean and spread over fault seeds of every (model, bits) at every BER.
fn spread(rows: &[Row]) -> Vec<((ErrorModel, String), Vec<SpreadPoint>)> {
    let mut keys: Vec<(ErrorModel, String)> = Vec::new();
    for r in rows {
        let k = (r.error_model, r.bits.clone());
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys.into_iter()
        .map(|k| {
            let mut bers: Vec<f64> = Vec::new();
            for r in rows
                .iter()
                .filter(|r| (r.error_model, &r.bits) == (k.0, &k.1))
            {
                if !bers.contains(&r.ber) {
                    bers.push(r.ber);
                }
            }
            let points = bers
                .iter()
                .map(|&ber| {
                    let acc: Vec<f64> = rows
                        .iter()
                        .filter(|r| (r.error_model, &r.bits) == (k.0, &k.1) && r.ber == ber)
                        .map(|r| r.accuracy)
                        .collect();
                    SpreadPoint {
                        x: ber,
                        mean: acc.iter().sum::<f64>() / acc.len() as f64,
                        min: acc.iter().copied().fold(f64::INFINITY, f64::min),
                        max: acc.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                    }
                })
                .collect();
            (k, points)
        })
        .collect()
}

fn figure(rows: &[Row], bit_sets: &[BitSet], model: &str) -> LinePlot {
    LinePlot {
        title: format!("Error tolerance of {model}"),
        x_label: "bit error rate (BER)".into(),
        y_label: "accuracy (%)".into(),
        log_x: true,
        series: spread(rows)
            .into_iter()
            .map(|((m, bits), points)| Series {
                name: if bit_sets.len() > 1 {
                    format!("{} ({bits})", error_model_name(m))
                } else {
                    error_model_name(m).to_string()
                },
                points: points
                    .into_iter()
                    .map(|p| SpreadPoint {
                        x: p.x,
                        mean: 100.0 * p.mean,
                        min: 100.0 * p.min,
                        max: 100.0 * p.max,
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// Mean accuracy (%) per BER (rows) and (model, bits) (columns).
fn table(rows: &[Row], bers: &[f64]) -> String {
    let sp = spread(rows);
    let mut s = format!("{:>10}", "ber");
    for ((m, bits), _) in &sp {
        let _ = write!(s, " {:>16}", format!("{}:{bits}", error_model_name(*m)));
    }
    s.push('\n');
    for &ber in bers {
        let _ = write!(s, "{ber:>10.0e}");
        for (_, points) in &sp {
            match points.iter().find(|p| p.x == ber) {
                Some(p) => {
                    let _ = write!(s, " {:>15.2}%", 100.0 * p.mean);
                }
                None => {
                    let _ = write!(s, " {:>16}", "-");
                }
            }
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_specs_by_hand() {
        assert_eq!(parse_bits("all", 8).unwrap().mask, u64::MAX);
        assert_eq!(parse_bits("msb", 8).unwrap().mask, 0x80);
        assert_eq!(parse_bits("lsb", 8).unwrap().mask, 0x01);
        assert_eq!(parse_bits("3", 8).unwrap().mask, 0x08);
        assert_eq!(parse_bits("4-7", 8).unwrap().mask, 0xF0);
        assert!(parse_bits("8", 8)
            .unwrap_err()
            .contains("past the weight's 8 bits"));
        assert!(parse_bits("5-2", 8).is_err());
        assert!(parse_bits("top", 8).unwrap_err().contains("accepted"));
        assert_eq!(parse_bits("msb", 32).unwrap().mask, 1 << 31);
    }

    #[test]
    fn confining_keeps_only_the_chosen_bits() {
        let stuck = [
            FieldStuck {
                synapse: 0,
                and: !0x81,
                or: 0,
            },
            FieldStuck {
                synapse: 1,
                and: u64::MAX,
                or: 0x02,
            },
        ];
        let msb = parse_bits("msb", 8).unwrap();
        let kept = confine(&stuck, &msb);
        assert_eq!(
            kept,
            vec![FieldStuck {
                synapse: 0,
                and: !0x80,
                or: 0
            }]
        );
        let lsb = parse_bits("0-1", 8).unwrap();
        let kept = confine(&stuck, &lsb);
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].and, !0x01);
        assert_eq!(kept[1].or, 0x02);
    }

    #[test]
    fn spread_is_mean_min_max_over_seeds() {
        let row = |seed, acc| Row {
            ber: 1e-3,
            error_model: ErrorModel::Uniform,
            fault_seed: seed,
            bits: "all".into(),
            accuracy: acc,
            bits_flipped: 1,
        };
        let sp = spread(&[row(1, 0.5), row(2, 0.7), row(3, 0.9)]);
        assert_eq!(sp.len(), 1);
        let p = sp[0].1[0];
        assert!((p.mean - 0.7).abs() < 1e-12 && p.min == 0.5 && p.max == 0.9);
    }
}
