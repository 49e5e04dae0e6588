//! What every screen shares besides its own state ([`Shared`]: the screen shown, the overlay,
//! the status line), what is drawn over a screen ([`Overlay`]), and the user's intents
//! ([`Action`]) that [`super::App::update`] carries out.

use super::Screen;
use crate::sync::Command;
use crate::tui::screens::{log, mappings, plan, records, scope, settings, sso, wizard};

/// What is drawn over the screen.
#[derive(Debug, Clone)]
pub enum Overlay {
    None,
    Help,
    ConfirmQuit(String),
    ConfirmStop,
    ConfirmApply {
        plan_id: u64,
        summary: String,
    },
    /// Create a missing reference row (InvalidLookupReference).
    ConfirmCreate {
        table: String,
        field: String,
        value: String,
    },
    /// Leave the settings screen, dropping its edits.
    ConfirmLeave,
    /// A question whose `y` does `yes`.
    Ask {
        text: String,
        yes: Box<Action>,
    },
    /// One log line, whole (Enter on the log pane).
    LogLine(String),
    /// What a change would do, from a dry run of the changed rules; `y` saves it
    /// (`App::pending`).
    Preview,
    /// SSO readiness (`App::sso`).
    Sso,
    /// Quitting a console whose engine is its own: keep provisioning in the background?
    KeepInBackground,
    /// `D`: apply the held set `held`, as `text` names it (`app/allow.rs`).
    ConfirmAllowDeletes {
        held: crate::sync::HeldCounts,
        text: String,
    },
}

/// A user's intent, from a key: the console's own, or one of a screen's.
#[derive(Debug, Clone)]
pub enum Action {
    Help,
    /// Scroll the help by so many rows.
    HelpScroll(isize),
    CloseOverlay,
    AskQuit,
    Quit,
    /// Quit, and a background engine (`nowsync run`) takes over from the console's own.
    QuitKeeping,
    /// Quit after the unsaved-edits question: asks about the console's own engine next.
    Leave,
    Engine(Command),
    /// Apply the shown plan (confirmed).
    Apply(u64),
    AskStop,
    /// `D`: ask before applying what the deletion threshold holds.
    AskAllowDeletes,
    /// Apply the held set the question named (confirmed).
    AllowDeletes(crate::sync::HeldCounts),
    /// Attach to the engine serving the profile now (the one attached to has gone).
    AttachAgain,
    /// Another screen; asks first when the one shown has unsaved edits.
    Show(Screen),
    /// Another screen, without asking.
    Go(Screen),
    /// Leave the reopened wizard, dropping its edits.
    DropWizard,
    /// The wizard's save, confirmed although a cycle runs (the engine restarts and stops it).
    SaveWizardNow(wizard::Action),
    /// Save the change the preview showed, or not.
    ConfirmPending,
    CancelPending,
    Wizard(wizard::Action),
    Log(log::Action),
    Plan(plan::Action),
    Records(records::Action),
    Mappings(mappings::Action),
    Scope(scope::Action),
    Settings(settings::Action),
    /// Open the SSO readiness panel (checking at once the first time).
    OpenSso,
    Sso(sso::Action),
}

/// What every screen may change besides its own state.
#[derive(Debug)]
pub struct Shared {
    pub screen: Screen,
    pub overlay: Overlay,
    /// The last thing the console has to say (above the key line); it goes after
    /// [`STATUS_SECONDS`] or when another replaces it.
    pub status: String,
    /// The status as the last tick saw it, and for how many ticks.
    status_seen: String,
    status_ticks: u32,
    /// What the status says, with the text it was said in: the events that make it untrue
    /// replace it ([`Shared::about`]).
    about: Option<(About, String)>,
    /// The help overlay's first row shown.
    pub help_scroll: u16,
}

/// What a status message is about, so that the engine's events that make it untrue replace
/// it (issue 14: no status stays once it is wrong).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum About {
    /// This console asked for a real cycle (run, reconcile, apply a plan, the staged deletions,
    /// stop): the cycle's end says how it went.
    Cycle,
    /// This console asked for a dry run: its plan, or its error, answers it.
    DryRun,
    /// "Dry run: plan N ready": true while plan N is the plan shown and ready.
    PlanReady(u64),
}

/// How long a status message stays.
pub const STATUS_SECONDS: u32 = 8;

impl Default for Shared {
    fn default() -> Self {
        Shared {
            screen: Screen::Dashboard,
            overlay: Overlay::None,
            status: String::new(),
            status_seen: String::new(),
            status_ticks: 0,
            about: None,
            help_scroll: 0,
        }
    }
}

impl Shared {
    /// Says `text`, about `about`.
    pub fn say(&mut self, about: About, text: String) {
        self.about = Some((about, text.clone()));
        self.status = text;
    }

    /// A command sent to the engine: the status says what it does, about the cycle or dry run
    /// it starts if it starts one.
    pub fn asked(&mut self, command: &Command) {
        let text = crate::sync::describe(command).to_owned();
        match command {
            Command::RunNow
            | Command::Reconcile { dry_run: false }
            | Command::ApplyPlan { .. }
            | Command::AllowDeletes
            | Command::Stop => self.say(About::Cycle, text),
            Command::DryRun | Command::Reconcile { dry_run: true } => self.say(About::DryRun, text),
            _ => self.status = text,
        }
    }

    /// What the status message shown is about, while it is still the one said with
    /// [`Shared::say`] (any other message assigned since is about nothing in particular).
    pub fn about(&self) -> Option<About> {
        self.about
            .as_ref()
            .filter(|(_, text)| *text == self.status)
            .map(|(about, _)| *about)
    }

    /// One second passed: a status shown that long goes.
    pub(super) fn tick(&mut self) {
        if self.status != self.status_seen {
            self.status_seen = self.status.clone();
            self.status_ticks = 0;
        } else if !self.status.is_empty() {
            self.status_ticks += 1;
            if self.status_ticks >= STATUS_SECONDS {
                self.status.clear();
            }
        }
    }
}
