//! Events from outside `update()` — keys, ticks, signals, the runtime's reports on effects and
//! the engine's `SyncEvent`s — routed to the screens they are about. Engine events reach the
//! log pane through `log::line_of` only.

use crossterm::event::KeyEventKind;

use super::{Action, App, Overlay, Screen, now};
use crate::config::edit::{EditError, Saved};
use crate::sync::{Answer, SyncEvent};
use crate::tui::effect::Effect;
use crate::tui::error::SaveError;
use crate::tui::event::{ConfigNow, Event, Side};
use crate::tui::log::{Level, line_of};
use crate::tui::screens::{mappings, plan, settings, wizard::SideTest};

impl App {
    /// Handles one event; returns the effects to run.
    pub fn handle(&mut self, event: Event) -> Vec<Effect> {
        match event {
            Event::Key(key) if key.kind != KeyEventKind::Release => match self.action_for(key) {
                Some(action) => self.update(action),
                None => Vec::new(),
            },
            Event::Key(_) => Vec::new(),
            Event::Resize(w, h) => {
                self.size = (w, h);
                Vec::new()
            }
            Event::Tick => {
                self.tick();
                Vec::new()
            }
            Event::SettingsSaved(result) => self.settings_saved(result),
            Event::ConfigRead(result) => self.config_read(result),
            Event::MappingsSaved(result) => self.mappings_saved(result),
            Event::SchemaImported(result) => {
                let loaded = self.mappings.doc.draft.imported(result);
                self.mappings.take(loaded);
                Vec::new()
            }
            Event::History(result) => {
                match result {
                    Ok(history) => {
                        self.records.failing_now = Some(history.to_date.failing);
                        self.dashboard.history_read(history);
                    }
                    Err(e) => {
                        self.dashboard.reading_store = false;
                        self.log
                            .push(now(), Level::Warn, &format!("the cycle history could not be read: {e}"))
                    }
                }
                Vec::new()
            }
            Event::Records(result) => {
                self.records.loaded(result);
                Vec::new()
            }
            Event::Signal(name) => {
                self.log.push(now(), Level::Warn, &format!("{name}: leaving"));
                self.update(Action::Quit)
            }
            Event::StoreProbed(status) => {
                if let Some(w) = &mut self.wizard {
                    w.store_status = status;
                }
                Vec::new()
            }
            Event::TestDone { side, steps } => {
                if let Some(w) = &mut self.wizard {
                    let state = SideTest::Done(steps);
                    match side {
                        Side::ServiceNow => w.servicenow_test = state,
                        Side::Entra => w.entra_test = state,
                    }
                }
                Vec::new()
            }
            Event::Saved(result) => self.wizard_saved(result),
            Event::EngineStarted(result) => self.engine_started(result),
            Event::Sync(event) => self.on_sync(event),
            Event::Attached(attached) => self.attached(*attached),
            Event::Detached(why) => self.detached(&why),
            Event::NotAttached(why) => {
                self.not_attached(&why);
                Vec::new()
            }
            Event::Note { level, text } => {
                self.log.push(now(), level, &text);
                Vec::new()
            }
        }
    }

    /// The console's own engine started (or could not).
    fn engine_started(&mut self, result: Result<(), crate::tui::error::EngineStartError>) -> Vec<Effect> {
        match result {
            Ok(()) => {
                self.own_engine = !self.demo;
                self.engine_elsewhere = false;
                // The demo's engine is always its own: no socket, nothing to attach to.
                if !self.demo {
                    self.dashboard.engine = Some("in this console".to_owned());
                }
                // Started again after a re-save: the old engine's last word was Stopped.
                if matches!(self.dashboard.state, None | Some(crate::sync::EngineState::Stopped)) {
                    self.dashboard.state = Some(crate::sync::EngineState::Idle);
                }
                // A plan of the engine before (a wizard re-save restarts it) is no new one's.
                self.plan.engine_restarted();
                self.shared.status = "Engine started: r runs a cycle, d a dry run.".to_owned();
                if std::mem::take(&mut self.offer_after_start) {
                    self.shared.overlay = crate::tui::app::Overlay::Ask {
                        text: "Provisioning is off: nothing is written until it is turned on (t opens Settings, t there turns it on) or a cycle is run (r). Make a dry run now to see what it would do?".to_owned(),
                        yes: Box::new(Action::Engine(crate::sync::Command::DryRun)),
                    };
                }
                // Until the store is read the quarantine is not known: say so, not "on (idle)".
                self.dashboard.reading_store = true;
                let mut effects = vec![Effect::LoadHistory, Effect::LoadRecords];
                effects.extend(self.scope_counts_stale());
                return effects;
            }
            Err(e) => {
                self.shared.status = format!("The engine could not start: {e}");
                self.log.push(now(), Level::Error, &self.shared.status.clone());
            }
        }
        Vec::new()
    }

    fn settings_saved(&mut self, result: Result<Saved, EditError>) -> Vec<Effect> {
        match &result {
            Err(e) => {
                self.offer_dry_run = false;
                self.shared.status = crate::model::text::sanitize_for_terminal(&format!("not saved: {e}"));
            }
            Ok(saved) => {
                self.rules_saved(&saved.profile, &self.mappings.doc.saved_text.clone());
                // Assigned or all may have changed: the scope's counts are read again.
                self.scope.preview = None;
                self.offer_dry_run();
            }
        }
        self.settings.saved(result);
        // Assigned or all changed from the scope screen: its counts follow.
        if self.shared.screen == Screen::Scope && self.scope.preview.is_none() {
            if !self.settings.dirty() {
                self.shared.status = "scope saved; reading the counts again".to_owned();
            }
            return self.scope.recount();
        }
        Vec::new()
    }

    fn mappings_saved(
        &mut self,
        result: Result<crate::tui::event::MappingsWritten, crate::tui::error::MappingsNotSaved>,
    ) -> Vec<Effect> {
        let ok = result.is_ok();
        mappings::saved(&mut self.mappings.doc, result, &mut self.settings, &mut self.shared);
        if ok {
            // The scope's counts depend on the mappings' filters: ask again.
            self.scope.preview = None;
            if let Some(s) = &self.settings.editor
                && let Ok(profile) = crate::config::edit::check(&s.text, &s.config_path, &s.profile)
            {
                self.rules_saved(&profile, &self.mappings.doc.saved_text.clone());
            }
            self.offer_dry_run();
        } else {
            self.offer_dry_run = false;
        }
        if self.shared.screen == Screen::Scope && self.scope.preview.is_none() {
            return self.scope.recount();
        }
        Vec::new()
    }

    fn wizard_saved(&mut self, result: Result<(String, Saved), SaveError>) -> Vec<Effect> {
        let saved = result
            .as_ref()
            .ok()
            .map(|(message, saved)| (message.clone(), saved.clone()));
        let before = self.wizard.as_ref().map(|w| w.existing.clone());
        let mut effects = self.wizard.as_mut().map(|w| w.saved(result)).unwrap_or_default();
        if let Some((message, saved)) = &saved
            && self.engine_elsewhere
        {
            // Attached to another process's engine: it is not restarted from here; it reads
            // the file again, and the admin is told so (acceptance F19: nothing was said).
            effects.retain(|e| !matches!(e, Effect::StartEngine));
            if let Some(w) = &self.wizard {
                self.settings = settings::State::of(&saved.profile, w.config_path.clone(), saved.text.clone());
            }
            self.shared.screen = Screen::Dashboard;
            if before.as_deref() == Some(saved.text.as_str()) {
                self.shared.status = "Nothing to save: the profile is as it was in the file.".to_owned();
                return effects;
            }
            effects.push(Effect::Reload(Box::new(saved.profile.clone())));
            self.shared.status =
                format!("{message}; the engine attached to reloads it (new secrets count once it starts again).");
            return effects;
        }
        let saved = saved.map(|(_, saved)| saved);
        if let Some(saved) = saved {
            if let Some(w) = &self.wizard {
                self.settings = settings::State::of(&saved.profile, w.config_path.clone(), saved.text);
            }
            self.shared.screen = Screen::Dashboard;
            // Provisioning off: nothing is written by itself; a dry run is offered once the
            // engine runs.
            self.offer_after_start = !saved.profile.provisioning.enabled;
            self.shared.status = if saved.profile.provisioning.enabled {
                "Saved. The engine is starting; provisioning is on: cycles run on the schedule.".to_owned()
            } else {
                "Saved. The engine is starting; provisioning is off: nothing is written by itself.".to_owned()
            };
        }
        effects
    }

    /// The engine took a saved configuration (this console's save or another's): a plan made
    /// under other rules is out of date here too (acceptance F4), and the screens show the
    /// file as saved (F20: another console's scope save left this one showing the old scope).
    fn reloaded(&mut self, changed: &[String], plan_hash: &str) -> Vec<Effect> {
        self.plan.reloaded(plan_hash, crate::sync::changed_since(changed));
        self.confirm_outlived();
        vec![Effect::ReadConfig]
    }

    /// The configuration and mapping files as saved now (read on entering the settings screen
    /// and after every reload of the engine): the settings, mappings and scope screens follow
    /// them, unless they hold edits of their own (then they say the file changed underneath,
    /// and their save writes only their edits over it).
    fn config_read(&mut self, result: Result<Box<ConfigNow>, crate::config::ConfigError>) -> Vec<Effect> {
        let now_saved = match result {
            Ok(read) => *read,
            Err(e) => {
                self.log.push(
                    now(),
                    Level::Warn,
                    &format!(
                        "the configuration file could not be read again (the screens show it as read before): {e}"
                    ),
                );
                return Vec::new();
            }
        };
        // No profile yet (the wizard), or a save waiting for its preview's answer.
        if self.pending.is_some() || self.settings.editor.is_none() {
            return Vec::new();
        }
        let scope = self.settings.scope_word().to_owned();
        self.settings.read_again(&now_saved.profile, now_saved.text);
        let mut counts_stale = self.settings.scope_word() != scope;
        match now_saved.mappings {
            // The scoping filters may have changed with them: the counts are read again.
            Ok(text) => counts_stale |= self.mappings.read_again(text),
            Err(e) => self.log.push(
                now(),
                Level::Warn,
                &format!("the mapping file could not be read again (the screens show it as read before): {e}"),
            ),
        }
        if counts_stale {
            return self.scope_counts_stale();
        }
        Vec::new()
    }

    /// Another engine (a wizard re-save restarted it, or attached again) may count another
    /// scope: the scope screen's counts are read again, not shown with the new scope's name
    /// (acceptance F26); on the screen at once, elsewhere when it is shown.
    pub(super) fn scope_counts_stale(&mut self) -> Vec<Effect> {
        self.scope.preview = None;
        if self.shared.screen == Screen::Scope {
            return self.scope.recount();
        }
        Vec::new()
    }

    /// The rules in force changed: a dry run's plan made under others is out of date.
    fn rules_saved(&mut self, profile: &crate::config::Profile, mappings_text: &str) {
        if let Ok(resolved) = profile.resolve_with(mappings_text) {
            self.plan.rules_now(&resolved.plan_hash);
        }
    }

    /// An engine event: its line to the log pane, then to the screens it is about; the status
    /// line follows (`status.rs`).
    fn on_sync(&mut self, event: SyncEvent) -> Vec<Effect> {
        let line = line_of(&event);
        self.status_before(&event, line.as_ref());
        if let Some(line) = line {
            self.log.push_line(now(), line);
        }
        let effects = match event {
            SyncEvent::Answer { request, answer } => self.answered(request, &answer),
            SyncEvent::PlanReady { plan, cycle_id } => {
                self.plan_ready(plan, cycle_id);
                Vec::new()
            }
            SyncEvent::PlanRefused { plan_id, reason } => {
                self.plan_refused(plan_id, &reason);
                Vec::new()
            }
            SyncEvent::Reloaded { changed, plan_hash } => self.reloaded(&changed, &plan_hash),
            event => {
                if let SyncEvent::CycleStarted { dry_run: false, .. } = &event {
                    self.plan.cycle_started();
                }
                if let SyncEvent::CycleFinished {
                    cycle_id,
                    dry_run: false,
                    stats,
                } = &event
                {
                    self.plan.cycle_finished(*cycle_id, stats.stopped);
                }
                self.dashboard.on_sync(event)
            }
        };
        self.status_after();
        effects
    }

    /// The answer to a query: to the screen that asked, or said in the status line.
    fn answered(&mut self, request: u64, answer: &Answer) -> Vec<Effect> {
        // Another console's question, seen because the engine is this console's: not ours.
        if crate::door::asked_through_socket(request) {
            return Vec::new();
        }
        let sso_waits = self.sso.pending == Some(request);
        if self.preview_answered(request, answer)
            || self.scope.answer(request, answer)
            || self.sso.answer(request, answer)
        {
            if let Some(status) = self.sso.status().filter(|_| sso_waits) {
                self.shared.status = status;
            }
            return Vec::new();
        }
        let (mine, effects) = self.mappings.answer(request, answer);
        match answer {
            _ if mine => {}
            Answer::Created { table, sys_id } => {
                self.shared.status =
                    format!("created the {table} row {sys_id}: run a cycle (r) to retry the failed users");
            }
            Answer::Failed(e) => self.shared.status = format!("the engine could not do it: {e}"),
            // An answer no screen waits for any more (the question was replaced): nothing to say.
            _ => {}
        }
        effects
    }

    /// An "apply plan N?" question open while plan N stopped being ready (applied by another
    /// console, refused, out of date, replaced by a newer plan) closes, saying why. Asked when
    /// a plan arrives: the engine sends every cycle's plan right after its start.
    pub(super) fn confirm_outlived(&mut self) {
        let Overlay::ConfirmApply { plan_id, .. } = self.shared.overlay else {
            return;
        };
        let why = match (&self.plan.plan, &self.plan.status) {
            (Some(p), plan::Status::Applied { cycle_id }) if p.id != plan_id => {
                format!("cycle {cycle_id} ran since it was made")
            }
            (Some(p), _) if p.id != plan_id => format!("a newer dry run made plan {}", p.id),
            (Some(_), plan::Status::Ready) | (None, _) => return,
            (Some(_), plan::Status::Applying) => "it is being applied".to_owned(),
            (Some(_), plan::Status::Applied { cycle_id }) => format!("it was applied in cycle {cycle_id}"),
            (Some(_), plan::Status::Stopped { cycle_id, at }) => format!("cycle {cycle_id} {at}"),
            (Some(_), plan::Status::OutOfDate(why)) => why.clone(),
            (Some(_), plan::Status::Expired { until }) => format!("it expired at {until} UTC"),
            (Some(_), plan::Status::EngineGone) => "its engine has gone".to_owned(),
        };
        self.shared.overlay = Overlay::None;
        self.shared.status =
            format!("Plan {plan_id} is no longer offered ({why}): the question closed; d makes a new dry run.");
    }
}
