//! What the wizard writes: the profile's sections as TOML text, merged into the existing file
//! so that other profiles, other sections and the admin's comments survive, and checked by
//! [`Config::parse`] before anything is written.

use std::path::Path;

use crate::config::{Config, Profile};

/// The sections of `profile` the wizard owns; any existing copy of them is replaced.
const OWNED: [&str; 4] = ["servicenow", "entra", "notification", "secrets"];

/// `existing` with the wizard's tables of `profile` replaced by `sections`.
pub fn merge(existing: &str, profile: &str, sections: &str) -> String {
    merge_tables(existing, profile, &OWNED, sections)
}

/// `existing` with the tables `owned` of `profile` replaced by `sections`.
pub fn merge_tables(existing: &str, profile: &str, owned: &[&str], sections: &str) -> String {
    let owned: Vec<String> = owned.iter().map(|s| format!("[profiles.{profile}.{s}]")).collect();
    let mut out = String::new();
    let mut skipping = false;
    for line in existing.lines() {
        let head = line.split('#').next().unwrap_or_default().trim();
        if head.starts_with('[') {
            skipping = owned.iter().any(|o| o == head);
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    let trimmed = out.trim_end().to_owned();
    let mut merged = trimmed;
    if !merged.is_empty() {
        merged.push_str("\n\n");
    }
    merged.push_str(sections);
    merged
}

/// A TOML basic string holding `value`.
pub fn quote(value: &str) -> String {
    toml::Value::String(value.to_owned()).to_string()
}

/// Checks the merged text the way `nowsync` will read it; returns the profile as resolved.
pub fn validate(text: &str, path: &Path, profile: &str) -> Result<Profile, String> {
    let config = Config::parse(text, path).map_err(|e| e.to_string())?;
    let resolved = config.profile(profile).map_err(|e| e.to_string())?;
    Ok(resolved.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_owned_tables_and_keeps_the_rest() {
        let existing = "# my notes\n[profiles.prod.servicenow]\ninstance = \"prod1\"\nusername = \"a\"\n\n[profiles.default.servicenow]\ninstance = \"old\"\nusername = \"old\"\n[profiles.default.provisioning]\ninterval_minutes = 10\n";
        let merged = merge(
            existing,
            "default",
            "[profiles.default.servicenow]\ninstance = \"new\"\n",
        );
        assert!(merged.contains("# my notes"));
        assert!(merged.contains("instance = \"prod1\""));
        assert!(merged.contains("interval_minutes = 10"));
        assert!(!merged.contains("\"old\""));
        assert!(merged.ends_with("[profiles.default.servicenow]\ninstance = \"new\"\n"));
    }

    #[test]
    fn quotes_awkward_values() {
        let text = format!("v = {}", quote("a\"b\\c'"));
        let parsed: toml::Table = toml::from_str(&text).unwrap();
        assert_eq!(parsed["v"].as_str(), Some("a\"b\\c'"));
    }
}
