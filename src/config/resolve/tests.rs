use super::*;
use crate::config::{Provisioning, ScopeMode};

fn parse(text: &str) -> Result<Config, ConfigError> {
    resolve(text, Path::new("config.toml"))
}

#[test]
fn full_example_resolves_with_defaults() {
    let text = r#"
[profiles.default.servicenow]
instance = "dev35214"
username = "admin"

[profiles.default.entra]
tenant_id = "11111111-2222-3333-4444-555555555555"
client_id = "AAAAAAAA-2222-3333-4444-555555555555"
service_principal_id = "99999999-2222-3333-4444-555555555555"

[profiles.default.provisioning]
scope = "all"

[profiles.default.notification]
email = "idm-team@example.com"
smtp_host = "smtp.example.com"
"#;
    let cfg = parse(text).unwrap();
    let p = cfg.profile("default").unwrap();
    let sn = p.servicenow.as_ref().unwrap();
    assert_eq!(sn.instance.base_url(), "https://dev35214.service-now.com");
    assert_eq!(sn.max_in_flight, 64);
    assert_eq!(sn.throttle_budget, Duration::from_secs(15 * 60));
    assert_eq!(sn.page_size, 1000);
    assert_eq!(sn.timeout, Duration::from_secs(90));
    assert_eq!(sn.auth, ServiceNowAuth::Basic);
    let e = p.entra.as_ref().unwrap();
    assert_eq!(e.client_id, "aaaaaaaa-2222-3333-4444-555555555555");
    assert_eq!(e.cloud, Cloud::Global);
    assert_eq!(p.provisioning.scope, ScopeMode::All);
    assert_eq!(p.provisioning.interval_minutes, 40);
    assert_eq!(p.provisioning.deletion_threshold, 500);
    assert!(p.provisioning.enabled);
    let n = p.notification.as_ref().unwrap();
    assert_eq!(n.smtp_port, 587);
    assert_eq!(n.smtp_tls, SmtpTls::StartTls);
}

#[test]
fn servicenow_only_profile_is_valid() {
    let cfg = parse("[profiles.x.servicenow]\ninstance = \"http://127.0.0.1:9\"\nusername = \"a\"\n").unwrap();
    let p = cfg.profile("x").unwrap();
    assert!(p.entra.is_none());
    assert_eq!(p.provisioning, Provisioning::default());
}

#[test]
fn secrets_store_defaults_to_auto_and_reads_each_word() {
    let cfg = parse("[profiles.a.provisioning]\n[profiles.b.secrets]\nstore = \"keyutils\"\n").unwrap();
    assert_eq!(cfg.profile("a").unwrap().secrets.store, StoreChoice::Auto);
    assert_eq!(
        cfg.profile("b").unwrap().secrets.store,
        StoreChoice::Store(crate::secrets::StoreKind::Keyutils)
    );
    for word in [
        "auto",
        "secret-service",
        "keyutils",
        "keychain",
        "credential-manager",
        "env",
    ] {
        let cfg = parse(&format!("[profiles.p.secrets]\nstore = \"{word}\"\n")).unwrap();
        assert_eq!(cfg.profile("p").unwrap().secrets.store.as_str(), word);
    }
}

#[test]
fn missing_profile_names_the_known_ones() {
    let cfg = parse("[profiles.prod.servicenow]\ninstance = \"dev1\"\nusername = \"a\"\n").unwrap();
    let err = cfg.profile("default").unwrap_err().to_string();
    assert!(err.contains("no profile 'default'") && err.contains("prod"), "{err}");
}

/// Every file in tests/fixtures/config/ starts with `# expect: <text>`; loading it must fail
/// with a message that contains that text.
#[test]
fn invalid_fixtures_fail_with_their_message() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let expect = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .unwrap_or_else(|| panic!("{} lacks '# expect: '", path.display()));
        let err = Config::parse(&text, &path)
            .expect_err(&path.display().to_string())
            .to_string();
        assert!(
            err.contains(expect),
            "{}:\n  got:  {err}\n  want: {expect}",
            path.display()
        );
        seen += 1;
    }
    assert!(seen >= 10, "only {seen} fixtures");
}

#[test]
fn a_relative_mappings_path_is_relative_to_the_config_file() {
    let cfg = resolve(
        "[profiles.p.provisioning]\nmappings = \"m.toml\"\n",
        Path::new("/etc/nowsync/config.toml"),
    )
    .unwrap();
    let p = cfg.profile("p").unwrap();
    assert_eq!(
        p.provisioning.mappings.as_deref(),
        Some(Path::new("/etc/nowsync/m.toml"))
    );
    let cfg = resolve(
        "[profiles.p.provisioning]\nmappings = \"/srv/m.toml\"\n",
        Path::new("c.toml"),
    )
    .unwrap();
    assert_eq!(
        cfg.profile("p").unwrap().provisioning.mappings.as_deref(),
        Some(Path::new("/srv/m.toml"))
    );
}

#[test]
fn missing_reference_create_is_accepted() {
    let cfg = resolve(
        "[profiles.p.provisioning]\nmissing_reference = \"create\"\n",
        Path::new("/etc/nowsync/config.toml"),
    )
    .unwrap();
    let p = cfg.profile("p").unwrap();
    assert_eq!(
        p.provisioning.missing_reference,
        crate::config::MissingReferenceMode::Create
    );
}

/// Issue 17, defect 9: plain SMTP is allowed to every loopback host the notifier accepts —
/// all of 127.0.0.0/8 and `[::1]` — and refused elsewhere.
#[test]
fn plain_smtp_is_allowed_to_every_loopback_host() {
    let with_host = |host: &str| {
        parse(&format!(
            "[profiles.p.notification]\nemail = \"idm@example.com\"\nsmtp_host = \"{host}\"\nsmtp_tls = \"none\"\n"
        ))
    };
    for host in [
        "localhost",
        "127.0.0.1",
        "127.0.0.2",
        "127.255.255.254",
        "::1",
        "[::1]",
        "LOCALHOST",
    ] {
        assert!(with_host(host).is_ok(), "{host}: {:?}", with_host(host).err());
        assert!(crate::notify::is_loopback(host), "{host}");
    }
    for host in [
        "128.0.0.1",
        "10.0.0.1",
        "[::2]",
        "smtp.example.com",
        "127.0.0.1.example.com",
        "[127.0.0.1",
    ] {
        let e = with_host(host).unwrap_err().to_string();
        assert!(e.contains("loopback"), "{host}: {e}");
        assert!(!crate::notify::is_loopback(host), "{host}");
    }
}

#[test]
fn plan_valid_minutes_defaults_to_15_and_names_its_range() {
    let cfg = parse("[profiles.a.provisioning]\n[profiles.b.provisioning]\nplan_valid_minutes = 60\n").unwrap();
    assert_eq!(cfg.profile("a").unwrap().provisioning.plan_valid_minutes, 15);
    assert_eq!(cfg.profile("b").unwrap().provisioning.plan_valid_minutes, 60);
    let e = parse("[profiles.a.provisioning]\nplan_valid_minutes = 0\n")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("plan_valid_minutes") && e.contains("expected a whole number from 1 to 1440"),
        "{e}"
    );
}
