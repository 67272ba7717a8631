//! What `select` writes and prints: chosen.json, the front as CSV, the scatter plot
//! and the console report.

use super::table::{csv_cell, Table};
use super::{skipped_summary, Constraints, Keys, Objective, Selection};
use crate::plot::{ScatterPlot, ScatterPoint};
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

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
