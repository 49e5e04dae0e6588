//! The wizard's keys: what a key means on the step shown (`action_for`: the step list, a
//! text field, a choice, the test step) and what each action changes (`update`): focus,
//! steps, choices, typing (which makes the connection test of its side stale), the test and
//! the save.

use crossterm::event::{Event as CtEvent, KeyCode, KeyEvent, KeyModifiers};
use tui_input::backend::crossterm::EventHandler;

use super::{Action, CLOUDS, Field, SaveStatus, SideTest, Step, StoreStatus, Wizard};
use crate::tui::effect::Effect;

impl Wizard {
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
            KeyCode::Down | KeyCode::Char('j') if self.step == Step::Test => Action::Scroll(1),
            KeyCode::Up | KeyCode::Char('k') if self.step == Step::Test => Action::Scroll(-1),
            KeyCode::Down | KeyCode::Char('j') => Action::SelectStep(1),
            KeyCode::Up | KeyCode::Char('k') => Action::SelectStep(-1),
            KeyCode::Char('t') if self.step == Step::Test => Action::RunTest,
            KeyCode::Char('o') if self.step == Step::Test && self.offers_oauth() => Action::UseOAuth,
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
                if let Some(field) = self.field().filter(|f| self.from_env(*f).is_none())
                    && let Some(input) = self.inputs.get_mut(field)
                    && input.handle_event(&CtEvent::Key(key)).is_some()
                {
                    self.dirty = true;
                    self.touched.insert(self.step);
                    self.save = SaveStatus::NotSaved;
                    self.invalidate_tests(field);
                }
            }
            Action::RunTest => return self.run_test(),
            Action::UseOAuth => self.use_oauth(),
            Action::Scroll(by) => {
                let rows = |side: &SideTest| match side {
                    SideTest::Done(steps) => {
                        let failed = steps.iter().filter(|s| s.outcome == crate::model::check::Outcome::Fail);
                        1 + steps.len() + failed.count()
                    }
                    _ => 1,
                };
                let max = (rows(&self.servicenow_test) + rows(&self.entra_test)) as u16;
                self.scroll = self.scroll.saturating_add_signed(by).min(max);
            }
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
            // Enter moves on only from a valid step; an invalid one is marked and says why.
            _ if self.focus + 1 >= self.fields(self.step).len() => match self.problem(self.step) {
                Some(_) => {
                    self.tried.insert(self.step);
                }
                None => self.go(self.step.next()),
            },
            _ => self.move_focus(1),
        }
        Vec::new()
    }

    fn go(&mut self, step: Step) {
        self.step = step;
        self.scroll = 0;
        self.focus = 0;
        self.editing = !self.fields(step).is_empty();
    }

    fn move_focus(&mut self, delta: isize) {
        let n = self.fields(self.step).len();
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
                self.store_note = None;
                self.dirty = true;
                return vec![Effect::ProbeStore(self.store_choice())];
            }
            Some(Field::Auth) => {
                self.oauth = !self.oauth;
                self.dirty = true;
                self.save = SaveStatus::NotSaved;
                self.servicenow_test = SideTest::NotRun;
            }
            Some(Field::Start) => {
                self.start = !self.start;
                self.dirty = true;
                self.save = SaveStatus::NotSaved;
            }
            _ => {}
        }
        Vec::new()
    }

    fn invalidate_tests(&mut self, field: Field) {
        match field {
            Field::Instance | Field::Username | Field::Password | Field::OAuthClientId | Field::OAuthClientSecret => {
                self.servicenow_test = SideTest::NotRun
            }
            Field::TenantId
            | Field::ClientId
            | Field::ClientSecret
            | Field::ServicePrincipal
            | Field::AuthorityUrl
            | Field::GraphUrl => self.entra_test = SideTest::NotRun,
            _ => {}
        }
    }
}
