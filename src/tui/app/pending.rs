//! Changes that can disable show it before saving (issue 14): a save of the settings or the
//! mappings that changes what a plan is made from (scope, scoping filters, matching
//! attributes, deprovisioning options — `ResolvedProfile::plan_hash`) is held; the engine plans
//! the changed rules without writing (`Command::PreviewPlan`) and the admin sees "this will
//! disable 82 users and remove 71 memberships; 0 deletes" before `y` saves it. After the save
//! a dry run is offered. Saves that change nothing a plan depends on (the interval, `enabled`,
//! the email) go through at once.

use std::sync::Arc;

use super::{Action, App, Overlay, Screen};
use crate::config::edit;
use crate::config::{Profile, ResolvedProfile};
use crate::sync::{Answer, Command, ObjectType, OpKind, Plan};
use crate::tui::effect::Effect;

/// A save waiting for its preview and a confirmation.
pub struct Pending {
    pub request: u64,
    /// The change, as the question names it ("switch the scope to all").
    pub what: String,
    /// The effects that save it, run on `y`.
    save: Vec<Effect>,
    /// The screen it was made on.
    from: Screen,
    /// The plan of the changed rules once the engine answered, or why there is none.
    pub result: Option<Result<Arc<Plan>, String>>,
}

/// The query ids of previews, apart from the screens' own.
const FIRST_REQUEST: u64 = 1 << 50;

impl App {
    /// Holds `effects` when they save a change of the rules: asks the engine for the plan of
    /// the changed rules first.
    pub(super) fn hold_saves(&mut self, effects: Vec<Effect>) -> Vec<Effect> {
        let Some(what) = effects.iter().find_map(|e| self.rules_change(e)) else {
            return effects;
        };
        let request = FIRST_REQUEST + self.previews;
        self.previews += 1;
        let mut pending = Pending {
            request,
            what: what.clone(),
            save: effects,
            from: self.shared.screen,
            result: None,
        };
        self.shared.overlay = Overlay::Preview;
        self.shared.status = format!("{what}: planning the changed rules, nothing saved yet");
        if saves_settings(&pending.save) {
            self.settings.held();
        }
        let candidate = pending.save.iter().find_map(|e| self.candidate(e));
        match (candidate, self.dashboard.state) {
            (Some(profile), Some(state)) if state != crate::sync::EngineState::Stopped => {
                self.pending = Some(pending);
                vec![Effect::Engine(Command::PreviewPlan {
                    request,
                    profile: Box::new(profile),
                })]
            }
            _ => {
                let why = "the engine is not running, so what this change does cannot be shown".to_owned();
                self.shared.status = answered_status(&what, &Err(why.clone()));
                pending.result = Some(Err(why));
                self.pending = Some(pending);
                Vec::new()
            }
        }
    }

    /// The change `effect` makes to what a plan is made from, named; `None` when it changes
    /// nothing a plan depends on.
    fn rules_change(&self, effect: &Effect) -> Option<String> {
        let candidate = self.candidate(effect)?;
        let current = self.current()?;
        if candidate.plan_hash == current.plan_hash {
            return None;
        }
        Some(match effect {
            Effect::SaveSettings { .. } if candidate.provisioning.scope != current.provisioning.scope => {
                format!(
                    "Switch the scope to {} users and groups",
                    candidate.provisioning.scope.word()
                )
            }
            Effect::SaveSettings { .. } => "Save the settings".to_owned(),
            _ => "Save the mappings".to_owned(),
        })
    }

    /// The profile as it is saved now, resolved with the mapping file as last read or saved.
    fn current(&self) -> Option<ResolvedProfile> {
        let s = self.settings.editor.as_ref()?;
        let profile = edit::check(&s.text, &s.config_path, &s.profile).ok()?;
        profile.resolve_with(&self.mappings.doc.saved_text).ok()
    }

    /// The profile `effect` would save, resolved.
    fn candidate(&self, effect: &Effect) -> Option<ResolvedProfile> {
        match effect {
            Effect::SaveSettings { path, profile, edits } => {
                let s = self.settings.editor.as_ref()?;
                let text = edit::apply(&s.text, path, profile, edits).ok()?;
                let profile: Profile = edit::check(&text, path, profile).ok()?;
                profile.resolve_with(&self.mappings.doc.saved_text).ok()
            }
            Effect::SaveMappings(save) => save.profile.resolve_with(&save.text).ok(),
            _ => None,
        }
    }

    /// The engine's answer to a preview; `true` when it was one.
    pub(super) fn preview_answered(&mut self, request: u64, answer: &Answer) -> bool {
        let Some(p) = self.pending.as_mut().filter(|p| p.request == request) else {
            return false;
        };
        let result = match answer {
            Answer::Preview(plan) => Ok(plan.clone()),
            Answer::Failed(e) => Err(format!("the dry run of the changed rules failed: {e}")),
            other => Err(format!("unexpected answer: {other:?}")),
        };
        // The box shows the answer now: "planning" would no longer be true.
        self.shared.status = answered_status(&p.what, &result);
        p.result = Some(result);
        true
    }

    /// `y`: the save runs; a dry run is offered once it is done.
    pub(super) fn confirm_pending(&mut self) -> Vec<Effect> {
        self.shared.overlay = Overlay::None;
        let Some(p) = self.pending.take() else {
            return Vec::new();
        };
        self.offer_dry_run = true;
        self.shared.status = format!("{}: saving", p.what);
        if saves_settings(&p.save) {
            self.settings.saving();
        }
        p.save
    }

    /// `n` or Esc: nothing is saved; a scope switch made on the scope screen goes back.
    pub(super) fn cancel_pending(&mut self) {
        self.shared.overlay = Overlay::None;
        let Some(p) = self.pending.take() else {
            return;
        };
        self.settings.not_saved(p.from == Screen::Scope);
        // Only a mappings save leaves edits of the mappings (a scope switch is the settings').
        if p.save.iter().any(|e| matches!(e, Effect::SaveMappings(_))) {
            self.mappings.doc.draft.note = Some("not saved (the edits stay: S saves them)".to_owned());
        }
        self.shared.status = format!("{}: not saved", p.what);
    }

    /// After a save the admin confirmed: offer a dry run of the new rules.
    pub(super) fn offer_dry_run(&mut self) {
        if std::mem::take(&mut self.offer_dry_run) {
            self.shared.overlay = Overlay::Ask {
                text: "Saved; the engine uses it from the next cycle. Make a dry run of the new rules now?".to_owned(),
                yes: Box::new(Action::Engine(Command::DryRun)),
            };
        }
    }
}

/// Whether `effects` save the settings editor's fields.
fn saves_settings(effects: &[Effect]) -> bool {
    effects.iter().any(|e| matches!(e, Effect::SaveSettings { .. }))
}

/// The status line once a preview's answer is in the box.
fn answered_status(what: &str, result: &Result<Arc<Plan>, String>) -> String {
    match result {
        Ok(_) => format!("{what}: its dry run is shown, nothing saved yet: y saves, n or Esc cancels"),
        Err(_) => format!("{what}: no dry run to show, nothing saved yet: y saves anyway, n or Esc cancels"),
    }
}

/// What a plan does that an admin must know before saving: "this will disable 82 users and
/// remove 71 memberships; 0 deletes", then the rest. The plan is the one a cycle would make
/// (the deletion threshold applied), so a change it holds says so; `held_now` is what the
/// threshold holds today (a change that holds nothing ends that quarantine, and says so).
pub fn effect_text(plan: &Plan, held_now: Option<&str>) -> Vec<String> {
    let count =
        |f: &dyn Fn(ObjectType, &OpKind) -> bool| plan.objects().iter().filter(|o| f(o.object_type, &o.kind)).count();
    let users = count(&|t, k| t == ObjectType::User && matches!(k, OpKind::Disable { .. }));
    let groups = count(&|t, k| t == ObjectType::Group && matches!(k, OpKind::Disable { .. }));
    let c = &plan.counts;
    let mut first = format!(
        "This will disable {users} {} and remove {} {}; {} {}",
        plural(users as u64, "user", "users"),
        c.remove_member,
        plural(c.remove_member, "membership", "memberships"),
        c.delete,
        plural(c.delete, "delete", "deletes"),
    );
    if groups > 0 {
        first.push_str(&format!(
            "; {groups} {} deactivated",
            plural(groups as u64, "group", "groups")
        ));
    }
    first.push('.');
    let mut said = Vec::new();
    match (c.held_words(), held_now) {
        (Some(words), _) => said.push(format!(
            "The deletion threshold would hold it: {words} — none written; the next cycle is quarantined (TooManyDeletes) until D (or nowsync allow-deletes in a shell) applies them."
        )),
        (None, Some(words)) => said.push(format!(
            "This ends the TooManyDeletes quarantine: the next cycle drops the held set ({words}) and does only what is shown here."
        )),
        (None, None) => {}
    }
    said.push(first);
    said.push(format!(
        "It also creates {}, updates {} and adds {} {}; {} {} fail.",
        c.create,
        c.update + c.set_reference,
        c.add_member,
        plural(c.add_member, "membership", "memberships"),
        c.error,
        plural(c.error, "object would", "objects would"),
    ));
    said
}

/// `one` or `many` after `n`.
pub fn plural(n: u64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}
