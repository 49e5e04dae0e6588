//! State-machine tests of the wizard: keys in, state out.

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::tui::effect::SaveRequest;

pub(super) fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

pub(super) fn press(w: &mut Wizard, codes: &[KeyCode]) -> Vec<Effect> {
    let mut effects = Vec::new();
    for code in codes {
        if let Some(action) = w.action_for(key(*code)) {
            effects.extend(w.update(action));
        }
    }
    effects
}

pub(super) fn typed(w: &mut Wizard, text: &str) {
    let codes: Vec<KeyCode> = text.chars().map(KeyCode::Char).collect();
    press(w, &codes);
}

pub(super) fn filled() -> Prefill {
    Prefill {
        instance: "dev35214".into(),
        username: "admin".into(),
        password: "pw".into(),
        tenant_id: "11111111-1111-1111-1111-111111111111".into(),
        client_id: "22222222-2222-2222-2222-222222222222".into(),
        client_secret: "s3cret".into(),
        service_principal_id: "33333333-3333-3333-3333-333333333333".into(),
        email: "idm@example.com".into(),
        authority_url: None,
        graph_url: None,
        ..Prefill::default()
    }
}

/// The text the save would write over what the wizard opened with.
pub(super) fn written(w: &Wizard, request: &SaveRequest) -> String {
    crate::config::edit::apply(&w.existing, &request.config_path, &request.profile, &request.edits).unwrap()
}

pub(super) fn wizard(prefill: Prefill) -> Wizard {
    Wizard::new("default", PathBuf::from("/tmp/x.toml"), String::new(), prefill, false)
}

#[test]
fn enter_walks_fields_then_steps() {
    let mut w = wizard(filled());
    assert_eq!((w.step, w.focus, w.editing), (Step::Instance, 0, true));
    press(&mut w, &[KeyCode::Enter]);
    assert_eq!((w.step, w.focus), (Step::Credentials, 0));
    press(&mut w, &[KeyCode::Enter, KeyCode::Enter]);
    assert_eq!(w.field(), Some(Field::Store));
    press(&mut w, &[KeyCode::Enter]);
    assert_eq!(w.field(), Some(Field::Auth), "Basic: the OAuth fields are not shown");
    press(&mut w, &[KeyCode::Enter]);
    assert_eq!(w.step, Step::Entra);
    press(&mut w, &[KeyCode::PageDown]);
    assert_eq!((w.step, w.editing), (Step::Test, false));
    press(&mut w, &[KeyCode::PageUp, KeyCode::PageUp]);
    assert_eq!(w.step, Step::Credentials);
}

#[test]
fn typing_edits_the_focused_field_and_q_is_text() {
    let mut w = wizard(Prefill::default());
    typed(&mut w, "dev 1q?");
    assert_eq!(w.inputs.instance.value(), "dev 1q?");
    assert!(w.dirty);
    assert!(w.instance().unwrap_err().to_string().contains("contains spaces"));
    press(&mut w, &[KeyCode::Backspace; 4]);
    typed(&mut w, "1");
    assert_eq!(w.inputs.instance.value(), "dev1");
    assert_eq!(w.instance().unwrap().base_url(), "https://dev1.service-now.com");
}

#[test]
fn esc_leaves_the_field_and_arrows_pick_steps() {
    let mut w = wizard(filled());
    press(&mut w, &[KeyCode::Esc]);
    assert!(!w.in_text_field());
    press(&mut w, &[KeyCode::Down, KeyCode::Char('j')]);
    assert_eq!((w.step, w.editing), (Step::Entra, false));
    press(&mut w, &[KeyCode::Up]);
    assert_eq!(w.step, Step::Credentials);
    press(&mut w, &[KeyCode::Enter]);
    assert!(w.in_text_field());
}

#[test]
fn cloud_is_a_choice() {
    let mut w = wizard(filled());
    press(
        &mut w,
        &[
            KeyCode::PageDown,
            KeyCode::PageDown,
            KeyCode::Tab,
            KeyCode::Tab,
            KeyCode::Tab,
        ],
    );
    assert_eq!(w.field(), Some(Field::Cloud));
    press(&mut w, &[KeyCode::Right, KeyCode::Right]);
    assert_eq!(w.cloud, Cloud::UsGovDod);
    press(&mut w, &[KeyCode::Left, KeyCode::Left, KeyCode::Left]);
    assert_eq!(w.cloud, Cloud::China);
}

#[test]
fn store_choice_probes_again() {
    let mut w = wizard(filled());
    press(&mut w, &[KeyCode::PageDown, KeyCode::Tab, KeyCode::Tab]);
    assert_eq!(w.field(), Some(Field::Store));
    let effects = press(&mut w, &[KeyCode::Right]);
    assert!(matches!(effects.as_slice(), [Effect::ProbeStore(_)]), "{effects:?}");
    assert_eq!(w.store_status, StoreStatus::Probing);
}

#[test]
fn test_step_reports_invalid_sides_without_a_request() {
    let mut w = wizard(Prefill {
        tenant_id: "not-a-guid".into(),
        ..filled()
    });
    press(&mut w, &[KeyCode::PageDown, KeyCode::PageDown, KeyCode::PageDown]);
    assert_eq!(w.step, Step::Test);
    let effects = press(&mut w, &[KeyCode::Char('t')]);
    assert_eq!(effects.len(), 1);
    assert_eq!(w.servicenow_test, SideTest::Running);
    assert!(matches!(&w.entra_test, SideTest::Invalid(why) if why.contains("not a GUID")));
}

#[test]
fn editing_a_field_clears_that_sides_test() {
    let mut w = wizard(filled());
    w.servicenow_test = SideTest::Done(Vec::new());
    w.entra_test = SideTest::Done(Vec::new());
    typed(&mut w, "x");
    assert_eq!(w.servicenow_test, SideTest::NotRun);
    assert!(w.entra_test.passed());
}

#[test]
fn review_saves_secrets_and_valid_config_only() {
    let mut w = wizard(filled());
    press(&mut w, &[KeyCode::PageDown; 5]);
    assert_eq!(w.step, Step::Review);
    let effects = press(&mut w, &[KeyCode::Enter]);
    let [Effect::Save(request)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let text = written(&w, request);
    assert!(
        text.contains("[profiles.default.servicenow]\ninstance = \"dev35214\""),
        "{text}"
    );
    assert!(!text.contains("s3cret") && !text.contains("\"pw\""));
    assert_eq!(request.secrets.len(), 2);
    assert_eq!(w.save, SaveStatus::Saving);
    let profile = crate::config::edit::check(&text, &request.config_path, "default").unwrap();
    let effects = w.saved(Ok(("saved".into(), crate::config::edit::Saved { text, profile })));
    assert!(matches!(effects.as_slice(), [Effect::StartEngine]));
    assert!(!w.dirty);

    let mut bad = wizard(Prefill {
        email: "nobody".into(),
        ..filled()
    });
    press(&mut bad, &[KeyCode::PageDown; 5]);
    assert!(press(&mut bad, &[KeyCode::Enter]).is_empty());
    assert!(
        matches!(&bad.save, SaveStatus::Failed(why) if why.contains("notification")),
        "{:?}",
        bad.save
    );
}

#[test]
fn a_re_save_keeps_the_keys_the_settings_screen_wrote() {
    let existing = "# mine\n[profiles.default.servicenow]\ninstance = \"old1\"\nusername = \"admin\"\nmax_in_flight = 4 # tuned\npage_size = 200\n\n[profiles.default.entra]\ntenant_id = \"x\"\ngraph_url = \"https://graph.example\"\n\n[profiles.default.notification]\nemail = \"old@example.com\"\nsmtp_host = \"mail.example.com\"\n\n[profiles.default.provisioning]\ninterval_minutes = 10\n";
    let mut w = Wizard::new(
        "default",
        PathBuf::from("/tmp/x.toml"),
        existing.to_owned(),
        filled(),
        false,
    );
    press(&mut w, &[KeyCode::PageDown; 5]);
    let effects = press(&mut w, &[KeyCode::Enter]);
    let [Effect::Save(request)] = effects.as_slice() else {
        panic!("{effects:?} {:?}", w.save)
    };
    let text = &written(&w, request);
    assert!(
        text.starts_with("# mine\n[profiles.default.servicenow]\ninstance = \"dev35214\"\n"),
        "{text}"
    );
    assert!(text.contains("max_in_flight = 4 # tuned\npage_size = 200\n"), "{text}");
    assert!(text.contains("smtp_host = \"mail.example.com\""), "{text}");
    assert!(text.contains("email = \"idm@example.com\""), "{text}");
    assert!(
        !text.contains("graph_url"),
        "a URL the wizard no longer has goes: {text}"
    );
    assert!(text.contains("interval_minutes = 10"), "{text}");
    let profile = crate::config::edit::check(text, std::path::Path::new("/tmp/x.toml"), "default").unwrap();
    assert_eq!(profile.servicenow.map(|sn| sn.max_in_flight), Some(4));

    // No email: no notification table.
    let mut w = Wizard::new(
        "default",
        PathBuf::from("/tmp/x.toml"),
        existing.to_owned(),
        Prefill {
            email: String::new(),
            ..filled()
        },
        false,
    );
    press(&mut w, &[KeyCode::PageDown; 5]);
    let effects = press(&mut w, &[KeyCode::Enter]);
    let [Effect::Save(request)] = effects.as_slice() else {
        panic!("{effects:?} {:?}", w.save)
    };
    let text = written(&w, request);
    assert!(!text.contains("notification"), "{text}");
    assert!(text.contains("max_in_flight = 4"));
}

#[test]
fn a_re_save_keeps_every_key_it_does_not_own_byte_for_byte() {
    // Regression (issues 11, 14): saving the wizard again removed `scope = "all"`, the
    // interval, `enabled`, the deletion threshold, `max_in_flight` and the mappings path that
    // the scope and settings screens had saved.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let before = "# nowsync: edited by hand and by the console\n\
        [profiles.default.servicenow] # the instance\n\
        instance = \"dev35214\"\n\
        username = \"old-admin\" # to be replaced\n\
        max_in_flight = 4 # tuned down for this instance\n\
        \n\
        [profiles.default.entra]\n\
        tenant_id = \"11111111-1111-1111-1111-111111111111\"\n\
        client_id = \"22222222-2222-2222-2222-222222222222\"\n\
        service_principal_id = \"33333333-3333-3333-3333-333333333333\"\n\
        cloud = 'global'\n\
        \n\
        # written by the scope and settings screens\n\
        [profiles.default.provisioning]\n\
        enabled = false\n\
        scope = \"all\" # everyone in the tenant\n\
        interval_minutes = 15\n\
        deletion_threshold = 20\n\
        mappings = \"/etc/nowsync/mappings.toml\"\n\
        \n\
        [profiles.default.notification]\n\
        email = \"idm@example.com\"\n\
        \n\
        [profiles.other.servicenow]\n\
        instance = \"other1\"\n\
        username = \"o\"\n";
    std::fs::write(&path, before).unwrap();
    // The wizard opened before the other screens saved: it knows an older text.
    let mut w = Wizard::new("default", path.clone(), String::new(), filled(), false);
    press(&mut w, &[KeyCode::Enter]);
    assert_eq!(w.field(), Some(Field::Username));
    press(&mut w, &[KeyCode::End]);
    press(&mut w, &[KeyCode::Backspace; 5]);
    typed(&mut w, "new-admin");
    press(&mut w, &[KeyCode::PageDown; 4]);
    assert_eq!(w.step, Step::Review);
    let effects = press(&mut w, &[KeyCode::Enter]);
    let Some(Effect::Save(request)) = effects.into_iter().next() else {
        panic!("no save: {:?}", w.save)
    };
    let memory = crate::secrets::Secrets::in_memory("default");
    let (_, saved) = crate::tui::runtime::save("default", *request, Some(&memory)).unwrap();
    let after = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        after,
        before.replace("\"old-admin\" # to be replaced", "\"new-admin\" # to be replaced"),
        "only the wizard's own key changed"
    );
    let p = &saved.profile.provisioning;
    assert_eq!(p.scope, crate::config::ScopeMode::All);
    assert_eq!((p.enabled, p.interval_minutes, p.deletion_threshold), (false, 15, 20));
    assert_eq!(
        saved.profile.servicenow.map(|s| s.username),
        Some("new-admin".to_owned())
    );
}

#[test]
fn a_re_save_keeps_the_profile_s_cloud_and_store() {
    let w = wizard(Prefill {
        cloud: Some(crate::config::Cloud::UsGov),
        store: Some(StoreChoice::Env),
        ..filled()
    });
    assert_eq!(w.store_choice(), StoreChoice::Env);
    let edits = w.edits();
    assert!(edits.contains(&crate::config::edit::Edit::set("entra", "cloud", "usgov")));
    assert!(edits.contains(&crate::config::edit::Edit::set("secrets", "store", "env")));
}

#[test]
fn start_now_defaults_to_the_profile_s_enabled_and_a_re_save_never_turns_it_off() {
    // A new profile is saved off unless the admin says start now.
    let mut w = wizard(filled());
    assert!(!w.start);
    press(&mut w, &[KeyCode::PageDown; 5]);
    assert_eq!(w.step, Step::Review);
    let effects = press(&mut w, &[KeyCode::Enter]);
    let [Effect::Save(request)] = effects.as_slice() else {
        panic!("{effects:?} {:?}", w.save)
    };
    assert!(written(&w, request).contains("enabled = false"));

    // An enabled profile saved again stays on; `enabled` is not even rewritten.
    let existing = "[profiles.default.provisioning]\nenabled = true # on since May\n";
    let reopened = || {
        Wizard::new(
            "default",
            PathBuf::from("/tmp/x.toml"),
            existing.to_owned(),
            Prefill {
                enabled: Some(true),
                ..filled()
            },
            false,
        )
    };
    let mut w = reopened();
    assert!(w.start);
    press(&mut w, &[KeyCode::PageDown; 5]);
    let effects = press(&mut w, &[KeyCode::Enter]);
    let [Effect::Save(request)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert!(written(&w, request).contains("enabled = true # on since May"));

    // Turned off only when the admin says so (← on the review step).
    let mut w = reopened();
    press(&mut w, &[KeyCode::PageDown; 5]);
    press(&mut w, &[KeyCode::Left]);
    assert!(!w.start);
    let effects = press(&mut w, &[KeyCode::Enter]);
    let [Effect::Save(request)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert!(written(&w, request).contains("enabled = false"));
}

#[test]
fn enter_moves_on_only_from_a_valid_step_and_an_untouched_step_shows_no_error() {
    let mut w = wizard(Prefill::default());
    assert!(w.problem(Step::Instance).is_some());
    assert!(!w.marked(Step::Instance), "nothing typed yet: no error shown");
    typed(&mut w, "dev 1");
    assert!(w.marked(Step::Instance));
    press(&mut w, &[KeyCode::Enter]);
    assert_eq!(w.step, Step::Instance, "a name with spaces does not advance");
    press(&mut w, &[KeyCode::Backspace; 2]);
    typed(&mut w, "1");
    press(&mut w, &[KeyCode::Enter]);
    assert_eq!(w.step, Step::Credentials);

    // GUIDs are checked as GUIDs; PageDown still moves on, Enter does not.
    let mut w = wizard(Prefill {
        tenant_id: "contoso.onmicrosoft.com".into(),
        ..filled()
    });
    press(&mut w, &[KeyCode::PageDown, KeyCode::PageDown]);
    assert_eq!(w.step, Step::Entra);
    assert!(w.marked(Step::Entra));
    let problem = w.problem(Step::Entra).unwrap_or_default();
    assert!(
        problem.contains("tenant id") && problem.contains("contoso.onmicrosoft.com"),
        "{problem}"
    );
    press(&mut w, &[KeyCode::Enter; 8]);
    assert_eq!(w.step, Step::Entra, "never past an invalid step with Enter");
    press(&mut w, &[KeyCode::PageDown]);
    assert_eq!(w.step, Step::Test);
}
