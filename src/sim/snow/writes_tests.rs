use super::*;
use crate::sim::snow::test_support::store_with;

fn ctx(reject_too_long: bool) -> Ctx<'static> {
    Ctx {
        table: "sys_user",
        storage: "sys_user",
        user: "admin",
        display_input: false,
        reject_too_long,
        four_byte_as_question: false,
    }
}

fn body(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

#[test]
fn deactivation_locks_out_and_reactivation_does_not_unlock() {
    let store = store_with(&[("a.b", "A", "B", "", true, "")]);
    let t = store.table("sys_user").unwrap();
    let mut row = t.get(&format!("{:032x}", 1)).unwrap().clone();
    let locked = t.def.pos("locked_out").unwrap();
    apply(&store, &ctx(false), &mut row, &body(json!({"active": false})), false).unwrap();
    assert_eq!(row[locked], "true");
    apply(&store, &ctx(false), &mut row, &body(json!({"active": "True"})), false).unwrap();
    assert_eq!(row[t.def.pos("active").unwrap()], "true");
    assert_eq!(row[locked], "true");
    assert_eq!(row[t.def.pos("sys_mod_count").unwrap()], "2");
}

#[test]
fn long_strings_are_cut_or_refused() {
    let store = store_with(&[]);
    let t = store.table("sys_user").unwrap();
    let mut row = t.blank();
    let long = "é".repeat(45);
    apply(&store, &ctx(false), &mut row, &body(json!({"user_name": long})), true).unwrap();
    assert_eq!(row[t.def.pos("user_name").unwrap()].chars().count(), 40);
    let err = apply(&store, &ctx(true), &mut row, &body(json!({"user_name": long})), true).unwrap_err();
    assert_eq!(err.status, 400);
}

#[test]
fn duplicate_user_names_clash_case_insensitively() {
    let store = store_with(&[("a.b", "A", "B", "", true, "")]);
    let t = store.table("sys_user").unwrap();
    let mut row = t.blank();
    row[t.def.pos("sys_id").unwrap()] = "e".repeat(32);
    row[t.def.pos("user_name").unwrap()] = "A.B".into();
    assert_eq!(
        duplicate_user_name(&store, "sys_user", &row).map(|r| r.status),
        Some(403)
    );
    let mut same = t.get(&format!("{:032x}", 1)).unwrap().clone();
    same[t.def.pos("title").unwrap()] = "x".into();
    assert!(duplicate_user_name(&store, "sys_user", &same).is_none());
    // Users without a user name never clash with each other.
    let mut blank = t.blank();
    blank[t.def.pos("sys_id").unwrap()] = "d".repeat(32);
    let mut store = store;
    store.table_mut("sys_user").unwrap().put(blank.clone());
    blank[t_pos(&store, "sys_id")] = "c".repeat(32);
    assert!(duplicate_user_name(&store, "sys_user", &blank).is_none());
}

#[test]
fn malformed_or_non_object_bodies_are_400() {
    assert_eq!(parse_body(b"{x").unwrap_err().status, 400);
    assert_eq!(parse_body(b"3").unwrap_err().status, 400);
    assert_eq!(parse_body(br#"[{"a":"1"},{"b":"2"}]"#).unwrap().len(), 1);
}

fn t_pos(store: &Store, field: &str) -> usize {
    store.table("sys_user").unwrap().def.pos(field).unwrap()
}
