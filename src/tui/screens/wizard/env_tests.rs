//! Secrets from the environment (acceptance F17): steps 2 and 3 were marked ✗ before anything
//! was typed, and the wizard said the secrets would be saved to keyutils though nothing is.

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{Prefill, Step, Wizard};
use crate::secrets::SecretName;
use crate::tui::app::App;
use crate::tui::event::Event;
use crate::tui::theme::Theme;

/// The console drawn at 120×40, one string.
fn drawn(app: &App) -> String {
    let mut term = match ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)) {
        Ok(t) => t,
        Err(e) => match e {},
    };
    assert!(term.draw(|f| crate::tui::view::render(app, f)).is_ok());
    term.backend().buffer().content().iter().map(|c| c.symbol()).collect()
}

#[test]
fn secrets_from_the_environment_mark_no_step_and_are_said_not_stored() {
    let prefill = Prefill {
        password: "from-env".into(),
        client_secret: "from-env-too".into(),
        env_secrets: vec![
            (SecretName::ServiceNowPassword, "NOWSYNC_SERVICENOW_PASSWORD".into()),
            (SecretName::GraphClientSecret, "NOWSYNC_GRAPH_CLIENT_SECRET".into()),
        ],
        ..Prefill::default()
    };
    let wizard = Wizard::new("envp", PathBuf::from("/tmp/new.toml"), String::new(), prefill, false);
    let mut app = App::new("envp", Theme::monochrome(), false);
    let _ = app.open_wizard(wizard);
    for c in "dev35214".chars() {
        app.handle(Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)));
    }
    app.handle(Event::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    let w = app.wizard.as_ref().expect("the wizard");
    assert_eq!(w.step, Step::Credentials);
    assert!(w.secrets_from_env());
    for step in [Step::Credentials, Step::Entra] {
        assert!(!w.marked(step), "{step:?} is not marked before anything is typed there");
    }
    let screen = drawn(&app);
    assert!(
        screen.contains("Secrets: from the environment, nothing stored."),
        "{screen}"
    );
    assert!(!screen.contains("Secrets will be saved"), "{screen}");
    assert!(!screen.contains('✗'), "{screen}");
    for _ in 0..4 {
        app.handle(Event::Key(KeyEvent::new(KeyCode::PageDown, KeyModifiers::NONE)));
    }
    assert_eq!(app.wizard.as_ref().map(|w| w.step), Some(Step::Review));
    let screen = drawn(&app);
    assert!(screen.contains("from the environment, nothing stored"), "{screen}");
    assert!(!screen.contains("Secrets to"), "{screen}");
}
