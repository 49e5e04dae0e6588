//! A cycle's statistics ([`CycleStats`]), as its row, `CycleFinished` and `status` carry them,
//! and where a cycle the admin stopped was ([`Stopped`]).

use serde::{Deserialize, Serialize};

use super::op::Counts;
use crate::model::words::thousands;

/// A cycle's statistics.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CycleStats {
    pub created: u64,
    pub updated: u64,
    pub disabled: u64,
    pub deleted: u64,
    pub members_added: u64,
    pub members_removed: u64,
    pub skipped: u64,
    pub failed: u64,
    pub writes: u64,
    pub duration_ms: u64,
    /// Disables and deletes held back by the deletion threshold (action `StagedDelete`).
    pub staged_deletes: u64,
    /// The admin stopped the cycle (`Command::Stop`) before its end: where. Absent from the
    /// JSON of a cycle that ran to its end (rows and events written before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<Stopped>,
    /// The cycle failed as a whole (a read refused, the instance unreachable): the error, as the
    /// admin reads it. Absent from a cycle that ran to its end or was stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Where a stopped cycle was: reading (nothing planned, nothing written) or applying, with how
/// many of its plan's operations were done (the rest are planned again by the next cycle).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stopped {
    pub phase: StopPhase,
    pub done: u64,
    pub total: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StopPhase {
    Reading,
    Applying,
}

impl std::fmt::Display for Stopped {
    /// `stopped while reading`, `stopped after 465 of 1,436 operations`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.phase {
            StopPhase::Reading => f.write_str("stopped while reading"),
            StopPhase::Applying => write!(
                f,
                "stopped after {} of {} operations",
                thousands(self.done),
                thousands(self.total)
            ),
        }
    }
}

impl CycleStats {
    /// What a planned cycle would do, from its plan's counts (a dry run's statistics).
    pub fn planned(c: &Counts) -> CycleStats {
        CycleStats {
            created: c.create,
            updated: c.update + c.set_reference,
            disabled: c.disable,
            deleted: c.delete,
            members_added: c.add_member,
            members_removed: c.remove_member,
            skipped: c.skip,
            failed: c.error,
            staged_deletes: c.staged_delete,
            ..CycleStats::default()
        }
    }

    /// The cycle's outcome as metrics and `status` name it: `failed` (as a whole: its
    /// `error`), `stopped` (by the admin, before its end), `object_failures` or `success`.
    pub fn outcome(&self) -> &'static str {
        match self {
            CycleStats { error: Some(_), .. } => "failed",
            CycleStats { stopped: Some(_), .. } => "stopped",
            CycleStats { failed: 1.., .. } => "object_failures",
            _ => "success",
        }
    }
}
