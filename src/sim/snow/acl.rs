//! Silent read ACLs (spec §1.2, §1.7): a row the caller may not read is left out of a list
//! *after* `sysparm_limit` picked the page, as on an instance — a page can come back short or
//! empty although readable rows follow, and `X-Total-Count` counts the rows the query matches
//! before ACLs. A read by sys_id of such a row answers 404.
//!
//! Rules: a non-admin reads only its own `sys_user_has_role` rows and nothing of the
//! [`ADMIN_ONLY`] tables; the `acl_hidden` knob (`Options`, `/sim/faults`) hides the rows of a
//! table that match an encoded query from every caller — an ACL denying the integration
//! account those rows (spec §5.8: `active=false` users may disappear for a non-admin).

use serde::{Deserialize, Serialize};

use super::auth::Principal;
use super::eval::{Caller, Filter};
use super::query;
use super::store::{Row, Store};
use super::table_api::in_view;

/// Tables only admins read: a non-admin's reads of them come back empty.
pub const ADMIN_ONLY: &[&str] = &["sys_properties", "sso_properties", "saml2_update1_properties"];

/// Rows of `table` matching the encoded `query` that no caller may read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hidden {
    pub table: String,
    pub query: String,
}

/// What one caller may read of one table.
pub struct Reader<'a> {
    store: &'a Store,
    table: &'a str,
    caller: &'a Principal,
    hidden: Vec<Filter>,
}

impl<'a> Reader<'a> {
    pub fn new(store: &'a Store, table: &'a str, caller: &'a Principal, hidden: &[Hidden]) -> Reader<'a> {
        let who = Caller {
            sys_id: &caller.sys_id,
            user_name: &caller.user_name,
        };
        let hidden = hidden
            .iter()
            .filter(|h| h.table == table)
            .map(|h| Filter::compile(store, table, &query::parse(&h.query), &who))
            .collect();
        Reader {
            store,
            table,
            caller,
            hidden,
        }
    }

    /// Whether the caller may read `row`, a row of the table (a view shows only its classes).
    pub fn can_read(&self, row: &Row) -> bool {
        if !in_view(self.store, self.table, row) || (ADMIN_ONLY.contains(&self.table) && !self.caller.admin) {
            return false;
        }
        if self.hidden.iter().any(|f| f.matches(self.store, row)) {
            return false;
        }
        if self.table != "sys_user_has_role" || self.caller.admin {
            return true;
        }
        self.store
            .table(self.table)
            .and_then(|t| t.def.pos("user"))
            .is_some_and(|p| row[p] == self.caller.sys_id)
    }
}
