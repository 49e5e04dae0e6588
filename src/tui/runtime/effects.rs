//! Carrying out the effects `update()` asks for: blocking work on the blocking pool, network
//! work on tasks; each ends in an `Event` that reports it.

use tokio::sync::mpsc::UnboundedSender;

use super::super::Context;
use super::super::effect::{Effect, SaveMappings, SaveRequest, TestRequest};
use super::super::engine_task::EngineSlot;
use super::super::error::{FileError, SaveError};
use super::super::event::{Event, Side};
use super::super::log::Level;
use super::super::screens::dashboard::history::{self, HistoryError};
use super::super::screens::wizard::StoreStatus;
use crate::secrets::{Secrets, StoreChoice, StoreKind};
use crate::servicenow::ClientOptions;

pub(super) fn run(ctx: &Context, effect: Effect, tx: &UnboundedSender<Event>, engine: &mut EngineSlot) {
    match effect {
        Effect::Quit => {}
        Effect::ProbeStore(choice) => {
            let tx = tx.clone();
            let profile = ctx.profile.clone();
            let memory = ctx.memory_secrets.is_some();
            tokio::task::spawn_blocking(move || {
                let _ = tx.send(Event::StoreProbed(probe(&profile, choice, memory)));
            });
        }
        Effect::TestConnection(request) => test_connection(*request, tx),
        Effect::Save(request) => {
            let tx = tx.clone();
            let profile = ctx.profile.clone();
            let memory = ctx.memory_secrets.clone();
            tokio::task::spawn_blocking(move || {
                let _ = tx.send(Event::Saved(save(&profile, *request, memory.as_deref())));
            });
        }
        Effect::StartEngine => engine.start(ctx, tx),
        Effect::Reload(profile) => engine.reload(*profile, tx),
        Effect::Attach => engine.attach_again(ctx, tx),
        Effect::SaveSettings { path, profile, edits } => {
            let result = crate::config::edit::edit_profile(&path, &profile, &edits);
            if let Ok(saved) = &result {
                engine.reload(saved.profile.clone(), tx);
            }
            let _ = tx.send(Event::SettingsSaved(result));
        }
        Effect::SaveMappings(request) => save_mappings(*request, tx, engine),
        Effect::ImportSchema(path) => {
            let tx = tx.clone();
            tokio::task::spawn_blocking(move || {
                let result = std::fs::read_to_string(&path)
                    .map_err(|source| FileError::Read { path, source })
                    .and_then(|text| Ok(crate::mapping::model::import_schema(&text)?));
                let _ = tx.send(Event::SchemaImported(result));
            });
        }
        Effect::ExportSchema(text) => export_schema(ctx, text, tx),
        Effect::Export { csv, records } => export_records(ctx, csv, records, tx),
        Effect::LoadRecords => load_records(ctx, tx),
        Effect::LoadHistory => load_history(ctx, tx),
        Effect::ReadConfig => {
            let (tx, path, profile) = (tx.clone(), ctx.config_path.clone(), ctx.profile.clone());
            tokio::task::spawn_blocking(move || {
                let _ = tx.send(Event::ConfigRead(read_config(&path, &profile)));
            });
        }
        Effect::Engine(command) => engine.send(command, tx),
    }
}

fn probe(profile: &str, choice: StoreChoice, memory: bool) -> StoreStatus {
    if memory {
        return StoreStatus::Ready(StoreKind::Memory);
    }
    match Secrets::new(profile, choice).with_interactive(false).store() {
        Ok(Some(store)) => StoreStatus::Ready(store.kind()),
        Ok(None) => StoreStatus::EnvOnly,
        Err(e) => StoreStatus::Unavailable(e.to_string()),
    }
}

/// Secrets first, then the file; the message says what was done, or what was and was not.
pub(in crate::tui) fn save(
    profile: &str,
    request: SaveRequest,
    memory: Option<&Secrets>,
) -> Result<(String, crate::config::edit::Saved), SaveError> {
    let owned;
    let secrets = match memory {
        Some(s) => s,
        None => {
            owned = Secrets::new(profile, request.store).with_interactive(false);
            &owned
        }
    };
    let mut stored = Vec::new();
    let mut kind = None;
    for (name, value) in &request.secrets {
        match secrets.set(*name, value) {
            Ok(k) => {
                kind = Some(k);
                stored.push(name.as_str());
            }
            Err(source) => {
                let done = if stored.is_empty() {
                    "nothing was saved".to_owned()
                } else {
                    format!(
                        "{} was stored, the configuration file was not written",
                        stored.join(" and ")
                    )
                };
                return Err(SaveError::Secret {
                    name: *name,
                    done,
                    source,
                });
            }
        }
    }
    let saved = match crate::config::edit::edit_profile(&request.config_path, &request.profile, &request.edits) {
        Ok(saved) => saved,
        Err(source) => {
            let done = if stored.is_empty() {
                "nothing was saved".to_owned()
            } else {
                format!("{} is stored", stored.join(" and "))
            };
            return Err(SaveError::Config {
                done,
                source: Box::new(source),
            });
        }
    };
    let where_ = match kind {
        Some(k) => format!("secrets in {k}"),
        None => "no secrets stored (env)".to_owned(),
    };
    let message = format!(
        "saved profile '{profile}' to {} and {where_}",
        request.config_path.display()
    );
    Ok((message, saved))
}

/// Both sides of test connection, each reporting when done.
fn test_connection(request: TestRequest, tx: &UnboundedSender<Event>) {
    let TestRequest { servicenow, entra } = request;
    if let Ok((instance, auth)) = servicenow {
        let tx = tx.clone();
        tokio::spawn(async move {
            let steps = crate::servicenow::check::test_connection(&instance, &auth, &ClientOptions::default()).await;
            let _ = tx.send(Event::TestDone {
                side: Side::ServiceNow,
                steps,
            });
        });
    }
    if let Ok((settings, secret)) = entra {
        let tx = tx.clone();
        tokio::spawn(async move {
            let steps = crate::graph::check::test_connection(&settings, &secret).await;
            let _ = tx.send(Event::TestDone {
                side: Side::Entra,
                steps,
            });
        });
    }
}

/// The mapping file (only this screen's edits over another console's save since), then the
/// configuration file naming it; the engine reloads.
fn save_mappings(request: SaveMappings, tx: &UnboundedSender<Event>, engine: &mut EngineSlot) {
    let SaveMappings {
        path,
        text,
        base,
        ours,
        config,
        profile,
    } = request;
    // The mapping file first, so the configuration never names a file not yet there.
    let result = super::mappings_save::write(&path, &base, &ours, &text)
        .and_then(|mut written| {
            if let Some(c) = &config {
                written.config = Some(crate::config::edit::edit_profile(&c.path, &c.profile, &c.edits)?.text);
            }
            Ok(written)
        })
        .inspect(|_| engine.reload(*profile, tx));
    let _ = tx.send(Event::MappingsSaved(result));
}

/// The mapping file as an Entra schema JSON in the data dir; the log says where.
fn export_schema(ctx: &Context, text: String, tx: &UnboundedSender<Event>) {
    let tx = tx.clone();
    let dir = ctx.data_dir.join("exports");
    tokio::task::spawn_blocking(move || {
        let (level, text) = match super::super::export::write_schema(&dir, &text) {
            Ok((path, dropped)) if dropped.is_empty() => (
                Level::Info,
                format!("exported the mappings as Entra schema JSON to {}", path.display()),
            ),
            Ok((path, dropped)) => (
                Level::Warn,
                format!(
                    "exported the mappings as Entra schema JSON to {}; not in the schema: {}",
                    path.display(),
                    dropped.join("; ")
                ),
            ),
            Err(e) => (Level::Error, format!("schema export failed: {e}")),
        };
        let _ = tx.send(Event::Note { level, text });
    });
}

/// Records to a JSON or CSV file in the data dir; the log says where.
fn export_records(ctx: &Context, csv: bool, records: Vec<crate::store::LogRecord>, tx: &UnboundedSender<Event>) {
    let tx = tx.clone();
    let dir = ctx.data_dir.join("exports");
    tokio::task::spawn_blocking(move || {
        let (level, text) = match super::super::export::write(&dir, csv, &records) {
            Ok(path) => (
                Level::Info,
                format!(
                    "exported {} to {}",
                    crate::tui::text::count(records.len() as u64, "record", "records"),
                    path.display()
                ),
            ),
            Err(e) => (Level::Error, format!("export failed: {e}")),
        };
        let _ = tx.send(Event::Note { level, text });
    });
}

/// The cycle history and totals to date, read from the state store as `nowsync status` does.
fn load_history(ctx: &Context, tx: &UnboundedSender<Event>) {
    let tx = tx.clone();
    let data_dir = ctx.data_dir.clone();
    let config_path = ctx.config_path.clone();
    let profile = ctx.profile.clone();
    tokio::task::spawn_blocking(move || {
        let history = crate::config::Config::load(&config_path)
            .and_then(|c| c.profile(&profile).cloned())
            .map_err(HistoryError::from)
            .and_then(|p| history::read(&data_dir, &p));
        let _ = tx.send(Event::History(history));
    });
}

/// The provisioning log's records, read from the state store.
fn load_records(ctx: &Context, tx: &UnboundedSender<Event>) {
    let tx = tx.clone();
    let data_dir = ctx.data_dir.clone();
    let profile = ctx.profile.clone();
    tokio::task::spawn_blocking(move || {
        let records = crate::store::Store::open(&data_dir, &profile)
            .and_then(|store| store.log(&crate::store::LogFilter::default()));
        let _ = tx.send(Event::Records(records));
    });
}

/// The profile `name` of the configuration file at `path`, with the file's text.
fn read_config(
    path: &std::path::Path,
    name: &str,
) -> Result<Box<crate::tui::event::ConfigNow>, crate::config::ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| crate::config::ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    let profile = crate::config::Config::parse(&text, path)?.profile(name)?.clone();
    // The mapping file as the mappings screen saves it: relative to the configuration file.
    let mappings = match &profile.provisioning.mappings {
        Some(configured) => {
            let file = crate::tui::screens::mappings::mapping_path(path, Some(configured));
            std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))
        }
        None => Ok(crate::mapping::model::DEFAULT_MAPPINGS_TOML.to_owned()),
    };
    Ok(Box::new(crate::tui::event::ConfigNow {
        profile,
        text,
        mappings,
    }))
}
