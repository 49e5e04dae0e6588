//! The console and the engine it works with (issue 15): attached to the profile's running
//! engine through its socket, or with an engine of its own that it asks about on quit ("keep
//! provisioning in the background?").

use super::{Action, App, Overlay, now};
use crate::door::Attached;
use crate::sync::EngineState;
use crate::tui::effect::Effect;
use crate::tui::log::Level;
use crate::tui::screens::plan;

impl App {
    /// Attached: the header names the engine, the log pane gets its backlog.
    pub(super) fn attached(&mut self, attached: Attached) -> Vec<Effect> {
        let e = &attached.engine;
        let again = self.engine_elsewhere;
        if again {
            // Another engine (acceptance N6): nothing the one before said stays — its last
            // cycle, error, quarantine, schedule —; the store's history gives the Last row
            // and the replay the rest, exactly as for a console attaching fresh.
            let history = self.dashboard.history.take();
            self.dashboard = crate::tui::screens::dashboard::State {
                history,
                ..Default::default()
            };
        }
        self.dashboard.engine_gone = false;
        self.dashboard.engine = Some(format!(
            "attached to the running engine (pid {}, since {}, started {})",
            e.pid,
            since(&e.since),
            started(&e.started_by)
        ));
        self.engine_elsewhere = true;
        self.own_engine = false;
        self.attaching = false;
        self.dashboard.state = Some(attached.state);
        // The engine's running cycle, last plan and schedule as its own console shows them;
        // attached again, nothing of the engine before stays (its plan is applied by none).
        self.dashboard.restore(&attached.replay);
        match &attached.replay.plan {
            Some(last) => self.plan.restore(last),
            None => self.plan = plan::State::default(),
        }
        if again {
            self.log.push(
                now(),
                Level::Info,
                &format!(
                    "attached again, to the engine serving the profile now (pid {}); its log follows",
                    e.pid
                ),
            );
        }
        for line in attached.backlog {
            let time = chrono::DateTime::parse_from_rfc3339(&line.time)
                .map(|t| t.format("%H:%M:%S").to_string())
                .unwrap_or_else(|_| now());
            self.log.push(time, line.level.into(), &line.text);
        }
        self.shared.status = format!(
            "Attached to the running engine (pid {}): q leaves it running; x stops it.",
            e.pid
        );
        // Until the store is read the quarantine is not known (acceptance N16: "on (idle)" for
        // two seconds before it): the first frame says the state is being read instead.
        self.dashboard.reading_store = true;
        let mut effects = vec![Effect::LoadHistory, Effect::LoadRecords];
        if again {
            // The configuration file as saved now, as a console opening reads it: provisioning
            // on or off (the Status row) may have been changed by hand before this engine started.
            effects.push(Effect::ReadConfig);
        }
        effects.extend(self.scope_counts_stale());
        effects
    }

    /// The attached engine went away.
    pub(super) fn detached(&mut self, why: &str) -> Vec<Effect> {
        self.dashboard.state = Some(EngineState::Stopped);
        self.dashboard.running = None;
        self.dashboard.engine = Some(GONE_ROW.to_owned());
        self.dashboard.engine_gone = true;
        // Nothing is applied any more, and no question waits for an engine's answer.
        self.plan.engine_went();
        self.shared.overlay = Overlay::None;
        // One level of parentheses: `why` may hold its own (acceptance F5).
        self.shared.status = format!("The engine went away: {why}; {ATTACH_AGAIN}.");
        self.log.push(now(), Level::Warn, &self.shared.status.clone());
        Vec::new()
    }

    /// The engine the help describes `x` for.
    pub fn help_engine(&self) -> crate::tui::help::Engine {
        if self.engine_elsewhere {
            crate::tui::help::Engine::Attached
        } else {
            crate::tui::help::Engine::Own
        }
    }

    /// Whether this console was attached to an engine that has gone (`c` attaches again).
    pub fn engine_has_gone(&self) -> bool {
        self.engine_elsewhere && self.dashboard.state == Some(EngineState::Stopped)
    }

    /// `c`: attach to the engine serving the profile now, once the one attached to has gone.
    pub(super) fn attach_again(&mut self) -> Vec<Effect> {
        if !self.engine_has_gone() {
            return Vec::new();
        }
        if self.attaching {
            self.shared.status = "Attaching: waiting for the engine serving the profile.".to_owned();
            return Vec::new();
        }
        self.attaching = true;
        self.shared.status = "Attaching to the engine serving the profile now…".to_owned();
        vec![Effect::Attach]
    }

    /// No engine could be attached to: why, and what to do.
    pub(super) fn not_attached(&mut self, why: &str) {
        self.attaching = false;
        let again = if self.engine_has_gone() {
            "; then c attaches"
        } else {
            " and open the console again"
        };
        self.shared.status =
            format!("Not attached: {why}. Start one (`nowsync run`, or systemctl start nowsync@<profile>){again}.");
        self.log.push(now(), Level::Error, &self.shared.status.clone());
    }

    /// Why an engine command is refused at once: the engine this console was attached to has
    /// gone (a plan to apply says so of the plan).
    pub(super) fn engine_gone(&self, command: &crate::sync::Command) -> Option<String> {
        if !self.engine_has_gone() {
            return None;
        }
        Some(match (command, &self.plan.plan) {
            (crate::sync::Command::ApplyPlan { plan_id }, _) => {
                format!("{}.", plan::capitalised(&plan::engine_gone(*plan_id)))
            }
            _ => format!("The engine this console was attached to has gone (it stopped or restarted): {ATTACH_AGAIN}."),
        })
    }

    /// `x`: attached, it stops the engine itself (as the attach message says), idle or not;
    /// with the console's own engine, the running cycle.
    pub(super) fn ask_stop(&mut self) {
        let shared = &mut self.shared;
        if self.engine_elsewhere && self.dashboard.state.is_some_and(|s| s != EngineState::Stopped) {
            shared.overlay = Overlay::Ask {
                text: STOP_ATTACHED.to_owned(),
                yes: Box::new(Action::Engine(crate::sync::Command::Stop)),
            };
        } else if self.dashboard.cycle_running() {
            shared.overlay = Overlay::ConfirmStop;
        } else {
            shared.status = "No cycle is running.".to_owned();
        }
    }

    /// The console's own engine runs: quitting asks whether it goes on in the background.
    pub(super) fn asks_keep(&self) -> bool {
        self.own_engine && !self.demo && self.dashboard.state.is_some_and(|s| s != EngineState::Stopped)
    }

    /// Quit, asking first about the console's own engine.
    pub(super) fn leave(&mut self) -> Vec<Effect> {
        if self.asks_keep() {
            self.shared.overlay = Overlay::KeepInBackground;
            Vec::new()
        } else {
            self.update(Action::Quit)
        }
    }
}

/// The dashboard's Engine row once the engine attached to has gone.
const GONE_ROW: &str = "gone (stopped or restarted): c attaches to the one serving the profile now";

/// What to do once the engine attached to has gone.
const ATTACH_AGAIN: &str =
    "c attaches to the engine serving the profile now (none serves? `nowsync run` starts one, then c)";

/// The question `x` asks on a console attached to another process's engine.
const STOP_ATTACHED: &str = "Stop the engine this console is attached to? A running cycle finishes the object in flight; then the engine exits (`nowsync run` ends) and every attached console is left without it.";

/// RFC 3339 as the header shows it: `05:10 UTC` today, `2026-12-06 05:10 UTC` before.
fn since(rfc3339: &str) -> String {
    let Ok(t) = chrono::DateTime::parse_from_rfc3339(rfc3339) else {
        return rfc3339.to_owned();
    };
    let t = t.with_timezone(&chrono::Utc);
    if t.date_naive() == chrono::Utc::now().date_naive() {
        t.format("%H:%M UTC").to_string()
    } else {
        t.format("%Y-%m-%d %H:%M UTC").to_string()
    }
}

/// The socket's `started_by` in the header's words.
fn started(by: &str) -> String {
    match by {
        "systemd" => "by systemd".to_owned(),
        "nowsync run" => "by hand (nowsync run)".to_owned(),
        "console" => "by another console".to_owned(),
        "background" => "in the background by a console".to_owned(),
        other => format!("by {other}"),
    }
}

#[cfg(test)]
#[path = "attach_tests.rs"]
mod tests;
