//! How the state database is opened: read-write by the engine and the commands that change
//! state (created if missing, migrated in one `BEGIN IMMEDIATE` transaction, so two processes
//! starting on a fresh data dir cannot both run a migration), or read-only by `logs`, `links`,
//! `status` and the console's history (`SQLITE_OPEN_READ_ONLY`: never created, never
//! migrated, readable on a read-only data dir and while an engine writes).

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::{Store, StoreError, db_path, migrate, restrict, sql};

/// How long a connection waits for another process's lock (a migration, a checkpoint)
/// before `database is locked`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);
/// Prepared statements kept (rusqlite's default is 16; the store runs about 50).
const STATEMENT_CACHE: usize = 64;

impl Store {
    /// Opens (creating) the profile's database and runs pending migrations.
    pub fn open(data_dir: &Path, profile: &str) -> Result<Store, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|e| StoreError::Io(data_dir.display().to_string(), e))?;
        let path = db_path(data_dir, profile);
        let conn = Connection::open(&path).map_err(|e| sql(&path, e))?;
        restrict(&path)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(|e| sql(&path, e))?;
        wal(&conn).map_err(|e| sql(&path, e))?;
        conn.execute_batch("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")
            .map_err(|e| sql(&path, e))?;
        migrate::run(&conn).map_err(|e| sql(&path, e))?;
        // Every statement a cycle's writes run per object stays prepared (issue 16: preparing
        // them again for each write was a tenth of the engine's CPU at S = 16).
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        // WAL and shm files appear with the first write: restrict them too.
        for suffix in ["-wal", "-shm"] {
            let side = PathBuf::from(format!("{}{suffix}", path.display()));
            if side.exists() {
                restrict(&side)?;
            }
        }
        Ok(Store::with(conn, path))
    }

    /// Opens the profile's database for reading only, or `None` when there is no state yet (no
    /// database, or one whose first migration has not been committed). Never creates or
    /// migrates anything; a database of another schema version is refused with what to do.
    pub fn open_read_only(data_dir: &Path, profile: &str) -> Result<Option<Store>, StoreError> {
        let path = db_path(data_dir, profile);
        if !path.exists() {
            return Ok(None);
        }
        let conn = match read_only(&path, false) {
            Ok(conn) => conn,
            // A WAL database needs its `-shm` file; in a read-only data dir where the last
            // writer closed (and removed it) it cannot be made, and the file alone is the whole
            // state: read it as immutable.
            Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::CannotOpen => {
                read_only(&path, true).map_err(|e| sql(&path, e))?
            }
            Err(e) => return Err(sql(&path, e)),
        };
        let version = migrate::version(&conn).map_err(|e| sql(&path, e))?;
        if version == 0 {
            return Ok(None);
        }
        let current = migrate::current();
        if version != current {
            return Err(StoreError::Schema {
                path: path.display().to_string(),
                found: version,
                expected: current,
            });
        }
        Ok(Some(Store::with(conn, path)))
    }
}

/// A read-only connection; `immutable` reads the file alone, without the WAL index.
fn read_only(path: &Path, immutable: bool) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = if immutable {
        let url = url::Url::from_file_path(path).map_err(|()| rusqlite::Error::InvalidPath(path.to_owned()))?;
        Connection::open_with_flags(format!("{url}?immutable=1"), flags)?
    } else {
        Connection::open_with_flags(path, flags & !OpenFlags::SQLITE_OPEN_URI)?
    };
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Opening is lazy: read the header now, so a missing `-shm` shows up here.
    migrate::version(&conn)?;
    Ok(conn)
}

/// Switches a new database to WAL. Changing the journal mode needs the database to itself; a
/// reader opening it at the same moment can make that answer `SQLITE_BUSY` at once (the busy
/// handler is not consulted), so it is tried again for a while.
fn wal(conn: &Connection) -> rusqlite::Result<()> {
    let mut attempts = 0;
    loop {
        match conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0)) {
            Ok(_) => return Ok(()),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) && attempts < 300 =>
            {
                attempts += 1;
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => return Err(e),
        }
    }
}
