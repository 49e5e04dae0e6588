//! De-duplication: a notification goes out once when quarantine starts or the deletion threshold
//! trips, and again only when the reason changes (Entra's "one-time email, re-sent if the reason
//! changes"). The state is the last reason mailed, per profile.
//!
//! [`Deduper`] is the pure state machine; [`StateFile`] keeps it in `DATA_DIR/notify-state.json`
//! (0600) because the engine's store does not exist yet. The engine may move the same state into
//! its store later: only [`should_send`]'s rule matters, not where the last reason lives.
//!
//! The caller records a reason only after the mail was accepted, so a failed send is tried again
//! on the next event, and clears it when the quarantine ends, so the next quarantine mails again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::event::Event;
use crate::config::{DirError, write_private_file};

/// The file name under the data dir.
pub const STATE_FILE: &str = "notify-state.json";

/// Whether `event` should be mailed when `last` is the reason last mailed for its profile.
/// A test event is always sent; anything else when its reason differs from the last one.
pub fn should_send(last: Option<&str>, event: &Event) -> bool {
    match event.reason() {
        None => true,
        Some(reason) => last != Some(reason.as_str()),
    }
}

/// The last reason mailed, per profile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deduper {
    /// Profile name → the reason last mailed (`TooManyDeletes`, ...).
    #[serde(default)]
    last_sent: BTreeMap<String, String>,
}

impl Deduper {
    /// The reason last mailed for `profile`.
    pub fn last(&self, profile: &str) -> Option<&str> {
        self.last_sent.get(profile).map(String::as_str)
    }

    /// Whether `event` should be mailed now.
    pub fn should_send(&self, event: &Event) -> bool {
        should_send(self.last(&event.profile), event)
    }

    /// Remembers that `event` was mailed. A test event changes nothing.
    pub fn record(&mut self, event: &Event) {
        if let Some(reason) = event.reason() {
            self.last_sent.insert(event.profile.clone(), reason.as_str().to_owned());
        }
    }

    /// Forgets `profile`'s last reason: call it when the quarantine ends (one good cycle, or
    /// `allow-deletes` ending a threshold-only quarantine), so the next one is mailed.
    pub fn clear(&mut self, profile: &str) {
        self.last_sent.remove(profile);
    }
}

/// [`Deduper`] kept in a JSON file.
#[derive(Debug, Clone)]
pub struct StateFile {
    path: PathBuf,
}

/// The state file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read the notification state {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write the notification state: {0}")]
    Write(#[from] DirError),
    #[error("cannot replace the notification state {path}: {source}")]
    Rename {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl StateFile {
    /// The state file in `data_dir`.
    pub fn in_data_dir(data_dir: &Path) -> Self {
        Self {
            path: data_dir.join(STATE_FILE),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The saved state; empty when there is no file yet. A file that is not valid JSON (cut
    /// short by a crash, edited by hand) is logged and treated as empty: the cost is at most
    /// one repeated mail, which is better than never mailing again.
    pub fn load(&self) -> Result<Deduper, StateError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Deduper::default()),
            Err(source) => {
                return Err(StateError::Read {
                    path: self.path.clone(),
                    source,
                });
            }
        };
        Ok(serde_json::from_str(&text).unwrap_or_else(|e| {
            tracing::warn!(path = %self.path.display(), error = %e, "notification state unreadable; starting afresh");
            Deduper::default()
        }))
    }

    /// Saves `state` (0600), through a temporary file and a rename so a crash leaves either the
    /// old state or the new one.
    pub fn save(&self, state: &Deduper) -> Result<(), StateError> {
        // Serialising a map of strings cannot fail; fall back to an empty object all the same.
        let text = serde_json::to_string_pretty(state).unwrap_or_else(|_| "{}".to_owned());
        let tmp = self.path.with_extension("json.tmp");
        write_private_file(&tmp, text.as_bytes())?;
        std::fs::rename(&tmp, &self.path).map_err(|source| StateError::Rename {
            path: self.path.clone(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::notify::event::{Kind, Reason};

    fn quarantine(profile: &str, reason: Reason) -> Event {
        Event::new(profile, Kind::QuarantineStarted { reason }, Utc::now())
    }

    fn threshold() -> Event {
        Event::new(
            "a",
            Kind::DeletionThreshold {
                staged_disables: 5,
                staged_deletes: 0,
                threshold: 3,
            },
            Utc::now(),
        )
    }

    #[test]
    fn once_per_reason_again_when_it_changes() {
        let mut d = Deduper::default();
        let steps = [
            (quarantine("a", Reason::TooManyFailures), true),
            (quarantine("a", Reason::TooManyFailures), false),
            (quarantine("b", Reason::TooManyFailures), true),
            (quarantine("a", Reason::CredentialsRejected), true),
            (quarantine("a", Reason::CredentialsRejected), false),
            (threshold(), true),
            // The threshold quarantines with TooManyDeletes: that is the same reason.
            (quarantine("a", Reason::TooManyDeletes), false),
            (threshold(), false),
        ];
        for (i, (event, want)) in steps.into_iter().enumerate() {
            assert_eq!(d.should_send(&event), want, "step {i}: {event:?} with {d:?}");
            if want {
                d.record(&event);
            }
        }
    }

    #[test]
    fn tests_always_send_and_are_not_recorded() {
        let mut d = Deduper::default();
        let test = Event::new("a", Kind::Test, Utc::now());
        assert!(d.should_send(&test));
        d.record(&test);
        assert!(d.should_send(&test));
        assert_eq!(d.last("a"), None);
    }

    #[test]
    fn clearing_ends_the_quarantine_so_the_next_one_mails() {
        let mut d = Deduper::default();
        let e = quarantine("a", Reason::TooManyFailures);
        d.record(&e);
        assert!(!d.should_send(&e));
        d.clear("a");
        assert!(d.should_send(&e));
    }

    #[test]
    fn state_file_round_trips_privately() {
        let tmp = tempfile::tempdir().unwrap();
        let file = StateFile::in_data_dir(&tmp.path().join("data"));
        assert_eq!(file.load().unwrap(), Deduper::default());
        let mut d = Deduper::default();
        d.record(&quarantine("a", Reason::CredentialsRejected));
        file.save(&d).unwrap();
        assert_eq!(file.load().unwrap().last("a"), Some("CredentialsRejected"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(file.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(file.path(), "{not json").unwrap();
        assert_eq!(file.load().unwrap(), Deduper::default());
    }
}
