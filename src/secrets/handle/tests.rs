use super::*;
use crate::secrets::{Unreachable, UnreachableReason};

const PW: SecretName = SecretName::ServiceNowPassword;

type Vars<'a> = &'a [(&'a str, &'a str)];

fn memory(profile: &str, env: &[(&str, &str)]) -> Secrets {
    Secrets::in_memory(profile)
        .with_env(Env::from_pairs(env.iter().copied()))
        .with_interactive(false)
}

/// A store that cannot be reached, like the Secret Service over SSH.
struct Broken;

impl SecretStore for Broken {
    fn kind(&self) -> StoreKind {
        StoreKind::SecretService
    }
    fn get(&self, _: &str) -> Result<Option<Secret>, StoreError> {
        Err(unreachable())
    }
    fn contains(&self, _: &str) -> Result<bool, StoreError> {
        Err(unreachable())
    }
    fn set(&self, _: &str, _: &Secret) -> Result<(), StoreError> {
        Err(unreachable())
    }
    fn delete(&self, _: &str) -> Result<bool, StoreError> {
        Err(unreachable())
    }
}

fn unreachable() -> StoreError {
    StoreError::SecretServiceUnreachable(Unreachable {
        reason: UnreachableReason::NoBusAddress,
    })
}

#[test]
fn lookup_order_is_env_then_file_then_store() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pw");
    std::fs::write(&file, "from-file\n").unwrap();
    let file = file.to_str().unwrap();

    let store = Arc::new(MemoryStore::new());
    store.set("p/servicenow-password", &Secret::new("from-store")).unwrap();
    let with = |env: &[(&str, &str)]| {
        Secrets::with_store("p", store.clone())
            .with_env(Env::from_pairs(env.iter().copied()))
            .with_interactive(false)
    };
    let cases: [(Vars, &str, Source); 3] = [
        (
            &[
                ("NOWSYNC_SERVICENOW_PASSWORD", "from-env"),
                ("NOWSYNC_SERVICENOW_PASSWORD_FILE", file),
            ],
            "from-env",
            Source::Env,
        ),
        (&[("NOWSYNC_SERVICENOW_PASSWORD_FILE", file)], "from-file", Source::File),
        (&[], "from-store", Source::Store(StoreKind::Memory)),
    ];
    for (env, want, source) in cases {
        let (secret, got) = with(env).lookup(PW).unwrap().unwrap();
        assert_eq!((secret.expose(), got), (want, source));
        let (secret, got) = with(env).get_or_prompt(PW).unwrap();
        assert_eq!((secret.expose(), got), (want, source));
    }
    // Another profile's entry is not this profile's.
    assert!(with(&[]).lookup(SecretName::GraphClientSecret).unwrap().is_none());
    let other = Secrets::with_store("q", store).with_env(Env::from_pairs([]));
    assert!(other.lookup(PW).unwrap().is_none());
}

#[test]
fn missing_secret_without_terminal_says_how_to_set_it() {
    let err = memory("prod", &[]).get_or_prompt(PW).unwrap_err().to_string();
    assert!(
        err.contains("secret 'servicenow-password' of profile 'prod' is not set"),
        "{err}"
    );
    assert!(
        err.contains("nowsync --profile prod secrets set servicenow-password"),
        "{err}"
    );
    assert!(err.contains("NOWSYNC_SERVICENOW_PASSWORD_FILE"), "{err}");
}

#[test]
fn set_and_delete_go_to_the_store() {
    let secrets = memory("p", &[]);
    assert_eq!(secrets.set(PW, &Secret::new("s3cret")).unwrap(), StoreKind::Memory);
    assert_eq!(secrets.lookup(PW).unwrap().unwrap().0.expose(), "s3cret");
    assert!(secrets.delete(PW).unwrap());
    assert!(!secrets.delete(PW).unwrap());
    assert!(secrets.lookup(PW).unwrap().is_none());
    assert!(matches!(
        secrets.set(PW, &Secret::new("")),
        Err(SecretError::Empty { .. })
    ));
}

#[test]
fn env_choice_never_opens_a_store() {
    let secrets = Secrets::new("p", StoreChoice::Env)
        .with_env(Env::from_pairs([("NOWSYNC_SMTP_PASSWORD", "x")]))
        .with_interactive(false);
    assert!(secrets.store().unwrap().is_none());
    assert!(secrets.lookup(PW).unwrap().is_none());
    assert_eq!(
        secrets.lookup(SecretName::SmtpPassword).unwrap().map(|(_, s)| s),
        Some(Source::Env)
    );
    let err = secrets.set(PW, &Secret::new("x")).unwrap_err().to_string();
    assert!(
        err.contains("store = \"env\"") && err.contains("NOWSYNC_SERVICENOW_PASSWORD"),
        "{err}"
    );
    let report = secrets.status(&[PW, SecretName::SmtpPassword]);
    assert!(report.problem.is_none());
    assert_eq!(report.lines[0].state, State::NotSet);
    assert_eq!(report.lines[1].source, Source::Env);
}

#[test]
fn status_reports_sources_and_never_values() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("smtp");
    std::fs::write(&file, "file-value").unwrap();
    let secrets = memory(
        "p",
        &[
            ("NOWSYNC_GRAPH_CLIENT_SECRET", "env-value"),
            ("NOWSYNC_SMTP_PASSWORD_FILE", file.to_str().unwrap()),
        ],
    );
    secrets.set(PW, &Secret::new("store-value")).unwrap();
    let names = [
        PW,
        SecretName::GraphClientSecret,
        SecretName::SmtpPassword,
        SecretName::ServiceNowOAuthClientSecret,
    ];
    let report = secrets.status(&names);
    let got: Vec<(State, String)> = report.lines.iter().map(|l| (l.state, l.source.to_string())).collect();
    assert_eq!(
        got,
        [
            (State::Set, "memory".to_owned()),
            (State::Set, "env".to_owned()),
            (State::Set, "file".to_owned()),
            (State::NotSet, "memory".to_owned()),
        ]
    );
    let text = report.to_string();
    assert!(
        text.contains("servicenow-password              set      memory"),
        "{text}"
    );
    for value in ["store-value", "env-value", "file-value"] {
        assert!(
            !text.contains(value) && !format!("{report:?}").contains(value),
            "{text}"
        );
    }
}

#[test]
fn unreachable_store_is_explained_and_env_still_works() {
    let secrets = Secrets::with_store("p", Arc::new(Broken))
        .with_env(Env::from_pairs([("NOWSYNC_SERVICENOW_PASSWORD", "x")]))
        .with_interactive(false);
    assert_eq!(secrets.lookup(PW).unwrap().map(|(_, s)| s), Some(Source::Env));
    let err = secrets.get_or_prompt(SecretName::GraphClientSecret).unwrap_err();
    assert!(
        matches!(
            err,
            SecretError::Unavailable {
                source: StoreError::SecretServiceUnreachable(_),
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("NOWSYNC_GRAPH_CLIENT_SECRET"), "{err}");
    let report = secrets.status(&[PW, SecretName::GraphClientSecret]);
    assert_eq!(report.lines[0].state, State::Set);
    assert_eq!(report.lines[1].state, State::Unknown);
    let text = report.to_string();
    assert!(
        text.contains("graph-client-secret              unknown  secret-service"),
        "{text}"
    );
    assert!(text.contains("no session bus") && text.contains("Ways out"), "{text}");
}
