//! The one boundary between the headless commands and a terminal, a pipe or a log shipper.
//!
//! Everything a command prints for people goes through [`Lines`] or [`Table`]: renderers
//! compose lines from raw values, and each line is sanitised here as a whole (a value's own
//! line break is shown as `\n`, never obeyed, so a value cannot forge a line of ours). Machine
//! output goes through [`json`], which escapes every control and bidirectional character; CSV
//! through `store::csv_table`. A closed pipe (`| head`) ends the output quietly.

use std::io::Write;

use serde::Serialize;
use unicode_width::UnicodeWidthStr;

use crate::model::text::sanitize_for_terminal;
use crate::model::text_json::to_safe_json;

/// Text lines for stdout, composed from raw values and sanitised when printed.
#[derive(Debug, Default)]
pub struct Lines(Vec<String>);

impl Lines {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one line (its own line breaks are escaped when printed).
    pub fn push(&mut self, line: impl Into<String>) {
        self.0.push(line.into());
    }

    pub fn extend(&mut self, other: Lines) {
        self.0.extend(other.0);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The lines as they will be printed.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for line in &self.0 {
            out.push_str(&sanitize_for_terminal(line));
            out.push('\n');
        }
        out
    }

    pub fn print(&self) {
        print_raw(&self.render());
    }
}

/// One line of foreign text for stderr, sanitised.
pub fn eprint_line(line: &str) {
    eprintln!("{}", sanitize_for_terminal(line));
}

/// `value` as one line of JSON on stdout, every control and bidirectional character escaped.
pub fn json<T: Serialize + ?Sized>(value: &T) {
    match to_safe_json(value) {
        Ok(text) => {
            print_raw(&format!("{text}\n"));
        }
        Err(e) => eprintln!("error: cannot write JSON: {e}"),
    }
}

/// Text that is already safe (sanitised lines, CSV, JSON) to stdout; `false` when stdout is
/// closed (a closed pipe is not an error of ours).
pub fn print_raw(text: &str) -> bool {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).and_then(|()| out.flush()).is_ok()
}

/// The widest a table cell is shown; longer values end in `…` (`--format json` has them whole).
const MAX_CELL: usize = 60;

/// An aligned table with a header row. The last column is not padded and may be wider.
#[derive(Debug)]
pub struct Table {
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&'static str]) -> Self {
        Self {
            headers: headers.to_vec(),
            rows: Vec::new(),
        }
    }

    /// Adds a row of raw values (sanitised and cut when rendered).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table as text, one line per row after the header.
    pub fn render(&self) -> String {
        let last = self.headers.len().saturating_sub(1);
        let cells: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|row| {
                (0..self.headers.len())
                    .map(|i| {
                        cell(
                            row.get(i).map_or("", String::as_str),
                            if i == last { 4 * MAX_CELL } else { MAX_CELL },
                        )
                    })
                    .collect()
            })
            .collect();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.width()).collect();
        for row in &cells {
            for (w, c) in widths.iter_mut().zip(row) {
                *w = (*w).max(c.width());
            }
        }
        let mut out = String::new();
        let headers: Vec<String> = self.headers.iter().map(|h| h.to_uppercase()).collect();
        for row in std::iter::once(&headers).chain(&cells) {
            let mut line = String::new();
            for (i, c) in row.iter().enumerate() {
                line.push_str(c);
                if i < last {
                    line.push_str(&" ".repeat(widths[i] - c.width() + 2));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    pub fn print(&self) {
        print_raw(&self.render());
    }
}

/// Columns of fixed widths, for rows printed one batch at a time (`logs --follow`): every
/// cell is cut to its column's width, the last (width 0) is not.
#[derive(Debug)]
pub struct FixedColumns {
    headers: Vec<&'static str>,
    widths: Vec<usize>,
}

impl FixedColumns {
    pub fn new(headers: &[&'static str], widths: &[usize]) -> Self {
        Self {
            headers: headers.to_vec(),
            widths: widths.to_vec(),
        }
    }

    pub fn header(&self) -> String {
        let cells: Vec<String> = self.headers.iter().map(|h| h.to_uppercase()).collect();
        self.line(&cells)
    }

    /// One row of raw values, sanitised, cut and padded, with its newline.
    pub fn line(&self, cells: &[String]) -> String {
        let mut line = String::new();
        for (i, w) in self.widths.iter().enumerate() {
            let raw = cells.get(i).map_or("", String::as_str);
            if *w == 0 {
                line.push_str(&cell(raw, 4 * MAX_CELL));
                continue;
            }
            let c = cell(raw, *w);
            line.push_str(&c);
            line.push_str(&" ".repeat(w.saturating_sub(c.width()) + 2));
        }
        let mut line = line.trim_end().to_owned();
        line.push('\n');
        line
    }
}

/// A cell: sanitised, at most `max` columns wide.
fn cell(raw: &str, max: usize) -> String {
    let clean = sanitize_for_terminal(raw);
    if clean.width() <= max {
        return clean;
    }
    let mut out = String::new();
    for c in clean.chars() {
        if out.width() + unicode_width::UnicodeWidthChar::width(c).unwrap_or(0) >= max {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_aligns_wide_characters_and_escapes_controls() {
        let mut t = Table::new(&["name", "status", "reason"]);
        t.row(vec!["Zoë 👩‍💻".into(), "success".into(), "ok".into()]);
        t.row(vec![
            "a\u{1b}[2Jb\nfake line".into(),
            "failure".into(),
            "\u{9b}31m red".into(),
        ]);
        t.row(vec!["x".repeat(100), "-".into(), String::new()]);
        let text = t.render();
        assert!(
            text.chars().all(|c| c == '\n' || !crate::model::text::is_unsafe(c)),
            "{text:?}"
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(lines[0].starts_with("NAME"), "{text}");
        let status_col = lines[0].find("STATUS").unwrap();
        for (line, status) in lines[1..].iter().zip(["success", "failure", " - "]) {
            let at = line.find(status.trim()).unwrap();
            assert_eq!(line[..at].width(), status_col, "{line}");
        }
        assert!(lines[3].contains('…'), "{text}");
    }

    #[test]
    fn lines_escape_a_values_line_break() {
        let mut l = Lines::new();
        l.push("fix: create the cmn_department row 'x\u{1b}]52;c;eA==\u{7}\n    fix: forged'");
        let text = l.render();
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(!text.contains('\u{1b}') && !text.contains('\u{7}'), "{text:?}");
    }
}
