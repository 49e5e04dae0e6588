//! The simulator's directory: users, groups, memberships, service principals and app-role
//! assignments, with a version counter that every user or group write advances so delta rounds
//! can answer "what changed since version v".
//!
//! Invariants: a record's `version` is the last version that changed anything delta reports for
//! it; `prop_versions` holds, per property ever set, the version it last changed (unset and
//! never-set properties are absent from `props`). Soft-deleted and purged users stay as records
//! (tombstones) so later rounds can report `@removed`. Objects are listed in creation order
//! (`seq`). App-role assignments carry no version: they are not in any delta (spec §7.3).

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value, json};

use crate::sim::tenant::{self, PrincipalType, Tenant};

/// Where an object is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Life {
    Live,
    /// In `deletedItems` since `deletedDateTime`.
    SoftDeleted(String),
    Purged,
}

#[derive(Debug, Clone)]
pub(super) struct Rec {
    pub seq: u64,
    pub props: Map<String, Value>,
    pub prop_versions: HashMap<String, u64>,
    pub version: u64,
    pub life: Life,
    /// Version of the last create, soft delete, restore or purge.
    pub life_version: u64,
    /// Users: the manager's id, the one before (for `manager@delta` removals), when it changed.
    pub manager: Option<String>,
    pub former_manager: Option<String>,
    pub manager_version: u64,
    /// Groups left by a soft delete, rejoined on restore.
    pub former_groups: Vec<String>,
    /// Microsoft 365 groups: app-role assignments hidden by a soft delete, back on restore.
    pub former_assignments: Vec<Map<String, Value>>,
    /// Version of the last restore from deletedItems (0: never restored).
    pub restored_version: u64,
    /// Groups: direct members in the order they were added.
    pub members: Vec<(String, PrincipalType)>,
    /// Groups: `(version, member id, type)` of every add or remove.
    pub member_log: Vec<(u64, String, PrincipalType)>,
}

impl Rec {
    fn new(seq: u64, version: u64, props: Map<String, Value>) -> Rec {
        let prop_versions = props.keys().map(|k| (k.clone(), version)).collect();
        Rec {
            seq,
            props,
            prop_versions,
            version,
            life: Life::Live,
            life_version: version,
            manager: None,
            former_manager: None,
            manager_version: 0,
            former_groups: Vec::new(),
            former_assignments: Vec::new(),
            restored_version: 0,
            members: Vec::new(),
            member_log: Vec::new(),
        }
    }

    pub fn id(&self) -> &str {
        self.props.get("id").and_then(Value::as_str).unwrap_or_default()
    }

    pub fn is_live(&self) -> bool {
        self.life == Life::Live
    }
}

/// One collection of directory objects (users or groups), ordered by creation.
#[derive(Debug, Default)]
pub(super) struct Objects {
    pub by_seq: BTreeMap<u64, Rec>,
    pub index: HashMap<String, u64>,
}

impl Objects {
    pub fn get(&self, id: &str) -> Option<&Rec> {
        self.index.get(id).and_then(|s| self.by_seq.get(s))
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut Rec> {
        self.index.get(id).and_then(|s| self.by_seq.get_mut(s))
    }

    /// A live object (not soft-deleted, not purged).
    pub fn live(&self, id: &str) -> Option<&Rec> {
        self.get(id).filter(|r| r.is_live())
    }

    fn insert(&mut self, rec: Rec) {
        self.index.insert(rec.id().to_owned(), rec.seq);
        self.by_seq.insert(rec.seq, rec);
    }
}

/// The whole directory.
#[derive(Debug)]
pub(super) struct Store {
    /// The enterprise app whose assignments define scope, and nowsync's own service principal.
    pub service_principals: Vec<Map<String, Value>>,
    pub version: u64,
    next_seq: u64,
    pub users: Objects,
    pub groups: Objects,
    pub assignments: Vec<Map<String, Value>>,
    /// Ids of users and groups in deletedItems, oldest first (for the 30-day purge clock).
    pub soft_deleted: Vec<String>,
}

fn put(map: &mut Map<String, Value>, key: &str, value: Option<impl Into<Value>>) {
    if let Some(v) = value {
        map.insert(key.to_owned(), v.into());
    }
}

fn user_props(u: &tenant::User) -> Map<String, Value> {
    let mut m = Map::new();
    put(&mut m, "id", Some(u.id.clone()));
    put(&mut m, "userPrincipalName", Some(u.user_principal_name.clone()));
    put(&mut m, "mail", u.mail.clone());
    put(&mut m, "mailNickname", Some(u.mail_nickname.clone()));
    put(&mut m, "displayName", Some(u.display_name.clone()));
    put(&mut m, "givenName", u.given_name.clone());
    put(&mut m, "surname", u.surname.clone());
    put(&mut m, "jobTitle", u.job_title.clone());
    put(&mut m, "department", u.department.clone());
    put(&mut m, "officeLocation", u.office_location.clone());
    put(&mut m, "employeeId", u.employee_id.clone());
    put(&mut m, "companyName", u.company_name.clone());
    put(&mut m, "mobilePhone", u.mobile_phone.clone());
    if !u.business_phones.is_empty() {
        m.insert("businessPhones".to_owned(), json!(u.business_phones));
    }
    put(&mut m, "accountEnabled", Some(u.account_enabled));
    let guest = u.user_type == tenant::UserType::Guest;
    put(&mut m, "userType", Some(if guest { "Guest" } else { "Member" }));
    put(&mut m, "city", u.city.clone());
    put(&mut m, "country", u.country.clone());
    put(&mut m, "usageLocation", u.usage_location.clone());
    put(&mut m, "preferredLanguage", u.preferred_language.clone());
    put(&mut m, "createdDateTime", Some(u.created_date_time.clone()));
    if guest {
        put(&mut m, "externalUserState", Some("Accepted"));
        put(&mut m, "creationType", Some("Invitation"));
    }
    m
}

fn group_props(g: &tenant::Group) -> Map<String, Value> {
    let mut m = Map::new();
    put(&mut m, "id", Some(g.id.clone()));
    put(&mut m, "displayName", Some(g.display_name.clone()));
    put(&mut m, "description", g.description.clone());
    put(&mut m, "securityEnabled", Some(g.security_enabled));
    put(&mut m, "mailEnabled", Some(g.mail_enabled));
    put(&mut m, "mailNickname", Some(g.mail_nickname.clone()));
    put(&mut m, "mail", g.mail.clone());
    m.insert("groupTypes".to_owned(), json!(g.group_types));
    put(&mut m, "createdDateTime", Some(g.created_date_time.clone()));
    put(&mut m, "visibility", g.group_types.is_empty().then_some("Private"));
    m
}

fn sp_props(id: &str, app_id: &str, name: &str, roles: &[(String, String)], required: bool) -> Map<String, Value> {
    let roles: Vec<Value> = roles
        .iter()
        .map(|(id, value)| {
            json!({"id": id, "value": value, "displayName": value, "description": value,
                   "allowedMemberTypes": ["User"], "isEnabled": true, "origin": "Application"})
        })
        .collect();
    let v = json!({"id": id, "appId": app_id, "displayName": name, "accountEnabled": true,
                   "appRoleAssignmentRequired": required, "servicePrincipalType": "Application",
                   "appRoles": roles, "deletedDateTime": null});
    v.as_object().cloned().unwrap_or_default()
}

impl Store {
    pub fn from_tenant(t: &Tenant) -> Store {
        let sp = &t.service_principal;
        let mut store = Store {
            service_principals: vec![
                sp_props(&sp.id, &sp.app_id, &sp.display_name, &sp.app_roles, true),
                sp_props(&t.client_service_principal_id, &t.client_id, "nowsync", &[], false),
            ],
            version: 1,
            next_seq: 0,
            users: Objects::default(),
            groups: Objects::default(),
            assignments: Vec::with_capacity(t.assignments.len()),
            soft_deleted: Vec::new(),
        };
        for u in &t.users {
            let mut rec = Rec::new(store.seq(), 1, user_props(u));
            rec.manager = u.manager_id.clone();
            rec.manager_version = 1;
            store.users.insert(rec);
        }
        for g in &t.groups {
            let mut rec = Rec::new(store.seq(), 1, group_props(g));
            rec.members = g.members.iter().map(|m| (m.id.clone(), m.kind)).collect();
            rec.member_log = rec.members.iter().map(|(id, k)| (1, id.clone(), *k)).collect();
            store.groups.insert(rec);
        }
        for a in &t.assignments {
            let v = json!({"id": a.id, "deletedDateTime": null, "appRoleId": a.app_role_id,
                "createdDateTime": a.created_date_time, "principalDisplayName": a.principal_display_name,
                "principalId": a.principal_id, "principalType": a.principal_type.as_str(),
                "resourceDisplayName": sp.display_name, "resourceId": sp.id});
            store.assignments.push(v.as_object().cloned().unwrap_or_default());
        }
        store
    }

    fn seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    /// Advances the version counter and returns the new version.
    pub fn bump(&mut self) -> u64 {
        self.version += 1;
        self.version
    }

    pub fn insert_user(&mut self, props: Map<String, Value>) -> &Rec {
        let (seq, v) = (self.seq(), self.bump());
        self.users.insert(Rec::new(seq, v, props));
        &self.users.by_seq[&seq]
    }

    pub fn insert_group(&mut self, props: Map<String, Value>) -> &Rec {
        let (seq, v) = (self.seq(), self.bump());
        self.groups.insert(Rec::new(seq, v, props));
        &self.groups.by_seq[&seq]
    }

    pub fn service_principal(&self, id: &str) -> Option<&Map<String, Value>> {
        self.service_principals
            .iter()
            .find(|sp| sp.get("id").and_then(Value::as_str) == Some(id))
    }

    /// The kind of a live directory object, by id.
    pub fn kind_of(&self, id: &str) -> Option<PrincipalType> {
        if self.users.live(id).is_some() {
            Some(PrincipalType::User)
        } else if self.groups.live(id).is_some() {
            Some(PrincipalType::Group)
        } else if self.service_principal(id).is_some() {
            Some(PrincipalType::ServicePrincipal)
        } else {
            None
        }
    }
}

/// Merges `patch` into a record's properties, recording the version of each change.
pub(super) fn apply_patch(rec: &mut Rec, patch: &Map<String, Value>, version: u64) -> bool {
    let mut changed = false;
    for (k, v) in patch {
        if k.starts_with('@') || k.contains('@') || k == "id" || k == "passwordProfile" {
            continue;
        }
        let old = rec.props.get(k);
        let same = old == Some(v) || (old.is_none() && v.is_null());
        if same {
            continue;
        }
        if v.is_null() {
            rec.props.remove(k);
        } else {
            rec.props.insert(k.clone(), v.clone());
        }
        rec.prop_versions.insert(k.clone(), version);
        changed = true;
    }
    if changed {
        rec.version = version;
    }
    changed
}
