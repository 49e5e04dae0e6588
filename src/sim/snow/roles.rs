//! Role bookkeeping after writes: group membership grants the group's roles as inherited
//! `sys_user_has_role` rows (USERDOC: "users assigned to groups are automatically assigned to
//! all roles associated with that group"), and `sys_user.roles` is recomputed from the active
//! role rows. Deleting a user deletes its membership and role rows, and deleting a group its
//! membership rows and the role rows granted through it, as the cascade rule does (§13 #3).

use super::store::Store;
use super::values::{new_sys_id, now};

fn col(store: &Store, table: &str, field: &str) -> Option<usize> {
    store.table(table)?.def.pos(field)
}

fn rows_where(store: &Store, table: &str, field: &str, value: &str) -> Vec<String> {
    let Some(t) = store.table(table) else { return Vec::new() };
    let Some(pos) = t.def.pos(field) else { return Vec::new() };
    t.lookup(pos, value)
        .unwrap_or_default()
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// Recomputes `sys_user.roles` of `user` from its active `sys_user_has_role` rows.
pub fn refresh(store: &mut Store, user: &str) {
    let (Some(role_pos), Some(state_pos)) = (
        col(store, "sys_user_has_role", "role"),
        col(store, "sys_user_has_role", "state"),
    ) else {
        return;
    };
    let mut names: Vec<String> = rows_where(store, "sys_user_has_role", "user", user)
        .iter()
        .filter_map(|id| store.table("sys_user_has_role")?.get(id))
        .filter(|r| r[state_pos] == "active" || r[state_pos].is_empty())
        .map(|r| store.ref_display("sys_user_role", &r[role_pos]))
        .filter(|n| !n.is_empty())
        .collect();
    names.sort();
    names.dedup();
    let Some(users) = store.table_mut("sys_user") else {
        return;
    };
    let Some(pos) = users.def.pos("roles") else { return };
    if let Some(mut row) = users.get(user).cloned() {
        row[pos] = names.join(",");
        users.put(row);
    }
}

fn grant_group_roles(store: &mut Store, user: &str, group: &str) {
    let roles = match (store.table("sys_user_group"), col(store, "sys_user_group", "roles")) {
        (Some(t), Some(pos)) => t.get(group).map(|g| g[pos].clone()).unwrap_or_default(),
        _ => return,
    };
    let role_ids: Vec<String> = roles
        .split(',')
        .filter(|r| !r.trim().is_empty())
        .filter_map(|r| store.table("sys_user_role")?.find_by_display(r.trim()))
        .collect();
    let Some(t) = store.table_mut("sys_user_has_role") else {
        return;
    };
    let def = t.def.clone();
    for role in role_ids {
        let mut row = t.blank();
        let ts = now();
        let values = [
            ("sys_id", new_sys_id()),
            ("user", user.to_owned()),
            ("role", role),
            ("inherited", "true".to_owned()),
            ("granted_by", group.to_owned()),
            ("state", "active".to_owned()),
            ("sys_created_on", ts.clone()),
            ("sys_updated_on", ts),
            ("sys_created_by", "system".to_owned()),
            ("sys_updated_by", "system".to_owned()),
            ("sys_mod_count", "0".to_owned()),
            ("sys_class_name", "sys_user_has_role".to_owned()),
            ("sys_domain", "global".to_owned()),
            ("sys_domain_path", "/".to_owned()),
        ];
        for (f, v) in values {
            if let Some(p) = def.pos(f) {
                row[p] = v;
            }
        }
        t.put(row);
    }
}

fn revoke_group_roles(store: &mut Store, user: &str, group: &str) {
    let (Some(granted), Some(inherited)) = (
        col(store, "sys_user_has_role", "granted_by"),
        col(store, "sys_user_has_role", "inherited"),
    ) else {
        return;
    };
    let ids = rows_where(store, "sys_user_has_role", "user", user);
    let Some(t) = store.table_mut("sys_user_has_role") else {
        return;
    };
    for id in ids {
        if t.get(&id)
            .is_some_and(|r| r[granted] == group && r[inherited] == "true")
        {
            t.remove(&id);
        }
    }
}

fn delete_where(store: &mut Store, table: &str, field: &str, value: &str) {
    let ids = rows_where(store, table, field, value);
    if let Some(t) = store.table_mut(table) {
        for id in ids {
            t.remove(&id);
        }
    }
}

/// Called after a row of `table` changed from `old` to `new` (either may be absent).
pub fn after_write(store: &mut Store, table: &str, old: Option<&[String]>, new: Option<&[String]>) {
    let field = |f: &str, row: Option<&[String]>| -> Option<String> {
        let pos = col(store, table, f)?;
        row.map(|r| r[pos].clone())
    };
    match table {
        "sys_user_grmember" => {
            let (old_pair, new_pair) = (
                (field("user", old), field("group", old)),
                (field("user", new), field("group", new)),
            );
            if old_pair == new_pair {
                return;
            }
            let mut touched = Vec::new();
            if let (Some(u), Some(g)) = old_pair {
                revoke_group_roles(store, &u, &g);
                touched.push(u);
            }
            if let (Some(u), Some(g)) = new_pair {
                grant_group_roles(store, &u, &g);
                touched.push(u);
            }
            for u in touched {
                refresh(store, &u);
            }
        }
        "sys_user_has_role" => {
            for u in [field("user", old), field("user", new)].into_iter().flatten() {
                refresh(store, &u);
            }
        }
        "sys_user" if new.is_none() => {
            if let Some(id) = field("sys_id", old) {
                delete_where(store, "sys_user_grmember", "user", &id);
                delete_where(store, "sys_user_has_role", "user", &id);
            }
        }
        // servicenow.md §13 #3: a group's delete cascades to its membership rows, and with them
        // go the roles its members held through it (§3.3: rows `granted_by` the group).
        "sys_user_group" if new.is_none() => {
            if let Some(id) = field("sys_id", old) {
                delete_group(store, &id);
            }
        }
        _ => {}
    }
}

/// The cascade of a group's delete: its membership rows, the role rows granted through it, and
/// each member's `roles` recomputed.
fn delete_group(store: &mut Store, group: &str) {
    let user_of = |store: &Store, table: &str, id: &str| -> Option<String> {
        let pos = col(store, table, "user")?;
        store.table(table)?.get(id).map(|r| r[pos].clone())
    };
    let members = rows_where(store, "sys_user_grmember", "group", group);
    let granted = rows_where(store, "sys_user_has_role", "granted_by", group);
    let mut users: Vec<String> = members
        .iter()
        .filter_map(|id| user_of(store, "sys_user_grmember", id))
        .chain(granted.iter().filter_map(|id| user_of(store, "sys_user_has_role", id)))
        .collect();
    users.sort();
    users.dedup();
    delete_where(store, "sys_user_grmember", "group", group);
    delete_where(store, "sys_user_has_role", "granted_by", group);
    for u in users {
        refresh(store, &u);
    }
}
