//! Notification email: tells the admin, once per reason, that a profile's job is quarantined or
//! stopped at the deletion threshold (Entra's "Notification Email", spec §2.7 and §2.11).
//!
//! - [`Event`] (in `event`): what happened, built by the engine.
//! - [`render`] (in `message`): the subject and plain-text body, a pure function.
//! - [`Deduper`] and [`StateFile`] (in `dedup`): "once when quarantine starts or the deletion
//!   threshold trips, again if the reason changes".
//! - [`Notifier`] (in `smtp`): sends through the profile's `[notification]` SMTP server with
//!   lettre on rustls, with timeouts and typed errors that never carry the password.
//!
//! Terms: *reason* is the quarantine reason word (`TooManyDeletes`, `TooManyFailures`,
//! `CredentialsRejected`); it is what de-duplication compares.

mod dedup;
mod error;
mod event;
mod message;
mod smtp;

pub use dedup::{Deduper, STATE_FILE, StateError, StateFile, should_send};
pub use error::NotifyError;
pub use event::{Counts, ErrorSample, Event, Kind, Reason};
pub use message::{MAX_ERRORS, Mail, render};
pub use smtp::{DEFAULT_TIMEOUT, Delivery, Notifier, is_loopback};
