//! Append-only migrations: each entry runs once, in order, recorded in `user_version`. Never
//! edit or reorder an entry that has shipped; add a new one.

use rusqlite::Connection;

const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    "CREATE TABLE links (
        object_type TEXT NOT NULL, source_id TEXT NOT NULL, source_name TEXT NOT NULL,
        sys_id TEXT NOT NULL, updated TEXT NOT NULL, PRIMARY KEY (object_type, source_id));
     CREATE INDEX links_sys_id ON links (sys_id);
     CREATE TABLE watermarks (name TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE failures (
        object_type TEXT NOT NULL, source_id TEXT NOT NULL, hash TEXT NOT NULL, code TEXT NOT NULL,
        transient INTEGER NOT NULL, attempts INTEGER NOT NULL, updated TEXT NOT NULL,
        PRIMARY KEY (object_type, source_id));
     CREATE TABLE intents (
        id INTEGER PRIMARY KEY, cycle_id INTEGER NOT NULL, tbl TEXT NOT NULL, method TEXT NOT NULL,
        source_id TEXT NOT NULL, sys_id TEXT, done INTEGER NOT NULL DEFAULT 0, created TEXT NOT NULL);
     CREATE TABLE cycles (
        id INTEGER PRIMARY KEY, kind TEXT NOT NULL, dry_run INTEGER NOT NULL, started TEXT NOT NULL,
        finished TEXT, stats TEXT);
     CREATE TABLE log (
        id INTEGER PRIMARY KEY, cycle_id INTEGER NOT NULL, change_id TEXT NOT NULL, time TEXT NOT NULL,
        object_type TEXT NOT NULL, source_id TEXT NOT NULL, source_name TEXT NOT NULL, target_id TEXT,
        action TEXT NOT NULL, status TEXT NOT NULL, error_code TEXT, reason TEXT NOT NULL,
        recommended_action TEXT, steps TEXT NOT NULL, modified_properties TEXT NOT NULL,
        duration_ms INTEGER NOT NULL);
     CREATE INDEX log_cycle ON log (cycle_id);
     CREATE INDEX log_time ON log (time);",
    // 2: room for the operations issue: staged deletions held by the threshold, quarantine.
    "CREATE TABLE staged_deletes (
        object_type TEXT NOT NULL, source_id TEXT NOT NULL, sys_id TEXT NOT NULL, action TEXT NOT NULL,
        cycle_id INTEGER NOT NULL, PRIMARY KEY (object_type, source_id));
     CREATE TABLE quarantine (
        id INTEGER PRIMARY KEY CHECK (id = 1), reason TEXT NOT NULL, since TEXT NOT NULL,
        next_attempt TEXT);",
    // 3: the operations issue: a staged deletion keeps the op it holds back (so allow-deletes
    // applies exactly it); quarantine keeps its series and detail; an escrow keeps when it
    // first failed and when it is next retried.
    "ALTER TABLE staged_deletes ADD COLUMN op TEXT NOT NULL DEFAULT '';
     ALTER TABLE staged_deletes ADD COLUMN source_name TEXT NOT NULL DEFAULT '';
     ALTER TABLE quarantine ADD COLUMN series_count INTEGER NOT NULL DEFAULT 1;
     ALTER TABLE quarantine ADD COLUMN detail TEXT NOT NULL DEFAULT '';
     ALTER TABLE failures ADD COLUMN first_failed TEXT;
     ALTER TABLE failures ADD COLUMN next_attempt TEXT;
     ALTER TABLE failures ADD COLUMN source_name TEXT NOT NULL DEFAULT '';",
    // 4: incremental cycles: the source as the last delta rounds left it (raw Graph properties
    // merged item by item, so a delta that carries only changed properties can be applied), and
    // the assignments as the last applied cycle saw them (assignments are in no delta).
    "CREATE TABLE source_cache (
        object_type TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (object_type, id));
     CREATE TABLE assignments_seen (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    // 5: what migration 4 kept as prefixed keys in `assignments_seen` gets typed columns: the
    // assignments (`u:<id>`/`g:<id>`) in `assignments`, and the retry queue of plan failures
    // (`eu:<id>`/`eg:<id>` → code) in `plan_failures`.
    "CREATE TABLE assignments (
        object_type TEXT NOT NULL, source_id TEXT NOT NULL, value TEXT NOT NULL,
        PRIMARY KEY (object_type, source_id));
     CREATE TABLE plan_failures (
        object_type TEXT NOT NULL, source_id TEXT NOT NULL, code TEXT NOT NULL,
        PRIMARY KEY (object_type, source_id));
     INSERT OR REPLACE INTO assignments (object_type, source_id, value)
        SELECT CASE substr(key, 1, 2) WHEN 'u:' THEN 'user' ELSE 'group' END, substr(key, 3), value
        FROM assignments_seen WHERE substr(key, 1, 2) IN ('u:', 'g:');
     INSERT OR REPLACE INTO plan_failures (object_type, source_id, code)
        SELECT CASE substr(key, 1, 3) WHEN 'eu:' THEN 'user' ELSE 'group' END, substr(key, 4), value
        FROM assignments_seen WHERE substr(key, 1, 3) IN ('eu:', 'eg:');
     DROP TABLE assignments_seen;",
    // 6: an intent names the object it writes for (`user`, `group`, `membership`: the group's
    // id), so a write whose outcome is unknown makes the next cycle read that object's rows
    // before it plans anything for it.
    "ALTER TABLE intents ADD COLUMN object_type TEXT NOT NULL DEFAULT '';",
    // 7: issue 12, state bound to its instance and tenant: which ServiceNow instance (URL and,
    // where readable, its instance_id) and which tenant, service principal and Graph base the
    // links and delta links belong to. One row; `restart --scope full` clears it.
    "CREATE TABLE binding (
        id INTEGER PRIMARY KEY CHECK (id = 1), instance_url TEXT NOT NULL, instance_id TEXT,
        tenant_id TEXT NOT NULL, service_principal_id TEXT NOT NULL, graph_url TEXT NOT NULL,
        bound TEXT NOT NULL);",
    // 8: issue 12, idempotent against the instance's normalisation: a value the instance kept
    // otherwise than it was sent (4-byte characters as '?', cut to the field's length, a
    // canonical choice value), by row and field, both as digests (never the values).
    "CREATE TABLE kept (
        sys_id TEXT NOT NULL, field TEXT NOT NULL, sent TEXT NOT NULL, kept TEXT NOT NULL,
        PRIMARY KEY (sys_id, field));",
];

/// The schema version these migrations make.
pub fn current() -> i64 {
    MIGRATIONS.len() as i64
}

/// The database's schema version (0: nothing migrated yet).
pub fn version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Runs the pending migrations in one `BEGIN IMMEDIATE` transaction: the write lock is taken
/// before the version is read, so a second process opening a fresh database at the same moment
/// waits, then finds nothing left to do (no "table already exists").
pub fn run(conn: &Connection) -> rusqlite::Result<()> {
    if version(conn)? >= current() {
        return Ok(());
    }
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let result = (|| {
        let from = usize::try_from(version(conn)?).unwrap_or(0);
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(from) {
            conn.execute_batch(sql)?;
            conn.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
        }
        conn.execute_batch("COMMIT")
    })();
    if result.is_err() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migration_5_moves_prefixed_keys_into_typed_tables() {
        let conn = Connection::open_in_memory().unwrap();
        for (i, sql) in MIGRATIONS[..4].iter().enumerate() {
            conn.execute_batch(&format!("BEGIN; {sql}; PRAGMA user_version = {}; COMMIT;", i + 1))
                .unwrap();
        }
        conn.execute_batch(
            "INSERT INTO assignments_seen VALUES ('u:alice', '[[\"r\"],true,[]]'), ('g:team', '[]'),
             ('eu:bob', 'InvalidLookupReference'), ('eg:ops', 'DuplicateTargetEntries');",
        )
        .unwrap();
        run(&conn).unwrap();
        let rows = |sql: &str| -> Vec<(String, String, String)> {
            let mut st = conn.prepare(sql).unwrap();
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        assert_eq!(
            rows("SELECT object_type, source_id, value FROM assignments ORDER BY source_id"),
            [
                ("user".to_owned(), "alice".to_owned(), "[[\"r\"],true,[]]".to_owned()),
                ("group".to_owned(), "team".to_owned(), "[]".to_owned()),
            ]
        );
        assert_eq!(
            rows("SELECT object_type, source_id, code FROM plan_failures ORDER BY source_id"),
            [
                ("user".to_owned(), "bob".to_owned(), "InvalidLookupReference".to_owned()),
                (
                    "group".to_owned(),
                    "ops".to_owned(),
                    "DuplicateTargetEntries".to_owned()
                ),
            ]
        );
        let old: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'assignments_seen'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(old, 0);
    }
}
