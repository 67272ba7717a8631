//! The results table `select` reads: a small CSV reader (quoted cells as `spikemem
//! sweep` writes them, blank lines skipped) and numeric column lookup.

use crate::error::input_error;
use anyhow::Result;

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
pub(super) fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub(super) fn column(table: &Table, key: &str, what: &str, file: &str) -> Result<usize> {
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

pub(super) fn number(cell: &str) -> Option<f64> {
    cell.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}
