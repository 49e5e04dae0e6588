//! What changed between two resolutions of a profile, in what a plan is made from
//! ([`ResolvedProfile::plan_hash`]'s parts), in the admin's words: the engine names it when
//! it takes a saved configuration and when it refuses a plan made under another (acceptance
//! F20: "the configuration, mappings or scope changed" named none of them).

use super::{MissingReferenceMode, ResolvedProfile};

impl ResolvedProfile {
    /// Each part of what a plan is made from that differs from `before`, with its values
    /// where they are short: "the scope (all → assigned)", "the mapping file". Empty when
    /// the plan hashes agree.
    pub fn plan_changes(&self, before: &ResolvedProfile) -> Vec<String> {
        if self.plan_hash == before.plan_hash {
            return Vec::new();
        }
        let (was, now) = (&before.provisioning, &self.provisioning);
        let mut changes = Vec::new();
        let mut values = |what: &str, was: String, now: String| {
            if was != now {
                changes.push(format!("{what} ({was} → {now})"));
            }
        };
        values("the scope", was.scope.word().into(), now.scope.word().into());
        values(
            "match_active_only",
            was.match_active_only.to_string(),
            now.match_active_only.to_string(),
        );
        values(
            "missing_reference",
            missing(was.missing_reference).into(),
            missing(now.missing_reference).into(),
        );
        values(
            "flatten_nested_groups",
            was.flatten_nested_groups.to_string(),
            now.flatten_nested_groups.to_string(),
        );
        values(
            "the deletion threshold",
            was.deletion_threshold.to_string(),
            now.deletion_threshold.to_string(),
        );
        let percent = |p: Option<u8>| p.map_or_else(|| "none".to_owned(), |p| format!("{p} %"));
        values(
            "the deletion threshold percent",
            percent(was.deletion_threshold_percent),
            percent(now.deletion_threshold_percent),
        );
        if self.mappings_hash != before.mappings_hash {
            changes.push("the mappings or scoping filters (the mapping file)".to_owned());
        }
        let instance = |p: &ResolvedProfile| {
            p.servicenow
                .as_ref()
                .map(|s| (s.instance.base_url(), s.username.clone()))
        };
        if instance(self) != instance(before) {
            changes.push("the ServiceNow instance or user".to_owned());
        }
        let entra = |p: &ResolvedProfile| {
            p.entra
                .as_ref()
                .map(|e| (e.tenant_id.clone(), e.service_principal_id.clone(), e.cloud))
        };
        if entra(self) != entra(before) {
            changes.push("the Entra tenant or enterprise app".to_owned());
        }
        if changes.is_empty() {
            changes.push("the configuration".to_owned());
        }
        changes
    }
}

fn missing(m: MissingReferenceMode) -> &'static str {
    match m {
        MissingReferenceMode::Fail => "fail",
        MissingReferenceMode::Warn => "warn",
        MissingReferenceMode::Create => "create",
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, ResolvedProfile};
    use crate::mapping::model::DEFAULT_MAPPINGS_TOML;

    fn resolved(provisioning: &str) -> ResolvedProfile {
        let text = format!(
            "[profiles.p.servicenow]\ninstance = \"dev1\"\nusername = \"admin\"\n[profiles.p.provisioning]\n{provisioning}\n"
        );
        let config = Config::parse(&text, std::path::Path::new("/c/config.toml")).unwrap();
        config.resolve("p").unwrap()
    }

    #[test]
    fn each_changed_part_of_what_a_plan_is_made_from_is_named_with_its_values() {
        let before = resolved("scope = \"all\"\ndeletion_threshold = 700");
        let now = resolved("scope = \"assigned\"\ndeletion_threshold = 500\nenabled = false");
        assert_eq!(
            now.plan_changes(&before),
            ["the scope (all → assigned)", "the deletion threshold (700 → 500)"]
        );
        // The schedule is not what a plan is made from.
        assert!(resolved("interval_minutes = 5").plan_changes(&resolved("")).is_empty());
        let p = (*resolved("")).clone();
        let edited = p.resolve_with(&format!("{DEFAULT_MAPPINGS_TOML}\n# edited\n")).unwrap();
        assert_eq!(
            edited.plan_changes(&resolved("")),
            ["the mappings or scoping filters (the mapping file)"]
        );
    }
}
