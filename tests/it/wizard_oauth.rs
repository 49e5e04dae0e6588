//! The wizard's OAuth against the ServiceNow simulator with an API access policy that refuses
//! Basic (issue 13): test connection names the refusal, the wizard offers OAuth (`o`), and
//! with the Application Registry entry's client id and secret the test passes and the save
//! writes `auth = "oauth"`, `oauth_client_id` and stores the client secret.

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use nowsync::secrets::SecretName;
use nowsync::servicenow::{ClientOptions, check};
use nowsync::sim::snow;
use nowsync::tui::effect::Effect;
use nowsync::tui::screens::wizard::{Field, Prefill, SideTest, Step, Wizard};

fn press(w: &mut Wizard, code: KeyCode) -> Vec<Effect> {
    let key = KeyEvent::new(code, KeyModifiers::NONE);
    w.action_for(key).map(|a| w.update(a)).unwrap_or_default()
}

fn typed(w: &mut Wizard, text: &str) {
    for c in text.chars() {
        press(w, KeyCode::Char(c));
    }
}

/// Test connection of the ServiceNow side as the wizard's fields make it.
async fn test_servicenow(w: &mut Wizard) {
    let (instance, auth) = w.servicenow_target().unwrap();
    let steps = check::test_connection(&instance, &auth, &ClientOptions::default()).await;
    w.servicenow_test = SideTest::Done(steps);
}

#[tokio::test]
async fn the_wizard_offers_oauth_when_the_instance_refuses_basic_and_saves_it() {
    let running = snow::spawn(snow::Options {
        refuse_basic: true,
        ..snow::Options::default()
    })
    .await
    .unwrap();
    let prefill = Prefill {
        instance: running.url.clone(),
        username: running.admin_user.clone(),
        password: running.admin_password.clone(),
        tenant_id: "11111111-1111-1111-1111-111111111111".into(),
        client_id: "22222222-2222-2222-2222-222222222222".into(),
        client_secret: "graph-secret".into(),
        service_principal_id: "33333333-3333-3333-3333-333333333333".into(),
        ..Prefill::default()
    };
    let mut w = Wizard::new("default", PathBuf::from("/tmp/x.toml"), String::new(), prefill, false);
    assert!(
        !w.fields(Step::Credentials).contains(&Field::OAuthClientId),
        "Basic: no OAuth fields"
    );

    w.step = Step::Test;
    w.editing = false;
    test_servicenow(&mut w).await;
    assert!(!w.servicenow_test.passed());
    assert!(w.offers_oauth(), "{:?}", w.servicenow_test);

    press(&mut w, KeyCode::Char('o'));
    assert!(w.oauth);
    assert_eq!((w.step, w.field()), (Step::Credentials, Some(Field::OAuthClientId)));
    assert_eq!(w.servicenow_test, SideTest::NotRun);
    assert!(
        w.problem(Step::Credentials)
            .is_some_and(|p| p.contains("OAuth client id"))
    );
    typed(&mut w, snow::OAUTH_CLIENT_ID);
    press(&mut w, KeyCode::Tab);
    assert_eq!(w.field(), Some(Field::OAuthClientSecret));
    typed(&mut w, snow::OAUTH_CLIENT_SECRET);
    assert_eq!(w.problem(Step::Credentials), None);

    w.step = Step::Test;
    w.editing = false;
    test_servicenow(&mut w).await;
    assert!(w.servicenow_test.passed(), "{:?}", w.servicenow_test);
    assert!(!w.offers_oauth());

    let config = w.merged_config().unwrap();
    assert!(
        config.contains("auth = \"oauth\"")
            && config.contains(&format!("oauth_client_id = \"{}\"", snow::OAUTH_CLIENT_ID)),
        "{config}"
    );
    assert!(
        !config.contains(snow::OAUTH_CLIENT_SECRET),
        "no secret in the file: {config}"
    );
    let profile = w.validation().unwrap();
    assert!(matches!(
        profile.servicenow.map(|s| s.auth),
        Some(nowsync::config::ServiceNowAuth::OAuth { client_id }) if client_id == snow::OAUTH_CLIENT_ID
    ));
    w.step = Step::Review;
    let effects = press(&mut w, KeyCode::Enter);
    let Some(Effect::Save(request)) = effects.into_iter().next() else {
        panic!("the review step saves");
    };
    let stored: Vec<(SecretName, String)> = request
        .secrets
        .iter()
        .map(|(n, s)| (*n, s.expose().to_owned()))
        .collect();
    assert!(
        stored.contains(&(
            SecretName::ServiceNowOAuthClientSecret,
            snow::OAUTH_CLIENT_SECRET.to_owned()
        )),
        "the client secret is stored like the password"
    );
    assert!(stored.iter().any(|(n, _)| *n == SecretName::ServiceNowPassword));

    // Back to Basic: the OAuth keys leave the file and no client secret is stored.
    w.step = Step::Credentials;
    w.focus = w
        .fields(Step::Credentials)
        .iter()
        .position(|f| *f == Field::Auth)
        .unwrap();
    w.editing = true;
    press(&mut w, KeyCode::Right);
    assert!(!w.oauth);
    let config = w.merged_config().unwrap();
    assert!(!config.contains("oauth"), "{config}");
}
