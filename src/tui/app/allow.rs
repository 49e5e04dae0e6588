//! `D`: apply what the deletion threshold holds (acceptance F23), the console's
//! `nowsync allow-deletes`. A confirm names exactly what will be written and where; only `y`
//! sends the engine the same `Command::AllowDeletes` the headless command sends (the console's
//! own engine, or the one attached to through its door). Refused, and not offered in the key
//! line, while nothing is held or no engine serves the profile.

use super::{App, Overlay};
use crate::sync::{Command, EngineState, HeldCounts};
use crate::tui::effect::Effect;

impl App {
    /// Why `D` cannot apply a held set now, if it cannot; else what is held, in words.
    pub fn allow_deletes_refused(&self) -> Result<String, String> {
        if self.engine_has_gone() {
            return Err(
                "No engine serves this profile now (the one attached to has gone): D cannot apply the held set; c attaches again."
                    .to_owned(),
            );
        }
        if matches!(self.dashboard.state, None | Some(EngineState::Stopped)) {
            return Err(
                "No engine serves this profile: D cannot apply the held set (open the console again, or start nowsync run, then nowsync allow-deletes in a shell)."
                    .to_owned(),
            );
        }
        self.dashboard
            .held
            .words()
            .ok_or_else(|| "Nothing is held by the deletion threshold: D has nothing to apply.".to_owned())
    }

    /// `D`: the question naming the held set and the instance, or why not.
    pub(super) fn ask_allow_deletes(&mut self) {
        let words = match self.allow_deletes_refused() {
            Ok(words) => words,
            Err(why) => {
                self.shared.status = why;
                return;
            }
        };
        let to = self.instance().unwrap_or_else(|| "ServiceNow".to_owned());
        let ends = match &self.dashboard.quarantine {
            Some(q) if q.reason == "TooManyDeletes" => " This ends the TooManyDeletes quarantine.",
            _ => "",
        };
        self.shared.overlay = Overlay::ConfirmAllowDeletes {
            held: self.dashboard.held,
            text: format!(
                "Apply the held set: {words} to {to}?{ends}\nAs nowsync allow-deletes: exactly the held operations, nothing planned anew."
            ),
        };
    }

    /// `y` on the question: the engine applies the staged set, unless it changed since the
    /// question named it (then the question is asked again with `D`).
    pub(super) fn allow_deletes(&mut self, asked: HeldCounts) -> Vec<Effect> {
        self.shared.overlay = Overlay::None;
        if asked != self.dashboard.held {
            let now = self.dashboard.held.words().unwrap_or_else(|| "nothing".to_owned());
            self.shared.status =
                format!("The held set changed since the question (it holds {now} now): nothing applied; D asks again.");
            return Vec::new();
        }
        self.engine(Command::AllowDeletes)
    }

    /// The ServiceNow instance of the profile as saved, for the question.
    fn instance(&self) -> Option<String> {
        let s = self.settings.editor.as_ref()?;
        let profile = crate::config::edit::check(&s.text, &s.config_path, &s.profile).ok()?;
        Some(profile.servicenow?.instance.base_url())
    }
}
