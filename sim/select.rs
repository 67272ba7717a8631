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
use crate::plot::{self, ScatterPlot, ScatterPoint};
use anyhow::{Context, Result};
use serde_json::{json, Map, Value};
use spikemem_traces::write_atomic;
use std::cmp::Ordering;
use std::path::{Path, PathBuf};

/// Default column names (the run summary's keys under `result.` in a sweep's table).
pub const DEFAULT_ACCURACY_KEY: &str = "result.accuracy";
pub const DEFAULT_MEMORY_KEY: &str = "result.weight_memory_bits";
pub const DEFAULT_ENERGY_KEY: &str = "result.dram.energy_pj";

/// A CSV table: header and data rows (cells as text).
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Parse CSV text (RFC 4180: `"` quotes, `""` inside quotes, quoted commas and
/// newlines; `\r\n` or `\n` line ends). The first record is the header; blank lines are
/// ignored.
pub fn parse_csv(text: &str) -> std::result::Result<Table, String> {
    let mut records: Vec<Vec<String>> = Vec::new();
    let mut rec: Vec<String> = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut line = 1usize;
    let mut quote_line = 0usize;
    let mut chars = text.chars().peekable();
    let end_record = |rec: &mut Vec<String>, cell: &mut String, records: &mut Vec<Vec<String>>| {
        rec.push(std::mem::take(cell));
        let r = std::mem::take(rec);
        if !(r.len() == 1 && r[0].trim().is_empty()) {
            records.push(r);
        }
    };
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    cell.push(c);
                }
                _ => cell.push(c),
            }
            continue;
        }
        match c {
            '"' if cell.is_empty() => {
                quoted = true;
                quote_line = line;
            }
            ',' => rec.push(std::mem::take(&mut cell)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                line += 1;
                end_record(&mut rec, &mut cell, &mut records);
            }
            _ => cell.push(c),
        }
    }
    if quoted {
        return Err(format!(
            "line {quote_line}: quoted cell not closed before the end of the file"
        ));
    }
    if !cell.is_empty() || !rec.is_empty() {
        end_record(&mut rec, &mut cell, &mut records);
    }
    let mut it = records.into_iter();
    let header = it.next().ok_or("the file is empty (no header row)")?;
    Ok(Table {
        header,
        rows: it.collect(),
    })
}

/// Quote a cell for CSV when it needs it (as `spikemem sweep` does).
fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

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

fn column(table: &Table, key: &str, what: &str, file: &str) -> Result<usize> {
    if let Some(i) = table.header.iter().position(|h| h == key) {
        return Ok(i);
    }
    let words: Vec<&str> = key
        .split(['.', '_'])
        .filter(|w| w.len() >= 3 && *w != "result")
        .collect();
    let similar: Vec<&str> = table
        .header
        .iter()
        .filter(|h| words.iter().any(|w| h.contains(w)))
        .map(String::as_str)
        .collect();
    let similar = if similar.is_empty() {
        String::new()
    } else {
        format!("; similar: {}", similar.join(", "))
    };
    Err(input_error(format!(
        "{file}: no column '{key}' ({what}){similar}; the {} columns are: {}",
        table.header.len(),
        table.header.join(", ")
    )))
}

fn number(cell: &str) -> Option<f64> {
    cell.trim().parse::<f64>().ok().filter(|v| v.is_finite())
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

fn skipped_summary(skipped: &[Skipped]) -> String {
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

/// `--out X.json` -> `X.front.csv` (the front's rows, beside it).
pub fn front_csv_path(out: &Path) -> PathBuf {
    let stem = match out.extension() {
        Some(e) if e.eq_ignore_ascii_case("json") => out.with_extension(""),
        _ => out.to_path_buf(),
    };
    let mut name = stem.file_name().unwrap_or_default().to_os_string();
    name.push(".front.csv");
    stem.with_file_name(name)
}

/// A cell as JSON: a number when it is one, null when empty, else the text.
fn cell_json(s: &str) -> Value {
    if s.is_empty() {
        return Value::Null;
    }
    if let Ok(i) = s.parse::<i64>() {
        return json!(i);
    }
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() => json!(x),
        _ => match s {
            "true" => json!(true),
            "false" => json!(false),
            _ => json!(s),
        },
    }
}

/// chosen.json: the choice, the front, the values, the keys and constraints.
pub fn chosen_json(
    sel: &Selection,
    table: &Table,
    keys: &Keys,
    cons: &Constraints,
    obj: &Objective,
    file: &str,
    front_csv: Option<&Path>,
) -> Value {
    let c = sel.candidate(sel.chosen).expect("chosen is a candidate");
    let cells = &table.rows[sel.chosen];
    let row: Map<String, Value> = table
        .header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            (
                h.clone(),
                cell_json(cells.get(i).map(String::as_str).unwrap_or("")),
            )
        })
        .collect();
    json!({
        "file": file,
        "point": sel.chosen,
        "front": sel.front,
        "on_front": sel.front.contains(&sel.chosen),
        "values": {
            "accuracy": c.accuracy,
            "memory": c.memory,
            "energy": c.energy,
            "objective": c.objective,
        },
        "row": row,
        "keys": { "accuracy": keys.accuracy, "memory": keys.memory, "energy": keys.energy },
        "objective": { "key": obj.key, "direction": obj.direction() },
        "constraints": {
            "min_accuracy": cons.min_accuracy,
            "max_memory_bits": cons.max_memory,
            "max_dram_energy_pj": cons.max_energy,
        },
        "rows": sel.rows,
        "feasible": sel.feasible,
        "skipped": sel.skipped.iter().map(|s| s.row).collect::<Vec<_>>(),
        "front_csv": front_csv.map(|p| p.display().to_string()),
    })
}

/// The front's rows as CSV: `select.row` (0-based data row), `select.chosen`,
/// `select.feasible`, then the table's own columns.
pub fn front_csv(sel: &Selection, table: &Table) -> String {
    let mut out = ["select.row", "select.chosen", "select.feasible"]
        .iter()
        .map(|s| s.to_string())
        .chain(table.header.iter().map(|h| csv_cell(h)))
        .collect::<Vec<_>>()
        .join(",")
        + "\n";
    for &r in &sel.front {
        let cells = &table.rows[r];
        let line: Vec<String> = [
            r.to_string(),
            (r == sel.chosen).to_string(),
            sel.feasible.contains(&r).to_string(),
        ]
        .into_iter()
        .chain(
            (0..table.header.len())
                .map(|i| csv_cell(cells.get(i).map(String::as_str).unwrap_or(""))),
        )
        .collect();
        out += &(line.join(",") + "\n");
    }
    out
}

/// An axis label with the unit the key's name implies.
fn axis_label(key: &str, what: &str) -> String {
    let last = key.rsplit('.').next().unwrap_or(key);
    let unit = [
        ("_pj", "pJ"),
        ("_bits", "bits"),
        ("_bytes", "bytes"),
        ("_ns", "ns"),
        ("_ps", "ps"),
        ("_mhz", "MHz"),
        ("_seconds", "s"),
    ]
    .iter()
    .find(|(s, _)| last.ends_with(s))
    .map(|(_, u)| *u)
    .or((last == "accuracy").then_some("fraction correct"));
    match unit {
        Some(u) => format!("{what}: {key} ({u})"),
        None => format!("{what}: {key}"),
    }
}

/// The scatter plot: DRAM energy (x) vs accuracy (y), the front highlighted, points
/// failing the constraints hollow, the chosen one marked with its memory.
pub fn selection_plot(sel: &Selection, keys: &Keys, file: &str) -> ScatterPlot {
    let c = sel.candidate(sel.chosen).expect("chosen is a candidate");
    let xs: Vec<f64> = sel.candidates.iter().map(|c| c.energy).collect();
    let (lo, hi) = xs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(*x), b.max(*x))
        });
    let chosen = sel.candidates.iter().position(|x| x.row == sel.chosen);
    ScatterPlot {
        title: format!(
            "{file}: Pareto front over accuracy, memory, energy ({} points)",
            sel.candidates.len()
        ),
        x_label: axis_label(&keys.energy, "DRAM energy"),
        y_label: axis_label(&keys.accuracy, "accuracy"),
        log_x: lo > 0.0 && hi / lo >= 100.0,
        log_y: false,
        points: sel
            .candidates
            .iter()
            .map(|c| ScatterPoint {
                x: c.energy,
                y: c.accuracy,
                on_front: sel.front.contains(&c.row),
                feasible: sel.feasible.contains(&c.row),
            })
            .collect(),
        chosen,
        chosen_label: format!(
            "chosen: row {} ({} {})",
            sel.chosen,
            keys.memory.rsplit('.').next().unwrap_or(&keys.memory),
            fmt_value(c.memory)
        ),
    }
}

fn fmt_value(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else if v.abs() >= 1e5 || v.abs() < 1e-3 {
        format!("{v:.4e}")
    } else {
        format!("{v:.4}")
    }
}

/// The front and the choice as a text table.
pub fn report(sel: &Selection, table: &Table, keys: &Keys, obj: &Objective) -> String {
    let point_col = table.header.iter().position(|h| h == "point");
    let extra_obj = obj.key != keys.accuracy && obj.key != keys.memory && obj.key != keys.energy;
    let mut head = vec!["row".to_string()];
    if point_col.is_some() {
        head.push("point".into());
    }
    head.extend([
        keys.accuracy.clone(),
        keys.memory.clone(),
        keys.energy.clone(),
    ]);
    if extra_obj {
        head.push(obj.key.clone());
    }
    head.push("meets constraints".into());
    head.push(String::new());
    let mut lines = vec![head];
    let mut rows: Vec<usize> = sel.front.clone();
    if !rows.contains(&sel.chosen) {
        rows.push(sel.chosen);
    }
    for r in rows {
        let c = sel.candidate(r).expect("front rows are candidates");
        let mut l = vec![r.to_string()];
        if let Some(pc) = point_col {
            l.push(table.rows[r].get(pc).cloned().unwrap_or_default());
        }
        l.extend([
            fmt_value(c.accuracy),
            fmt_value(c.memory),
            fmt_value(c.energy),
        ]);
        if extra_obj {
            l.push(fmt_value(c.objective));
        }
        l.push(
            if sel.feasible.contains(&r) {
                "yes"
            } else {
                "no"
            }
            .into(),
        );
        l.push(match (r == sel.chosen, sel.front.contains(&r)) {
            (true, true) => "<- chosen".into(),
            (true, false) => "<- chosen (not on the front)".into(),
            _ => String::new(),
        });
        lines.push(l);
    }
    let ncol = lines[0].len();
    let widths: Vec<usize> = (0..ncol)
        .map(|i| lines.iter().map(|l| l[i].len()).max().unwrap_or(0))
        .collect();
    let mut out = format!(
        "Pareto front ({} of {} rows; accuracy up, memory and energy down):\n",
        sel.front.len(),
        sel.candidates.len()
    );
    for l in &lines {
        let cells: Vec<String> = l
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (s, w))| {
                if i + 1 == ncol {
                    s.clone()
                } else {
                    format!("{s:>w$}")
                }
            })
            .collect();
        out += "  ";
        out += cells.join("  ").trim_end();
        out += "\n";
    }
    let c = sel.candidate(sel.chosen).expect("chosen is a candidate");
    out += &format!(
        "chosen: row {}{}: {} {}, {} {}, {} {} ({} {} of {} rows meeting the constraints)\n",
        sel.chosen,
        point_col
            .map(|pc| format!(
                " (point {})",
                table.rows[sel.chosen].get(pc).cloned().unwrap_or_default()
            ))
            .unwrap_or_default(),
        keys.accuracy,
        fmt_value(c.accuracy),
        keys.memory,
        fmt_value(c.memory),
        keys.energy,
        fmt_value(c.energy),
        if obj.maximize { "highest" } else { "lowest" },
        obj.key,
        sel.feasible.len()
    );
    if !sel.skipped.is_empty() {
        out += &format!(
            "skipped {} of {} rows for a missing or non-numeric value{}\n",
            sel.skipped.len(),
            sel.rows,
            skipped_summary(&sel.skipped)
                .split_once(": ")
                .map(|(_, l)| format!(": {l}"))
                .unwrap_or_default()
        );
    }
    out
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
