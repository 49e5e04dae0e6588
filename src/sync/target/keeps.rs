//! The groups nowsync must never delete (review R11): deleting a `sys_user_group` row
//! cascade-deletes its membership rows and the roles it grants (servicenow.md §13 #3, §3.3
//! "Assigning a user to a group makes the group's roles appear as inherited rows"), so a group
//! the integration account is a member of, or holds a role through (`granted_by`), would take
//! nowsync's own access with it. Read only when groups may be deleted
//! (`deprovision_groups = "delete"`): two queries on the account's own rows.

use std::collections::HashSet;

use super::rows_where;
use crate::servicenow::{self, Cond, Query};
use crate::sync::error::CycleError;

/// The sys_ids of the groups the integration account (`account`, its `sys_user` sys_id) is a
/// member of or holds a role through.
pub(crate) async fn integration_groups(
    client: &servicenow::Client,
    account: &str,
) -> Result<HashSet<String>, CycleError> {
    let mut rows = Vec::new();
    let mine = || Query::new().and(Cond::eq("user", account));
    rows_where(client, "sys_user_grmember", &["group".to_owned()], mine(), &mut rows).await?;
    let mut roles = Vec::new();
    rows_where(
        client,
        "sys_user_has_role",
        &["granted_by".to_owned()],
        mine(),
        &mut roles,
    )
    .await?;
    Ok(rows
        .iter()
        .filter_map(|r| r.get("group"))
        .chain(roles.iter().filter_map(|r| r.get("granted_by")))
        .map(str::to_owned)
        .collect())
}
