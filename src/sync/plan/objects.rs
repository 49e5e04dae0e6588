//! Users and groups: match, diff and deprovision, one object type at a time.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use crate::model::stable_hash;

use crate::mapping::model::ObjectMapping;

use super::super::op::{Change, Id, Name, ObjectType, Op, OpHash, OpKind, Step};
use super::super::outcome::{SkipReason, Status};
use super::desired::{Known, Linked, desired};
use super::input::{Prior, Row, Rules, Source, SourceObject, Target, normalise_bool};
use super::matching::{self, Matched};

/// (type, source id) → sys_id.
type Links = HashMap<(ObjectType, String), String>;

/// What the object pass leaves for memberships: sys_ids known now, and every source id that
/// will have a row once the plan is applied.
#[derive(Debug, Default)]
pub struct Planned {
    pub sys_ids: HashMap<String, String>,
    pub provisioned: HashSet<String>,
    /// The objects whose create fails in this plan → why: their memberships wait for it.
    pub failed_creates: HashMap<String, String>,
    /// In-scope objects whose op failed this cycle (a field, a reference, a match): their
    /// membership rows are left as they are, never taken for "no longer a member".
    pub failed: HashSet<String>,
}

pub(super) fn step(name: &'static str, status: Status, detail: impl Into<std::borrow::Cow<'static, str>>) -> Step {
    Step {
        name: name.into(),
        status,
        detail: detail.into(),
    }
}

/// What one object's op is built from, besides the object and how it matched.
struct Build<'a> {
    ot: ObjectType,
    mapping: &'a ObjectMapping,
    target: &'a Target,
    /// Links as they will be after this cycle's matches (for provisioned references), the
    /// objects created in this cycle, the unique values chosen so far.
    known: Known<'a>,
}

/// How many ops the objects' pass makes at most: one per object in scope and one per linked
/// object out of it whose row was read (a deprovisioning needs its row), so that the plan's
/// `Vec` is sized once. An incremental cycle reads the touched rows only: sizing it for every
/// link was ~19 MB at 100,000 users for the ~13,000 objects it plans (issue 16 §3).
pub fn capacity(source: &Source, target: &Target, prior: &Prior) -> usize {
    let scoped: HashSet<&str> = source
        .users
        .iter()
        .chain(&source.groups)
        .filter(|o| o.in_scope)
        .map(|o| o.id.as_str())
        .collect();
    let leavers = prior
        .links
        .keys()
        .filter(|(t, id)| *t != ObjectType::Membership && !scoped.contains(id.as_str()))
        .count();
    scoped.len() + leavers.min(target.users.len() + target.groups.len())
}

/// Plans every object of one type: each in-scope object matched and diffed, then the linked
/// objects that left scope deprovisioned.
pub fn plan_objects(
    ot: ObjectType,
    source: &mut Source,
    target: &Target,
    prior: &Prior,
    rules: &Rules,
    ops: &mut Vec<Op>,
    deferred: &mut Vec<Op>,
) -> Planned {
    let (mapping, objects, rows) = match ot {
        ObjectType::Group => (&rules.mappings.group, &mut source.groups, &target.groups),
        _ => (&rules.mappings.user, &mut source.users, &target.users),
    };
    let mut planned = Planned::default();
    if !mapping.enabled {
        return planned;
    }
    let by_id: HashMap<&str, &Row> = rows.iter().map(|r| (r.sys_id.as_str(), r)).collect();
    // Indices, not references: each object's attributes are freed once its op is built, so
    // memory holds the plan or the source, not both.
    let in_scope: Vec<usize> = (0..objects.len()).filter(|&i| objects[i].in_scope).collect();
    let results = {
        let scoped: Vec<&SourceObject> = in_scope.iter().map(|&i| &objects[i]).collect();
        matching::match_all(ot, &scoped, mapping, target, &by_id, prior, rules)
    };
    let (links, pending) = after_matches(ot, objects, &in_scope, &results, mapping);
    let claimed = RefCell::new(HashSet::new());
    let build = Build {
        ot,
        mapping,
        target,
        known: Known {
            target,
            links: Linked {
                stored: &prior.links,
                matched: &links,
            },
            pending: &pending,
            rules,
            claimed: &claimed,
        },
    };
    for (&i, m) in in_scope.iter().zip(results) {
        ops.push(build.op(&objects[i], m, &mut planned, deferred));
        // Its op holds what is read of it now; its id, name and scope stay for what follows.
        objects[i].attrs = Default::default();
        objects[i].scope_detail = String::new();
    }
    super::deprovision::deprovision(ot, mapping, source, target, &by_id, prior, rules, ops);
    planned
}

/// The links this cycle's matches make (over the stored ones: [`Linked`]), and the objects it
/// creates.
fn after_matches(
    ot: ObjectType,
    objects: &[SourceObject],
    in_scope: &[usize],
    results: &[Matched],
    mapping: &ObjectMapping,
) -> (Links, HashSet<String>) {
    let mut links = Links::new();
    let mut pending: HashSet<String> = HashSet::new();
    for (o, m) in in_scope.iter().map(|&i| &objects[i]).zip(results) {
        match m {
            Matched::Row { row, .. } => {
                links.insert((ot, o.id.clone()), row.sys_id.clone());
            }
            Matched::Create { .. } if o.enabled && mapping.actions.create => {
                pending.insert(o.id.clone());
            }
            _ => {}
        }
    }
    (links, pending)
}

impl Build<'_> {
    /// One in-scope object's op: its Import, Scope and Match steps, and what to do.
    fn op(&self, o: &SourceObject, m: Matched, planned: &mut Planned, deferred: &mut Vec<Op>) -> Op {
        let import = step(
            "Import",
            Status::Success,
            format!("{} {} read from Entra", self.ot.as_str(), o.name),
        );
        let scope = step("Scope", Status::Success, o.scope_detail.clone());
        let mut op = Op {
            object_type: self.ot,
            source_id: Id::from(&o.id),
            source_name: Name::from(o.name.as_str()),
            target_id: None,
            member_id: None,
            kind: OpKind::Skip {
                reason: SkipReason::InSync,
            },
            steps: vec![import, scope].into(),
            hash: OpHash::default(),
        };
        match m {
            Matched::Fail(f) => {
                op.steps.to_mut().push(step("Match", Status::Failure, f.reason.clone()));
                op.kind = OpKind::Error(Box::new(f));
            }
            Matched::Create { how } => {
                op.steps.to_mut().push(step("Match", Status::Success, how));
                op.kind = self.create(o, &mut op, planned);
            }
            Matched::Row { row, how } => {
                op.steps.to_mut().push(step("Match", Status::Success, how));
                op.target_id = Some(row.sys_id.clone());
                planned.sys_ids.insert(o.id.clone(), row.sys_id.clone());
                op.kind = self.update(o, row, &mut op, planned, deferred);
            }
        }
        if matches!(op.kind, OpKind::Disable { .. }) && !o.enabled {
            // In scope, yet disabled: the reason is Entra's account, as its log says (F1).
            if let Some(scope) = op.steps.to_mut().iter_mut().find(|s| s.name == "Scope") {
                scope.detail = format!(
                    "{}; disabled in Entra (accountEnabled = false): disabled",
                    o.scope_detail
                )
                .into();
            }
        }
        if matches!(op.kind, OpKind::Error(_)) {
            planned.failed.insert(o.id.clone());
        }
        op.hash = op_hash(o, &op.kind).into();
        // Held for the whole cycle (a plan at 100,000 users holds 100,000 of these): no spare
        // capacity from the pushes above (issue 16 §3).
        if let Cow::Owned(steps) = &mut op.steps {
            steps.shrink_to_fit();
        }
        if let OpKind::Create { fields: c } | OpKind::Update { diff: c } | OpKind::Disable { diff: c } = &mut op.kind {
            c.shrink_to_fit();
        }
        op
    }

    /// No row matched: create it, unless the object is disabled or Create is off.
    fn create(&self, o: &SourceObject, op: &mut Op, planned: &mut Planned) -> OpKind {
        if !o.enabled {
            return OpKind::Skip {
                reason: SkipReason::DisabledNotCreated,
            };
        }
        if !self.mapping.actions.create {
            return OpKind::Skip {
                reason: SkipReason::CreateOff,
            };
        }
        match desired(o, self.mapping, None, &self.known) {
            Err(f) => {
                planned.failed_creates.insert(o.id.clone(), f.reason.clone());
                OpKind::Error(Box::new(f))
            }
            Ok(d) => {
                planned.provisioned.insert(o.id.clone());
                warn(op, &d.warnings);
                let fields = d
                    .fields
                    .into_iter()
                    .map(|(attribute, new)| Change::new(attribute, None, Some(new)))
                    .collect();
                let mut kind = OpKind::Create { fields };
                redact(&mut kind, &d.redacted, self.known.rules);
                // A manager created in this cycle is set in this create (`super::waves`).
                with_pending(&mut kind, d.deferred);
                kind
            }
        }
    }

    /// A row matched: the fields that differ from it.
    fn update(
        &self,
        o: &SourceObject,
        row: &Row,
        op: &mut Op,
        planned: &mut Planned,
        deferred: &mut Vec<Op>,
    ) -> OpKind {
        match desired(o, self.mapping, Some(row), &self.known) {
            Err(f) => OpKind::Error(Box::new(f)),
            Ok(d) => {
                planned.provisioned.insert(o.id.clone());
                warn(op, &d.warnings);
                let table = self.mapping.target_table.as_str();
                let mut kind = diff_kind(self.ot, row, d.fields, self.mapping.actions.update, self.target, table);
                redact(&mut kind, &d.redacted, self.known.rules);
                // An update carries a manager created in this cycle; anything else that
                // changes nothing else sets it with a write of its own, after the create.
                if matches!(kind, OpKind::Update { .. }) {
                    with_pending(&mut kind, d.deferred);
                } else {
                    for (attribute, source_id) in d.deferred {
                        deferred.push(set_reference(op, attribute, source_id));
                    }
                }
                kind
            }
        }
    }
}

/// The changes of `kind` to the `redacted` attributes, redacted under the cycle's key.
fn redact(kind: &mut OpKind, redacted: &HashSet<String>, rules: &Rules) {
    if redacted.is_empty() {
        return;
    }
    if let OpKind::Create { fields: changes } | OpKind::Update { diff: changes } | OpKind::Disable { diff: changes } =
        kind
    {
        for c in changes.iter_mut().filter(|c| redacted.contains(&*c.attribute)) {
            *c = std::mem::replace(c, Change::new("", None, None)).redact(&rules.redaction);
        }
    }
}

/// `missing_reference = "warn"`: the object is provisioned without the attribute, and its log
/// record says so.
fn warn(op: &mut Op, warnings: &[String]) {
    for w in warnings {
        op.steps
            .to_mut()
            .push(step("Action", Status::Warning, format!("{w}: provisioned without it")));
    }
}

/// References to users this cycle creates, carried by the object's own create or update.
fn with_pending(kind: &mut OpKind, refs: Vec<(String, String)>) {
    if let OpKind::Create { fields: changes } | OpKind::Update { diff: changes } = kind {
        changes.extend(refs.into_iter().map(|(attribute, id)| Change::pending(attribute, id)));
    }
}

/// A write of its own that sets `attribute` of the object `of` to the user `source_id` created
/// in this cycle, once both exist.
pub(super) fn set_reference(of: &Op, attribute: String, source_id: String) -> Op {
    Op {
        object_type: of.object_type,
        source_id: of.source_id.clone(),
        source_name: of.source_name.clone(),
        target_id: None,
        member_id: None,
        hash: stable_hash(&[of.source_id.as_str(), &attribute, &source_id]).into(),
        steps: vec![step(
            "Action",
            Status::Planned,
            format!("{attribute} → the row created for {source_id}"),
        )]
        .into(),
        kind: OpKind::SetReference { attribute, source_id },
    }
}

fn same(old: Option<&str>, new: &str, is_bool: bool) -> bool {
    match old {
        None => new.is_empty(),
        Some(old) if is_bool => normalise_bool(old) == normalise_bool(new),
        Some(old) => old == new,
    }
}

/// Whether the row holds what the instance kept when `new` was last sent to it (issue 12,
/// servicenow.md §13 #6: 4-byte characters as '?', strings cut, choices canonicalised).
fn kept_as_sent(target: &Target, row: &Row, field: &str, new: &str) -> bool {
    let Some((sent, kept)) = target.kept.get(&(row.sys_id.clone(), field.to_owned())) else {
        return false;
    };
    let now = row.get(field).unwrap_or_default();
    *sent == crate::store::kept_digest(field, new) && *kept == crate::store::kept_digest(field, now)
}

fn diff_kind(
    ot: ObjectType,
    row: &Row,
    fields: Vec<(String, String)>,
    update: bool,
    target: &Target,
    table: &str,
) -> OpKind {
    let mut diff = Vec::new();
    let mut disabling = false;
    let mut enabling = false;
    for (f, new) in fields {
        let is_bool = target.booleans.contains(&(table.to_owned(), f.clone())) || f == "active";
        if same(row.get(&f), &new, is_bool) || kept_as_sent(target, row, &f, &new) {
            continue;
        }
        if f == "active" {
            // Compared as booleans: "0"/"1", "False"/"True" are a disable and an enable too.
            disabling = normalise_bool(&new) == "false";
            enabling = normalise_bool(&new) == "true";
        }
        diff.push(Change::new(f.clone(), row.get(&f).map(str::to_owned), Some(new)));
    }
    // A group back in scope: no mapping sets its `active`, so set it back explicitly.
    if ot == ObjectType::Group && !row.active() && !diff.iter().any(|c| &*c.attribute == "active") {
        diff.push(Change::new(
            "active",
            row.get("active").map(str::to_owned),
            Some("true".into()),
        ));
    }
    // Re-enabling: ServiceNow locked the account when it was disabled; unlock it explicitly.
    if enabling && ot == ObjectType::User && row.get("locked_out").is_some_and(|v| normalise_bool(v) == "true") {
        diff.push(Change::new("locked_out", Some("true".into()), Some("false".into())));
    }
    if diff.is_empty() {
        OpKind::Skip {
            reason: SkipReason::InSync,
        }
    } else if disabling {
        OpKind::Disable { diff }
    } else if !update {
        OpKind::Skip {
            reason: SkipReason::UpdateOff,
        }
    } else {
        OpKind::Update { diff }
    }
}

fn op_hash(o: &SourceObject, kind: &OpKind) -> String {
    let text = serde_json::to_string(kind).unwrap_or_default();
    stable_hash(&[&o.id, &text])
}
