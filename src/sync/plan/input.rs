//! What `plan` is computed from: the source snapshot (as scoped and read from Graph), the
//! target index (the managed ServiceNow rows and reference tables, as read in bulk), what the
//! store remembers (links, failures) and the rules (mappings, options, the clock).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use crate::config::{DeprovisionGroups, DeprovisionUsers, Provisioning};
use crate::mapping::model::MappingSet;

use super::super::op::{Id, ObjectType};
use super::super::outcome::FailureCode;

/// One Graph user or group as the mappings see it.
#[derive(Debug, Clone, Default)]
pub struct SourceObject {
    pub id: String,
    /// UPN for users, display name for groups.
    pub name: String,
    /// `mapping::catalogue::source_attributes` of the object (with `IsSoftDeleted`).
    pub attrs: crate::mapping::Attrs,
    /// In scope: assignment (or `all`) and scoping filters.
    pub in_scope: bool,
    /// `accountEnabled` (groups: always true).
    pub enabled: bool,
    /// Why in or out of scope, for the log's Scope step.
    pub scope_detail: String,
    /// Groups: the ids of their direct user members, one shared `Id` per user however many
    /// groups it is in (~526,000 of them at 100,000 users: issue 16 §3).
    pub members: Vec<Id>,
}

/// Everything read from Graph this cycle. Objects absent from `users` and `soft_deleted`
/// are gone for good (purged).
#[derive(Debug, Clone, Default)]
pub struct Source {
    pub users: Vec<SourceObject>,
    /// Soft-deleted users (restorable), by id.
    pub soft_deleted: HashSet<String>,
    pub groups: Vec<SourceObject>,
    /// Soft-deleted groups (Microsoft 365 groups in the recycle bin, restorable with their id;
    /// graph.md §14 #3), by id.
    pub soft_deleted_groups: HashSet<String>,
    /// Incremental cycles: users provisioned before and not planned in this cycle that are
    /// members of a planned group; their memberships are kept.
    pub provisioned: HashSet<String>,
    /// Incremental cycles: the UPNs of users not planned in this cycle that a planned group's
    /// memberships or a reference may name (id → UPN), so that they show names, not ids.
    pub names: HashMap<String, String>,
}

/// One ServiceNow row, fields as the wire has them (references as sys_ids).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    pub sys_id: String,
    pub fields: HashMap<String, String>,
}

impl Row {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields.get(field).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// `active` as a boolean (absent: true, as ServiceNow defaults it).
    pub fn active(&self) -> bool {
        self.get("active").is_none_or(|v| normalise_bool(v) == "true")
    }
}

/// One `sys_user_grmember` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    pub sys_id: String,
    pub group: String,
    pub user: String,
}

/// The target as read this cycle.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub users: Vec<Row>,
    pub groups: Vec<Row>,
    pub members: Vec<MemberRow>,
    /// Reference tables: table → lower-cased lookup value → sys_id (first row wins).
    pub lookups: HashMap<String, HashMap<String, String>>,
    /// Reference tables the other way: table → sys_id → the lookup value as spelt there, the
    /// display value a diff shows for a sys_id.
    pub names: HashMap<String, HashMap<String, String>>,
    /// (table, field) → max length from the schema.
    pub max_lengths: HashMap<(String, String), u32>,
    /// (table, field) of boolean columns.
    pub booleans: HashSet<(String, String)>,
    /// The sys_id of the integration account (the `sys_user` row nowsync signs in as): never
    /// matched, written or deprovisioned (DESIGN.md "Configuration").
    pub integration_account: Option<String>,
    /// The groups (sys_ids) the integration account is a member of or holds roles through:
    /// never deleted (a delete cascades to both, servicenow.md §13 #3). Read only when groups
    /// may be deleted (`crate::sync::target::keeps`).
    pub integration_groups: HashSet<String>,
    /// (sys_id, field) → (digest of the value sent, digest of the value the instance kept)
    /// when they differed (issue 12: the instance normalises some values as it stores them;
    /// `store::kept_digest`): a field whose desired value is what was sent and whose row
    /// still holds what was kept is in sync.
    pub kept: HashMap<(String, String), (String, String)>,
    /// (field, lower-cased value) of matching values whose lookup could not run this cycle
    /// (an incremental read by value): an object that would be created on such a value fails
    /// instead — never create when the lookup did not run.
    pub not_looked_up: HashSet<(String, String)>,
    /// What `SelectUniqueValue` must not choose (`crate::sync::target::unique`).
    pub taken: Taken,
}

/// The values `SelectUniqueValue` candidates already have in ServiceNow, as looked up for
/// this cycle (Entra's reference: the first candidate "not already present in the target"
/// wins).
#[derive(Debug, Clone, Default)]
pub struct Taken {
    /// (table, field) → lower-cased value → the sys_id of a row holding it.
    pub values: HashMap<(String, String), HashMap<String, String>>,
    /// (table, field, lower-cased value) of candidates no query could carry (a `^`): never
    /// chosen, since no one could say they are free.
    pub unchecked: HashSet<(String, String, String)>,
}

impl Taken {
    /// Whether `value` is held in `table.field` by a row other than `own`, or could not be
    /// looked up.
    pub fn is_taken(&self, table: &str, field: &str, value: &str, own: Option<&str>) -> bool {
        let lower = value.to_lowercase();
        let key = (table.to_owned(), field.to_owned());
        if self.unchecked.contains(&(key.0.clone(), key.1.clone(), lower.clone())) {
            return true;
        }
        self.values
            .get(&key)
            .and_then(|m| m.get(&lower))
            .is_some_and(|holder| Some(holder.as_str()) != own)
    }
}

/// Why a row is out of nowsync's reach whatever matches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Protected {
    /// The account nowsync signs in as.
    IntegrationAccount,
    /// A row of a table that extends the target table (`customer_contact`, `csm_consumer`, …:
    /// a `sys_user` read returns them too, `sys_class_name` says which; servicenow.md §13 #5).
    OtherClass(String),
}

impl Target {
    /// Whether `row` of `table` may never be matched, written or deprovisioned, and why.
    pub fn protected(&self, row: &Row, table: &str) -> Option<Protected> {
        if self.integration_account.as_deref() == Some(row.sys_id.as_str()) {
            return Some(Protected::IntegrationAccount);
        }
        row.get(CLASS_FIELD)
            .filter(|class| !class.eq_ignore_ascii_case(table))
            .map(|class| Protected::OtherClass(class.to_owned()))
    }
}

/// The field naming the table a row really belongs to.
pub const CLASS_FIELD: &str = "sys_class_name";

/// What the store remembers.
#[derive(Debug, Clone, Default)]
pub struct Prior {
    /// (object type, source id) → sys_id.
    pub links: HashMap<(ObjectType, String), String>,
    /// (object type, source id) → (hash, error code) of a permanent failure.
    pub permanent_failures: HashMap<(ObjectType, String), (String, FailureCode)>,
    /// Every object the retry queue holds (failed in a write or in a plan, due or not) → the
    /// code it failed with and the name it was last seen by: one that left scope unprovisioned
    /// leaves the queue (`plan::left_scope`).
    pub failing: HashMap<(ObjectType, String), (FailureCode, String)>,
}

/// What to do when a reference value has no row: fail the object with InvalidLookupReference
/// (Entra's behaviour), provision it without that attribute with a warning, or create the row
/// (named after the value) first — the plan gets a `CreateReference` op ahead of the objects,
/// whose field holds the value until apply resolves it.
pub use crate::config::MissingReferenceMode as MissingReference;

/// The rules of a plan.
#[derive(Debug, Clone)]
pub struct Rules {
    pub mappings: MappingSet,
    pub now: DateTime<Utc>,
    /// Match only active ServiceNow records (the rehire case).
    pub match_active_only: bool,
    pub missing_reference: MissingReference,
    pub deprovision_users: DeprovisionUsers,
    pub deprovision_groups: DeprovisionGroups,
    /// The cycle's randomness: `Guid()` and `RandomString()` get a seed derived from it per
    /// object and attribute ([`Rules::seed_for`]), so every object gets its own value and
    /// the stages of one cycle (the unique-value lookups, the plan) agree on it.
    pub seed: u64,
    /// The profile's redaction keys: a redacted change carries the digest of its value.
    pub redaction: std::sync::Arc<crate::sync::redact::Redaction>,
}

impl Rules {
    /// The rules of a profile's plan at `now`, with a fresh seed.
    pub fn new(mappings: MappingSet, provisioning: &Provisioning, now: DateTime<Utc>) -> Rules {
        Rules {
            mappings,
            now,
            match_active_only: provisioning.match_active_only,
            missing_reference: provisioning.missing_reference,
            deprovision_users: provisioning.deprovision_users,
            deprovision_groups: provisioning.deprovision_groups,
            seed: rand::random(),
            redaction: std::sync::Arc::new(crate::sync::redact::Redaction::random()),
        }
    }

    /// The evaluation seed of one object's attribute in this cycle.
    pub fn seed_for(&self, object_id: &str, attribute: &str) -> u64 {
        seed_for(self.seed, object_id, attribute)
    }
}

/// The evaluation seed of one object's attribute under a cycle's `seed`.
pub fn seed_for(seed: u64, object_id: &str, attribute: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (seed, object_id, attribute).hash(&mut h);
    h.finish()
}

/// ServiceNow's boolean spellings, normalised to `true`/`false`; other text unchanged.
pub fn normalise_bool(v: &str) -> &str {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" => "true",
        "0" | "false" | "no" => "false",
        _ => v,
    }
}
