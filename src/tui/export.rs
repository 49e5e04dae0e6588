//! Exporting provisioning-log records from the console: JSON (an array, as `nowsync logs
//! --format json`) or CSV (the same columns, nested values as JSON text), into the data dir.

use std::path::{Path, PathBuf};

use super::error::FileError;
use crate::store::LogRecord;

/// Writes `records` under `dir` and returns the file's path.
pub fn write(dir: &Path, csv: bool, records: &[LogRecord]) -> Result<PathBuf, FileError> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let path = dir.join(format!("provisioning-log-{stamp}.{}", if csv { "csv" } else { "json" }));
    let text = if csv {
        crate::store::log_csv(records)?
    } else {
        // Every control and bidirectional character escaped, as `logs --format json` does.
        crate::model::text_json::to_safe_json(records)?
    };
    crate::config::write_private_file(&path, text.as_bytes())?;
    Ok(path)
}

/// Writes the mapping file `text` as an Entra schema JSON under `dir`; the path and what the
/// schema cannot carry.
pub fn write_schema(dir: &Path, text: &str) -> Result<(PathBuf, Vec<String>), FileError> {
    let raw: crate::mapping::model::raw::RawMappingFile = toml::from_str(text)?;
    let exported = crate::mapping::model::export_schema(&raw);
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let path = dir.join(format!("entra-schema-{stamp}.json"));
    let json = serde_json::to_string_pretty(&exported.schema)?;
    crate::config::write_private_file(&path, json.as_bytes())?;
    Ok((path, exported.dropped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_mappings_export_as_a_schema() {
        let dir = tempfile::tempdir().unwrap();
        let (path, _) = write_schema(dir.path(), crate::mapping::model::DEFAULT_MAPPINGS_TOML).unwrap();
        let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert!(json.to_string().contains("userPrincipalName"));
    }

    #[test]
    fn csv_quotes_and_keeps_nested_values_as_json() {
        let r = LogRecord {
            cycle_id: 1,
            change_id: "c1".into(),
            time: "t".into(),
            object_type: crate::model::ObjectType::User,
            source_id: "s".into(),
            source_name: "a, \"b\"".into(),
            target_id: None,
            action: "create".into(),
            status: "failure".into(),
            error_code: Some("InvalidLookupReference".into()),
            reason: "r".into(),
            recommended_action: None,
            steps: serde_json::json!([{"name": "Import"}]),
            modified_properties: serde_json::json!({}),
            duration_ms: 3,
        };
        let csv = crate::store::log_csv(&[r]).unwrap();
        let row = csv.lines().nth(1).unwrap();
        assert!(
            row.starts_with("1,c1,t,user,s,\"a, \"\"b\"\"\",,create,failure,InvalidLookupReference,r,,"),
            "{row}"
        );
        assert!(row.contains("\"[{\"\"name\"\":\"\"Import\"\"}]\""), "{row}");
    }
}
