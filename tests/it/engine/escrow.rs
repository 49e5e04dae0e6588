//! Entra's escrow thresholds count failure events (spec §2.7): an object failing as it failed
//! in an earlier cycle, with nothing changed since, is reported again but is no new event, so a
//! quiet cycle of a world with thousands of known failures is not quarantined; thousands of
//! objects failing anew still are.

use super::setup;

/// 5,800 users, every enabled one failing `InvalidLookupReference` (the department mapped to a name no
/// row has): the initial cycle's ~5,300 new failures, with 4 writes, quarantine it (≥ 5,000,
/// > 40 % of events); the quiet cycle after it plans the same failures again, unchanged, and is
/// not quarantined, though it still reports every one.
#[tokio::test]
async fn known_unchanged_planned_failures_do_not_quarantine_a_quiet_cycle_new_ones_do() {
    let env = setup(5_800, 4, 0, 0).await;
    let defaults = nowsync::mapping::model::DEFAULT_MAPPINGS_TOML;
    let department = "target = \"department\"\nsource = \"department\"\n";
    assert!(defaults.contains(department));
    let mappings = defaults.replace(
        department,
        "target = \"department\"\nconstant = \"No such department\"\n",
    );
    std::fs::write(env.ws.dir.path().join("mappings.toml"), mappings).unwrap();
    let config = std::fs::read_to_string(env.ws.config()).unwrap();
    env.ws.write_config(&format!(
        "{config}\n[profiles.default.provisioning]\nscope = \"all\"\nmappings = \"mappings.toml\"\n"
    ));

    let (code, first) = env.sync(&[]).await;
    let failed = first["stats"]["failed"].as_u64().unwrap();
    assert!(failed >= 5_000, "{}", first["stats"]);
    assert_eq!(
        code, 4,
        "5,000 objects failing anew, nearly all events: {}",
        first["stats"]
    );
    let status = env.status().await;
    assert_eq!(status["quarantine"]["reason"], "TooManyFailures", "{status}");

    let (code, second) = env.sync(&[]).await;
    assert_eq!(second["kind"], "incremental");
    assert_eq!(
        second["stats"]["failed"].as_u64(),
        Some(failed),
        "every failure still reported: {}",
        second["stats"]
    );
    assert_eq!(code, 1, "object failures, not a quarantine: {}", second["stats"]);
    let status = env.status().await;
    assert!(status["quarantine"].is_null(), "{status}");
    let failing = env.logs(&["--cycle", &second["cycle_id"].to_string()]).await;
    assert!(
        failing.iter().filter(|r| r["status"] == "failure").count() as u64 >= failed,
        "logged as failures: {} records, {:?}",
        failing.len(),
        failing.first().map(|r| (&r["status"], &r["error_code"]))
    );
}
