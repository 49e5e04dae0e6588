//! Table API writes (spec §1.1, §1.8, §5.8, checklist point 9).
//!
//! - POST 201 + `Location`; PUT and PATCH both merge and return the full record; DELETE 204.
//! - Unknown body fields are ignored; `sys_*` fields are read-only (a valid unused `sys_id` may
//!   be given on insert); `sys_user.roles` is computed from `sys_user_has_role`.
//! - References are stored verbatim unless `sysparm_input_display_value=true`, which looks the
//!   display value up (case-insensitive) and leaves the field empty on a miss.
//! - Writing `active=false` sets `locked_out=true`; re-activating does not clear it.
//! - A duplicate `sys_user.user_name` (case-insensitive) is 403 `Operation Failed`.
//! - Strings longer than the dictionary `max_length` are cut, or refused with 400 when
//!   `reject_too_long` is set.
//! - A group member row gives the user the group's roles (`sys_user_group.roles`, a comma
//!   list of role names) as inherited `sys_user_has_role` rows; deleting it takes them away.
//! - Only admins write; anyone else gets the 403 ACL exception.
//! - Switches: per-record refusals (`refusals`); 4-byte characters stored as `?`
//!   (`four_byte_as_question`, MariaDB-backed instances, KB0621602).
//! - With `sysparm_input_display_value=true` a choice field's label (or its value in another
//!   case) is stored as the choice's value; otherwise values are stored as given (TAPI).

use serde_json::{Map, Value, json};

use super::State;
use super::refusals::{self, Operation};
use super::render;
use super::reply::Reply;
use super::schema::{Field, Kind};
use super::store::{Store, Table, is_sys_id};
use super::table_api::{Call, Params, link_base, render_opts};
use super::values::{bool_str, from_json, now, truncate};

fn acl_denied(what: &str) -> Reply {
    Reply::error(
        403,
        "Operation Failed",
        Some(&format!("ACL Exception {what} Failed due to security constraints")),
    )
}

fn parse_body(body: &[u8]) -> Result<Map<String, Value>, Reply> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| Reply::error(400, "Exception while reading request", Some(&e.to_string())))?;
    match value {
        Value::Object(o) => Ok(o),
        Value::Array(mut a) if !a.is_empty() => match a.swap_remove(0) {
            Value::Object(o) => Ok(o),
            _ => Err(Reply::error(
                400,
                "Exception while reading request",
                Some("Expected a JSON object"),
            )),
        },
        _ => Err(Reply::error(
            400,
            "Exception while reading request",
            Some("Expected a JSON object"),
        )),
    }
}

struct Ctx<'a> {
    /// The table written through (a view's name gives the row its class).
    table: &'a str,
    /// The table that stores its rows.
    storage: &'a str,
    user: &'a str,
    display_input: bool,
    reject_too_long: bool,
    /// Store 4-byte UTF-8 characters as `?` (a MariaDB-backed instance, KB0621602).
    four_byte_as_question: bool,
}

/// Applies body fields to `row`; returns the names written.
fn apply(
    store: &Store,
    ctx: &Ctx,
    row: &mut [String],
    body: &Map<String, Value>,
    insert: bool,
) -> Result<Vec<String>, Reply> {
    let Some(t) = store.table(ctx.table) else {
        return Err(Reply::bad_uri());
    };
    let mut written = Vec::new();
    for (name, raw) in body {
        let Some(pos) = t.def.pos(name) else { continue };
        let field = &t.def.fields[pos];
        let mut value = from_json(raw);
        if name == "sys_id" {
            let free = insert && is_sys_id(&value) && t.get(&value).is_none();
            if free {
                row[pos] = value;
            }
            continue;
        }
        if name.starts_with("sys_") || (field.kind == Kind::UserRoles && ctx.storage == "sys_user") {
            continue;
        }
        match field.kind {
            Kind::Bool => value = bool_str(&value).to_owned(),
            Kind::Password => continue,
            Kind::Reference if ctx.display_input && !value.is_empty() => {
                let target = field.reference.and_then(|r| store.table(r));
                let exists = target.is_some_and(|t| t.get(&value).is_some());
                if !exists {
                    value = target.and_then(|t| t.find_by_display(&value)).unwrap_or_default();
                }
            }
            Kind::Str | Kind::Email | Kind::Phone => value = text_value(ctx, field, value)?,
            _ => {}
        }
        row[pos] = value;
        written.push(name.clone());
    }
    derived_fields(t, ctx, row, &written, insert);
    Ok(written)
}

/// A text field as the instance stores it: 4-byte characters as `?` on MariaDB, a choice's
/// label as its value, and too long a value truncated (or refused).
fn text_value(ctx: &Ctx, field: &Field, mut value: String) -> Result<String, Reply> {
    if ctx.four_byte_as_question {
        value = value.chars().map(|c| if c.len_utf8() == 4 { '?' } else { c }).collect();
    }
    if ctx.display_input && !field.choices.is_empty() {
        value = choice_value(field.choices, value);
    }
    if value.chars().count() > field.max_length {
        if ctx.reject_too_long {
            let detail = format!(
                "Value for {} exceeds the maximum length of {}",
                field.name, field.max_length
            );
            return Err(Reply::error(400, "Invalid field value", Some(&detail)));
        }
        value = truncate(&value, field.max_length);
    }
    Ok(value)
}

/// What the instance sets itself after a write: a user's `name` from its parts, `locked_out`
/// with `active=false`, and the system fields.
fn derived_fields(t: &Table, ctx: &Ctx, row: &mut [String], written: &[String], insert: bool) {
    let set = |row: &mut [String], f: &str, v: String| {
        if let Some(p) = t.def.pos(f) {
            row[p] = v;
        }
    };
    if ctx.storage == "sys_user" {
        let get = |row: &[String], f: &str| t.def.pos(f).map(|p| row[p].clone()).unwrap_or_default();
        let parts = ["first_name", "middle_name", "last_name"];
        if !written.iter().any(|w| w == "name") && (insert || written.iter().any(|w| parts.contains(&w.as_str()))) {
            let full: Vec<String> = parts.iter().map(|p| get(row, p)).filter(|s| !s.is_empty()).collect();
            set(row, "name", truncate(&full.join(" "), 151));
        }
        if written.iter().any(|w| w == "active") && get(row, "active") == "false" {
            set(row, "locked_out", "true".into());
        }
    }
    let ts = now();
    if insert {
        set(row, "sys_created_on", ts.clone());
        set(row, "sys_created_by", ctx.user.to_owned());
        set(row, "sys_mod_count", "0".into());
        set(row, "sys_class_name", ctx.table.to_owned());
        set(row, "sys_domain", "global".into());
        set(row, "sys_domain_path", "/".into());
    } else {
        let count = t
            .def
            .pos("sys_mod_count")
            .and_then(|p| row[p].parse::<u64>().ok())
            .unwrap_or(0);
        set(row, "sys_mod_count", (count + 1).to_string());
    }
    set(row, "sys_updated_on", ts);
    set(row, "sys_updated_by", ctx.user.to_owned());
}

/// A choice written as a display value (`sysparm_input_display_value=true`): its label, or its
/// value in another case, becomes the choice's value; anything else is stored as given.
fn choice_value(choices: &[(&str, &str)], value: String) -> String {
    choices
        .iter()
        .find(|(v, label)| v.eq_ignore_ascii_case(&value) || label.eq_ignore_ascii_case(&value))
        .map_or(value, |(v, _)| (*v).to_owned())
}

fn duplicate_user_name(store: &Store, table: &str, row: &[String]) -> Option<Reply> {
    let t = store.table(table).filter(|_| table == "sys_user")?;
    let (pos, id) = (t.def.pos("user_name")?, t.def.pos("sys_id")?);
    if row[pos].is_empty() {
        return None;
    }
    let clash = t.lookup(pos, &row[pos])?.into_iter().any(|other| other != row[id]);
    clash.then(|| {
        let detail = format!(
            "Unique Key violation detected by database (Duplicate entry '{}' for key 'user_name')",
            row[pos]
        );
        Reply::error(403, "Operation Failed", Some(&detail))
    })
}

fn respond(state: &State, call: &Call, version: Option<&str>, table: &str, id: &str, status: u16) -> Reply {
    let params = Params::parse(call.query);
    let store = state.read_store();
    let Some(t) = store.table(table) else {
        return Reply::bad_uri();
    };
    let Some(row) = t.get(id) else {
        return Reply::not_found();
    };
    let fields =
        render::parse_fields(params.get("sysparm_fields")).or_else(|| super::table_api::default_fields(&store, table));
    let opts = render_opts(&params, call.host, version);
    let no_body = call.no_response_body;
    let mut reply = if no_body {
        Reply::empty(status)
    } else {
        Reply::json(
            status,
            &json!({"result": render::record(&store, t, row, fields.as_deref(), &opts)}),
        )
    };
    if status == 201 {
        reply = reply.header(
            "Location",
            format!("{}table/{table}/{id}", link_base(call.host, version)),
        );
    }
    reply
}

pub(super) fn write(state: &State, call: &Call, table: &str, id: Option<&str>) -> Result<String, Reply> {
    if !call.caller.admin {
        return Err(acl_denied(if id.is_some() { "Update" } else { "Insert" }));
    }
    let body = parse_body(call.body)?;
    let params = Params::parse(call.query);
    let options = state.options();
    let storage = state.read_store().storage_name(table).to_owned();
    let ctx = Ctx {
        table,
        storage: &storage,
        user: &call.caller.user_name,
        display_input: params.flag("sysparm_input_display_value"),
        reject_too_long: options.reject_too_long,
        four_byte_as_question: options.four_byte_as_question,
    };
    let mut store = state.write_store();
    let t = store.table(table).ok_or_else(Reply::bad_uri)?;
    let id_pos = t.def.pos("sys_id").ok_or_else(Reply::bad_uri)?;
    let (mut row, old) = match id {
        Some(id) => {
            let row = t
                .get(id)
                .filter(|row| super::table_api::in_view(&store, table, row))
                .cloned()
                .ok_or_else(Reply::not_found)?;
            (row.clone(), Some(row))
        }
        None => {
            let mut row = t.blank();
            row[id_pos] = super::values::new_sys_id();
            (row, None)
        }
    };
    apply(&store, &ctx, &mut row, &body, id.is_none())?;
    let write = refusals::Write {
        table,
        storage: &storage,
        operation: if id.is_some() {
            Operation::Update
        } else {
            Operation::Insert
        },
        row: &row,
        caller: call.caller,
    };
    if let Some(reply) = refusals::check(&store, &options.refusals, &write) {
        return Err(reply);
    }
    if let Some(reply) = duplicate_user_name(&store, &storage, &row) {
        return Err(reply);
    }
    let new_id = row[id_pos].clone();
    if let Some(password) = body
        .get("user_password")
        .map(from_json)
        .filter(|_| storage == "sys_user")
    {
        let name = t.def.pos("user_name").map(|p| row[p].clone()).unwrap_or_default();
        state.auth.set_password(&name, &password);
    }
    if let Some(tm) = store.table_mut(table) {
        tm.put(row.clone());
    }
    super::roles::after_write(&mut store, &storage, old.as_deref(), Some(&row));
    Ok(new_id)
}

pub fn create(state: &State, call: &Call, version: Option<&str>, table: &str) -> Reply {
    match write(state, call, table, None) {
        Ok(id) => respond(state, call, version, table, &id, 201),
        Err(reply) => reply,
    }
}

pub fn update(state: &State, call: &Call, version: Option<&str>, table: &str, id: &str) -> Reply {
    match write(state, call, table, Some(id)) {
        Ok(id) => respond(state, call, version, table, &id, 200),
        Err(reply) => reply,
    }
}

pub fn delete(state: &State, call: &Call, table: &str, id: &str) -> Reply {
    if !call.caller.admin {
        return acl_denied("Delete");
    }
    let mut store = state.write_store();
    let visible = store
        .table(table)
        .and_then(|t| t.get(id))
        .is_some_and(|row| super::table_api::in_view(&store, table, row));
    let storage = store.storage_name(table).to_owned();
    if let Some(row) = store.table(table).and_then(|t| t.get(id)).filter(|_| visible) {
        let write = refusals::Write {
            table,
            storage: &storage,
            operation: Operation::Delete,
            row,
            caller: call.caller,
        };
        if let Some(reply) = refusals::check(&store, &state.options().refusals, &write) {
            return reply;
        }
    }
    let Some(old) = visible
        .then(|| store.table_mut(table).and_then(|t| t.remove(id)))
        .flatten()
    else {
        return Reply::not_found();
    };
    super::roles::after_write(&mut store, &storage, Some(&old), None);
    Reply::empty(204)
}

#[cfg(test)]
#[path = "writes_tests.rs"]
mod tests;
