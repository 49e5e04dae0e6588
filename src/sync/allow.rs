//! `allow-deletes` (`restart --scope force-deletes`): applies exactly the staged set the
//! deletion threshold held back, as a cycle of its own, and ends a quarantine whose only reason
//! was the threshold. Not what a new plan would compute: the admin approved that set.

use std::sync::atomic::Ordering;

use super::apply::{Applier, Halt};
use super::engine::Engine;
use super::error::CycleError;
use super::event::{EngineState, SyncEvent, Totals};

impl Engine {
    /// `allow-deletes`: applies exactly the staged set (not what a new plan would compute),
    /// as a cycle of its own, and ends a quarantine whose only reason was the threshold.
    pub(super) async fn allow_deletes(&mut self) {
        self.set_state(EngineState::Running);
        if let Err((cycle_id, e)) = self.allow_deletes_inner().await {
            self.emit(SyncEvent::Error {
                cycle_id,
                kind: e.kind(),
                message: e.to_string(),
            });
        }
        self.set_state(if self.paused {
            EngineState::Paused
        } else {
            EngineState::Idle
        });
    }

    async fn allow_deletes_inner(&mut self) -> Result<(), (Option<i64>, CycleError)> {
        let Some(plan) = self.staged_plan().map_err(|e| (None, e))? else {
            return Err((None, CycleError::Config("no deletions are staged".into())));
        };
        let cycle_id = self
            .store
            .begin_cycle("allow-deletes", false)
            .map_err(|e| (None, e.into()))?;
        let at = |e: CycleError| (Some(cycle_id), e);
        self.shown = None;
        self.shown_held = None;
        self.emit(SyncEvent::CycleStarted {
            cycle_id,
            kind: plan.kind,
            dry_run: false,
            totals: Totals {
                operations: plan.ops.len() as u64,
                ..Totals::default()
            },
        });
        self.emit(SyncEvent::PlanReady {
            cycle_id,
            plan: plan.clone(),
        });
        let prior = self.prior().map_err(at)?;
        let mut applier = Applier {
            client: &self.snow,
            store: &self.store,
            events: &self.events,
            mappings: &self.mappings,
            cycle_id,
            stop: &self.stop,
            stored: prior.links.clone(),
            links: prior.links.clone(),
            halt: Halt::default(),
            refs: Default::default(),
        };
        let stats = applier.apply(&plan).await.map_err(|e| at(e.into()))?;
        if stats.failed == 0 && !self.stop.load(Ordering::SeqCst) {
            self.staged_applied(cycle_id).map_err(at)?;
        }
        let stats_json = serde_json::to_string(&stats).unwrap_or_default();
        self.store
            .finish_cycle(cycle_id, &stats_json)
            .map_err(|e| at(e.into()))?;
        self.emit(SyncEvent::CycleFinished {
            cycle_id,
            dry_run: false,
            stats,
        });
        Ok(())
    }
}
