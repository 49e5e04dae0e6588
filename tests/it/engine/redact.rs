//! `Redact()` end to end: a redacted value reaches ServiceNow in the request that writes it and
//! nowhere else — not in any output (cycle JSON, dry-run plan, logs as JSON, text and CSV,
//! `provision --dry-run`) nor anywhere in the data dir (SQLite files and WAL included); a
//! change of the value is still found and written.

use reqwest::Method;
use serde_json::json;

use super::{Env, setup};
use crate::support::{files_under, text};

const FIRST: &str = "+1 425 555 7391";
const SECOND: &str = "+1 425 555 8642";

async fn with_redacted_phone() -> Env {
    let env = setup(300, 30, 40, 0).await;
    let defaults = nowsync::mapping::model::DEFAULT_MAPPINGS_TOML;
    let phone = "target = \"mobile_phone\"\nsource = \"mobilePhone\"\n";
    assert!(defaults.contains(phone));
    let file = defaults.replace(
        phone,
        "target = \"mobile_phone\"\nexpression = 'Redact([mobilePhone])'\n",
    );
    std::fs::write(env.ws.dir.path().join("mappings.toml"), file).unwrap();
    let config = std::fs::read_to_string(env.ws.config()).unwrap();
    env.ws.write_config(&format!(
        "{config}\n[profiles.default.provisioning]\nmappings = \"mappings.toml\"\n"
    ));
    env
}

async fn phone_of(env: &Env, sys_id: &str) -> Option<String> {
    env.row("sys_user", sys_id).await["mobile_phone"]
        .as_str()
        .map(str::to_owned)
}

/// Fails when `needle` is in `haystack` (bytes: SQLite pages and WAL frames are not text).
fn absent(what: &str, haystack: &[u8], needle: &str) {
    let found = haystack.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(!found, "{needle:?} found in {what}");
}

#[tokio::test]
async fn a_redacted_value_is_written_and_appears_in_no_output_and_nowhere_in_the_data_dir() {
    let env = with_redacted_phone().await;
    let mut outputs: Vec<(String, Vec<u8>)> = Vec::new();
    let id = env
        .new_assigned_user("redacted.user@contoso.example", json!({"mobilePhone": FIRST}))
        .await;

    let (code, first) = env.sync(&[]).await;
    assert!(code == 0 || code == 1, "{first}");
    outputs.push(("the first cycle's JSON".into(), first.to_string().into_bytes()));
    let sys_id = env.link_of(&id).await.expect("the user is provisioned");
    assert_eq!(
        phone_of(&env, &sys_id).await.as_deref(),
        Some(FIRST),
        "the request carried it"
    );
    let created = env.logs(&["--cycle", &first["cycle_id"].to_string()]).await;
    let record = created
        .iter()
        .find(|r| r["source_id"] == id.as_str())
        .expect("the user's record");
    let phone = record["modified_properties"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["attribute"] == "mobile_phone"))
        .unwrap_or_else(|| panic!("{record}"));
    assert_eq!(phone["new"], "***", "{phone}");
    assert!(
        phone["digest"].as_str().is_some_and(|d| d.starts_with("h1:")),
        "{phone}"
    );

    // The value changes in Entra: the change is found, shown as *** and written.
    env.graph_write(Method::PATCH, &format!("/users/{id}"), json!({"mobilePhone": SECOND}))
        .await;
    let (_, dry) = env.sync(&["--dry-run"]).await;
    outputs.push(("the dry run's JSON".into(), dry.to_string().into_bytes()));
    let text_dry = env.nowsync(&["sync", "--once", "--dry-run"]).await;
    let shown = text(&text_dry.stdout);
    assert!(
        shown.contains("update        user       redacted.user@contoso.example"),
        "{shown}"
    );
    let planned = dry.to_string();
    assert!(
        planned.contains(r#""attribute":"mobile_phone","digest":"h1:"#)
            && planned.contains(r#""new":"***","old":"***""#),
        "{planned}"
    );
    outputs.push(("the dry run's text".into(), text_dry.stdout));
    outputs.push(("the dry run's stderr".into(), text_dry.stderr));
    let one = env
        .nowsync(&["provision", "--user", "redacted.user@contoso.example", "--dry-run"])
        .await;
    outputs.push(("provision --dry-run".into(), [one.stdout, one.stderr].concat()));
    let (_, second) = env.sync(&[]).await;
    outputs.push(("the second cycle's JSON".into(), second.to_string().into_bytes()));
    assert_eq!(
        phone_of(&env, &sys_id).await.as_deref(),
        Some(SECOND),
        "the change is written"
    );
    let updated = env.logs(&["--cycle", &second["cycle_id"].to_string()]).await;
    assert!(
        updated
            .iter()
            .any(|r| r["source_id"] == id.as_str() && r["action"] == "update"),
        "{updated:?}"
    );

    for format in ["json", "table", "csv"] {
        let out = env.nowsync(&["logs", "--format", format]).await;
        assert!(out.status.success(), "{}", text(&out.stderr));
        outputs.push((format!("logs --format {format}"), [out.stdout, out.stderr].concat()));
    }
    for (what, bytes) in &outputs {
        absent(what, bytes, FIRST);
        absent(what, bytes, SECOND);
    }
    let files = files_under(&env.ws.data_dir());
    assert!(files.iter().any(|f| f.to_string_lossy().ends_with(".db")), "{files:?}");
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        absent(&f.display().to_string(), &bytes, FIRST);
        absent(&f.display().to_string(), &bytes, SECOND);
    }
}
