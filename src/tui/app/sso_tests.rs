//! State tests of the SSO readiness panel (issue 13): `o` opens it and asks the engine; an
//! instance without a readable identity provider lets the admin type the field, which checks
//! again with it; keys typed there are text; stale answers are not shown; Esc closes.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, Overlay};
use crate::sync::sso::{Providers, SsoReport};
use crate::sync::{Answer, Command, EngineState, SyncEvent};
use crate::tui::effect::Effect;
use crate::tui::event::Event;
use crate::tui::theme::Theme;

fn app() -> App {
    let mut app = App::new("demo", Theme::monochrome(), false);
    app.handle(Event::EngineStarted(Ok(())));
    app.handle(Event::Sync(SyncEvent::StateChanged(EngineState::Idle)));
    app
}

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.handle(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

/// The SSO check among `effects`: its request, field and NameID attribute.
fn check(effects: &[Effect]) -> Option<(u64, Option<String>, String)> {
    effects.iter().find_map(|e| match e {
        Effect::Engine(Command::SsoCheck { request, field, nameid }) => Some((*request, field.clone(), nameid.clone())),
        _ => None,
    })
}

fn unreadable() -> SsoReport {
    SsoReport {
        providers: Providers::Unreadable {
            reason: "400 Invalid table sso_properties".into(),
        },
        field: None,
        field_from: "unknown".into(),
        nameid_attribute: "userPrincipalName".into(),
        mapping: String::new(),
        mapping_ok: false,
        provisioned: 0,
        would_sign_in: 0,
        locked_out: Vec::new(),
        locked_out_count: 0,
        guests_locked_out: 0,
        fix: Some("give the field".into()),
    }
}

fn answer(app: &mut App, request: u64, report: SsoReport) {
    app.handle(Event::Sync(SyncEvent::Answer {
        request,
        answer: Answer::Sso(Box::new(report)),
    }));
}

#[test]
fn the_sso_panel_checks_and_asks_for_the_field_when_the_instance_does_not_say() {
    let mut app = app();
    let effects = key(&mut app, KeyCode::Char('o'));
    assert!(matches!(app.shared.overlay, Overlay::Sso));
    let (first, field, nameid) = check(&effects).expect("o asks the engine for the check");
    assert_eq!((field, nameid.as_str()), (None, "userPrincipalName"));
    assert!(app.sso.pending.is_some() && app.sso.report.is_none());

    assert!(
        app.shared.status.starts_with("checking SSO readiness"),
        "{}",
        app.shared.status
    );
    answer(&mut app, first, unreadable());
    assert!(app.sso.field_unknown(), "{:?}", app.sso.report);
    // The answer replaces the status line's "checking …".
    assert!(
        app.shared
            .status
            .starts_with("SSO readiness checked: the field SSO matches on is unknown"),
        "{}",
        app.shared.status
    );
    assert!(matches!(app.shared.overlay, Overlay::Sso));

    // f types the field; q and d are text there, not quit or a dry run.
    key(&mut app, KeyCode::Char('f'));
    assert!(app.in_text_field());
    for c in "qdemail".chars() {
        assert!(check(&key(&mut app, KeyCode::Char(c))).is_none());
    }
    for _ in 0..2 {
        key(&mut app, KeyCode::Home);
        key(&mut app, KeyCode::Delete);
    }
    assert!(!app.quit && matches!(app.shared.overlay, Overlay::Sso));
    assert_eq!(app.sso.field.value(), "email");
    let (second, field, _) = check(&key(&mut app, KeyCode::Enter)).expect("Enter checks with the field");
    assert_eq!(field.as_deref(), Some("email"));
    assert!(!app.in_text_field());

    // A late answer to the first check is not shown; the second's is.
    answer(&mut app, first, unreadable());
    assert!(app.sso.report.is_some() && app.sso.pending == Some(second));
    let mut matched = unreadable();
    matched.field = Some("email".into());
    matched.fix = None;
    answer(&mut app, second, matched);
    assert!(app.sso.pending.is_none() && !app.sso.field_unknown());
    assert_eq!(app.shared.status, "SSO readiness checked: ready");

    // Esc drops a field edit; Esc again closes; o opens it again without a new check.
    key(&mut app, KeyCode::Char('f'));
    key(&mut app, KeyCode::Char('x'));
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.sso.field.value(), "email");
    key(&mut app, KeyCode::Esc);
    assert!(matches!(app.shared.overlay, Overlay::None));
    assert!(check(&key(&mut app, KeyCode::Char('o'))).is_none());
    assert!(matches!(app.shared.overlay, Overlay::Sso));
    // The NameID attribute is typed likewise.
    key(&mut app, KeyCode::Char('a'));
    for _ in 0.."userPrincipalName".len() {
        key(&mut app, KeyCode::Backspace);
    }
    for c in "mail".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    let (_, field, nameid) = check(&key(&mut app, KeyCode::Enter)).expect("checks again");
    assert_eq!((field.as_deref(), nameid.as_str()), (Some("email"), "mail"));
}

#[test]
fn without_an_engine_the_sso_panel_says_why() {
    let mut app = App::new("demo", Theme::monochrome(), false);
    let effects = key(&mut app, KeyCode::Char('o'));
    assert!(check(&effects).is_none());
    assert!(matches!(app.shared.overlay, Overlay::Sso));
    assert!(
        matches!(&app.sso.report, Some(Err(why)) if why.contains("setup wizard")),
        "{:?}",
        app.sso.report
    );
    assert!(app.sso.pending.is_none());
}
