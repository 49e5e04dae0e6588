//! Fixtures for unit tests: a seeded store with a few users of known names.

use super::seed;
use super::store::Store;

/// A store seeded with no generated users plus `(user_name, first, last, email, active, department name)` rows.
pub fn store_with(users: &[(&str, &str, &str, &str, bool, &str)]) -> Store {
    let mut store = Store::new();
    seed::seed(&mut store, 7, 0, "admin", "pw");
    for (i, (user_name, first, last, email, active, dept)) in users.iter().enumerate() {
        let dept_id = store
            .table("cmn_department")
            .and_then(|t| t.find_by_display(dept))
            .unwrap_or_default();
        let t = store.table_mut("sys_user").unwrap();
        let mut row = t.blank();
        let def = t.def.clone();
        let mut set = |f: &str, v: String| row[def.pos(f).unwrap()] = v;
        set("sys_id", format!("{:032x}", i + 1));
        set("user_name", (*user_name).into());
        set("first_name", (*first).into());
        set("last_name", (*last).into());
        set("name", format!("{first} {last}"));
        set("email", (*email).into());
        set("active", active.to_string());
        set("department", dept_id);
        set("failed_attempts", (i * 5).to_string());
        t.put(row);
    }
    store
}
