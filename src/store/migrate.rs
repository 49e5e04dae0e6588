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
];

pub fn run(conn: &Connection) -> rusqlite::Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(version).unwrap_or(0))
    {
        conn.execute_batch(&format!("BEGIN; {sql}; PRAGMA user_version = {}; COMMIT;", i + 1))?;
    }
    Ok(())
}
