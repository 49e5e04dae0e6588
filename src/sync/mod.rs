//! The sync engine: provisioning cycles from Entra ID to ServiceNow.
//!
//! Data flow of one cycle (DESIGN.md), as the stages of `cycle`: begin → read the source (Graph
//! users, groups, memberships, assignments; scoped) → read the target (bulk read of the managed
//! ServiceNow rows and the reference tables) → [`plan`] (pure: every [`Op`] with its diff
//! old → new) → hold (the deletion threshold) → apply (bounded concurrency, retries) → commit
//! (links, provisioning log, watermarks, cycle statistics, quarantine) → [`SyncEvent`]s to the
//! console and the headless commands.
//!
//! The door is [`Handle`]: start one per profile with [`Handle::start`] (a lock in the data dir
//! refuses a second engine of the same profile), send [`Command`]s (run now, dry run, apply a
//! shown plan, pause, resume, stop, reload, and the console's queries: test connection, search
//! users, evaluate a mapping for one user, preview scope, create a missing reference row;
//! issue 8: allow-deletes, provision on demand; [`Handle::status`] reads the status), and
//! read [`SyncEvent`]s from [`Handle::subscribe`] (state changes; cycle started with totals;
//! plan ready; progress by objects; each object's result; cycle finished with statistics;
//! errors; answers to queries).
//!
//! Invariants: a cycle with nothing to change sends no write of any kind; a bad object becomes
//! a failed log record, never a panic or a stopped cycle; secrets never reach the store, a log
//! or an event.
//!
//! Safety (issue 8, spec §2.6–2.9), all in [`safety`]: a plan whose disables and deletes exceed
//! the threshold has them staged; after each real cycle the quarantine is decided and mailed;
//! `apply` stops a cycle whose writes all fail alike (the small-tenant rule); permanent
//! failures are escrows retried on a schedule.
//!
//! Terms are Entra's: matching attribute, scope, escrow, quarantine; ServiceNow's: sys_id.

mod apply;
mod clock;
mod credentials;
mod cycle;
mod engine;
pub mod error;
pub mod event;
mod handle;
pub mod line;
pub mod op;
pub mod outcome;
pub mod plan;
mod queries;
pub mod reconcile;
pub mod redact;
pub mod safety;
mod source;
pub mod sso;
mod stats;
mod status;
mod target;
mod throttles;

pub use clock::Clock;
pub use credentials::{Credentials, Prompt, read_credentials, servicenow_auth};
pub use cycle::{ObjectReport, OnDemand, Subject};
pub use error::{AnswerError, CycleError, StartError};
pub use event::{
    Answer, CycleStats, EngineState, ErrorKind, LogLevel, ObjectResult, StopPhase, Stopped, SyncEvent, Totals,
    changed_since, reloaded_words,
};
pub use handle::{Command, Handle, Options, Port, describe};
pub use op::{Change, Counts, CycleKind, Failure, Held, ObjectType, Op, OpKind, Plan, Step};
pub use outcome::{Action, FailureCode, SkipReason};
pub use status::{HeldCounts, Reconciliation, StagedOp, Status, status};
