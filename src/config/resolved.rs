//! A profile resolved once for the engine ([`ResolvedProfile`]): its settings, the mapping
//! file read and compiled (every expression), both objects' scoping filters compiled, the
//! hash whose change makes the next cycle initial, and where its secrets come from. The engine
//! receives it at start and with each reload; nothing re-reads the mapping file or re-compiles
//! a scope per cycle.
//!
//! Also the one place scoping filters are compiled from a mapping file's text
//! ([`compile_scope`]): the engine, `mapping check` and the console's scope builder agree.

use std::ops::Deref;
use std::path::PathBuf;

use super::{ConfigError, Profile, ServiceNowAuth};
use crate::mapping::model::raw::RawScopingFilter;
use crate::mapping::model::{DEFAULT_MAPPINGS_TOML, MappingSet, load_str};
use crate::scope::{FilterSpec, Scope, ScopeError};
use crate::secrets::{SecretName, Secrets, StoreChoice};

/// A profile with everything compiled from it. Derefs to the [`Profile`] it was resolved from.
#[derive(Debug, Clone)]
pub struct ResolvedProfile {
    profile: Profile,
    /// The mapping file's mappings (the built-in ones when the profile names none).
    pub mappings: MappingSet,
    /// The compiled scoping filters of the user and the group mapping.
    pub user_scope: Scope,
    pub group_scope: Scope,
    /// Identifies the mapping file's text and the options that change the plan of objects no
    /// delta would touch: stored with the watermarks, a change makes the next cycle initial.
    pub rules_hash: String,
    /// Identifies everything a plan is made from: the rules above, the deletion thresholds and
    /// the instance, tenant and app it plans between. A plan made under one hash is refused
    /// by `ApplyPlan` under another (issue 14); `enabled` and the interval are not in it.
    pub plan_hash: String,
    /// Identifies the mapping file's text alone, so a change of plan hash can name it.
    pub mappings_hash: String,
    pub credentials: CredentialSources,
}

impl Deref for ResolvedProfile {
    type Target = Profile;

    fn deref(&self) -> &Profile {
        &self.profile
    }
}

/// Where a profile's connection secrets come from: the secrets its configured sides need, in
/// the profile's store (after the environment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialSources {
    pub profile: String,
    pub store: StoreChoice,
    /// `[servicenow]`: the user name and how it signs in.
    pub servicenow: Option<(String, ServiceNowAuth)>,
    /// `[entra]` is configured: its client secret is needed.
    pub entra: bool,
}

impl CredentialSources {
    /// The secrets these sources name, ServiceNow's first.
    pub fn names(&self) -> Vec<SecretName> {
        let mut names = Vec::new();
        if let Some((_, auth)) = &self.servicenow {
            names.push(SecretName::ServiceNowPassword);
            if matches!(auth, ServiceNowAuth::OAuth { .. }) {
                names.push(SecretName::ServiceNowOAuthClientSecret);
            }
        }
        if self.entra {
            names.push(SecretName::GraphClientSecret);
        }
        names
    }

    /// The profile's secrets, looked up as [`Secrets::new`] does (a prompt allowed on a terminal).
    pub fn secrets(&self) -> Secrets {
        Secrets::new(&self.profile, self.store)
    }
}

impl Profile {
    /// Where this profile's connection secrets come from.
    pub fn credential_sources(&self) -> CredentialSources {
        CredentialSources {
            profile: self.name.clone(),
            store: self.secrets.store,
            servicenow: self
                .servicenow
                .as_ref()
                .map(|sn| (sn.username.clone(), sn.auth.clone())),
            entra: self.entra.is_some(),
        }
    }

    /// Reads and compiles what the engine needs: the mapping file, the scoping filters, the
    /// rules hash. Errors name the mapping file and every problem in it.
    pub fn resolve(&self) -> Result<ResolvedProfile, ConfigError> {
        let text = match &self.provisioning.mappings {
            Some(path) => std::fs::read_to_string(path).map_err(|source| ConfigError::MappingFile {
                path: path.clone(),
                source,
            })?,
            None => DEFAULT_MAPPINGS_TOML.to_owned(),
        };
        self.resolve_with(&text)
    }

    /// As [`Profile::resolve`], with the mapping file's text given rather than read: the
    /// console resolves a candidate (edits not saved yet) to preview its plan.
    pub fn resolve_with(&self, text: &str) -> Result<ResolvedProfile, ConfigError> {
        let origin = match &self.provisioning.mappings {
            Some(path) => MappingOrigin::File(path.clone()),
            None => MappingOrigin::BuiltIn,
        };
        let mappings = load_str(text).map_err(|source| ConfigError::Mappings {
            origin: origin.clone(),
            source,
        })?;
        let scope = |object: &'static str, filters: &[RawScopingFilter]| {
            compile_scope(filters).map_err(|errors| ConfigError::Scope {
                origin: origin.clone(),
                object,
                source: ScopeErrors(errors),
            })
        };
        Ok(ResolvedProfile {
            user_scope: scope("user", &mappings.user.scoping_filters)?,
            group_scope: scope("group", &mappings.group.scoping_filters)?,
            rules_hash: self.rules_hash(text),
            plan_hash: self.plan_hash(text),
            mappings_hash: crate::model::stable_hash(&[text]),
            credentials: self.credential_sources(),
            mappings,
            profile: self.clone(),
        })
    }

    /// What, changed, makes the next cycle initial: the mappings, and the options that change
    /// the plan of objects no delta would touch.
    fn rules_hash(&self, mappings_text: &str) -> String {
        let p = &self.provisioning;
        let options = format!(
            "{:?} {} {:?} {}",
            p.scope, p.match_active_only, p.missing_reference, p.flatten_nested_groups
        );
        crate::model::stable_hash(&[mappings_text, &options])
    }
}

impl Profile {
    /// What a plan is made from (see [`ResolvedProfile::plan_hash`]).
    fn plan_hash(&self, mappings_text: &str) -> String {
        let p = &self.provisioning;
        let ends = format!(
            "{:?} {:?} {:?}",
            self.servicenow.as_ref().map(|s| (s.instance.base_url(), &s.username)),
            self.entra
                .as_ref()
                .map(|e| (&e.tenant_id, &e.service_principal_id, e.cloud)),
            (p.deletion_threshold, p.deletion_threshold_percent),
        );
        crate::model::stable_hash(&[&self.rules_hash(mappings_text), &ends])
    }
}

/// Where a profile's mappings come from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MappingOrigin {
    File(PathBuf),
    BuiltIn,
}

impl std::fmt::Display for MappingOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MappingOrigin::File(path) => write!(f, "the mapping file {}", path.display()),
            MappingOrigin::BuiltIn => f.write_str("the built-in mappings"),
        }
    }
}

/// Every problem of one object's scoping filters.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct ScopeErrors(pub Vec<ScopeError>);

/// Compiles scoping filters as a mapping file writes them, reporting every bad clause.
pub fn compile_scope(filters: &[RawScopingFilter]) -> Result<Scope, Vec<ScopeError>> {
    Scope::compile(filters.iter().map(|f| {
        FilterSpec {
            name: &f.name,
            clauses: f
                .clauses
                .iter()
                .map(|c| (c.attribute.as_str(), c.operator.as_str(), c.value.as_str()))
                .collect(),
        }
    }))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::Config;

    fn profile(dir: &Path, provisioning: &str) -> Profile {
        let text = format!(
            "[profiles.p.servicenow]\ninstance = \"dev1\"\nusername = \"admin\"\n[profiles.p.provisioning]\n{provisioning}\n"
        );
        let config = Config::parse(&text, &dir.join("config.toml")).unwrap();
        config.profile("p").unwrap().clone()
    }

    #[test]
    fn a_profile_resolves_its_mappings_scopes_hash_and_secret_sources_once() {
        let dir = tempfile::tempdir().unwrap();
        let p = profile(dir.path(), "");
        let r = p.resolve().unwrap();
        assert_eq!(r.name, "p", "derefs to the profile");
        assert!(r.user_scope.filters.is_empty());
        assert_eq!(r.credentials.names(), [SecretName::ServiceNowPassword]);
        // The hash stored by earlier versions: the mapping text and the options, unchanged.
        let options = "Assigned false Fail false";
        assert_eq!(
            r.rules_hash,
            crate::model::stable_hash(&[DEFAULT_MAPPINGS_TOML, options])
        );
        let other = profile(dir.path(), "match_active_only = true").resolve().unwrap();
        assert_ne!(other.rules_hash, r.rules_hash);
    }

    #[test]
    fn a_mapping_file_that_cannot_be_read_or_compiled_fails_resolution_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let err = profile(dir.path(), "mappings = \"m.toml\"").resolve().unwrap_err();
        assert!(
            matches!(&err, ConfigError::MappingFile { path, .. } if path.ends_with("m.toml")),
            "{err}"
        );
        let bad_scope = "[[user.scoping_filters]]\nname = \"f\"\nclauses = [{ attribute = \"department\", operator = \"SOUNDS_LIKE\", value = \"x\" }]\n";
        std::fs::write(
            dir.path().join("m.toml"),
            format!("{DEFAULT_MAPPINGS_TOML}\n{bad_scope}"),
        )
        .unwrap();
        let err = profile(dir.path(), "mappings = \"m.toml\"").resolve().unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, ConfigError::Scope { object: "user", .. }), "{text}");
        assert!(text.contains("m.toml") && text.contains("SOUNDS_LIKE"), "{text}");
        std::fs::write(dir.path().join("m.toml"), "[user]\nnot_a_key = 1\n").unwrap();
        let err = profile(dir.path(), "mappings = \"m.toml\"").resolve().unwrap_err();
        assert!(matches!(err, ConfigError::Mappings { .. }), "{err}");
    }

    #[test]
    fn the_plan_hash_follows_what_a_plan_is_made_from_and_not_the_schedule() {
        let dir = tempfile::tempdir().unwrap();
        let hash = |provisioning: &str| profile(dir.path(), provisioning).resolve().unwrap().plan_hash;
        let base = hash("");
        assert_eq!(
            hash("enabled = false\ninterval_minutes = 5"),
            base,
            "the schedule is not"
        );
        for changed in [
            "scope = \"all\"",
            "deletion_threshold = 3",
            "flatten_nested_groups = true",
        ] {
            assert_ne!(hash(changed), base, "{changed}");
        }
        let p = profile(dir.path(), "");
        let candidate = p.resolve_with(&format!("{DEFAULT_MAPPINGS_TOML}\n# edited\n")).unwrap();
        assert_ne!(candidate.plan_hash, base, "the mapping text is");
    }
}
