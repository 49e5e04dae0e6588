//! A wizard save restarts the console's own engine (its credentials may have changed), which
//! stops a cycle that runs (acceptance F30: a re-save stopped a cycle applying 49 of 473
//! operations without asking). It asks first, as `q` does.

use super::{Action, App, Overlay};
use crate::tui::effect::Effect;
use crate::tui::screens::wizard::{self, SaveStatus};

impl App {
    /// `effects` of the wizard's `action`; a save while a real cycle runs in this console's
    /// own engine waits for a `y`.
    pub(super) fn ask_before_restart(&mut self, action: wizard::Action, effects: Vec<Effect>) -> Vec<Effect> {
        // Attached to another process's engine, a save reloads it: nothing restarts.
        let saves = effects.iter().any(|e| matches!(e, Effect::Save(_)));
        if !saves || self.engine_elsewhere {
            return effects;
        }
        let Some(running) = self.dashboard.running.as_ref().filter(|r| !r.dry_run) else {
            return effects;
        };
        let doing = if running.reading {
            format!("Cycle {} is reading Entra and ServiceNow", running.cycle_id)
        } else {
            format!(
                "Cycle {} is applying ({}/{})",
                running.cycle_id, running.done, running.total
            )
        };
        if let Some(w) = &mut self.wizard {
            w.save = SaveStatus::NotSaved;
        }
        self.shared.overlay = Overlay::Ask {
            text: format!(
                "{doing}; the engine restarts to use the new settings and stops it: the next cycle plans the rest. Save now?"
            ),
            yes: Box::new(Action::SaveWizardNow(action)),
        };
        Vec::new()
    }
}
