//! State-machine tests of the wizard: keys in, state out.

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn press(w: &mut Wizard, codes: &[KeyCode]) -> Vec<Effect> {
    let mut effects = Vec::new();
    for code in codes {
        if let Some(action) = w.action_for(key(*code)) {
            effects.extend(w.update(action));
        }
    }
    effects
}

fn typed(w: &mut Wizard, text: &str) {
    let codes: Vec<KeyCode> = text.chars().map(KeyCode::Char).collect();
    press(w, &codes);
}

fn filled() -> Prefill {
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
    }
}

fn wizard(prefill: Prefill) -> Wizard {
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
    assert!(w.instance().unwrap_err().contains("contains spaces"));
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
    assert!(
        request
            .config_text
            .contains("[profiles.default.servicenow]\ninstance = \"dev35214\"")
    );
    assert!(!request.config_text.contains("s3cret") && !request.config_text.contains("\"pw\""));
    assert_eq!(request.secrets.len(), 2);
    assert_eq!(w.save, SaveStatus::Saving);
    let effects = w.saved(Ok("saved".into()));
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
    let text = &request.config_text;
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
    let profile = super::save::validate(text, std::path::Path::new("/tmp/x.toml"), "default").unwrap();
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
    assert!(!request.config_text.contains("notification"), "{}", request.config_text);
    assert!(request.config_text.contains("max_in_flight = 4"));
}
