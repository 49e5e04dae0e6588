//! The request an op sends: its table, method, row and body, with the sys_ids it refers to
//! resolved through the links (those of rows and users created earlier in the cycle included),
//! or why it cannot be built ([`Unresolved`]).

use serde_json::{Map, Value, json};

use super::Applier;
use crate::model::SysId;
use crate::sync::op::{Change, ObjectType, Op, OpKind};
use crate::sync::outcome::FailureCode;
use crate::sync::safety::Write;

/// Why an op's request cannot be built: something it refers to has no row (the object fails
/// with `ReferenceNotProvisioned` and is retried next cycle).
#[derive(Debug, thiserror::Error)]
pub(super) enum Unresolved {
    #[error("{0} was not provisioned")]
    NotProvisioned(String),
    #[error("the linked sys_id is not valid: {0}")]
    BadSysId(#[source] crate::model::SysIdError),
    #[error("the group was not provisioned")]
    Group,
    #[error("the user was not provisioned")]
    User,
    /// A reference to a user whose create in this cycle failed: `user` by name (issue 14).
    #[error(
        "{attribute}: {user} was not provisioned (its create in this cycle failed: see its record); the cycle that provisions it sets it"
    )]
    Referenced { attribute: String, user: String },
    #[error("{attribute}: the {table} row '{value}' could not be created")]
    RowNotCreated {
        attribute: String,
        table: String,
        value: String,
    },
    /// A last guard behind `plan`'s: nothing is ever written to the account nowsync signs in
    /// as.
    #[error("{0} is the integration account nowsync signs in as: never written")]
    IntegrationAccount(String),
}

impl Unresolved {
    pub(super) fn code(&self) -> FailureCode {
        match self {
            Unresolved::IntegrationAccount(_) => FailureCode::MatchesIntegrationAccount,
            _ => FailureCode::ReferenceNotProvisioned,
        }
    }
}

/// One write: table, method, the row (PATCH/DELETE) and the body.
pub(super) struct Request {
    pub(super) table: String,
    pub(super) method: &'static str,
    pub(super) sys_id: Option<SysId>,
    pub(super) body: Map<String, Value>,
    /// Pending references (attribute, source id) left out: the user was not created.
    pub(super) missing: Vec<(String, String)>,
}

impl Request {
    /// The write as the halt rule sees it: its table operation and the fields it sends.
    pub(super) fn write(&self) -> Write {
        let mut shape: Vec<String> = self.body.keys().cloned().collect();
        shape.sort_unstable();
        Write {
            operation: (self.table.clone(), self.method),
            shape,
        }
    }
}

fn fields(changes: &[Change]) -> Map<String, Value> {
    changes
        .iter()
        .filter_map(|c| {
            c.new
                .as_ref()
                .map(|v| (c.attribute.to_string(), Value::String(v.to_string())))
        })
        .collect()
}

impl Applier<'_> {
    pub(super) fn table(&self, op: &Op) -> String {
        let mappings = &self.cx.profile.mappings;
        match op.object_type {
            ObjectType::User => mappings.user.target_table.clone(),
            ObjectType::Group => mappings.group.target_table.clone(),
            ObjectType::Membership => mappings
                .group
                .members_table
                .clone()
                .unwrap_or_else(|| "sys_user_grmember".into()),
        }
    }

    pub(super) fn sys_id(&self, ot: ObjectType, source_id: &str) -> Option<String> {
        let key = (ot, source_id.to_owned());
        match self.links.get(&key) {
            Some(id) => Some(id.clone()),
            None if self.gone.contains(&key) => None,
            None => self.stored.get(&key).cloned(),
        }
    }

    /// The name (UPN) of the user `source_id` a reference of the plan names; its id only when
    /// the plan has no op of it.
    pub(super) fn user_name(&self, source_id: &str) -> String {
        self.names
            .get(source_id)
            .cloned()
            .unwrap_or_else(|| source_id.to_owned())
    }

    /// The request an op sends (`None`: nothing to send), or why it cannot be sent.
    pub(super) fn request(&self, op: &Op) -> Result<Option<Request>, Unresolved> {
        let table = self.table(op);
        let own = || -> Result<SysId, Unresolved> {
            let id = op
                .target_id
                .clone()
                .or_else(|| self.sys_id(op.object_type, &op.source_id))
                .ok_or_else(|| Unresolved::NotProvisioned(op.source_name.to_string()))?;
            let integration = self.cx.identity.get().map(|i| i.integration_account.as_str());
            if op.object_type == ObjectType::User && integration == Some(id.as_str()) {
                return Err(Unresolved::IntegrationAccount(id));
            }
            SysId::parse(&id).map_err(Unresolved::BadSysId)
        };
        let request = |table: String, method, sys_id, body| Request {
            table,
            method,
            sys_id,
            body,
            missing: Vec::new(),
        };
        Ok(Some(match &op.kind {
            OpKind::Create { fields: f } => {
                let mut body = self.resolve_created(op, fields(f))?;
                let missing = self.resolve_pending(f, &mut body);
                Request {
                    missing,
                    ..request(table, "POST", None, body)
                }
            }
            OpKind::Update { diff } | OpKind::Disable { diff } => {
                let sys_id = Some(own()?);
                let mut body = self.resolve_created(op, fields(diff))?;
                let missing = self.resolve_pending(diff, &mut body);
                Request {
                    missing,
                    ..request(table, "PATCH", sys_id, body)
                }
            }
            OpKind::CreateReference(r) => request(
                r.table.clone(),
                "POST",
                None,
                Map::from_iter([(r.field.clone(), json!(r.value))]),
            ),
            OpKind::Delete | OpKind::RemoveMember => request(table, "DELETE", Some(own()?), Map::new()),
            OpKind::AddMember => {
                let group = self.sys_id(ObjectType::Group, &op.source_id).ok_or(Unresolved::Group)?;
                let member = op.member_id.as_deref().unwrap_or_default();
                let user = self.sys_id(ObjectType::User, member).ok_or(Unresolved::User)?;
                let body = Map::from_iter([("group".to_owned(), json!(group)), ("user".to_owned(), json!(user))]);
                request(table, "POST", None, body)
            }
            OpKind::SetReference { attribute, source_id } => {
                let to = self
                    .sys_id(ObjectType::User, source_id)
                    .ok_or_else(|| Unresolved::Referenced {
                        attribute: attribute.clone(),
                        user: self.user_name(source_id),
                    })?;
                let body = Map::from_iter([(attribute.clone(), json!(to))]);
                request(table, "PATCH", Some(own()?), body)
            }
            OpKind::Skip { .. } | OpKind::Error(_) | OpKind::StagedDelete { .. } => return Ok(None),
        }))
    }

    /// Swaps each pending reference (the source id of a user created in this cycle, whose create
    /// `waves` waited for) for that user's sys_id; one whose user was not created is left out
    /// of the body and returned.
    fn resolve_pending(&self, changes: &[Change], body: &mut Map<String, Value>) -> Vec<(String, String)> {
        let mut missing = Vec::new();
        for c in changes.iter().filter(|c| c.pending) {
            let source_id = c.new.as_deref().unwrap_or_default().to_owned();
            match self.sys_id(ObjectType::User, &source_id) {
                Some(sys_id) => {
                    body.insert(c.attribute.to_string(), json!(sys_id));
                }
                None => {
                    body.remove(&*c.attribute);
                    missing.push((c.attribute.to_string(), source_id));
                }
            }
        }
        missing
    }

    /// Swaps the values of lookup fields that name a row created in this cycle for its sys_id;
    /// fails the object when that row could not be created.
    fn resolve_created(&self, op: &Op, mut body: Map<String, Value>) -> Result<Map<String, Value>, Unresolved> {
        let mapping = match op.object_type {
            ObjectType::User => &self.cx.profile.mappings.user,
            ObjectType::Group => &self.cx.profile.mappings.group,
            ObjectType::Membership => return Ok(body),
        };
        for (attribute, v) in body.iter_mut() {
            let (Some((table, _)), Some(text)) = (crate::sync::plan::lookup_of(mapping, attribute), v.as_str()) else {
                continue;
            };
            match self.refs.get(&(table.to_owned(), text.to_lowercase())) {
                Some(Some(sys_id)) => *v = json!(sys_id),
                Some(None) => {
                    return Err(Unresolved::RowNotCreated {
                        attribute: attribute.clone(),
                        table: table.to_owned(),
                        value: text.to_owned(),
                    });
                }
                None => {}
            }
        }
        Ok(body)
    }
}
