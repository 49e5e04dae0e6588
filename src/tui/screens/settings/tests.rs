//! State-machine tests of the settings editor: keys in, the configuration text out.

use super::*;
use crossterm::event::KeyModifiers;

/// The file text and profile a `SaveSettings` effect writes over the editor's known text.
fn written(s: &Settings, effects: &[Effect]) -> (String, Profile) {
    let [Effect::SaveSettings { path, profile, edits }] = effects else {
        panic!("{effects:?} {:?}", s.message)
    };
    let text = edit::apply(&s.text, path, profile, edits).unwrap();
    let resolved = edit::check(&text, path, profile).unwrap();
    (text, resolved)
}

fn key(s: &mut Settings, code: KeyCode) -> Vec<Effect> {
    s.key(KeyEvent::new(code, KeyModifiers::NONE))
}

#[test]
fn edits_validate_before_saving_and_keep_other_tables() {
    let text = "# mine\n[profiles.p.servicenow]\ninstance = \"dev1\"\nusername = \"admin\"\n";
    let config = crate::config::Config::parse(text, std::path::Path::new("c.toml")).unwrap();
    let profile = config.profile("p").unwrap();
    let mut s = Settings::new(profile, PathBuf::from("c.toml"), text.to_owned());
    key(&mut s, KeyCode::Char(' '));
    assert!(!s.enabled && s.dirty());
    key(&mut s, KeyCode::Down);
    key(&mut s, KeyCode::Down);
    assert!(!s.in_text_field(), "browsing: the field is not edited yet");
    key(&mut s, KeyCode::Char('e'));
    key(&mut s, KeyCode::End);
    key(&mut s, KeyCode::Backspace);
    key(&mut s, KeyCode::Backspace);
    key(&mut s, KeyCode::Char('0'));
    assert!(key(&mut s, KeyCode::Enter).is_empty(), "interval 0 is refused");
    assert!(
        matches!(&s.message, Some(Err(e)) if e.contains("Interval (minutes) takes a whole number from 1 to 1440; got '0'")),
        "{:?}",
        s.message
    );
    key(&mut s, KeyCode::Backspace);
    key(&mut s, KeyCode::Char('5'));
    let effects = key(&mut s, KeyCode::Enter);
    let (text, profile) = written(&s, &effects);
    assert!(text.starts_with("# mine\n[profiles.p.servicenow]"));
    assert_eq!(profile.provisioning.interval_minutes, 5);
    assert!(!profile.provisioning.enabled);
}

#[test]
fn the_concurrency_ceiling_and_email_are_set_in_their_tables() {
    let text = "[profiles.p.servicenow]\ninstance = \"dev1\" # mine\nusername = \"admin\"\n";
    let config = crate::config::Config::parse(text, std::path::Path::new("c.toml")).unwrap();
    let mut s = Settings::new(config.profile("p").unwrap(), PathBuf::from("c.toml"), text.to_owned());
    for _ in 0..5 {
        key(&mut s, KeyCode::Down);
    }
    key(&mut s, KeyCode::Enter);
    assert!(s.in_text_field());
    // The default cap, 64, replaced by 4.
    key(&mut s, KeyCode::Backspace);
    key(&mut s, KeyCode::Backspace);
    key(&mut s, KeyCode::Char('4'));
    key(&mut s, KeyCode::Down);
    assert!(!s.in_text_field(), "a move leaves the field, its edit kept");
    key(&mut s, KeyCode::Enter);
    for c in "idm@example.com".chars() {
        key(&mut s, KeyCode::Char(c));
    }
    key(&mut s, KeyCode::Down);
    assert!(!s.in_text_field(), "the mapping-file rows are toggles");
    let effects = key(&mut s, KeyCode::Char('S'));
    let (text, profile) = written(&s, &effects);
    assert!(text.contains("max_in_flight = 4\n"), "{text}");
    assert!(
        text.contains("instance = \"dev1\" # mine\n"),
        "the other lines are kept: {text}"
    );
    assert_eq!(profile.servicenow.as_ref().map(|sn| sn.max_in_flight), Some(4));
    assert_eq!(
        profile.notification.as_ref().map(|n| n.email.as_str()),
        Some("idm@example.com")
    );
}

#[test]
fn the_engine_options_toggle_and_save_in_the_provisioning_table() {
    let text = "[profiles.p.servicenow]\ninstance = \"dev1\"\nusername = \"admin\"\n\n\
                [profiles.p.provisioning]\nescrow_days = 14\n";
    let config = crate::config::Config::parse(text, std::path::Path::new("c.toml")).unwrap();
    let mut s = Settings::new(config.profile("p").unwrap(), PathBuf::from("c.toml"), text.to_owned());
    for _ in 0..7 {
        key(&mut s, KeyCode::Down);
    }
    for _ in 0..3 {
        assert!(!s.in_text_field());
        key(&mut s, KeyCode::Char(' '));
        key(&mut s, KeyCode::Down);
    }
    assert!(s.match_active_only && s.missing_warn && s.flatten && s.dirty());
    key(&mut s, KeyCode::Char('e'));
    assert!(s.in_text_field(), "log retention is typed");
    key(&mut s, KeyCode::End);
    for _ in 0..3 {
        key(&mut s, KeyCode::Char('0'));
    }
    assert!(key(&mut s, KeyCode::Enter).is_empty(), "30000 days is refused");
    assert!(
        matches!(&s.message, Some(Err(e)) if e.contains("Log retention (days) takes a whole number from 1 to 3650")),
        "{:?}",
        s.message
    );
    for _ in 0..4 {
        key(&mut s, KeyCode::Backspace);
    }
    let effects = key(&mut s, KeyCode::Enter);
    let (text, profile) = written(&s, &effects);
    let p = &profile.provisioning;
    assert!(p.match_active_only && p.flatten_nested_groups, "{text}");
    assert_eq!(p.missing_reference, MissingReferenceMode::Warn);
    assert_eq!(p.log_retention_days, 3);
    assert_eq!(p.escrow_days, 14, "a key not shown keeps its value: {text}");
    s.saved(Ok(Saved {
        text: text.clone(),
        profile: profile.clone(),
    }));
    // Back to the defaults: the keys go (the table is written whole).
    s.focus = 7;
    for _ in 0..3 {
        key(&mut s, KeyCode::Char(' '));
        key(&mut s, KeyCode::Down);
    }
    assert!(!s.in_text_field(), "after a save the screen browses");
    key(&mut s, KeyCode::Char('e'));
    key(&mut s, KeyCode::Backspace);
    for c in "30".chars() {
        key(&mut s, KeyCode::Char(c));
    }
    let effects = key(&mut s, KeyCode::Enter);
    let (text, profile) = written(&s, &effects);
    assert_eq!(profile.provisioning.log_retention_days, 30);
    for k in [
        "match_active_only",
        "missing_reference",
        "flatten_nested_groups",
        "log_retention_days",
    ] {
        assert!(!text.contains(k), "{text}");
    }
    assert!(text.contains("escrow_days = 14"), "{text}");
}

#[test]
fn the_settings_list_says_how_nowsync_signs_in() {
    let auth = |text: &str| {
        let config = crate::config::Config::parse(text, std::path::Path::new("c.toml")).unwrap();
        let listed = crate::tui::screens::settings::rows(config.profile("p").unwrap());
        listed.into_iter().find(|(k, _)| k == "servicenow.auth").map(|(_, v)| v)
    };
    let basic = "[profiles.p.servicenow]\ninstance = \"dev1\"\nusername = \"admin\"\n";
    assert_eq!(auth(basic).as_deref(), Some("basic (user name and password)"));
    let oauth = format!("{basic}auth = \"oauth\"\noauth_client_id = \"abc123\"\n");
    let shown = auth(&oauth).unwrap_or_default();
    assert!(
        shown.starts_with("oauth") && shown.contains("abc123") && shown.contains("servicenow-oauth-client-secret"),
        "{shown}"
    );
}

/// Regression (acceptance test): text in a number field was refused with serde's words
/// ("(wrong type): invalid type: string \"dr1q@x.io\", expected i64"); every number field
/// says what it takes, with the configuration's real bounds.
#[test]
fn every_number_field_given_text_says_the_whole_numbers_it_takes() {
    let text = "[profiles.p.servicenow]\ninstance = \"dev1\"\nusername = \"admin\"\n";
    let config = crate::config::Config::parse(text, std::path::Path::new("c.toml")).unwrap();
    let profile = config.profile("p").unwrap();
    let expected = [
        (2, "Interval (minutes) takes a whole number from 1 to 1440"),
        (3, "Deletion threshold (objects) takes a whole number from 0 to 1000000"),
        (
            4,
            "Deletion threshold (%) takes a whole number from 1 to 100 (empty: off)",
        ),
        (
            5,
            "Concurrency ceiling (requests) takes a whole number from 1 to 256 (empty: as it is)",
        ),
        (
            10,
            "Log retention (days) takes a whole number from 1 to 3650 (empty: the default)",
        ),
    ];
    for (field, says) in expected {
        let mut s = Settings::new(profile, PathBuf::from("c.toml"), text.to_owned());
        while s.focus != field {
            key(&mut s, KeyCode::Down);
        }
        key(&mut s, KeyCode::Char('e'));
        key(&mut s, KeyCode::End);
        for _ in 0..10 {
            key(&mut s, KeyCode::Backspace);
        }
        for c in "dr1q@x.io".chars() {
            key(&mut s, KeyCode::Char(c));
        }
        assert!(key(&mut s, KeyCode::Enter).is_empty(), "field {field} is refused");
        let Some(Err(message)) = &s.message else {
            panic!("field {field}: {:?}", s.message)
        };
        assert_eq!(message, &format!("not saved: {says}; got 'dr1q@x.io'"));
    }
}

/// Regression (acceptance pass): after a save the focused field kept the keys (no browse
/// mode). The screen opens browsing and is back to browsing after a save: arrows move, Enter
/// or `e` edits, Esc leaves the field with its edit kept and unsaved.
#[test]
fn the_screen_browses_on_entering_and_after_a_save() {
    let text = "[profiles.p.servicenow]\ninstance = \"dev1\"\nusername = \"admin\"\n";
    let config = crate::config::Config::parse(text, std::path::Path::new("c.toml")).unwrap();
    let mut s = Settings::new(config.profile("p").unwrap(), PathBuf::from("c.toml"), text.to_owned());
    key(&mut s, KeyCode::Down);
    key(&mut s, KeyCode::Down);
    assert_eq!((s.focus, s.in_text_field()), (2, false), "browsing the interval");
    assert!(key(&mut s, KeyCode::Char('7')).is_empty());
    assert_eq!(s.interval.value(), "40", "a key while browsing is not typed");
    key(&mut s, KeyCode::Enter);
    assert!(s.in_text_field());
    key(&mut s, KeyCode::Char('5'));
    key(&mut s, KeyCode::Esc);
    assert!(
        !s.in_text_field() && s.dirty(),
        "Esc leaves the field; the edit stays, unsaved"
    );
    assert_eq!(s.interval.value(), "405");
    key(&mut s, KeyCode::Down);
    assert_eq!(s.focus, 3);
    key(&mut s, KeyCode::Char('e'));
    key(&mut s, KeyCode::Backspace);
    key(&mut s, KeyCode::Backspace);
    key(&mut s, KeyCode::Backspace);
    key(&mut s, KeyCode::Char('9'));
    key(&mut s, KeyCode::Up);
    assert_eq!((s.focus, s.in_text_field()), (2, false), "a move leaves the field too");
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Backspace);
    let effects = key(&mut s, KeyCode::Enter);
    assert!(!s.in_text_field(), "a save asked for: browsing");
    let (text, profile) = written(&s, &effects);
    assert_eq!(profile.provisioning.interval_minutes, 40);
    assert_eq!(profile.provisioning.deletion_threshold, 9);
    s.saved(Ok(Saved { text, profile }));
    assert_eq!(
        (s.focus, s.in_text_field(), s.dirty()),
        (2, false, false),
        "after the save: browsing"
    );
    assert!(key(&mut s, KeyCode::Char('1')).is_empty());
    assert_eq!(s.interval.value(), "40", "the saved field does not take keys");
    // Browsing, S saves.
    key(&mut s, KeyCode::Up);
    key(&mut s, KeyCode::Up);
    key(&mut s, KeyCode::Enter);
    assert!(!s.enabled, "Enter on a choice changes it");
    let effects = key(&mut s, KeyCode::Char('S'));
    assert!(!written(&s, &effects).1.provisioning.enabled);
}
