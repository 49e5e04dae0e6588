//! Engines that go away and come back (acceptance pass, issue 14): a console attached to an
//! engine that went away attaches again with `c`, and then shows the new engine's state, not
//! the old one's; a console whose own engine restarted (its wizard re-save) offers no plan of
//! the engine before; a Settings screen shows the file as another console saved it.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{Action, App, Overlay, Screen};
use crate::door::Attached;
use crate::door::proto::EngineInfo;
use crate::door::replay::{LastPlan, PlanState, Replay};
use crate::sync::{CycleKind, EngineState, Plan, SyncEvent};
use crate::tui::effect::Effect;
use crate::tui::event::Event;
use crate::tui::theme::Theme;

fn key(app: &mut App, c: char) -> Vec<Effect> {
    app.handle(Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)))
}

fn attached(pid: u32, replay: Replay) -> Box<Attached> {
    Box::new(Attached {
        engine: EngineInfo {
            profile: "default".into(),
            pid,
            since: "2026-01-02T05:10:00Z".into(),
            started_by: "console".into(),
            socket: "/d/default.sock".into(),
        },
        state: EngineState::Idle,
        backlog: Vec::new(),
        replay,
    })
}

/// The screen as drawn at 120×40, a line per row.
fn drawn(app: &App) -> String {
    let mut term = match ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)) {
        Ok(t) => t,
        Err(e) => match e {},
    };
    assert!(term.draw(|f| crate::tui::view::render(app, f)).is_ok());
    let buffer = term.backend().buffer();
    let cells: Vec<&str> = buffer.content().iter().map(|c| c.symbol()).collect();
    cells.chunks(120).map(|row| row.concat()).collect::<Vec<_>>().join("\n")
}

fn plan(id: u64) -> Arc<Plan> {
    Arc::new(Plan::new(id, CycleKind::Incremental, Vec::new()))
}

/// A dry run's plan ready in the engine attached to.
fn with_ready_plan(id: u64) -> Replay {
    Replay {
        plan: Some(LastPlan {
            plan: plan(id),
            cycle_id: 2,
            state: PlanState::Ready,
            made: "2026-01-02T05:11:00Z".into(),
        }),
        next_run: Some(crate::door::replay::NextRun {
            at: Some("2026-01-02T06:00:00Z".into()),
        }),
        ..Replay::default()
    }
}

#[test]
fn an_attached_console_attaches_again_with_c_and_shows_the_new_engine() {
    let mut app = App::new("default", Theme::monochrome(), false);
    app.handle(Event::Attached(attached(4242, with_ready_plan(1))));
    assert!(app.plan.ready());
    assert!(key(&mut app, 'c').is_empty(), "c does nothing while the engine serves");
    // The old engine ran cycle 12, which failed as a whole.
    app.handle(Event::Sync(SyncEvent::CycleFinished {
        cycle_id: 12,
        dry_run: false,
        stats: crate::sync::CycleStats {
            failed: 229,
            ..Default::default()
        },
    }));
    app.handle(Event::Sync(SyncEvent::Error {
        cycle_id: Some(12),
        kind: crate::sync::ErrorKind::Connection,
        message: "the developer instance is hibernating".into(),
    }));
    assert_eq!(app.dashboard.last.as_ref().map(|l| l.cycle_id), Some(12));

    // Console A's wizard re-save restarts the engine: this console's connection ends.
    app.handle(Event::Detached(
        "the engine closed the connection (it stopped or restarted)".into(),
    ));
    assert!(
        app.shared
            .status
            .contains("c attaches to the engine serving the profile now"),
        "{}",
        app.shared.status
    );
    assert!(
        app.dashboard
            .engine
            .as_deref()
            .is_some_and(|e| e.contains("c attaches")),
        "{:?}",
        app.dashboard.engine
    );
    assert_eq!(crate::tui::chrome::keys(&app).first(), Some(&("c", "attach again")));
    // An action says the same.
    key(&mut app, 'r');
    assert!(
        app.shared.status.contains("c attaches to the engine serving"),
        "{}",
        app.shared.status
    );

    // c attaches again, once (a second c while it attaches asks nothing more).
    assert!(matches!(key(&mut app, 'c').as_slice(), [Effect::Attach]));
    assert!(key(&mut app, 'c').is_empty());
    // None serves yet: said, and c tries again.
    app.handle(Event::NotAttached(
        "no engine serves the profile's socket /d/default.sock now".into(),
    ));
    assert!(app.shared.status.contains("then c attaches"), "{}", app.shared.status);
    assert!(matches!(key(&mut app, 'c').as_slice(), [Effect::Attach]));

    // The new engine has no plan and no schedule: nothing of the old one's stays.
    let effects = app.handle(Event::Attached(attached(5151, Replay::default())));
    // As a fresh attach: the history (its last cycle) and the configuration file (provisioning
    // on or off, which a hand edit may have changed before the new engine started: acceptance
    // N6 showed "off" while the new engine ran its schedule) are read again.
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::LoadHistory, Effect::LoadRecords, Effect::ReadConfig, ..]
        ),
        "{effects:?}"
    );
    assert_eq!(app.dashboard.last, None, "cycle 12 was the old engine's last");
    assert_eq!(app.dashboard.failing, None, "the old engine's error");
    let point = crate::tui::screens::dashboard::history::Point {
        cycle_id: 13,
        kind: CycleKind::Incremental,
        started: "2026-01-02T05:12:00Z".into(),
        created: 0,
        updated: 0,
        disabled: 0,
        deleted: 0,
        skipped: 158,
        failed: 229,
        duration_ms: 3800,
        stopped: None,
        error: None,
        members_added: 0,
        members_removed: 0,
        staged: 0,
    };
    app.handle(Event::History(Ok(crate::tui::screens::dashboard::history::History {
        points: vec![point],
        ..Default::default()
    })));
    assert_eq!(
        app.dashboard.last.as_ref().map(|l| l.cycle_id),
        Some(13),
        "the new engine's last cycle"
    );
    assert!(
        app.plan.plan.is_none(),
        "the old engine's plan is gone: {:?}",
        app.plan.status
    );
    assert_eq!(app.dashboard.next_at, None);
    assert_eq!(app.dashboard.state, Some(EngineState::Idle));
    assert!(app.dashboard.engine.as_deref().is_some_and(|e| e.contains("pid 5151")));
    assert!(!app.engine_has_gone());
    assert!(!crate::tui::chrome::keys(&app).contains(&("c", "attach again")));
    // And r goes to the new engine.
    assert!(matches!(
        key(&mut app, 'r').as_slice(),
        [Effect::Engine(crate::sync::Command::RunNow)]
    ));
}

#[test]
fn a_restarted_own_engine_offers_no_plan_of_the_engine_before() {
    let mut app = App::new("default", Theme::monochrome(), false);
    app.handle(Event::EngineStarted(Ok(())));
    app.handle(Event::Sync(SyncEvent::PlanReady {
        cycle_id: 1,
        plan: plan(1),
    }));
    assert!(app.plan.ready());
    // The wizard's re-save restarts the engine in this console.
    app.handle(Event::Sync(SyncEvent::StateChanged(EngineState::Stopped)));
    app.handle(Event::EngineStarted(Ok(())));
    assert!(!app.plan.ready(), "plan 1 is not offered: {:?}", app.plan.status);
    let dashboard = drawn(&app);
    assert!(
        dashboard.contains("plan 1 out of date (the engine restarted since it was made)"),
        "{dashboard}"
    );
    // A on the plan screen says the true reason, and sends nothing.
    app.update(Action::Go(Screen::Plan));
    let effects = key(&mut app, 'A');
    assert!(effects.is_empty() && matches!(app.shared.overlay, Overlay::None));
    assert_eq!(
        app.shared.status,
        "Plan 1 is out of date (the engine restarted since it was made): d makes a new dry run."
    );
    // The new engine's own plan is offered.
    app.handle(Event::Sync(SyncEvent::PlanReady {
        cycle_id: 1,
        plan: plan(2),
    }));
    assert!(app.plan.ready());
}

/// Acceptance pass (issue 14): a second console's Settings screen showed the values from
/// before another console saved, and a "saved …" note of its own from long before.
#[test]
fn the_settings_screen_shows_the_file_as_another_console_saved_it() {
    use crate::config::{Config, ScopeMode};
    const PATH: &str = "/etc/nowsync/config.toml";
    let before = "[profiles.demo.servicenow]\ninstance = \"dev1\"\nusername = \"admin\"\n";
    let after = format!("{before}[profiles.demo.provisioning]\nscope = \"all\"\ninterval_minutes = 15\n");
    let profile = |text: &str| {
        let config = Config::parse(text, std::path::Path::new(PATH)).unwrap();
        config.profile("demo").unwrap().clone()
    };
    let mut app = App::new("demo", Theme::monochrome(), false);
    app.settings = crate::tui::screens::settings::State::of(&profile(before), PATH.into(), before.to_owned());
    app.handle(Event::EngineStarted(Ok(())));
    // A save this console made earlier left its note.
    app.settings.editor.as_mut().unwrap().message = Some(Ok("saved to /etc/nowsync/config.toml".into()));

    // Another console saves scope = all and a 15-minute interval; this one opens Settings.
    let effects = key(&mut app, 't');
    assert_eq!(app.shared.screen, Screen::Settings);
    assert!(matches!(effects.as_slice(), [Effect::ReadConfig]), "{effects:?}");
    app.handle(Event::ConfigRead(Ok(Box::new(crate::tui::event::ConfigNow {
        profile: profile(&after),
        text: after.clone(),
        mappings: Ok(crate::mapping::model::DEFAULT_MAPPINGS_TOML.to_owned()),
    }))));
    let s = app.settings.editor.as_ref().unwrap();
    assert_eq!(s.scope, ScopeMode::All);
    assert_eq!(s.interval.value(), "15");
    assert_eq!(s.text, after);
    let note = format!("{:?}", s.message);
    assert!(!note.contains("saved to") && note.contains("read again"), "{note}");
    let screen = drawn(&app);
    assert!(!screen.contains("saved to"), "{screen}");

    // Nothing changed since: no note at all, the values as they are.
    app.update(Action::Go(Screen::Dashboard));
    key(&mut app, 't');
    app.handle(Event::ConfigRead(Ok(Box::new(crate::tui::event::ConfigNow {
        profile: profile(&after),
        text: after.clone(),
        mappings: Ok(crate::mapping::model::DEFAULT_MAPPINGS_TOML.to_owned()),
    }))));
    assert_eq!(app.settings.editor.as_ref().unwrap().message, None);
}

/// Acceptance pass (issue 14): F1 in an attached console said `x` stops the running cycle;
/// there it stops the engine attached to, idle or not (and `c` attaches again). In a console
/// whose engine is its own, `x` stops the running cycle and the console's engine with it.
#[test]
fn the_help_says_what_x_does_in_this_console() {
    let mut own = App::new("default", Theme::monochrome(), false);
    own.handle(Event::EngineStarted(Ok(())));
    key(&mut own, '?');
    let help = drawn(&own);
    assert!(help.contains("stop the running cycle (asks first)"), "{help}");
    assert!(!help.contains("stop the engine this console is attached to"), "{help}");

    let mut attached_app = App::new("default", Theme::monochrome(), false);
    attached_app.handle(Event::Attached(attached(4242, Replay::default())));
    key(&mut attached_app, '?');
    let help = drawn(&attached_app);
    assert!(help.contains("stop the engine this console is attached to"), "{help}");
    assert!(!help.contains("stop the running cycle (asks first)"), "{help}");
    // What x does there, as its question says it.
    attached_app.update(Action::CloseOverlay);
    key(&mut attached_app, 'x');
    assert!(
        matches!(&attached_app.shared.overlay, Overlay::Ask { text, .. } if text.starts_with("Stop the engine this console is attached to?"))
    );
    // c is in the help of every screen, scrolled to.
    attached_app.update(Action::CloseOverlay);
    key(&mut attached_app, '?');
    attached_app.update(Action::HelpScroll(1000));
    let help = drawn(&attached_app);
    assert!(help.contains("attach to the engine serving the profile now"), "{help}");
}

/// Acceptance F19: an attached console's wizard re-save said nothing (the attach message
/// stayed) and attached again instead of having the engine attached to read the file.
#[test]
fn an_attached_consoles_wizard_resave_has_the_engine_reload_and_says_so() {
    use crate::config::{Config, edit::Saved};
    const PATH: &str = "/etc/nowsync/config.toml";
    let before = "[profiles.default.servicenow]\ninstance = \"dev1\"\nusername = \"admin\"\n";
    let after = format!("{before}[profiles.default.provisioning]\ninterval_minutes = 15\n");
    let profile = |text: &str| {
        let config = Config::parse(text, std::path::Path::new(PATH)).unwrap();
        config.profile("default").unwrap().clone()
    };
    let mut app = App::new("default", Theme::monochrome(), false);
    app.settings = crate::tui::screens::settings::State::of(&profile(before), PATH.into(), before.to_owned());
    let prefill = crate::tui::screens::wizard::Prefill::default();
    let wizard = crate::tui::screens::wizard::Wizard::new("default", PATH.into(), before.to_owned(), prefill, false);
    let _ = app.open_wizard(wizard);
    app.handle(Event::Attached(attached(4242, Replay::default())));
    assert!(app.engine_elsewhere);
    let saved = |text: &str| {
        Event::Saved(Ok((
            format!("saved profile 'default' to {PATH} and secrets in keyutils"),
            Saved {
                text: text.to_owned(),
                profile: profile(text),
            },
        )))
    };
    let effects = app.handle(saved(&after));
    assert!(matches!(effects.as_slice(), [Effect::Reload(_)]), "{effects:?}");
    let status = app.shared.status.clone();
    assert!(
        status.contains("saved profile 'default'") && status.contains("the engine attached to reloads it"),
        "{status}"
    );
    assert_eq!(
        app.settings.editor.as_ref().map(|s| s.text.clone()),
        Some(after.clone())
    );
    // Saved again with nothing changed: nothing to save, nothing reloaded.
    let effects = app.handle(saved(&after));
    assert!(effects.is_empty(), "{effects:?}");
    assert!(
        app.shared.status.starts_with("Nothing to save"),
        "{}",
        app.shared.status
    );
}

/// Acceptance F5/F14: with the engine attached to gone, the first advice nested parentheses
/// ("(the engine closed the connection (it stopped or restarted))"), and the Cycle row and the
/// key line still offered r and d, which reach no engine.
#[test]
fn with_the_engine_gone_r_and_d_are_not_offered_and_c_is() {
    let mut app = App::new("default", Theme::monochrome(), false);
    app.handle(Event::Attached(attached(4242, Replay::default())));
    app.handle(Event::Detached(
        "the engine closed the connection (it stopped or restarted)".into(),
    ));
    let status = app.shared.status.clone();
    assert!(status.contains("c attaches") && !status.contains("))"), "{status}");
    let keys = crate::tui::chrome::keys(&app);
    assert!(!keys.iter().any(|(k, _)| matches!(*k, "r" | "d")), "{keys:?}");
    let screen = drawn(&app);
    assert!(
        screen.contains("none running · no engine: c attaches again"),
        "{screen}"
    );
    assert!(!screen.contains("r runs one now"), "{screen}");
    // Attached again: r and d are back.
    app.handle(Event::Attached(attached(4343, Replay::default())));
    assert!(crate::tui::chrome::keys(&app).contains(&("r", "run")));
    assert!(drawn(&app).contains("r runs one now"));
}

/// Acceptance F30: a wizard re-save while a cycle was applying restarted the engine and
/// stopped the cycle without asking. It asks; `y` saves.
#[test]
fn a_wizard_resave_while_a_cycle_applies_asks_first() {
    use crate::tui::screens::dashboard::Running;
    use crate::tui::screens::wizard::{Prefill, Wizard};
    let prefill = Prefill {
        instance: "dev35214".into(),
        username: "admin".into(),
        password: "pw".into(),
        tenant_id: "11111111-1111-1111-1111-111111111111".into(),
        client_id: "22222222-2222-2222-2222-222222222222".into(),
        client_secret: "s3cret".into(),
        service_principal_id: "33333333-3333-3333-3333-333333333333".into(),
        email: "idm@example.com".into(),
        ..Prefill::default()
    };
    let mut app = App::new("default", Theme::monochrome(), false);
    let _ = app.open_wizard(Wizard::new(
        "default",
        "/tmp/x.toml".into(),
        String::new(),
        prefill,
        false,
    ));
    app.handle(Event::EngineStarted(Ok(())));
    app.dashboard.running = Some(Running {
        cycle_id: 29,
        done: 49,
        total: 473,
        ..Running::default()
    });
    app.update(Action::Go(Screen::Wizard));
    for _ in 0..5 {
        app.handle(Event::Key(KeyEvent::new(KeyCode::PageDown, KeyModifiers::NONE)));
    }
    let effects = app.handle(Event::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    assert!(effects.is_empty(), "{effects:?}");
    assert!(
        matches!(&app.shared.overlay, Overlay::Ask { text, .. }
            if text.starts_with("Cycle 29 is applying (49/473); the engine restarts to use the new settings and stops it")),
        "{:?}",
        app.shared.overlay
    );
    let effects = key(&mut app, 'y');
    assert!(matches!(effects.as_slice(), [Effect::Save(_)]), "{effects:?}");
}
