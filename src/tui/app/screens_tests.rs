//! The console's keys across screens: leaving unsaved edits, switching screens, the
//! too-small screen, status messages, the dry run offered for a new profile, the log pane, a
//! reopened wizard. Helpers are the state-machine tests' (`tests.rs`).

use super::*;

#[test]
fn leaving_a_screen_with_unsaved_edits_asks_and_keeps_them() {
    let mut app = app();
    key(&mut app, KeyCode::Char('7'));
    assert_eq!(app.shared.screen, Screen::Settings);
    // Down to the interval, one more minute.
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Right);
    assert!(app.settings.dirty(), "an edit on the settings screen");
    key(&mut app, KeyCode::Char('1'));
    assert!(
        matches!(app.shared.overlay, Overlay::Ask { .. }),
        "{:?}",
        app.shared.overlay
    );
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(app.shared.screen, Screen::Settings);
    key(&mut app, KeyCode::Char('1'));
    key(&mut app, KeyCode::Char('y'));
    assert_eq!(app.shared.screen, Screen::Dashboard);
    assert!(app.settings.dirty(), "the edits stay, unsaved");
    assert!(app.quit_warning().is_some(), "and quitting asks");
}

#[test]
fn every_screen_switches_by_number_and_tab_and_runs_with_r_and_d() {
    let mut app = app();
    for (i, screen) in Screen::ALL.iter().enumerate().filter(|(_, s)| **s != Screen::Wizard) {
        let digit = char::from(b'1' + i as u8);
        key(&mut app, KeyCode::Char(digit));
        assert_eq!(app.shared.screen, *screen, "key {digit}");
        for (k, command) in [('r', "RunNow"), ('d', "DryRun")] {
            let effects = key(&mut app, KeyCode::Char(k));
            assert!(
                matches!(effects.as_slice(), [Effect::Engine(c)] if format!("{c:?}") == command),
                "{k} on {screen:?}: {effects:?}"
            );
        }
    }
    // From the provisioning logs (where a hint says "run a cycle (r)"), Tab and numbers work.
    key(&mut app, KeyCode::Char('3'));
    assert_eq!(app.shared.screen, Screen::Records);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.shared.screen, Screen::Log);
    key(&mut app, KeyCode::Char('1'));
    assert_eq!(app.shared.screen, Screen::Dashboard);
}

#[test]
fn no_key_acts_behind_the_too_small_screen_and_help_scrolls_at_80x24() {
    let mut app = app();
    app.handle(Event::Resize(50, 12));
    assert!(key(&mut app, KeyCode::Char('r')).is_empty());
    key(&mut app, KeyCode::Char('2'));
    assert_eq!(app.shared.screen, Screen::Dashboard);
    app.handle(Event::Resize(80, 24));
    key(&mut app, KeyCode::F(1));
    assert!(matches!(app.shared.overlay, Overlay::Help));
    key(&mut app, KeyCode::PageDown);
    assert_eq!(app.shared.help_scroll, 10);
    key(&mut app, KeyCode::End);
    let end = app.shared.help_scroll;
    assert!(end > 10, "the dashboard's help is longer than a screen at 80×24");
    key(&mut app, KeyCode::Down);
    assert_eq!(app.shared.help_scroll, end, "not past the end");
    key(&mut app, KeyCode::Home);
    assert_eq!(app.shared.help_scroll, 0);
}

#[test]
fn status_messages_expire() {
    let mut app = app();
    key(&mut app, KeyCode::Char('6'));
    key(&mut app, KeyCode::Char('x'));
    assert_eq!(app.shared.status, "No cycle is running.");
    for _ in 0..crate::tui::app::STATUS_SECONDS + 1 {
        app.handle(Event::Tick);
    }
    assert!(app.shared.status.is_empty(), "{}", app.shared.status);
}

#[test]
fn a_new_profile_saved_off_offers_a_dry_run_once_the_engine_runs() {
    let mut app = App::new("demo", Theme::monochrome(), false);
    let wizard = crate::tui::screens::wizard::Wizard::new(
        "demo",
        PathBuf::from(PATH),
        String::new(),
        crate::tui::screens::wizard::Prefill::default(),
        false,
    );
    let _ = app.open_wizard(wizard);
    let text = format!("{CONFIG}\n[profiles.demo.provisioning]\nenabled = false\n");
    let profile = edit::check(&text, Path::new(PATH), "demo").unwrap();
    assert!(!profile.provisioning.enabled);
    app.handle(Event::Saved(Ok(("demo".to_owned(), edit::Saved { text, profile }))));
    assert_eq!(app.shared.screen, Screen::Dashboard);
    assert!(
        app.shared.status.contains("provisioning is off"),
        "{}",
        app.shared.status
    );
    app.handle(Event::EngineStarted(Ok(())));
    let Overlay::Ask { text, yes } = &app.shared.overlay else {
        panic!("{:?}", app.shared.overlay)
    };
    assert!(text.contains("Provisioning is off"), "{text}");
    assert!(matches!(**yes, Action::Engine(Command::DryRun)));
    let effects = key(&mut app, KeyCode::Char('y'));
    assert!(
        matches!(effects.as_slice(), [Effect::Engine(Command::DryRun)]),
        "{effects:?}"
    );
}

#[test]
fn the_log_pane_resumes_with_space_replaces_its_filter_and_shows_a_whole_line() {
    let mut app = app();
    let long = format!("cycle 7: {} the end", "x".repeat(300));
    for text in ["alpha one", "beta two", long.as_str()] {
        app.log.push("12:00:00".to_owned(), crate::tui::log::Level::Info, text);
    }
    key(&mut app, KeyCode::Up);
    assert!(!app.log.following(), "scrolled back");
    key(&mut app, KeyCode::Char(' '));
    assert!(app.log.following(), "Space follows the tail again");
    for text in ["/alpha", "/beta"] {
        for c in text.chars() {
            key(&mut app, KeyCode::Char(c));
        }
        key(&mut app, KeyCode::Enter);
    }
    assert_eq!(
        app.log.filter, "beta",
        "/ starts a new filter, not appended to the last"
    );
    key(&mut app, KeyCode::Char('/'));
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.log.filter, "");
    key(&mut app, KeyCode::Enter);
    let Overlay::LogLine(line) = &app.shared.overlay else {
        panic!("{:?}", app.shared.overlay)
    };
    assert!(line.ends_with("the end") && line.len() > 300, "the whole line: {line}");
}

#[test]
fn a_reopened_wizard_is_left_without_saving() {
    let mut app = app();
    let wizard = crate::tui::screens::wizard::Wizard::new(
        "demo",
        PathBuf::from(PATH),
        CONFIG.to_owned(),
        crate::tui::screens::wizard::Prefill::default(),
        false,
    );
    app.wizard = Some(wizard);
    key(&mut app, KeyCode::Char('8'));
    assert_eq!(app.shared.screen, Screen::Wizard);
    // Out of the field, then out of the wizard: nothing was edited, nothing asked.
    key(&mut app, KeyCode::Esc);
    let effects = key(&mut app, KeyCode::Esc);
    assert!(effects.is_empty());
    assert_eq!(app.shared.screen, Screen::Dashboard);
    // With an edit it asks, and `y` drops it.
    key(&mut app, KeyCode::Char('8'));
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('z'));
    assert!(app.wizard.as_ref().is_some_and(|w| w.dirty));
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Esc);
    assert!(
        matches!(app.shared.overlay, Overlay::Ask { .. }),
        "{:?}",
        app.shared.overlay
    );
    key(&mut app, KeyCode::Char('y'));
    assert_eq!(app.shared.screen, Screen::Dashboard);
    assert!(app.wizard.as_ref().is_some_and(|w| !w.dirty), "the edit is dropped");
}

/// The key line at 80 columns (issue 14): on every screen, and in the settings' two modes and
/// the wizard's steps, it ends with "F1 more", each key it shows is whole with its word, and
/// the screen's most useful keys (its first two) are among them.
#[test]
fn the_key_line_fits_80_columns_on_every_screen() {
    let mut app = app();
    let wizard = crate::tui::screens::wizard::Wizard::new(
        "demo",
        PathBuf::from(PATH),
        CONFIG.to_owned(),
        crate::tui::screens::wizard::Prefill::default(),
        false,
    );
    app.wizard = Some(wizard);
    app.handle(Event::Resize(80, 24));
    let check = |app: &App, case: &str| {
        let mut term = match ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)) {
            Ok(t) => t,
            Err(e) => match e {},
        };
        assert!(term.draw(|f| crate::tui::view::render(app, f)).is_ok());
        let buf = term.backend().buffer();
        let line: String = (0..80).map(|x| buf[(x, 23)].symbol().to_owned()).collect();
        let line = line.trim_end();
        assert!(line.ends_with("F1 more"), "{case}: {line:?}");
        let keys = crate::tui::chrome::keys(app);
        for (k, what) in keys.iter().take(2) {
            assert!(
                line.contains(&format!("{k} {what}")),
                "{case}: '{k} {what}' missing: {line:?}"
            );
        }
        for part in line
            .trim_end_matches("F1 more")
            .split(" · ")
            .filter(|p| !p.trim().is_empty())
        {
            assert!(
                keys.iter().any(|(k, what)| part.trim() == format!("{k} {what}")),
                "{case}: '{part}' is cut or unknown: {line:?}"
            );
        }
    };
    for screen in Screen::ALL {
        app.shared.screen = screen;
        check(&app, &format!("{screen:?}"));
    }
    app.shared.screen = Screen::Settings;
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    assert!(app.in_text_field());
    check(&app, "settings, editing");
    app.shared.screen = Screen::Wizard;
    for step in 0..6 {
        check(&app, &format!("wizard step {}", step + 1));
        key(&mut app, KeyCode::PageDown);
    }
}
