//! The one CSV writer: `logs --format csv`, `links --format csv` and the console's export.
//!
//! Each cell is foreign text on its way to a spreadsheet or a terminal, so it is made safe in
//! this order: control and bidirectional characters made visible (`model::text`, so no CR or
//! line break is left inside a cell); a cell a spreadsheet would run as a formula (it starts
//! with `=`, `+`, `-`, `@`, a tab or a carriage return: OWASP's "CSV Injection" rule) gets a
//! leading `'`; then RFC 4180 quoting. Nested values are JSON text.

use serde_json::Value;

use super::LogRecord;
use crate::model::text::sanitize_for_terminal;
use crate::model::text_json::to_safe_json;

/// The columns of `logs --format csv|json` and the console's export, in order.
pub const LOG_COLUMNS: [&str; 15] = [
    "cycle_id",
    "change_id",
    "time",
    "object_type",
    "source_id",
    "source_name",
    "target_id",
    "action",
    "status",
    "error_code",
    "reason",
    "recommended_action",
    "steps",
    "modified_properties",
    "duration_ms",
];

/// The characters that make a spreadsheet read a cell as a formula (OWASP).
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// One CSV cell from text (see the module for the order of the rules).
pub fn csv_cell(text: &str) -> String {
    let mut cell = sanitize_for_terminal(text);
    if cell.starts_with(FORMULA_START) {
        cell.insert(0, '\'');
    }
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell
    }
}

/// One CSV cell from a JSON value: null is empty, a string its text, a number or boolean as
/// written, anything else as JSON text.
pub fn csv_field(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => csv_cell(s),
        Value::Number(n) => csv_cell(&n.to_string()),
        Value::Bool(b) => b.to_string(),
        other => csv_cell(&to_safe_json(other).unwrap_or_default()),
    }
}

/// Rows of JSON objects as CSV with a header row, one line per row.
pub fn csv_table(columns: &[&str], rows: &[Value]) -> String {
    let mut out = columns.join(",");
    out.push('\n');
    for row in rows {
        let cells: Vec<String> = columns.iter().map(|c| csv_field(&row[*c])).collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// `records` as CSV with a header row.
pub fn log_csv(records: &[LogRecord]) -> Result<String, serde_json::Error> {
    let rows = records
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(csv_table(&LOG_COLUMNS, &rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_defused_and_nothing_raw_is_left() {
        let cases = [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"",
            ),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("-2+3", "'-2+3"),
            ("@SUM(1)", "'@SUM(1)"),
            ("\tx", "\\tx"),
            ("\r=1", "\\r=1"),
            ("plain, text", "\"plain, text\""),
            (
                "a\u{1b}]52;c;eA==\u{7}b\u{9b}\u{202e}",
                "a\\u{1b}]52;c;eA==\\u{7}b\\u{9b}\\u{202e}",
            ),
            ("line\nbreak", "line\\nbreak"),
            ("Zoë 👩‍💻", "Zoë 👩‍💻"),
        ];
        for (input, want) in cases {
            assert_eq!(csv_cell(input), want, "{input:?}");
        }
        assert_eq!(csv_field(&Value::from(-3)), "'-3");
        assert_eq!(
            csv_field(&serde_json::json!(["=1", "\u{7f}"])),
            r#""[""=1"",""\u007f""]""#
        );
    }

    proptest::proptest! {
        /// Whatever the text: one physical line, no unsafe character, never a formula start.
        #[test]
        fn any_cell_is_one_safe_line(s in "\\PC*|[\\x00-\\x7f\\u{80}-\\u{9f}\\u{2000}-\\u{206f}=+@-]{0,30}") {
            let cell = csv_cell(&s);
            proptest::prop_assert!(cell.chars().all(|c| !crate::model::text::is_unsafe(c)));
            let unquoted = cell.strip_prefix('"').unwrap_or(&cell);
            proptest::prop_assert!(!unquoted.starts_with(FORMULA_START));
        }
    }
}
