//! The setup wizard: ServiceNow instance (validated as typed, the resolved URL shown), admin
//! credentials, the Entra app, test connection of both sides, the notification email, then
//! review and save.
//!
//! Invariants: every step can be revisited (PgUp/PgDn, or Esc and ↑/↓); nothing is written
//! until the review step's Enter, and then secrets go to the store before the configuration
//! file, and the result says what was and was not saved. Secret fields are never drawn.

mod field;
pub mod save;
mod test_step;
mod view;

use std::path::PathBuf;

use crossterm::event::{Event as CtEvent, KeyCode, KeyEvent, KeyModifiers};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

pub use field::{Field, Step};
pub use test_step::FieldError;
pub use view::WizardView;

use crate::config::Cloud;
use crate::model::check::Step as CheckStep;
use crate::secrets::{StoreChoice, StoreKind};
use crate::servicenow::Instance;
use crate::tui::effect::Effect;

/// Values the wizard starts with (the demo's simulators, or an existing profile).
#[derive(Default, Clone)]
pub struct Prefill {
    pub instance: String,
    pub username: String,
    pub password: String,
    pub tenant_id: String,
    pub client_id: String,
    pub client_secret: String,
    pub service_principal_id: String,
    pub email: String,
    pub authority_url: Option<String>,
    pub graph_url: Option<String>,
    /// The profile's cloud and secret store (a re-save keeps them unless changed here).
    pub cloud: Option<Cloud>,
    pub store: Option<StoreChoice>,
}

/// A side of test connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SideTest {
    NotRun,
    /// The fields cannot make a request yet: why.
    Invalid(String),
    Running,
    Done(Vec<CheckStep>),
}

impl SideTest {
    pub fn passed(&self) -> bool {
        matches!(self, SideTest::Done(steps) if steps.iter().all(|s| s.outcome != crate::model::check::Outcome::Fail))
    }
}

/// Whether the chosen secret store can be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreStatus {
    Probing,
    Ready(StoreKind),
    /// No store: the environment provides secrets (`store = "env"`).
    EnvOnly,
    Unavailable(String),
}

/// What the save step ended in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveStatus {
    NotSaved,
    Saving,
    Saved(String),
    Failed(String),
}

/// What a key means to the wizard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    NextField,
    PrevField,
    NextStep,
    PrevStep,
    /// Enter: the next field, the next step, run the test, or save.
    Submit,
    /// Esc: out of the text field, to the step list.
    Leave,
    /// ←/→ on a choice field.
    Choose(i8),
    /// A key for the focused text field.
    Edit(KeyEvent),
    RunTest,
    /// ↑/↓ on the step list: another step, still on the list.
    SelectStep(i8),
}

/// The wizard's state.
pub struct Wizard {
    pub profile: String,
    pub config_path: PathBuf,
    /// The configuration file's text when the wizard opened (other profiles are kept).
    pub existing: String,
    pub demo: bool,
    pub step: Step,
    pub focus: usize,
    /// In a field of the step (true) or on the step list (false).
    pub editing: bool,
    pub inputs: Inputs,
    pub cloud: Cloud,
    pub store_choices: Vec<StoreChoice>,
    pub store_index: usize,
    pub store_status: StoreStatus,
    pub authority_url: Option<String>,
    pub graph_url: Option<String>,
    pub servicenow_test: SideTest,
    pub entra_test: SideTest,
    pub save: SaveStatus,
    /// Edited since opening, and not saved.
    pub dirty: bool,
}

/// The text fields.
#[derive(Default)]
pub struct Inputs {
    pub instance: Input,
    pub username: Input,
    pub password: Input,
    pub tenant_id: Input,
    pub client_id: Input,
    pub client_secret: Input,
    pub service_principal_id: Input,
    pub email: Input,
}

impl Inputs {
    pub fn get(&self, field: Field) -> Option<&Input> {
        Some(match field {
            Field::Instance => &self.instance,
            Field::Username => &self.username,
            Field::Password => &self.password,
            Field::TenantId => &self.tenant_id,
            Field::ClientId => &self.client_id,
            Field::ClientSecret => &self.client_secret,
            Field::ServicePrincipal => &self.service_principal_id,
            Field::Email => &self.email,
            Field::Store | Field::Cloud => return None,
        })
    }

    fn get_mut(&mut self, field: Field) -> Option<&mut Input> {
        Some(match field {
            Field::Instance => &mut self.instance,
            Field::Username => &mut self.username,
            Field::Password => &mut self.password,
            Field::TenantId => &mut self.tenant_id,
            Field::ClientId => &mut self.client_id,
            Field::ClientSecret => &mut self.client_secret,
            Field::ServicePrincipal => &mut self.service_principal_id,
            Field::Email => &mut self.email,
            Field::Store | Field::Cloud => return None,
        })
    }
}

pub const CLOUDS: [(Cloud, &str); 4] = [
    (Cloud::Global, "global"),
    (Cloud::UsGov, "usgov"),
    (Cloud::UsGovDod, "usgov-dod"),
    (Cloud::China, "china"),
];

pub fn cloud_word(cloud: Cloud) -> &'static str {
    CLOUDS.iter().find(|(c, _)| *c == cloud).map_or("global", |(_, w)| w)
}

impl Wizard {
    /// A wizard for `profile`, saving into `config_path` whose current text is `existing`.
    /// `demo`: secrets stay in memory and the fields hold the simulators' values.
    pub fn new(profile: &str, config_path: PathBuf, existing: String, prefill: Prefill, demo: bool) -> Self {
        let mut store_choices = if demo {
            vec![StoreChoice::Store(StoreKind::Memory)]
        } else if cfg!(target_os = "linux") {
            vec![
                StoreChoice::Auto,
                StoreChoice::Store(StoreKind::Keyutils),
                StoreChoice::Env,
            ]
        } else {
            vec![StoreChoice::Auto, StoreChoice::Env]
        };
        // The profile's own store stays a choice, whatever the platform's list.
        let store_index = match prefill.store.filter(|_| !demo) {
            Some(store) => store_choices.iter().position(|c| *c == store).unwrap_or_else(|| {
                store_choices.push(store);
                store_choices.len() - 1
            }),
            None => 0,
        };
        let input = |s: &str| Input::new(s.to_owned());
        Self {
            profile: profile.to_owned(),
            config_path,
            existing,
            demo,
            step: Step::Instance,
            focus: 0,
            editing: true,
            inputs: Inputs {
                instance: input(&prefill.instance),
                username: input(&prefill.username),
                password: input(&prefill.password),
                tenant_id: input(&prefill.tenant_id),
                client_id: input(&prefill.client_id),
                client_secret: input(&prefill.client_secret),
                service_principal_id: input(&prefill.service_principal_id),
                email: input(&prefill.email),
            },
            cloud: prefill.cloud.unwrap_or(Cloud::Global),
            store_choices,
            store_index,
            store_status: StoreStatus::Probing,
            authority_url: prefill.authority_url,
            graph_url: prefill.graph_url,
            servicenow_test: SideTest::NotRun,
            entra_test: SideTest::NotRun,
            save: SaveStatus::NotSaved,
            dirty: false,
        }
    }

    /// The effect to run when the wizard opens: find out whether the store can be used.
    pub fn start(&self) -> Vec<Effect> {
        vec![Effect::ProbeStore(self.store_choice())]
    }

    pub fn store_choice(&self) -> StoreChoice {
        self.store_choices.get(self.store_index).copied().unwrap_or_default()
    }

    /// The focused field, if the step has fields.
    pub fn field(&self) -> Option<Field> {
        self.step.fields().get(self.focus).copied()
    }

    /// Whether keys go to a text field (so `q` and `?` are text).
    pub fn in_text_field(&self) -> bool {
        self.editing && self.field().is_some_and(|f| !f.choice())
    }

    /// The live result of the instance field: the resolved URL or why it is not one.
    pub fn instance(&self) -> Result<Instance, crate::servicenow::InstanceError> {
        Instance::parse(self.inputs.instance.value(), false)
    }

    /// The key's meaning here.
    pub fn action_for(&self, key: KeyEvent) -> Option<Action> {
        let shift_tab = key.code == KeyCode::BackTab;
        Some(match key.code {
            KeyCode::PageDown => Action::NextStep,
            KeyCode::PageUp => Action::PrevStep,
            KeyCode::Tab => Action::NextField,
            _ if shift_tab => Action::PrevField,
            KeyCode::Enter => Action::Submit,
            KeyCode::Esc => Action::Leave,
            KeyCode::Down if self.editing && self.field().is_some() => Action::NextField,
            KeyCode::Up if self.editing && self.field().is_some() => Action::PrevField,
            KeyCode::Left | KeyCode::Right | KeyCode::Char(' ')
                if self.editing && self.field().is_some_and(Field::choice) =>
            {
                Action::Choose(if key.code == KeyCode::Left { -1 } else { 1 })
            }
            _ if self.in_text_field() => Action::Edit(key),
            KeyCode::Down | KeyCode::Char('j') => Action::SelectStep(1),
            KeyCode::Up | KeyCode::Char('k') => Action::SelectStep(-1),
            KeyCode::Char('t') if self.step == Step::Test => Action::RunTest,
            _ if key.modifiers.contains(KeyModifiers::CONTROL) => return None,
            _ => return None,
        })
    }

    /// Applies one action; never blocks.
    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::NextField => self.move_focus(1),
            Action::PrevField => self.move_focus(-1),
            Action::NextStep => self.go(self.step.next()),
            Action::PrevStep => self.go(self.step.prev()),
            Action::Leave => self.editing = false,
            Action::Choose(delta) => return self.choose(delta),
            Action::Edit(key) => {
                if let Some(field) = self.field()
                    && let Some(input) = self.inputs.get_mut(field)
                    && input.handle_event(&CtEvent::Key(key)).is_some()
                {
                    self.dirty = true;
                    self.save = SaveStatus::NotSaved;
                    self.invalidate_tests(field);
                }
            }
            Action::RunTest => return self.run_test(),
            Action::SelectStep(delta) => {
                self.step = if delta > 0 { self.step.next() } else { self.step.prev() };
                self.focus = 0;
                self.editing = false;
            }
            Action::Submit => return self.submit(),
        }
        Vec::new()
    }

    fn submit(&mut self) -> Vec<Effect> {
        match self.step {
            Step::Test => {
                if self.servicenow_test.passed() && self.entra_test.passed() {
                    self.go(Step::Notification);
                } else if !matches!(self.servicenow_test, SideTest::Running)
                    && !matches!(self.entra_test, SideTest::Running)
                {
                    return self.run_test();
                }
            }
            Step::Review => return self.save(),
            _ if !self.editing => {
                self.editing = true;
                self.focus = 0;
            }
            _ if self.focus + 1 >= self.step.fields().len() => self.go(self.step.next()),
            _ => self.move_focus(1),
        }
        Vec::new()
    }

    fn go(&mut self, step: Step) {
        self.step = step;
        self.focus = 0;
        self.editing = !step.fields().is_empty();
    }

    fn move_focus(&mut self, delta: isize) {
        let n = self.step.fields().len();
        if n == 0 {
            return;
        }
        self.editing = true;
        self.focus = (self.focus as isize + delta).rem_euclid(n as isize) as usize;
    }

    fn choose(&mut self, delta: i8) -> Vec<Effect> {
        let step = |i: usize, n: usize| (i as isize + delta as isize).rem_euclid(n as isize) as usize;
        match self.field() {
            Some(Field::Cloud) => {
                let i = CLOUDS.iter().position(|(c, _)| *c == self.cloud).unwrap_or(0);
                self.cloud = CLOUDS[step(i, CLOUDS.len())].0;
                self.dirty = true;
                self.entra_test = SideTest::NotRun;
            }
            Some(Field::Store) if self.store_choices.len() > 1 => {
                self.store_index = step(self.store_index, self.store_choices.len());
                self.store_status = StoreStatus::Probing;
                self.dirty = true;
                return vec![Effect::ProbeStore(self.store_choice())];
            }
            _ => {}
        }
        Vec::new()
    }

    fn invalidate_tests(&mut self, field: Field) {
        match field {
            Field::Instance | Field::Username | Field::Password => self.servicenow_test = SideTest::NotRun,
            Field::TenantId | Field::ClientId | Field::ClientSecret | Field::ServicePrincipal => {
                self.entra_test = SideTest::NotRun
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
