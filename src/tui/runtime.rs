//! The event loop: terminal events, signals, effects' reports and engine events go into one
//! channel; the app handles them and a frame is drawn only when something changed (a dirty
//! flag), so an idle console costs no CPU and sends nothing over SSH.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crossterm::event as ct;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::app::App;
use super::effect::{Effect, SaveRequest, TestRequest};
use super::error::{FileError, SaveError};
use super::event::{Event, Side};
use super::log::Level;
use super::screens::wizard::StoreStatus;
use super::terminal::{self, Term};
use super::{Context, view};
use crate::secrets::{Secrets, StoreChoice, StoreKind};
use crate::servicenow::ClientOptions;

/// Runs the console until the app quits; the terminal is restored on every way out.
pub async fn run(ctx: Context, mut app: App, first: Vec<Effect>) -> std::io::Result<()> {
    let mut term = terminal::enter()?;
    let result = run_loop(&ctx, &mut app, first, &mut term).await;
    terminal::restore();
    result
}

async fn run_loop(ctx: &Context, app: &mut App, first: Vec<Effect>, term: &mut Term) -> std::io::Result<()> {
    let (tx, mut rx) = unbounded_channel();
    let stop = Arc::new(AtomicBool::new(false));
    spawn_input(tx.clone(), Arc::clone(&stop));
    spawn_signals(tx.clone());
    spawn_ticks(tx.clone());
    let mut engine = super::engine_task::EngineSlot::default();
    for effect in first {
        run_effect(ctx, effect, &tx, &mut engine);
    }
    let mut dirty = true;
    loop {
        if dirty {
            terminal::draw(term, |f| view::render(app, f))?;
            dirty = false;
        }
        let Some(event) = rx.recv().await else { break };
        dirty |= process(ctx, app, event, &tx, &mut engine);
        // Take whatever else is waiting before drawing: a burst of engine events is one frame.
        for _ in 0..10_000 {
            match rx.try_recv() {
                Ok(event) => dirty |= process(ctx, app, event, &tx, &mut engine),
                Err(_) => break,
            }
        }
        if app.quit {
            break;
        }
    }
    stop.store(true, Ordering::Relaxed);
    engine.shutdown().await;
    drain(&mut rx);
    Ok(())
}

fn drain(rx: &mut UnboundedReceiver<Event>) {
    while rx.try_recv().is_ok() {}
}

/// Handles one event; true when the screen may have changed.
fn process(
    ctx: &Context,
    app: &mut App,
    event: Event,
    tx: &UnboundedSender<Event>,
    engine: &mut super::engine_task::EngineSlot,
) -> bool {
    let redraw = match &event {
        Event::Tick => app.dashboard.cycle_running(),
        _ => true,
    };
    for effect in app.handle(event) {
        run_effect(ctx, effect, tx, engine);
    }
    redraw
}

fn run_effect(ctx: &Context, effect: Effect, tx: &UnboundedSender<Event>, engine: &mut super::engine_task::EngineSlot) {
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
        Effect::TestConnection(request) => {
            let TestRequest { servicenow, entra } = *request;
            if let Ok((instance, auth)) = servicenow {
                let tx = tx.clone();
                tokio::spawn(async move {
                    let steps =
                        crate::servicenow::check::test_connection(&instance, &auth, &ClientOptions::default()).await;
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
        Effect::Save(request) => {
            let tx = tx.clone();
            let profile = ctx.profile.clone();
            let memory = ctx.memory_secrets.clone();
            tokio::task::spawn_blocking(move || {
                let _ = tx.send(Event::Saved(save(&profile, *request, memory.as_deref())));
            });
        }
        Effect::StartEngine => engine.start(ctx, tx),
        Effect::SaveSettings { path, profile, edits } => {
            let result = crate::config::edit::edit_profile(&path, &profile, &edits);
            if let Ok(saved) = &result {
                engine.reload(saved.profile.clone(), tx);
            }
            let _ = tx.send(Event::SettingsSaved(result));
        }
        Effect::SaveMappings(request) => {
            let super::effect::SaveMappings {
                path,
                text,
                config,
                profile,
            } = *request;
            // The mapping file first, so the configuration never names a file not yet there.
            let result = crate::config::edit::write_mappings(&path, &text)
                .and_then(|()| match &config {
                    Some(c) => crate::config::edit::edit_profile(&c.path, &c.profile, &c.edits).map(|s| Some(s.text)),
                    None => Ok(None),
                })
                .inspect(|_| engine.reload(*profile, tx));
            let _ = tx.send(Event::MappingsSaved(result));
        }
        Effect::ImportSchema(path) => {
            let tx = tx.clone();
            tokio::task::spawn_blocking(move || {
                let result = std::fs::read_to_string(&path)
                    .map_err(|source| FileError::Read { path, source })
                    .and_then(|text| Ok(crate::mapping::model::import_schema(&text)?));
                let _ = tx.send(Event::SchemaImported(result));
            });
        }
        Effect::ExportSchema(text) => {
            let tx = tx.clone();
            let dir = ctx.data_dir.join("exports");
            tokio::task::spawn_blocking(move || {
                let (level, text) = match super::export::write_schema(&dir, &text) {
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
                let _ = tx.send(Event::Log { level, text });
            });
        }
        Effect::Export { csv, records } => {
            let tx = tx.clone();
            let dir = ctx.data_dir.join("exports");
            tokio::task::spawn_blocking(move || {
                let (level, text) = match super::export::write(&dir, csv, &records) {
                    Ok(path) => (
                        Level::Info,
                        format!("exported {} records to {}", records.len(), path.display()),
                    ),
                    Err(e) => (Level::Error, format!("export failed: {e}")),
                };
                let _ = tx.send(Event::Log { level, text });
            });
        }
        Effect::LoadRecords => {
            let tx = tx.clone();
            let data_dir = ctx.data_dir.clone();
            let profile = ctx.profile.clone();
            tokio::task::spawn_blocking(move || {
                let records = crate::store::Store::open(&data_dir, &profile)
                    .and_then(|store| store.log(&crate::store::LogFilter::default()));
                let _ = tx.send(Event::Records(records));
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
pub(super) fn save(
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

fn spawn_input(tx: UnboundedSender<Event>, stop: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            match ct::poll(Duration::from_millis(200)) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(_) => break,
            }
            let event = match ct::read() {
                Ok(ct::Event::Key(key)) => Event::Key(key),
                Ok(ct::Event::Resize(w, h)) => Event::Resize(w, h),
                Ok(_) => continue,
                Err(_) => break,
            };
            if tx.send(event).is_err() {
                break;
            }
        }
    });
}

fn spawn_signals(tx: UnboundedSender<Event>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        for (kind, name) in [
            (SignalKind::hangup(), "SIGHUP"),
            (SignalKind::terminate(), "SIGTERM"),
            (SignalKind::interrupt(), "SIGINT"),
        ] {
            let tx = tx.clone();
            if let Ok(mut stream) = signal(kind) {
                tokio::spawn(async move {
                    if stream.recv().await.is_some() {
                        let _ = tx.send(Event::Signal(name));
                    }
                });
            }
        }
    }
    #[cfg(not(unix))]
    {
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                let _ = tx.send(Event::Signal("Ctrl-C"));
            }
        });
    }
}

fn spawn_ticks(tx: UnboundedSender<Event>) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(Duration::from_secs(1));
        loop {
            interval.tick().await;
            if tx.send(Event::Tick).is_err() {
                break;
            }
        }
    });
}
