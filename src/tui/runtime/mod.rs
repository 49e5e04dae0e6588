//! The event loop: terminal events, signals, effects' reports and engine events go into one
//! channel; the app handles them and a frame is drawn only when something changed (a dirty
//! flag), so an idle console costs no CPU and sends nothing over SSH.

mod effects;
mod mappings_save;

#[cfg(test)]
pub(super) use effects::save;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crossterm::event as ct;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::app::App;
use super::effect::Effect;
use super::event::Event;
use super::terminal::{self, Term};
use super::{Context, view};

/// Runs the console until the app quits; the terminal is restored on every way out.
pub async fn run(ctx: Context, mut app: App, first: Vec<Effect>) -> std::io::Result<()> {
    let mut term = terminal::enter()?;
    let result = run_loop(&ctx, &mut app, first, &mut term).await;
    terminal::leave(term);
    match result? {
        Some(Ok(pid)) => println!(
            "Provisioning goes on in the background: nowsync run (pid {pid}) for profile '{}'. `nowsync attach --profile {}` shows it; `nowsync status` says where it serves.",
            ctx.profile, ctx.profile
        ),
        Some(Err(e)) => {
            eprintln!("error: the background engine (nowsync run) could not start: {e}; the engine has stopped")
        }
        None => {}
    }
    Ok(())
}

/// The loop; after it, the background engine that took over from the console's own, if the
/// admin chose so on quit (its pid, or why it did not start).
async fn run_loop(
    ctx: &Context,
    app: &mut App,
    first: Vec<Effect>,
    term: &mut Term,
) -> std::io::Result<Option<std::io::Result<u32>>> {
    let (tx, mut rx) = unbounded_channel();
    let stop = Arc::new(AtomicBool::new(false));
    spawn_input(tx.clone(), Arc::clone(&stop));
    spawn_signals(tx.clone());
    spawn_ticks(tx.clone());
    let mut engine = super::engine_task::EngineSlot::default();
    if let Ok((w, h)) = crossterm::terminal::size() {
        app.size = (w, h);
    }
    for effect in first {
        effects::run(ctx, effect, &tx, &mut engine);
    }
    let mut dirty = true;
    // A frame that cannot be written (the terminal is gone) ends the console, but the engine
    // still stops first: it writes in the data dir the demo removes after.
    let mut gone = None;
    loop {
        if dirty {
            if let Err(e) = terminal::draw(term, |f| view::render(app, f)) {
                gone = Some(e);
                break;
            }
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
    let hand_over = app.keep_in_background && engine.own();
    // The console's own engine stops (its lock and socket go with it); an attached one goes on.
    engine.shutdown().await;
    drain(&mut rx);
    if let Some(e) = gone {
        return Err(e);
    }
    Ok(hand_over.then(|| super::engine_task::spawn_run(&ctx.config_path, &ctx.data_dir, &ctx.profile)))
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
        // A clock shows, a status message may go, or a ready plan may expire.
        Event::Tick => app.dashboard.cycle_running() || !app.shared.status.is_empty() || app.plan.ready(),
        _ => true,
    };
    for effect in app.handle(event) {
        effects::run(ctx, effect, tx, engine);
    }
    redraw
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

/// SIGHUP, SIGTERM and SIGINT listened to from now on (for a phase before the event loop,
/// e.g. the demo's simulators starting: the default action would kill the process before its
/// clean-up).
pub(crate) struct Signals {
    #[cfg(unix)]
    streams: Vec<tokio::signal::unix::Signal>,
}

impl Signals {
    pub(crate) fn listen() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let kinds = [SignalKind::hangup(), SignalKind::terminate(), SignalKind::interrupt()];
            Signals {
                streams: kinds.into_iter().filter_map(|k| signal(k).ok()).collect(),
            }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    /// Resolves at the first of the signals.
    pub(crate) async fn first(mut self) {
        #[cfg(unix)]
        {
            if self.streams.is_empty() {
                // No handler could be installed: the default actions stay; wait forever.
                std::future::pending::<()>().await;
            }
            let waits = self.streams.iter_mut().map(|s| Box::pin(s.recv()));
            let _ = futures_util::future::select_all(waits).await;
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
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
