//! The log's tracing output into the console's log pane: a `tracing_subscriber` layer that,
//! while a console is attached, sends each event (level info and up, as the file's filter
//! lets through) as a line. Detached, it does nothing.
//!
//! Invariant: it never blocks the logging thread (an unbounded send) and never logs itself.

use std::fmt::Write as _;
use std::sync::Mutex;

use tokio::sync::mpsc::UnboundedSender;
use tracing::field::{Field, Visit};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;

use super::event::Event;
use super::log::Level;

static SINK: Mutex<Option<UnboundedSender<Event>>> = Mutex::new(None);

/// Sends tracing events to `tx` until [`detach`].
pub fn attach(tx: UnboundedSender<Event>) {
    if let Ok(mut sink) = SINK.lock() {
        *sink = Some(tx);
    }
}

pub fn detach() {
    if let Ok(mut sink) = SINK.lock() {
        *sink = None;
    }
}

/// The layer `cli::logging` installs beside the file writer.
pub struct PaneLayer;

struct Text(String);

impl Visit for Text {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?} ");
        } else {
            let _ = write!(self.0, "{}={value:?} ", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value} ");
        } else {
            let _ = write!(self.0, "{}={value} ", field.name());
        }
    }
}

impl<S: tracing::Subscriber> Layer<S> for PaneLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let Ok(sink) = SINK.lock() else { return };
        let Some(tx) = sink.as_ref() else { return };
        let meta = event.metadata();
        let level = match *meta.level() {
            tracing::Level::ERROR => Level::Error,
            tracing::Level::WARN => Level::Warn,
            tracing::Level::INFO => Level::Info,
            _ => Level::Debug,
        };
        let mut text = Text(format!("{}: ", meta.target()));
        event.record(&mut text);
        let _ = tx.send(Event::Log {
            level,
            text: text.0.trim_end().to_owned(),
        });
    }
}
