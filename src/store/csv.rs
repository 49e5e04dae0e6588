//! The provisioning log as CSV: the columns DESIGN.md gives `logs --format csv`, nested values
//! as JSON text. Shared by the `logs` command and the console's export.

use serde_json::Value;

use super::LogRecord;

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

/// One CSV field: null is empty, a string as-is, anything else as JSON text; quoted when it
/// holds a comma, a quote or a line break.
pub fn csv_field(v: &Value) -> String {
    let text = match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// `records` as CSV with a header row.
pub fn log_csv(records: &[LogRecord]) -> Result<String, serde_json::Error> {
    let mut out = LOG_COLUMNS.join(",");
    out.push('\n');
    for r in records {
        let value = serde_json::to_value(r)?;
        let row: Vec<String> = LOG_COLUMNS.iter().map(|c| csv_field(&value[*c])).collect();
        out.push_str(&row.join(","));
        out.push('\n');
    }
    Ok(out)
}
