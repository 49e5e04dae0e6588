//! The profile lock: one engine per profile (DESIGN.md "The engine's door").
//!
//! An OS file lock (`flock` on Linux and the BSDs, `LockFileEx` on Windows, through `fs4`) on
//! `<profile>.lock` in the data dir, held for the engine's life. The kernel releases it when
//! the process ends, however it ends, so there is no stale lock to take over and no pid to
//! trust. The file (0600) also holds the owner's pid and start time, for `status` and for the
//! message that refuses a second engine; that text is only believed while the lock is held.
//!
//! The file is never removed: removing it while another process has it open would let two
//! processes lock two different files of the same name.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use fs4::TryLockError;

use super::StoreError;

/// How often, and how long apart, a busy lock is tried again before a second engine is refused.
const BUSY_RETRIES: u32 = 5;
const BUSY_WAIT: std::time::Duration = std::time::Duration::from_millis(20);

/// Held while the engine runs; the lock is released when it is dropped (or the process ends).
#[derive(Debug)]
pub struct ProfileLock {
    file: File,
}

/// The lock file of a profile.
pub fn lock_path(data_dir: &Path, profile: &str) -> PathBuf {
    data_dir.join(format!("{profile}.lock"))
}

/// What the lock file says about its owner (`pid=… started=…`), trimmed.
fn owner_text(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.rewind().and_then(|()| file.read_to_string(&mut text));
    text.trim().to_owned()
}

impl ProfileLock {
    /// The running engine's owner line (`pid=… started=…`) when an engine holds the lock; `None`
    /// when the profile is idle. Only reads: never creates the file (`status` works on a
    /// read-only data dir).
    pub fn holder(data_dir: &Path, profile: &str) -> Option<String> {
        let mut file = File::open(lock_path(data_dir, profile)).ok()?;
        // A shared lock is refused only while an engine holds the exclusive one. Taking it
        // for a moment is harmless: an engine starting meanwhile is refused, as it would be a
        // moment later by the engine it races.
        match fs4::FileExt::try_lock_shared(&file) {
            Ok(()) => None,
            Err(TryLockError::WouldBlock) => Some(owner_text(&mut file)),
            // The lock cannot be asked (a filesystem without locks): say nothing rather than guess.
            Err(TryLockError::Error(_)) => None,
        }
    }

    /// Takes the profile's lock, or refuses with [`StoreError::Locked`] naming the holder.
    pub fn acquire(data_dir: &Path, profile: &str) -> Result<ProfileLock, StoreError> {
        let path = lock_path(data_dir, profile);
        let io = |e: std::io::Error| StoreError::Io(path.display().to_string(), e);
        let mut file = open_private(&path).map_err(io)?;
        let mut attempts = 0;
        loop {
            match fs4::FileExt::try_lock(&file) {
                Ok(()) => break,
                // `holder` takes a shared lock for a moment: wait that out before refusing.
                Err(TryLockError::WouldBlock) if attempts < BUSY_RETRIES => {
                    attempts += 1;
                    std::thread::sleep(BUSY_WAIT);
                }
                Err(TryLockError::WouldBlock) => {
                    let owner = owner_text(&mut file);
                    return Err(StoreError::Locked {
                        profile: profile.to_owned(),
                        // Locked, and its owner line not written yet: it has just started.
                        owner: if owner.is_empty() {
                            "starting now".to_owned()
                        } else {
                            owner
                        },
                        path: path.display().to_string(),
                    });
                }
                Err(TryLockError::Error(e)) => return Err(io(e)),
            }
        }
        let text = format!(
            "pid={} started={}\n",
            std::process::id(),
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(text.as_bytes()))
            .and_then(|()| file.flush())
            .map_err(io)?;
        Ok(ProfileLock { file })
    }
}

impl Drop for ProfileLock {
    fn drop(&mut self) {
        // Still locked here: forget the owner, then closing the file releases the lock.
        let _ = self.file.set_len(0);
    }
}

/// Opens (creating) the lock file for reading and writing, 0600 whatever it was before.
fn open_private(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let file = options.open(path)?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        Ok(file)
    }
    #[cfg(not(unix))]
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_naming_the_first_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(ProfileLock::holder(dir.path(), "p"), None);
        let first = ProfileLock::acquire(dir.path(), "p").unwrap();
        let err = ProfileLock::acquire(dir.path(), "p").unwrap_err().to_string();
        assert!(err.contains(&format!("pid={}", std::process::id())), "{err}");
        let holder = ProfileLock::holder(dir.path(), "p").unwrap();
        assert!(
            holder.starts_with(&format!("pid={} started=", std::process::id())),
            "{holder}"
        );
        drop(first);
        assert_eq!(ProfileLock::holder(dir.path(), "p"), None);
        // Text left by an owner that died (the kernel released its lock) means nothing.
        std::fs::write(lock_path(dir.path(), "p"), "pid=1 started=x\n").unwrap();
        assert_eq!(ProfileLock::holder(dir.path(), "p"), None);
        let again = ProfileLock::acquire(dir.path(), "p").unwrap();
        assert!(
            ProfileLock::holder(dir.path(), "p")
                .unwrap()
                .contains(&std::process::id().to_string())
        );
        drop(again);
    }

    #[cfg(unix)]
    #[test]
    fn the_lock_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = lock_path(dir.path(), "p");
        std::fs::write(&path, "").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let _lock = ProfileLock::acquire(dir.path(), "p").unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
}
