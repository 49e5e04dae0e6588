//! The Entra step's optional endpoints (`authority_url`, `graph_url`): for national clouds and
//! the simulator. Empty is the cloud's default; a value is checked as the configuration checks
//! it, saved normalised through `config::edit`, used by the test step, and shown again when
//! the wizard reopens.

use std::path::{Path, PathBuf};

use crossterm::event::KeyCode;

use super::tests::{filled, press, typed, wizard, written};
use super::*;
use crate::tui::effect::TestRequest;

/// The wizard on the Entra step, focused on `field`.
fn at(w: &mut Wizard, field: Field) {
    press(w, &[KeyCode::PageDown, KeyCode::PageDown]);
    while w.field() != Some(field) {
        press(w, &[KeyCode::Tab]);
    }
}

fn save_text(w: &mut Wizard) -> String {
    press(w, &[KeyCode::PageDown; 5]);
    let effects = press(w, &[KeyCode::Enter]);
    let [Effect::Save(request)] = effects.as_slice() else {
        panic!("{effects:?} {:?}", w.save)
    };
    written(w, request)
}

#[test]
fn the_entra_step_has_the_endpoints_and_refuses_what_the_configuration_refuses() {
    let mut w = wizard(filled());
    assert_eq!(&w.fields(Step::Entra)[5..], &[Field::AuthorityUrl, Field::GraphUrl]);
    assert_eq!(w.problem(Step::Entra), None, "empty: the cloud's defaults");
    at(&mut w, Field::AuthorityUrl);
    typed(&mut w, "http://login.example.com");
    let problem = w.problem(Step::Entra).unwrap_or_default();
    assert!(
        problem.contains("authority URL 'http://login.example.com'") && problem.contains("use https://"),
        "{problem}"
    );
    assert!(w.marked(Step::Entra));
    press(&mut w, &[KeyCode::Tab, KeyCode::Enter]);
    assert_eq!(w.step, Step::Entra, "Enter does not leave a step with a bad URL");

    for (typed_value, expected) in [
        ("login.example.us", Err("expected an absolute https:// URL")),
        ("https://login.example.us/", Ok("https://login.example.us")),
        ("http://127.0.0.1:9", Ok("http://127.0.0.1:9")),
    ] {
        w.inputs.authority_url = typed_value.into();
        let got = super::test_step::endpoint(&w.inputs.authority_url, "authority URL");
        match expected {
            Ok(url) => assert_eq!(got.ok().flatten().as_deref(), Some(url), "{typed_value}"),
            Err(why) => assert!(got.is_err_and(|e| e.to_string().contains(why)), "{typed_value}"),
        }
    }
}

#[test]
fn the_endpoints_are_saved_normalised_keeping_every_other_key_and_reopen() {
    let existing = "[profiles.default.servicenow]\ninstance = \"old1\"\nusername = \"admin\"\npage_size = 200 # mine\n\n[profiles.default.entra]\ntenant_id = \"x\"\n\n[profiles.default.provisioning]\nscope = \"all\"\ninterval_minutes = 10\n".to_owned();
    let mut w = Wizard::new("default", PathBuf::from("/tmp/x.toml"), existing, filled(), false);
    at(&mut w, Field::AuthorityUrl);
    typed(&mut w, "https://login.microsoftonline.us/");
    press(&mut w, &[KeyCode::Tab]);
    typed(&mut w, " https://graph.microsoft.us/v1.0/");
    let text = save_text(&mut w);
    assert!(
        text.contains("authority_url = \"https://login.microsoftonline.us\"\n"),
        "{text}"
    );
    assert!(
        text.contains("graph_url = \"https://graph.microsoft.us/v1.0\"\n"),
        "{text}"
    );
    assert!(text.contains("page_size = 200 # mine\n"), "{text}");
    assert!(text.contains("scope = \"all\"\ninterval_minutes = 10\n"), "{text}");

    // Reopened from the saved file: the fields hold the saved values.
    let config = crate::config::Config::parse(&text, Path::new("/tmp/x.toml")).unwrap();
    let profile = config.profile("default").unwrap();
    let prefill = crate::tui::prefill_from(profile);
    let mut again = Wizard::new("default", PathBuf::from("/tmp/x.toml"), text.clone(), prefill, false);
    assert_eq!(again.inputs.authority_url.value(), "https://login.microsoftonline.us");
    assert_eq!(again.inputs.graph_url.value(), "https://graph.microsoft.us/v1.0");

    // Emptied again: the keys go, the cloud's defaults apply.
    at(&mut again, Field::AuthorityUrl);
    again.inputs.authority_url = "".into();
    again.inputs.graph_url = "".into();
    again.inputs.password = "pw".into();
    again.inputs.client_secret = "s3cret".into();
    let text = save_text(&mut again);
    assert!(!text.contains("authority_url") && !text.contains("graph_url"), "{text}");
    assert!(text.contains("page_size = 200 # mine\n"), "{text}");
}

#[test]
fn the_test_step_uses_the_endpoints() {
    let mut w = wizard(filled());
    at(&mut w, Field::GraphUrl);
    typed(&mut w, "http://127.0.0.1:41002/v1.0/");
    w.entra_test = SideTest::Done(Vec::new());
    press(&mut w, &[KeyCode::Char('x'), KeyCode::Backspace]);
    assert_eq!(
        w.entra_test,
        SideTest::NotRun,
        "editing an endpoint makes the Entra test stale"
    );
    press(&mut w, &[KeyCode::PageDown]);
    let effects = press(&mut w, &[KeyCode::Char('t')]);
    let [Effect::TestConnection(request)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let TestRequest {
        entra: Ok((settings, _)),
        ..
    } = request.as_ref()
    else {
        panic!("the Entra side made no request")
    };
    assert_eq!(settings.graph_url.as_deref(), Some("http://127.0.0.1:41002/v1.0"));
    assert_eq!(settings.authority_url, None);

    at_again_bad(&mut w);
    let effects = press(&mut w, &[KeyCode::Char('t')]);
    assert!(matches!(effects.as_slice(), [Effect::TestConnection(_)]));
    assert!(
        matches!(&w.entra_test, SideTest::Invalid(why) if why.contains("Graph URL")),
        "{:?}",
        w.entra_test
    );
}

/// The Graph URL made one the configuration refuses, back on the test step.
fn at_again_bad(w: &mut Wizard) {
    w.inputs.graph_url = "ftp://graph.example".into();
    press(w, &[KeyCode::PageUp, KeyCode::PageDown]);
    assert_eq!(w.step, Step::Test);
}
