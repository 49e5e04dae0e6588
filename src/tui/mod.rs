//! The console: a ratatui TUI that walks the admin from the instance name to live
//! provisioning, and `nowsync demo`.
//!
//! Shape (STYLE.md): [`event::Event`] (terminal, runtime and engine to app) → [`app::Action`]
//! (user intent) → `update()` (never awaits, never draws) → [`effect::Effect`]s run by
//! [`runtime`], which reaches the engine only through `sync::Handle` (commands in) and
//! `SyncEvent` (events out). Rendering reads state only; each screen and its state live in
//! their own files. Every string from the directory or ServiceNow is sanitised before drawing.

pub mod app;
mod chrome;
pub mod effect;
mod engine_task;
pub mod error;
pub mod event;
pub mod export;
pub mod help;
pub mod log;
mod popup;
mod runtime;
pub mod screens;
pub mod terminal;
pub mod text;
pub mod theme;
pub mod view;

#[cfg(test)]
mod acceptance_saves_tests;
#[cfg(test)]
mod acceptance_tests;
#[cfg(test)]
mod snapshot_tests;
#[cfg(test)]
mod text_field_tests;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::{Config, ConfigError, Dirs};
use crate::secrets::{SecretName, Secrets};
use app::App;
use screens::{mappings, settings, wizard};
use theme::Theme;
use wizard::{Prefill, Wizard};

/// What the runtime needs besides the app: where things live, and the demo's world.
pub struct Context {
    pub profile: String,
    pub config_path: PathBuf,
    pub data_dir: PathBuf,
    /// The demo's in-memory secrets (shared by the wizard's save and the engine).
    pub memory_secrets: Option<Arc<Secrets>>,
    /// The demo's simulators, served for as long as the console runs.
    pub world: Option<crate::sim::world::World>,
}

/// The console could not start.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("the terminal: {0}")]
    Terminal(#[from] std::io::Error),
    #[error("the demo: {0}")]
    Demo(String),
}

/// `nowsync [--profile P]`: the console, or the setup wizard when P is not configured.
pub async fn run_console(dirs: &Dirs, profile: &str) -> Result<(), ConsoleError> {
    let (existing, config) = match std::fs::read_to_string(&dirs.config_file) {
        Ok(text) => {
            let config = Config::parse(&text, &dirs.config_file)?;
            (text, Some(config))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (String::new(), None),
        Err(source) => {
            return Err(ConfigError::Read {
                path: dirs.config_file.clone(),
                source,
            }
            .into());
        }
    };
    let configured = config
        .as_ref()
        .and_then(|c| c.profile(profile).ok())
        .filter(|p| p.servicenow.is_some() && p.entra.is_some());
    let mut prefill = configured.map(prefill_from).unwrap_or_default();
    from_environment(profile, &mut prefill);
    if let Some(p) = configured {
        let store = Secrets::new(profile, p.secrets.store).with_interactive(false);
        fill_stored(&mut prefill, |name| store.lookup(name).ok().flatten().map(|(v, _)| v));
    }
    let ctx = Context {
        profile: profile.to_owned(),
        config_path: dirs.config_file.clone(),
        data_dir: dirs.data_dir.clone(),
        memory_secrets: None,
        world: None,
    };
    let mut app = App::new(profile, Theme::from_env(), false);
    let wizard = Wizard::new(profile, dirs.config_file.clone(), existing.clone(), prefill, false);
    let mut first = app.open_wizard(wizard);
    if let Some(p) = configured {
        app.settings = settings::State::of(p, dirs.config_file.clone(), existing);
        if let Some(configured) = &p.provisioning.mappings {
            // Relative to the configuration file, as the mappings screen saves it.
            let path = &mappings::mapping_path(&dirs.config_file, Some(configured));
            match std::fs::read_to_string(path) {
                Ok(text) => {
                    let loaded = crate::mapping::model::load_str(&text).map_err(Into::into);
                    app.mappings = mappings::State::from_text(loaded, text);
                }
                Err(source) => {
                    app.mappings = mappings::State::new(Err(error::FileError::Read {
                        path: path.clone(),
                        source,
                    }))
                }
            }
        }
        app.shared.screen = app::Screen::Dashboard;
        first.push(effect::Effect::StartEngine);
    }
    runtime::run(ctx, app, first).await?;
    Ok(())
}

fn prefill_from(p: &crate::config::Profile) -> Prefill {
    let mut prefill = Prefill::default();
    if let Some(sn) = &p.servicenow {
        prefill.instance = sn.instance.base_url();
        prefill.username = sn.username.clone();
        if let crate::config::ServiceNowAuth::OAuth { client_id } = &sn.auth {
            prefill.oauth_client_id = Some(client_id.clone());
        }
    }
    if let Some(e) = &p.entra {
        prefill.tenant_id = e.tenant_id.clone();
        prefill.client_id = e.client_id.clone();
        prefill.service_principal_id = e.service_principal_id.clone();
        prefill.authority_url = e.authority_url.clone();
        prefill.graph_url = e.graph_url.clone();
        prefill.cloud = Some(e.cloud);
    }
    prefill.store = Some(p.secrets.store);
    prefill.enabled = Some(p.provisioning.enabled);
    if let Some(n) = &p.notification {
        prefill.email = n.email.clone();
    }
    prefill
}

/// What the wizard learns from where it runs: whether a session bus can carry the Secret
/// Service, and the secrets the environment (or a file it names) provides already, with their
/// values for the connection test (they are never stored nor drawn).
fn from_environment(profile: &str, prefill: &mut Prefill) {
    let bus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|v| !v.is_empty())
        || std::env::var_os("XDG_RUNTIME_DIR").is_some_and(|dir| std::path::Path::new(&dir).join("bus").exists());
    prefill.no_session_bus = !bus;
    let env = Secrets::new(profile, crate::secrets::StoreChoice::Env).with_interactive(false);
    for name in [
        SecretName::ServiceNowPassword,
        SecretName::GraphClientSecret,
        SecretName::ServiceNowOAuthClientSecret,
    ] {
        let Ok(Some((value, source))) = env.lookup(name) else {
            continue;
        };
        let var = match source {
            crate::secrets::Source::File => name.file_env_var(),
            _ => name.env_var(),
        };
        match name {
            SecretName::ServiceNowPassword => prefill.password = value.expose().to_owned(),
            SecretName::ServiceNowOAuthClientSecret => prefill.oauth_client_secret = value.expose().to_owned(),
            _ => prefill.client_secret = value.expose().to_owned(),
        }
        prefill.env_secrets.push((name, var));
    }
}

/// The secrets the profile's store holds already, for a reopened wizard: its test step uses
/// them and a re-save keeps them (the acceptance pass saw a re-save refused, "the password is
/// empty", with both secrets in keyutils). The environment's come first.
fn fill_stored(prefill: &mut Prefill, stored: impl Fn(SecretName) -> Option<crate::secrets::Secret>) {
    for name in [
        SecretName::ServiceNowPassword,
        SecretName::GraphClientSecret,
        SecretName::ServiceNowOAuthClientSecret,
    ] {
        let field = match name {
            SecretName::ServiceNowPassword => &mut prefill.password,
            SecretName::ServiceNowOAuthClientSecret => &mut prefill.oauth_client_secret,
            _ => &mut prefill.client_secret,
        };
        if field.is_empty()
            && let Some(value) = stored(name)
        {
            *field = value.expose().to_owned();
        }
    }
}

/// The demo's simulated tenant: a few hundred users with the planted failures.
pub fn demo_options() -> crate::sim::world::Options {
    use crate::sim::{graph, snow};
    crate::sim::world::Options {
        snow: snow::Options {
            snow_users: 40,
            ..snow::Options::default()
        },
        graph: graph::Options {
            users: 300,
            groups: 30,
            seed: 7,
            ..graph::Options::default()
        },
    }
}

/// The wizard's values for a running world.
pub fn demo_prefill(world: &crate::sim::world::World) -> Prefill {
    let line = world.ready_line();
    let field = |k: &str| line.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
    Prefill {
        instance: field("servicenow_url"),
        username: field("servicenow_user"),
        password: field("servicenow_password"),
        tenant_id: field("tenant_id"),
        client_id: field("client_id"),
        client_secret: field("client_secret"),
        service_principal_id: field("service_principal_id"),
        email: "idm-team@example.com".to_owned(),
        authority_url: Some(field("authority_url")),
        graph_url: Some(field("graph_url")),
        cloud: None,
        store: None,
        ..Prefill::default()
    }
}

/// `nowsync demo`: both simulators in-process, in-memory secrets, a temporary data dir, and
/// the wizard pre-filled. Nothing leaves the machine; the data dir is removed at exit.
pub async fn run_demo() -> Result<(), ConsoleError> {
    let data_dir = std::env::temp_dir().join(format!("nowsync-demo-{}", std::process::id()));
    // The console leaves on SIGHUP, SIGTERM and SIGINT (the runtime's signals) and this
    // function removes the dir after it; a signal while the simulators start ends here too.
    let early = runtime::Signals::listen();
    crate::config::ensure_private_dir(&data_dir).map_err(|e| ConsoleError::Demo(e.to_string()))?;
    // Removed when this function is left in any way, a panic's unwinding included.
    let dir = DemoDir(data_dir);
    tokio::select! {
        world = crate::sim::world::spawn(demo_options()) => match world {
            Ok(world) => demo_in(&dir.0, world).await,
            Err(e) => Err(ConsoleError::Demo(format!("the simulators did not start: {e}"))),
        },
        () = early.first() => Ok(()),
    }
}

/// The demo's temporary data dir, removed on drop.
struct DemoDir(PathBuf);

impl Drop for DemoDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn demo_in(data_dir: &Path, world: crate::sim::world::World) -> Result<(), ConsoleError> {
    let profile = "demo";
    let config_path = data_dir.join("config.toml");
    let prefill = demo_prefill(&world);
    let ctx = Context {
        profile: profile.to_owned(),
        config_path: config_path.clone(),
        data_dir: data_dir.to_owned(),
        memory_secrets: Some(Arc::new(Secrets::in_memory(profile))),
        world: Some(world),
    };
    let mut app = App::new(profile, Theme::from_env(), true);
    let wizard = Wizard::new(profile, config_path, String::new(), prefill, true);
    let first = app.open_wizard(wizard);
    runtime::run(ctx, app, first).await?;
    Ok(())
}

#[cfg(test)]
mod stored_secrets_tests {
    use super::{Prefill, SecretName, Wizard, fill_stored};
    use crate::secrets::Secret;
    use crate::tui::screens::wizard::Step;

    /// A reopened wizard over a profile whose secrets are in its store: the credentials step
    /// has no problem (a re-save is not refused), and a secret the environment gave stays its.
    #[test]
    fn a_reopened_wizard_takes_the_stored_secrets_and_the_environments_first() {
        let mut prefill = Prefill {
            username: "admin".into(),
            client_secret: "from-the-environment".into(),
            ..Prefill::default()
        };
        fill_stored(&mut prefill, |name| {
            Some(Secret::new(match name {
                SecretName::ServiceNowPassword => "stored-password",
                _ => "stored-other",
            }))
        });
        assert_eq!(prefill.password, "stored-password");
        assert_eq!(prefill.client_secret, "from-the-environment");
        let wizard = Wizard::new("default", "config.toml".into(), String::new(), prefill, false);
        assert_eq!(wizard.problem(Step::Credentials), None);

        let mut nothing_stored = Prefill::default();
        fill_stored(&mut nothing_stored, |_| None);
        assert!(nothing_stored.password.is_empty());
    }
}
