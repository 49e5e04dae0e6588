//! The test step's advice in the wizard's terms: both checks run against the simulators with
//! a wrong secret, and what the wizard shows names the step and field to fix, never a CLI
//! command or a configuration key.

use super::tests::{filled, wizard};
use super::*;
use crate::model::check::{Outcome, Step as CheckStep};

fn failed(steps: &[CheckStep]) -> &CheckStep {
    steps
        .iter()
        .find(|s| s.outcome == Outcome::Fail)
        .unwrap_or_else(|| panic!("no step failed: {steps:?}"))
}

fn no_cli_words(text: &str) {
    for cli in [
        "nowsync ",
        "secrets set",
        "NOWSYNC_",
        "--",
        "under [",
        "graph-client-secret",
        "tenant_id",
        "authority_url",
    ] {
        assert!(!text.contains(cli), "'{cli}' in the wizard's advice: {text}");
    }
}

#[tokio::test]
async fn a_wrong_servicenow_password_says_what_to_do_in_the_wizard() {
    let sim = crate::sim::snow::spawn(Default::default()).await.unwrap();
    let mut w = wizard(Prefill {
        instance: sim.url.clone(),
        username: sim.admin_user.clone(),
        password: "not-the-password".into(),
        ..filled()
    });
    let (instance, auth) = w.servicenow_target().unwrap();
    let steps = crate::servicenow::check::test_connection(&instance, &auth, &Default::default()).await;
    let step = failed(&steps);
    assert_eq!(step.error_code.as_deref(), Some("ServiceNowCredentialsInvalid"));
    assert!(
        step.message.contains("nowsync secrets set"),
        "the CLI's own words: {}",
        step.message
    );
    w.servicenow_test = SideTest::Done(steps.clone());
    let advice = w.advice(step);
    no_cli_words(&advice);
    for said in [
        "(401)",
        "PgUp to step 2 (ServiceNow admin)",
        "Locked out",
        "Active",
        "t here tests again",
    ] {
        assert!(advice.contains(said), "'{said}' missing: {advice}");
    }
}

#[tokio::test]
async fn a_wrong_client_secret_says_what_to_do_in_the_wizard() {
    let mut sim = crate::sim::graph::spawn(Default::default()).await.unwrap();
    let fields = sim.ready_fields();
    let field = |k: &str| fields.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
    let mut w = wizard(Prefill {
        tenant_id: field("tenant_id"),
        client_id: field("client_id"),
        client_secret: "not-the-secret".into(),
        service_principal_id: field("service_principal_id"),
        authority_url: Some(field("authority_url")),
        graph_url: Some(field("graph_url")),
        ..filled()
    });
    let (settings, secret) = w.entra_target().unwrap();
    let steps = crate::graph::check::test_connection(&settings, &secret).await;
    let step = failed(&steps);
    assert_eq!(step.error_code.as_deref(), Some("AADSTS7000215"));
    w.entra_test = SideTest::Done(steps.clone());
    let advice = w.advice(step);
    no_cli_words(&advice);
    assert!(
        advice.contains("PgUp to step 3 (Entra app)") && advice.contains("Client secret"),
        "{advice}"
    );
    sim.stop();

    // Remedies the checks word for the command line, each said as the wizard's field.
    let unreachable = CheckStep {
        message: format!(
            "cannot reach the authority https://login.example: refused; {}",
            crate::graph::check::UNREACHABLE_ADVICE
        ),
        error_code: Some("AuthorityUnreachable".into()),
        ..step.clone()
    };
    let advice = w.advice(&unreachable);
    no_cli_words(&advice);
    assert!(advice.contains("Authority URL on step 3"), "{advice}");
    for code in [90002, 700016, 7000222, 7000218] {
        let step = CheckStep {
            message: format!(
                "AADSTS{code}: whatever: {}",
                crate::graph::TokenError::advice_for(Some(code))
            ),
            error_code: Some(format!("AADSTS{code}")),
            ..step.clone()
        };
        let advice = w.advice(&step);
        no_cli_words(&advice);
        assert!(advice.contains("on step 3 (Entra app)"), "{code}: {advice}");
    }
}
