//! Per-record refusals (spec §13 #2): an instance refuses single records with 403 for reasons
//! that have nothing to do with the caller's rights, and refuses whole table operations by ACL.
//!
//! Switch: `POST /sim/faults` `{"refusals": [{"kind", "table"?, "operation"?, "when"?,
//! "fields"?, "name"?}, …]}` (replaces; `[]` turns them off). A refusal applies to writes of
//! `table` (default `sys_user`; a table that extends it counts as it) whose `operation` matches
//! (`insert`, `update`, `delete`, `write` = insert or update (default), `any`) and whose
//! resulting row matches the encoded query `when` (absent: every row). Wording as instances
//! send it (`{"error":{"message":"Operation Failed","detail":…},"status":"failure"}`):
//! - `data_policy`: refuses when one of `fields` (required) is empty —
//!   `Data Policy Exception: \n\tThe following fields are mandatory: Employee number`
//!   (recorded in a public integration's troubleshooting page);
//! - `business_rule`: `Operation against file 'sys_user' was aborted by Business Rule
//!   '<name>^<sys_id>'. Business Rule Stack:<name>` (recorded answers of several instances);
//! - `unique_key`: `Unique Key violation detected by database (Duplicate entry '<value>' for key
//!   '<field>')`, `fields` default `user_name`;
//! - `acl`: `ACL Exception Insert|Update|Delete Failed due to security constraints` (ISS-ACL) —
//!   with `when` one record's ACL, without it the whole table operation's.

use serde::{Deserialize, Serialize};

use super::auth::Principal;
use super::eval::{Caller, Filter};
use super::query;
use super::reply::Reply;
use super::store::{Row, Store};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    DataPolicy,
    BusinessRule,
    UniqueKey,
    Acl,
}

/// The write a refusal applies to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Insert,
    Update,
    Delete,
    #[default]
    Write,
    Any,
}

impl Operation {
    fn covers(self, op: Operation) -> bool {
        match self {
            Operation::Any => true,
            Operation::Write => matches!(op, Operation::Insert | Operation::Update),
            other => other == op,
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Operation::Insert => "Insert",
            Operation::Delete => "Delete",
            _ => "Update",
        }
    }
}

fn default_table() -> String {
    "sys_user".to_owned()
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Refusal {
    pub kind: Kind,
    #[serde(default = "default_table")]
    pub table: String,
    #[serde(default)]
    pub operation: Operation,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Refusal {
    /// Why a switch cannot be used as given, if it cannot.
    pub fn problem(&self) -> Option<String> {
        (self.kind == Kind::DataPolicy && self.fields.is_empty())
            .then(|| "a data_policy refusal needs \"fields\": the mandatory fields".to_owned())
    }
}

/// The write being checked.
pub struct Write<'a> {
    /// The table written through and the one that stores its rows.
    pub table: &'a str,
    pub storage: &'a str,
    pub operation: Operation,
    /// The row as it would be stored (insert, update) or as it is (delete).
    pub row: &'a Row,
    pub caller: &'a Principal,
}

/// The 403 of the first refusal that applies to `write`, if any.
pub fn check(store: &Store, refusals: &[Refusal], write: &Write) -> Option<Reply> {
    refusals
        .iter()
        .filter(|r| (r.table == write.table || r.table == write.storage) && r.operation.covers(write.operation))
        .filter(|r| matches_when(store, r, write))
        .find_map(|r| refuse(store, r, write))
}

fn matches_when(store: &Store, r: &Refusal, write: &Write) -> bool {
    let Some(when) = &r.when else { return true };
    let who = Caller {
        sys_id: &write.caller.sys_id,
        user_name: &write.caller.user_name,
    };
    Filter::compile(store, write.table, &query::parse(when), &who).matches(store, write.row)
}

fn failed(detail: &str) -> Reply {
    Reply::error(403, "Operation Failed", Some(detail))
}

fn refuse(store: &Store, r: &Refusal, write: &Write) -> Option<Reply> {
    let def = &store.table(write.table)?.def;
    let value = |f: &str| def.pos(f).map_or("", |p| write.row[p].as_str());
    match r.kind {
        Kind::DataPolicy => {
            let missing: Vec<&str> = r
                .fields
                .iter()
                .filter_map(|f| def.pos(f).map(|p| &def.fields[p]))
                .filter(|f| value(f.name).is_empty())
                .map(|f| f.label)
                .collect();
            (!missing.is_empty()).then(|| {
                failed(&format!(
                    "Data Policy Exception: \n\tThe following fields are mandatory: {}",
                    missing.join(", ")
                ))
            })
        }
        Kind::BusinessRule => {
            let name = r.name.as_deref().unwrap_or("Reject provisioned users");
            let id = format!("{:032x}", fnv(name));
            Some(failed(&format!(
                "Operation against file '{}' was aborted by Business Rule '{name}^{id}'. Business Rule Stack:{name}",
                write.storage
            )))
        }
        Kind::UniqueKey => {
            let field = r.fields.first().map_or("user_name", String::as_str);
            Some(failed(&format!(
                "Unique Key violation detected by database (Duplicate entry '{}' for key '{field}')",
                value(field)
            )))
        }
        Kind::Acl => Some(failed(&format!(
            "ACL Exception {} Failed due to security constraints",
            write.operation.verb()
        ))),
    }
}

/// A stable 128-bit FNV-1a hash: the same rule name gets the same sys_id every time.
fn fnv(text: &str) -> u128 {
    text.bytes().fold(0x6c62272e07bb014262b821756295c58d_u128, |h, b| {
        (h ^ u128::from(b)).wrapping_mul(0x0000000001000000000000000000013B)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::snow::test_support::store_with;

    #[test]
    fn refusals_apply_by_table_operation_and_predicate() {
        let store = store_with(&[("abel.tuter", "Abel", "Tuter", "", true, "Sales")]);
        let t = store.table("sys_user").unwrap();
        let row = t
            .rows
            .values()
            .find(|r| r.contains(&"abel.tuter".to_owned()))
            .unwrap()
            .clone();
        let caller = Principal {
            sys_id: String::new(),
            user_name: "admin".into(),
            admin: true,
        };
        let write = |operation| Write {
            table: "sys_user",
            storage: "sys_user",
            operation,
            row: &row,
            caller: &caller,
        };
        let refusals: Vec<Refusal> = serde_json::from_str(
            r#"[{"kind":"data_policy","fields":["email","title"],"when":"user_nameSTARTSWITHabel"},
                {"kind":"acl","operation":"delete"}]"#,
        )
        .unwrap();
        let reply = check(&store, &refusals, &write(Operation::Insert)).unwrap();
        assert_eq!(reply.status, 403);
        let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(body["error"]["message"], "Operation Failed");
        assert_eq!(
            body["error"]["detail"],
            "Data Policy Exception: \n\tThe following fields are mandatory: Email, Title"
        );
        let delete: serde_json::Value =
            serde_json::from_slice(&check(&store, &refusals, &write(Operation::Delete)).unwrap().body).unwrap();
        assert_eq!(
            delete["error"]["detail"],
            "ACL Exception Delete Failed due to security constraints"
        );
        let other: Vec<Refusal> =
            serde_json::from_str(r#"[{"kind":"business_rule","when":"user_name=nobody"}]"#).unwrap();
        assert!(check(&store, &other, &write(Operation::Update)).is_none());
        let rule: Vec<Refusal> = serde_json::from_str(r#"[{"kind":"business_rule","name":"No contractors"}]"#).unwrap();
        let body: serde_json::Value =
            serde_json::from_slice(&check(&store, &rule, &write(Operation::Update)).unwrap().body).unwrap();
        let detail = body["error"]["detail"].as_str().unwrap();
        assert!(detail.starts_with("Operation against file 'sys_user' was aborted by Business Rule 'No contractors^"));
        assert!(detail.ends_with("'. Business Rule Stack:No contractors"), "{detail}");
        assert!(
            serde_json::from_str::<Refusal>(r#"{"kind":"data_policy"}"#)
                .unwrap()
                .problem()
                .is_some()
        );
    }
}
