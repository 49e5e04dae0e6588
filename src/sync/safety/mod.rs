//! The engine's safety, in one place (issue 8, spec §2.6–2.9):
//!
//! | file | what |
//! |---|---|
//! | `binding.rs` | the state bound to its instance and tenant: no cycle against another one (issue 12) |
//! | `rules.rs` | the pure rules: deletion threshold, Entra's quarantine thresholds, quarantine back-off, escrow schedule |
//! | `halt.rs` | when a cycle stops writing: 401s, a table operation refused whatever is sent, permanent failures all alike — never a refusal of one record |
//! | `staged.rs` | the threshold held on a planned cycle, the staged set stored, and `allow-deletes` applying exactly it |
//! | `escrow.rs` | each permanent failure's next retry, written after a cycle |
//! | `quarantine.rs` | the quarantine decided after a real cycle, its mail through `notify`, the back-off of scheduled cycles |
//!
//! The rules are pure; the other files read and write the store, send events and mails.

pub(crate) mod binding;
pub(crate) mod escrow;
mod halt;
pub(crate) mod quarantine;
mod rules;
pub(crate) mod staged;

pub use halt::{Halt, Write};
pub use rules::{HALT_AFTER, escrow_next, escrow_threshold, hold_past_threshold, is_deletion, quarantine_backoff};

use super::op::Op;
use super::outcome::FailureCode;

/// A tripped threshold: the limit exceeded and the held ops.
pub type Tripped = (u64, Vec<Op>);

/// What happened in a cycle that the quarantine decision needs.
#[derive(Debug, Default)]
pub struct Verdict {
    /// The deletion threshold tripped: the limit and the held ops.
    pub tripped: Option<Tripped>,
    /// The small-tenant rule stopped the cycle: code and message.
    pub halted: Option<(FailureCode, String)>,
    /// The cycle's failed objects as Entra's escrow thresholds count them.
    pub failures: Failures,
}

/// A cycle's failed objects as Entra's escrow thresholds count them (spec §2.7). Every one is
/// reported (log, `status`); the thresholds count failure events: Entra retries an escrowed
/// object on the escrow schedule, not every cycle, so an object failing as it failed before,
/// with nothing changed since, is no new event.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    /// Objects that failed anew (not reference failures): the 40 % and 40,000 counts.
    pub new: u64,
    /// Reference failures (a manager, a group member): left out of those two counts, counted
    /// in the 60,000 cap.
    pub references: u64,
    /// Objects failing with the code they failed with in an earlier cycle, their op unchanged
    /// since (the same hash): reported, counted in no threshold.
    pub known: u64,
}
