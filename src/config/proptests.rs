//! Property tests (issue 17): the configuration loader never panics, whatever the text —
//! arbitrary bytes, or a valid file with one line changed — and every refusal is a typed
//! `ConfigError` with a message.

use std::path::Path;

use proptest::prelude::*;

use super::Config;

const VALID: &str = "[profiles.default.servicenow]\ninstance = \"dev12345\"\nusername = \"svc\"\n\n\
[profiles.default.entra]\ntenant_id = \"00000000-0000-0000-0000-000000000001\"\n\
client_id = \"00000000-0000-0000-0000-000000000002\"\n\
service_principal_id = \"00000000-0000-0000-0000-000000000003\"\n\n\
[profiles.default.provisioning]\ninterval_minutes = 40\ndeletion_threshold = 500\n\
log_retention_days = 30\nscope = \"assigned\"\n";

/// Values that stress the loader: wrong types, huge numbers, hostile text.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("-1".to_owned()),
        Just("99999999999999999999".to_owned()),
        Just("0".to_owned()),
        Just("true".to_owned()),
        Just("[]".to_owned()),
        Just("{}".to_owned()),
        Just("\"\"".to_owned()),
        Just("1e308".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<String>().prop_map(|s| format!("{:?}", s)),
        "[ -~]{0,20}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_text_loads_or_is_refused_with_a_typed_error(text in any::<String>()) {
        if let Err(e) = Config::parse(&text, Path::new("config.toml")) {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn a_valid_file_with_one_value_changed_loads_or_is_refused(line in 0usize..14, v in value()) {
        let mut lines: Vec<String> = VALID.lines().map(str::to_owned).collect();
        let i = line % lines.len();
        if let Some((k, _)) = lines[i].split_once(" = ") {
            lines[i] = format!("{k} = {v}");
        }
        let text = lines.join("\n");
        if let Ok(config) = Config::parse(&text, Path::new("config.toml")) {
            let _ = config.resolve("default");
        } else if let Err(e) = Config::parse(&text, Path::new("config.toml")) {
            prop_assert!(!e.to_string().is_empty());
        }
    }
}
