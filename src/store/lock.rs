//! The profile lock: one engine per profile (DESIGN.md "The engine's door").
//!
//! A file `<profile>.lock` created exclusively, holding the owner's pid, host and start time.
//! A lock whose process is gone (a crash, SIGKILL) is stale and taken over; a live one makes
//! the second engine refuse with a message naming the running one.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::StoreError;

/// Held while the engine runs; removes the file when dropped.
#[derive(Debug)]
pub struct ProfileLock {
    path: PathBuf,
}

fn alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    // Linux and most Unixes with procfs; elsewhere assume alive (refusing is the safe side).
    if Path::new("/proc/self").exists() {
        return Path::new(&format!("/proc/{pid}")).exists();
    }
    true
}

impl ProfileLock {
    /// The running engine's owner line (`pid=… started=…`) when a live one holds the lock;
    /// `None` when the profile is idle (no lock, or a stale one).
    pub fn holder(data_dir: &Path, profile: &str) -> Option<String> {
        let text = fs::read_to_string(data_dir.join(format!("{profile}.lock"))).ok()?;
        let pid = text
            .split_whitespace()
            .find_map(|w| w.strip_prefix("pid="))
            .and_then(|p| p.parse::<u32>().ok())?;
        (pid == std::process::id() || alive(pid)).then(|| text.trim().to_owned())
    }

    pub fn acquire(data_dir: &Path, profile: &str) -> Result<ProfileLock, StoreError> {
        let path = data_dir.join(format!("{profile}.lock"));
        for _ in 0..2 {
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut file) => {
                    let text = format!(
                        "pid={} started={}\n",
                        std::process::id(),
                        chrono::Utc::now().to_rfc3339()
                    );
                    file.write_all(text.as_bytes())
                        .map_err(|e| StoreError::Io(path.display().to_string(), e))?;
                    return Ok(ProfileLock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let text = fs::read_to_string(&path).unwrap_or_default();
                    let pid = text
                        .split_whitespace()
                        .find_map(|w| w.strip_prefix("pid="))
                        .and_then(|p| p.parse::<u32>().ok());
                    match pid {
                        Some(pid) if alive(pid) => {
                            return Err(StoreError::Locked {
                                profile: profile.to_owned(),
                                owner: text.trim().to_owned(),
                                path: path.display().to_string(),
                            });
                        }
                        // Stale (the owner died) or unreadable: take it over.
                        _ => {
                            let _ = fs::remove_file(&path);
                        }
                    }
                }
                Err(e) => return Err(StoreError::Io(path.display().to_string(), e)),
            }
        }
        Err(StoreError::Locked {
            profile: profile.to_owned(),
            owner: "another process racing for the lock".into(),
            path: path.display().to_string(),
        })
    }
}

impl Drop for ProfileLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_naming_the_first_and_a_stale_one_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let first = ProfileLock::acquire(dir.path(), "p").unwrap();
        let err = ProfileLock::acquire(dir.path(), "p").unwrap_err().to_string();
        assert!(err.contains(&format!("pid={}", std::process::id())), "{err}");
        drop(first);
        // A dead owner: pid far above pid_max.
        std::fs::write(dir.path().join("p.lock"), "pid=4194999 started=x\n").unwrap();
        ProfileLock::acquire(dir.path(), "p").unwrap();
    }
}
