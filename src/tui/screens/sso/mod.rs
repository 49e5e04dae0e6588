//! The SSO readiness panel (issue 13; `o` from any screen where the letter is not the
//! screen's own): the engine runs `sync::sso::check` (`Command::SsoCheck`) and the panel shows
//! the field SSO matches on, whether the user mappings write it from the NameID's source
//! attribute, how many provisioned users would sign in, a sample of those who would not, and
//! the fix. When no identity provider record is readable, it says so and the admin types the
//! field (`f`); the NameID attribute (`userPrincipalName` by default) is typed with `a`.
//!
//! Drawn over the screen as an overlay (`view.rs`); `update()` never awaits: the check is an
//! `Effect::Engine`.

mod view;

use crossterm::event::{Event as CtEvent, KeyCode, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

pub use view::SsoView;

use crate::sync::sso::SsoReport;
use crate::sync::{Answer, Command};

/// The attribute SAML SSO from Entra sends as NameID unless the claims say otherwise.
pub const DEFAULT_NAMEID: &str = "userPrincipalName";

/// The query ids of this panel, apart from the screens' own.
const FIRST_REQUEST: u64 = 1 << 45;

/// Which text is being typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Typing {
    Field,
    Attribute,
}

/// A key's meaning in the panel.
#[derive(Debug, Clone)]
pub enum Action {
    /// Run the check (again) with the field and attribute shown.
    Check,
    /// Start typing the field (`f`) or the NameID attribute (`a`).
    Type(Typing),
    /// A key for the text being typed; Enter keeps it and checks, Esc drops the edit.
    TypeKey(KeyEvent),
    Scroll(isize),
    Close,
}

/// The panel's state.
pub struct State {
    /// The `sys_user` field SSO matches on, as the admin typed it (empty: the instance's).
    pub field: Input,
    /// The Entra attribute the NameID carries.
    pub attribute: Input,
    /// What is being typed, and the value before (Esc puts it back).
    pub typing: Option<(Typing, String)>,
    /// The check asked for and not answered yet.
    pub pending: Option<u64>,
    requests: u64,
    /// The last answer: the report, or why there is none.
    pub report: Option<Result<SsoReport, String>>,
    pub scroll: u16,
}

impl Default for State {
    fn default() -> Self {
        State {
            field: Input::default(),
            attribute: Input::new(DEFAULT_NAMEID.to_owned()),
            typing: None,
            pending: None,
            requests: 0,
            report: None,
            scroll: 0,
        }
    }
}

impl State {
    /// Whether keys go to a text field.
    pub fn in_text_field(&self) -> bool {
        self.typing.is_some()
    }

    /// The panel's keys.
    pub fn key(&self, key: KeyEvent) -> Option<Action> {
        if self.typing.is_some() {
            return Some(Action::TypeKey(key));
        }
        Some(match key.code {
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('o') => Action::Close,
            KeyCode::Enter | KeyCode::Char('c') => Action::Check,
            KeyCode::Char('f') => Action::Type(Typing::Field),
            KeyCode::Char('a') => Action::Type(Typing::Attribute),
            KeyCode::Up | KeyCode::Char('k') => Action::Scroll(-1),
            KeyCode::Down | KeyCode::Char('j') => Action::Scroll(1),
            KeyCode::PageUp => Action::Scroll(-10),
            KeyCode::PageDown | KeyCode::Char(' ') => Action::Scroll(10),
            _ => return None,
        })
    }

    /// The command that runs the check with what the panel shows, remembered as pending.
    pub fn check(&mut self) -> Command {
        self.requests += 1;
        let request = FIRST_REQUEST + self.requests;
        self.pending = Some(request);
        self.scroll = 0;
        let field = self.field.value().trim();
        let attribute = self.attribute.value().trim();
        Command::SsoCheck {
            request,
            field: (!field.is_empty()).then(|| field.to_owned()),
            nameid: if attribute.is_empty() {
                DEFAULT_NAMEID.to_owned()
            } else {
                attribute.to_owned()
            },
        }
    }

    /// Applies a key of the panel; returns a command for the engine when the check should run.
    pub fn update(&mut self, action: Action) -> Option<Command> {
        match action {
            Action::Check => return Some(self.check()),
            Action::Type(what) => {
                let before = self.input(what).value().to_owned();
                self.typing = Some((what, before));
            }
            Action::TypeKey(key) => {
                let (what, before) = self.typing.clone()?;
                match key.code {
                    KeyCode::Enter => {
                        self.typing = None;
                        return Some(self.check());
                    }
                    KeyCode::Esc => {
                        *self.input(what) = Input::new(before);
                        self.typing = None;
                    }
                    _ => {
                        self.input(what).handle_event(&CtEvent::Key(key));
                    }
                }
            }
            Action::Scroll(by) => self.scroll = (self.scroll as isize + by).clamp(0, u16::MAX as isize) as u16,
            Action::Close => self.typing = None,
        }
        None
    }

    fn input(&mut self, what: Typing) -> &mut Input {
        match what {
            Typing::Field => &mut self.field,
            Typing::Attribute => &mut self.attribute,
        }
    }

    /// Takes the engine's answer to this panel's check; whether it was the panel's.
    pub fn answer(&mut self, request: u64, answer: &Answer) -> bool {
        if self.pending != Some(request) {
            return (FIRST_REQUEST..FIRST_REQUEST << 1).contains(&request);
        }
        self.pending = None;
        self.report = Some(match answer {
            Answer::Sso(report) => Ok((**report).clone()),
            Answer::Failed(e) => Err(e.message.clone()),
            _ => Err("the engine answered something else".to_owned()),
        });
        true
    }

    /// The status line once this panel's check was answered (it replaces "checking SSO
    /// readiness: …"); `None` while it waits.
    pub fn status(&self) -> Option<String> {
        Some(match self.report.as_ref()? {
            Err(_) => "SSO readiness: the check failed (the panel says why)".to_owned(),
            Ok(r) if r.field.is_none() => {
                "SSO readiness checked: the field SSO matches on is unknown; f gives it".to_owned()
            }
            Ok(r) if r.fix.is_some() => "SSO readiness checked: not ready, the panel says what to do".to_owned(),
            Ok(_) => "SSO readiness checked: ready".to_owned(),
        })
    }

    /// The field is unknown: the instance has no readable identity provider.
    pub fn field_unknown(&self) -> bool {
        matches!(&self.report, Some(Ok(r)) if r.field.is_none())
    }
}
