//! `[profiles.P.provisioning]` options reach the engine: `match_active_only` (the rehire case)
//! and `missing_reference = "warn"`.

use std::collections::BTreeSet;

use super::setup;

#[tokio::test]
async fn match_active_only_and_missing_reference_warn_change_the_cycle() {
    let env = setup(300, 30, 40, 0).await;
    let text = std::fs::read_to_string(env.ws.config()).unwrap();
    env.ws.write_config(&format!(
        "{text}\n[profiles.default.provisioning]\nmatch_active_only = true\nmissing_reference = \"warn\"\nlog_retention_days = 7\n"
    ));
    let (_, first) = env.sync(&[]).await;
    assert_eq!(first["kind"], "initial", "{first}");
    let logs = env.logs(&["--cycle", &first["cycle_id"].to_string()]).await;
    let codes: BTreeSet<&str> = logs
        .iter()
        .filter(|r| r["status"] == "failure")
        .filter_map(|r| r["error_code"].as_str())
        .collect();
    // The planted pair (one email, two rows, one inactive) matches its active row alone.
    assert!(!codes.contains("DuplicateTargetEntries"), "{codes:?}");
    // Missing departments and locations are warnings, and the users are provisioned.
    assert!(!codes.contains("InvalidLookupReference"), "{codes:?}");
    let warned: Vec<_> = logs
        .iter()
        .filter(|r| r["status"] != "failure" && serde_json::to_string(r).unwrap().contains("has no row whose name is"))
        .collect();
    assert!(!warned.is_empty(), "a warning names the missing row");
}
