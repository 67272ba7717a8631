//! `spikemem select`: pick a design point from a sweep's results table, as EnforceSNN
//! does: the Pareto front over (accuracy: higher is better, weight memory: lower is
//! better, DRAM energy: lower is better), the constraints (accuracy >= A, memory <= B,
//! energy <= E), and among the rows meeting them the best by an objective (default: the
//! least DRAM energy).
//!
//! Input: the `results.csv` of `spikemem sweep` (or any CSV with a header row). Rows
//! with a missing or non-numeric value in one of the keys (or the objective's column)
//! are skipped and counted. Ties in the objective go to a point on the front, then to
//! higher accuracy, lower memory, lower energy, then the earlier row.
//!
//! Outputs (each written atomically): `--out chosen.json`, the front as CSV beside it
//! (`chosen.front.csv`: the `.json` extension replaced by `.front.csv`), and `--plot`
//! (PNG or SVG: DRAM energy vs accuracy, front highlighted, chosen marked). The table of
//! the front and the choice is printed after the files are written.

use crate::cli::SelectArgs;
use crate::error::{check_output_path, input_error};
use crate::plot;
use anyhow::{Context, Result};
use spikemem_traces::write_atomic;
use std::cmp::Ordering;

mod output;
mod table;
pub use output::{chosen_json, front_csv, front_csv_path, report, selection_plot};

use table::{column, number};
pub use table::{parse_csv, Table};

/// Default column names (the run summary's keys under `result.` in a sweep's table).
pub const DEFAULT_ACCURACY_KEY: &str = "result.accuracy";
pub const DEFAULT_MEMORY_KEY: &str = "result.weight_memory_bits";
pub const DEFAULT_ENERGY_KEY: &str = "result.dram.energy_pj";

/// Columns holding the three metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    pub accuracy: String,
    pub memory: String,
    pub energy: String,
}

impl Default for Keys {
    fn default() -> Self {
        Keys {
            accuracy: DEFAULT_ACCURACY_KEY.into(),
            memory: DEFAULT_MEMORY_KEY.into(),
            energy: DEFAULT_ENERGY_KEY.into(),
        }
    }
}

/// The column to optimize and in which direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Objective {
    pub key: String,
    pub maximize: bool,
}

impl Objective {
    /// `KEY` or `min:KEY` (minimize), `max:KEY` (maximize); `None`: minimize `energy_key`.
    pub fn parse(spec: Option<&str>, energy_key: &str) -> Result<Objective> {
        let Some(s) = spec else {
            return Ok(Objective {
                key: energy_key.into(),
                maximize: false,
            });
        };
        let (maximize, key) = if let Some(k) = s.strip_prefix("max:") {
            (true, k)
        } else if let Some(k) = s.strip_prefix("min:") {
            (false, k)
        } else {
            (false, s)
        };
        if key.trim().is_empty() {
            return Err(input_error(format!(
                "--objective '{s}': no column named; give KEY, min:KEY or max:KEY"
            )));
        }
        Ok(Objective {
            key: key.to_string(),
            maximize,
        })
    }

    fn direction(&self) -> &'static str {
        if self.maximize {
            "max"
        } else {
            "min"
        }
    }
}

/// Limits a chosen point must meet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Constraints {
    pub min_accuracy: f64,
    pub max_memory: Option<f64>,
    pub max_energy: Option<f64>,
}

/// One row with numeric values in every key.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// 0-based index among the CSV's data rows.
    pub row: usize,
    pub accuracy: f64,
    pub memory: f64,
    pub energy: f64,
    pub objective: f64,
}

impl Candidate {
    /// At least as good in all three metrics and better in one.
    fn dominates(&self, o: &Candidate) -> bool {
        let no_worse =
            self.accuracy >= o.accuracy && self.memory <= o.memory && self.energy <= o.energy;
        let better = self.accuracy > o.accuracy || self.memory < o.memory || self.energy < o.energy;
        no_worse && better
    }

    fn meets(&self, c: &Constraints) -> [bool; 3] {
        [
            self.accuracy >= c.min_accuracy,
            c.max_memory.is_none_or(|m| self.memory <= m),
            c.max_energy.is_none_or(|e| self.energy <= e),
        ]
    }
}

/// A row left out: its index and the key whose cell was missing or not a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub row: usize,
    pub key: String,
    pub cell: String,
}

/// The outcome of a selection.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    /// Data rows in the table.
    pub rows: usize,
    /// Rows with numeric values in every key, in table order.
    pub candidates: Vec<Candidate>,
    pub skipped: Vec<Skipped>,
    /// Row indices of the Pareto front (ascending).
    pub front: Vec<usize>,
    /// Row indices meeting the constraints (ascending).
    pub feasible: Vec<usize>,
    /// Row index of the chosen point.
    pub chosen: usize,
}

impl Selection {
    pub fn candidate(&self, row: usize) -> Option<&Candidate> {
        self.candidates.iter().find(|c| c.row == row)
    }
}

/// Select a point of `table` (read from `file`, named in messages).
pub fn select(
    table: &Table,
    keys: &Keys,
    cons: &Constraints,
    obj: &Objective,
    file: &str,
) -> Result<Selection> {
    let cols = [
        (
            column(table, &keys.accuracy, "the accuracy, --accuracy-key", file)?,
            &keys.accuracy,
        ),
        (
            column(table, &keys.memory, "the memory, --memory-key", file)?,
            &keys.memory,
        ),
        (
            column(table, &keys.energy, "the energy, --energy-key", file)?,
            &keys.energy,
        ),
        (column(table, &obj.key, "the --objective", file)?, &obj.key),
    ];
    let mut candidates = Vec::new();
    let mut skipped = Vec::new();
    'rows: for (row, cells) in table.rows.iter().enumerate() {
        let mut v = [0.0; 4];
        for (slot, (col, key)) in v.iter_mut().zip(&cols) {
            let cell = cells.get(*col).map(String::as_str).unwrap_or("");
            match number(cell) {
                Some(x) => *slot = x,
                None => {
                    skipped.push(Skipped {
                        row,
                        key: key.to_string(),
                        cell: cell.to_string(),
                    });
                    continue 'rows;
                }
            }
        }
        candidates.push(Candidate {
            row,
            accuracy: v[0],
            memory: v[1],
            energy: v[2],
            objective: v[3],
        });
    }
    if candidates.is_empty() {
        return Err(input_error(format!(
            "{file}: no row has numeric values in {}, {}, {} and {} ({} data rows{})",
            keys.accuracy,
            keys.memory,
            keys.energy,
            obj.key,
            table.rows.len(),
            skipped_summary(&skipped)
        )));
    }
    let front: Vec<usize> = candidates
        .iter()
        .filter(|c| !candidates.iter().any(|o| o.dominates(c)))
        .map(|c| c.row)
        .collect();
    let feasible: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| c.meets(cons).iter().all(|m| *m))
        .collect();
    if feasible.is_empty() {
        return Err(input_error(infeasible_message(
            &candidates,
            &skipped,
            keys,
            cons,
            file,
        )));
    }
    let on_front = |c: &Candidate| front.contains(&c.row);
    let better = |a: &&&Candidate, b: &&&Candidate| -> Ordering {
        let by_obj = if obj.maximize {
            b.objective.total_cmp(&a.objective)
        } else {
            a.objective.total_cmp(&b.objective)
        };
        by_obj
            .then(on_front(b).cmp(&on_front(a)))
            .then(b.accuracy.total_cmp(&a.accuracy))
            .then(a.memory.total_cmp(&b.memory))
            .then(a.energy.total_cmp(&b.energy))
            .then(a.row.cmp(&b.row))
    };
    let chosen = feasible
        .iter()
        .min_by(better)
        .map(|c| c.row)
        .expect("feasible is not empty");
    Ok(Selection {
        rows: table.rows.len(),
        feasible: feasible.iter().map(|c| c.row).collect(),
        candidates,
        skipped,
        front,
        chosen,
    })
}

pub(super) fn skipped_summary(skipped: &[Skipped]) -> String {
    if skipped.is_empty() {
        return String::new();
    }
    let shown: Vec<String> = skipped
        .iter()
        .take(5)
        .map(|s| format!("row {} ({} = '{}')", s.row, s.key, s.cell))
        .collect();
    let more = if skipped.len() > 5 {
        format!(", ... {} more", skipped.len() - 5)
    } else {
        String::new()
    };
    format!(
        ", {} skipped for a missing or non-numeric value: {}{more}",
        skipped.len(),
        shown.join(", ")
    )
}

/// Why no row meets the constraints: what each constraint eliminates, the one that
/// eliminates the most, and the best values there are.
fn infeasible_message(
    cands: &[Candidate],
    skipped: &[Skipped],
    keys: &Keys,
    cons: &Constraints,
    file: &str,
) -> String {
    let names = [
        format!("{} >= {}", keys.accuracy, cons.min_accuracy),
        cons.max_memory
            .map(|m| format!("{} <= {m}", keys.memory))
            .unwrap_or_default(),
        cons.max_energy
            .map(|e| format!("{} <= {e}", keys.energy))
            .unwrap_or_default(),
    ];
    let active = [true, cons.max_memory.is_some(), cons.max_energy.is_some()];
    let mut eliminated = [0usize; 3];
    for c in cands {
        for (k, ok) in c.meets(cons).iter().enumerate() {
            eliminated[k] += usize::from(!ok);
        }
    }
    let parts: Vec<String> = (0..3)
        .filter(|k| active[*k])
        .map(|k| format!("{} eliminates {} of them", names[k], eliminated[k]))
        .collect();
    let worst = (0..3)
        .filter(|k| active[*k])
        .max_by_key(|k| (eliminated[*k], std::cmp::Reverse(*k)))
        .unwrap_or(0);
    // Best value of metric k over all rows, and over the rows meeting the other
    // constraints (the value that constraint would have to allow).
    let metric = |c: &Candidate, k: usize| [c.accuracy, c.memory, c.energy][k];
    let best = |k: usize, others_only: bool| -> Option<(f64, usize)> {
        cands
            .iter()
            .filter(|c| {
                !others_only
                    || c.meets(cons)
                        .iter()
                        .enumerate()
                        .all(|(j, ok)| j == k || *ok)
            })
            .map(|c| (metric(c, k), c.row))
            .min_by(|a, b| {
                let o = a.0.total_cmp(&b.0);
                if k == 0 {
                    o.reverse()
                } else {
                    o
                }
            })
    };
    let labels = [&keys.accuracy, &keys.memory, &keys.energy];
    let bests: Vec<String> = (0..3)
        .map(|k| {
            let (v, r) = best(k, false).expect("candidates is not empty");
            let among = if active[k] {
                match best(k, true) {
                    Some((v2, r2)) => {
                        format!("; {v2} (row {r2}) among the rows meeting the other constraints")
                    }
                    None => "; no row meets the other constraints".into(),
                }
            } else {
                String::new()
            };
            format!(
                "{} {} {v} (row {r}{among})",
                if k == 0 { "highest" } else { "lowest" },
                labels[k]
            )
        })
        .collect();
    let skipped_note = match skipped_summary(skipped).strip_prefix(", ") {
        Some(s) => format!("\n(Rows without values: {s}.)"),
        None => String::new(),
    };
    format!(
        "{file}: no row meets the constraints. Of the {} rows with values, {}; {} eliminates the most.\nBest available: {}.{skipped_note}",
        cands.len(),
        parts.join(", "),
        names[worst],
        bests.join("; ")
    )
}

pub fn cmd_select(a: &SelectArgs) -> Result<()> {
    if !a.min_accuracy.is_finite() {
        return Err(input_error("--min-accuracy must be a finite number"));
    }
    for (v, name) in [
        (a.max_memory_bits, "--max-memory-bits"),
        (a.max_dram_energy_pj, "--max-dram-energy-pj"),
    ] {
        if v.is_some_and(|v| !v.is_finite()) {
            return Err(input_error(format!("{name} must be a finite number")));
        }
    }
    let front_path = a.out.as_deref().map(front_csv_path);
    if let Some(p) = &a.out {
        check_output_path(p, "--out")?;
    }
    if let Some(p) = &a.plot {
        plot::check_plot_path(p)?;
    }
    let file = a.results.display().to_string();
    let text = match std::fs::read(&a.results) {
        Ok(b) => String::from_utf8(b)
            .map_err(|_| input_error(format!("{file}: not UTF-8 text (expected a CSV table)")))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(input_error(format!(
                "{file}: no such file (give the results.csv of a `spikemem sweep`)"
            )))
        }
        Err(e) => {
            return Err(input_error(format!("cannot read {file}: {e}")));
        }
    };
    let table = parse_csv(&text).map_err(|e| input_error(format!("{file}: {e}")))?;
    let keys = Keys {
        accuracy: a.accuracy_key.clone(),
        memory: a.memory_key.clone(),
        energy: a.energy_key.clone(),
    };
    let obj = Objective::parse(a.objective.as_deref(), &keys.energy)?;
    let cons = Constraints {
        min_accuracy: a.min_accuracy,
        max_memory: a.max_memory_bits,
        max_energy: a.max_dram_energy_pj,
    };
    let sel = select(&table, &keys, &cons, &obj, &file)?;
    if let (Some(out), Some(fp)) = (&a.out, &front_path) {
        let j = chosen_json(&sel, &table, &keys, &cons, &obj, &file, Some(fp));
        let text = serde_json::to_string_pretty(&j)? + "\n";
        write_atomic(out, text).with_context(|| format!("cannot write {}", out.display()))?;
        write_atomic(fp, front_csv(&sel, &table))
            .with_context(|| format!("cannot write {}", fp.display()))?;
    }
    if let Some(p) = &a.plot {
        plot::scatter_plot(p, &selection_plot(&sel, &keys, &file))?;
    }
    print!("{}", report(&sel, &table, &keys, &obj));
    let mut wrote: Vec<String> = Vec::new();
    if let (Some(out), Some(fp)) = (&a.out, &front_path) {
        wrote.push(out.display().to_string());
        wrote.push(fp.display().to_string());
    }
    if let Some(p) = &a.plot {
        wrote.push(p.display().to_string());
    }
    if !wrote.is_empty() {
        println!("wrote {}", wrote.join(", "));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};
    use std::path::Path;

    /// Eight rows worked by hand (accuracy up, memory down, energy down):
    ///
    /// | row | acc  | mem | energy | note |
    /// | 0   | 0.90 | 100 | 50     | front |
    /// | 1   | 0.95 | 200 | 80     | front (most accurate) |
    /// | 2   | 0.90 | 100 | 60     | dominated by 0 (same acc and mem, more energy) |
    /// | 3   | 0.85 | 50  | 40     | front, fails accuracy >= 0.88 |
    /// | 4   | 0.92 | 100 | 50     | front; dominates 0? acc 0.92 > 0.90, same mem, energy: yes -> 0 is dominated |
    /// | 5   | 0.92 | 100 | 50     | tie with 4: neither dominates, both on the front |
    /// | 6   | (missing accuracy)        | skipped |
    /// | 7   | 0.80 | 300 | 90     | dominated by everything |
    ///
    /// So the front is {1, 3, 4, 5} (0 is dominated by 4). Constraints accuracy >= 0.88:
    /// feasible {0, 1, 2, 4, 5}; least energy 50 at rows 0, 4, 5; 0 is off the front, 4
    /// and 5 tie in everything -> the earlier row, 4.
    const TABLE: &str =
        "point,x,result.accuracy,result.weight_memory_bits,result.dram.energy_pj,result.cycles\n\
0,a,0.90,100,50,7\n\
1,b,0.95,200,80,3\n\
2,c,0.90,100,60,2\n\
3,d,0.85,50,40,1\n\
4,\"e,1\",0.92,100,50,9\n\
5,f,0.92,100,50.0,4\n\
6,g,,100,10,1\n\
7,h,0.80,300,90,8\n";

    fn run(cons: Constraints, obj: Option<&str>) -> Result<Selection> {
        let t = parse_csv(TABLE).unwrap();
        let keys = Keys::default();
        let obj = Objective::parse(obj, &keys.energy)?;
        select(&t, &keys, &cons, &obj, "t.csv")
    }

    fn acc(a: f64) -> Constraints {
        Constraints {
            min_accuracy: a,
            max_memory: None,
            max_energy: None,
        }
    }

    #[test]
    fn csv_parses_quotes_and_blank_lines() {
        let t = parse_csv("a,b\r\n1,\"x,\"\"y\"\"\nz\"\n\n2,\n").unwrap();
        assert_eq!(t.header, ["a", "b"]);
        assert_eq!(t.rows, vec![vec!["1", "x,\"y\"\nz"], vec!["2", ""]]);
        assert!(parse_csv("a\n\"open").unwrap_err().contains("line 2"));
        assert!(parse_csv("").is_err());
    }

    #[test]
    fn hand_worked_table_front_and_choice() {
        let s = run(acc(0.88), None).unwrap();
        assert_eq!(s.front, vec![1, 3, 4, 5]);
        assert_eq!(s.feasible, vec![0, 1, 2, 4, 5]);
        assert_eq!(s.chosen, 4);
        assert_eq!(s.rows, 8);
        assert_eq!(
            s.skipped,
            vec![Skipped {
                row: 6,
                key: "result.accuracy".into(),
                cell: String::new()
            }]
        );
    }

    #[test]
    fn constraints_and_objectives_move_the_choice() {
        // Without the accuracy floor the cheapest row is 3 (energy 40).
        assert_eq!(run(acc(0.0), None).unwrap().chosen, 3);
        // Memory <= 150 and accuracy >= 0.93: only row 1 is accurate enough, at 200 bits.
        let e = run(
            Constraints {
                min_accuracy: 0.93,
                max_memory: Some(150.0),
                max_energy: None,
            },
            None,
        )
        .unwrap_err();
        let m = format!("{e:#}");
        assert!(crate::error::is_input_error(&e));
        assert!(m.contains("result.accuracy >= 0.93 eliminates 6"), "{m}");
        assert!(
            m.contains("result.weight_memory_bits <= 150 eliminates 2"),
            "{m}"
        );
        assert!(
            m.contains("result.accuracy >= 0.93 eliminates the most"),
            "{m}"
        );
        assert!(m.contains("highest result.accuracy 0.95 (row 1"), "{m}");
        assert!(
            m.contains("0.92 (row 4) among the rows meeting the other"),
            "{m}"
        );
        // Objective: most accurate, and the least cycles (row 2: 2 cycles, off the front).
        assert_eq!(
            run(acc(0.88), Some("max:result.accuracy")).unwrap().chosen,
            1
        );
        assert_eq!(run(acc(0.88), Some("result.cycles")).unwrap().chosen, 2);
        assert_eq!(run(acc(0.88), Some("min:result.cycles")).unwrap().chosen, 2);
        // Energy cap 45 with accuracy >= 0.88: nothing; energy eliminates the most.
        let e = run(
            Constraints {
                min_accuracy: 0.88,
                max_memory: None,
                max_energy: Some(45.0),
            },
            None,
        )
        .unwrap_err();
        let m = format!("{e:#}");
        assert!(
            m.contains("result.dram.energy_pj <= 45 eliminates 6"),
            "{m}"
        );
        assert!(
            m.contains("result.dram.energy_pj <= 45 eliminates the most"),
            "{m}"
        );
    }

    #[test]
    fn a_missing_key_names_the_columns() {
        let t = parse_csv(TABLE).unwrap();
        let keys = Keys {
            memory: "result.memory_bits".into(),
            ..Keys::default()
        };
        let obj = Objective::parse(None, &keys.energy).unwrap();
        let e = select(&t, &keys, &acc(0.5), &obj, "t.csv").unwrap_err();
        let m = format!("{e:#}");
        assert!(crate::error::is_input_error(&e));
        assert!(
            m.contains("t.csv: no column 'result.memory_bits' (the memory, --memory-key)"),
            "{m}"
        );
        assert!(m.contains("similar: result.weight_memory_bits"), "{m}");
        assert!(m.contains("point, x, result.accuracy"), "{m}");
        assert!(Objective::parse(Some("max:"), "e").is_err());
    }

    #[test]
    fn outputs_name_the_front_and_the_choice() {
        let t = parse_csv(TABLE).unwrap();
        let keys = Keys::default();
        let obj = Objective::parse(None, &keys.energy).unwrap();
        let cons = acc(0.88);
        let s = select(&t, &keys, &cons, &obj, "t.csv").unwrap();
        let j = chosen_json(&s, &t, &keys, &cons, &obj, "t.csv", None);
        assert_eq!(j["point"], 4);
        assert_eq!(j["front"], json!([1, 3, 4, 5]));
        assert_eq!(j["row"]["x"], "e,1");
        assert_eq!(j["row"]["result.dram.energy_pj"], 50);
        assert_eq!(j["values"]["accuracy"], 0.92);
        assert_eq!(j["constraints"]["min_accuracy"], 0.88);
        assert_eq!(j["constraints"]["max_memory_bits"], Value::Null);
        let csv = parse_csv(&front_csv(&s, &t)).unwrap();
        assert_eq!(
            csv.header[..4],
            ["select.row", "select.chosen", "select.feasible", "point"]
        );
        let rows: Vec<(&str, &str, &str)> = csv
            .rows
            .iter()
            .map(|r| (r[0].as_str(), r[1].as_str(), r[2].as_str()))
            .collect();
        assert_eq!(
            rows,
            [
                ("1", "false", "true"),
                ("3", "false", "false"),
                ("4", "true", "true"),
                ("5", "false", "true")
            ]
        );
        assert_eq!(csv.rows[2][4], "e,1");
        let r = report(&s, &t, &keys, &obj);
        assert!(r.contains("<- chosen"), "{r}");
        assert!(r.contains("skipped 1 of 8 rows"), "{r}");
        assert_eq!(
            front_csv_path(Path::new("d/chosen.json")),
            Path::new("d/chosen.front.csv")
        );
        assert_eq!(front_csv_path(Path::new("sel")), Path::new("sel.front.csv"));
    }
}
