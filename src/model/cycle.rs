//! The kind of a cycle: the one word the state database's `cycles` table, `status`, the
//! console's history, the metrics' `kind` label, `sync --json` and `SyncEvent` use. Text exists
//! only at the state database's boundary and in output: `Display` gives it, `FromStr` reads
//! it back, and serde writes the same words, so existing state databases and the socket
//! protocol read as before.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Initial (everything read), incremental (changes since the stored watermark), or a
/// reconciliation: both sides read whole although the watermarks would allow an incremental
/// cycle, every `reconcile_hours` (or on demand), to correct drift no delta reports — rows
/// changed by hand in ServiceNow, a restore Graph left out of `users/delta` (graph.md §14 #1),
/// links whose rows vanished. Two more name a cycle's row that is not a scheduled cycle:
/// provision on demand (`on-demand`) and applying the staged deletions (`allow-deletes`);
/// a plan is only ever one of the first three.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CycleKind {
    #[serde(rename = "initial")]
    Initial,
    #[serde(rename = "incremental")]
    Incremental,
    #[serde(rename = "reconciliation")]
    Reconciliation,
    #[serde(rename = "on-demand")]
    OnDemand,
    #[serde(rename = "allow-deletes")]
    AllowDeletes,
}

/// A cycle kind the state database holds that this version does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown cycle kind '{0}': expected initial, incremental, reconciliation, on-demand or allow-deletes (a state database written by a newer nowsync?)"
)]
pub struct UnknownCycleKind(pub String);

const ALL: [CycleKind; 5] = [
    CycleKind::Initial,
    CycleKind::Incremental,
    CycleKind::Reconciliation,
    CycleKind::OnDemand,
    CycleKind::AllowDeletes,
];

impl CycleKind {
    /// The word the cycles table, `status`, `sync --json` and the console use.
    pub fn as_str(self) -> &'static str {
        match self {
            CycleKind::Initial => "initial",
            CycleKind::Incremental => "incremental",
            CycleKind::Reconciliation => "reconciliation",
            CycleKind::OnDemand => "on-demand",
            CycleKind::AllowDeletes => "allow-deletes",
        }
    }

    /// Both sides are read whole and the watermarks start again (initial or reconciliation).
    pub fn is_full(self) -> bool {
        matches!(self, CycleKind::Initial | CycleKind::Reconciliation)
    }
}

impl fmt::Display for CycleKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for CycleKind {
    type Err = UnknownCycleKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ALL.into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownCycleKind(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_text_and_serialises_as_it() {
        for kind in ALL {
            assert_eq!(kind.to_string().parse::<CycleKind>(), Ok(kind));
            // The socket protocol and `status --json` carry the same word as the cycles table.
            assert_eq!(serde_json::to_value(kind).unwrap(), serde_json::json!(kind.as_str()));
            assert_eq!(
                serde_json::from_value::<CycleKind>(serde_json::json!(kind.as_str())).unwrap(),
                kind
            );
        }
        assert_eq!(
            ["initial", "incremental", "reconciliation", "on-demand", "allow-deletes"]
                .map(|s| s.parse::<CycleKind>().unwrap()),
            ALL
        );
        assert_eq!(
            "Initial".parse::<CycleKind>(),
            Err(UnknownCycleKind("Initial".to_owned()))
        );
    }
}
