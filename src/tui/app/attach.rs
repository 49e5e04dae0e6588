//! The console and the engine it works with (issue 15): attached to the profile's running
//! engine through its socket, or with an engine of its own that it asks about on quit ("keep
//! provisioning in the background?").

use super::{Action, App, Overlay, now};
use crate::door::Attached;
use crate::sync::{EngineState, LogLevel};
use crate::tui::effect::Effect;
use crate::tui::log::Level;

impl App {
    /// Attached: the header names the engine, the log pane gets its backlog.
    pub(super) fn attached(&mut self, attached: Attached) -> Vec<Effect> {
        let e = &attached.engine;
        self.dashboard.engine = Some(format!(
            "attached to the running engine (pid {}, since {}, started {})",
            e.pid,
            since(&e.since),
            started(&e.started_by)
        ));
        self.engine_elsewhere = true;
        self.own_engine = false;
        self.dashboard.state = Some(attached.state);
        for line in attached.backlog {
            let time = chrono::DateTime::parse_from_rfc3339(&line.time)
                .map(|t| t.format("%H:%M:%S").to_string())
                .unwrap_or_else(|_| now());
            let level = match line.level {
                LogLevel::Info => Level::Info,
                LogLevel::Warn => Level::Warn,
                LogLevel::Error => Level::Error,
            };
            self.log.push(time, level, &line.text);
        }
        self.shared.status = format!(
            "Attached to the running engine (pid {}): q leaves it running; x stops it.",
            e.pid
        );
        vec![Effect::LoadHistory, Effect::LoadRecords]
    }

    /// The attached engine went away.
    pub(super) fn detached(&mut self, why: &str) -> Vec<Effect> {
        self.dashboard.state = Some(EngineState::Stopped);
        self.dashboard.running = None;
        self.dashboard.engine = Some("none: the engine this console was attached to has gone".to_owned());
        self.shared.status = format!(
            "The engine went away ({why}): start it again (`nowsync run`, systemctl start) and attach (`nowsync attach`)."
        );
        self.log.push(now(), Level::Warn, &self.shared.status.clone());
        Vec::new()
    }

    /// The console's own engine runs: quitting asks whether it goes on in the background.
    pub(super) fn asks_keep(&self) -> bool {
        self.own_engine && !self.demo && self.dashboard.state.is_some_and(|s| s != EngineState::Stopped)
    }

    /// Quit, asking first about the console's own engine.
    pub(super) fn leave(&mut self) -> Vec<Effect> {
        if self.asks_keep() {
            self.shared.overlay = Overlay::KeepInBackground;
            Vec::new()
        } else {
            self.update(Action::Quit)
        }
    }
}

/// RFC 3339 as the header shows it: `05:10 UTC` today, `2026-12-06 05:10 UTC` before.
fn since(rfc3339: &str) -> String {
    let Ok(t) = chrono::DateTime::parse_from_rfc3339(rfc3339) else {
        return rfc3339.to_owned();
    };
    let t = t.with_timezone(&chrono::Utc);
    if t.date_naive() == chrono::Utc::now().date_naive() {
        t.format("%H:%M UTC").to_string()
    } else {
        t.format("%Y-%m-%d %H:%M UTC").to_string()
    }
}

/// The socket's `started_by` in the header's words.
fn started(by: &str) -> String {
    match by {
        "systemd" => "by systemd".to_owned(),
        "nowsync run" => "by hand (nowsync run)".to_owned(),
        "console" => "by another console".to_owned(),
        "background" => "in the background by a console".to_owned(),
        other => format!("by {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::door::backlog::Line;
    use crate::door::proto::EngineInfo;
    use crate::tui::event::Event;
    use crate::tui::theme::Theme;

    fn attached(started_by: &str) -> Attached {
        Attached {
            engine: EngineInfo {
                profile: "default".into(),
                pid: 4242,
                since: "2026-01-02T05:10:00Z".into(),
                started_by: started_by.into(),
                socket: "/d/default.sock".into(),
            },
            state: EngineState::Running,
            backlog: vec![Line {
                time: "2026-12-07T05:11:02.123Z".into(),
                level: LogLevel::Info,
                text: "cycle 1 finished: created 3".into(),
            }],
        }
    }

    #[test]
    fn attached_the_header_names_the_engine_and_quitting_leaves_it() {
        let mut app = App::new("default", Theme::monochrome(), false);
        let effects = app.handle(Event::Attached(Box::new(attached("systemd"))));
        assert!(matches!(effects.as_slice(), [Effect::LoadHistory, Effect::LoadRecords]));
        let header = app.dashboard.engine.clone().unwrap();
        assert!(
            header == "attached to the running engine (pid 4242, since 2026-01-02 05:10 UTC, started by systemd)",
            "{header}"
        );
        assert_eq!(app.log.len(), 1, "the backlog is in the log pane");
        // A cycle runs in the engine: leaving the console does not stop it, so no question.
        app.dashboard.running = Some(Default::default());
        assert_eq!(app.quit_warning(), None);
        let effects = app.update(Action::AskQuit);
        assert!(app.quit && matches!(effects.as_slice(), [Effect::Quit]));
        assert!(!app.keep_in_background);
    }

    #[test]
    fn an_own_engine_asks_on_quit_whether_it_goes_on_in_the_background() {
        let mut app = App::new("default", Theme::monochrome(), false);
        app.handle(Event::EngineStarted(Ok(())));
        assert_eq!(app.dashboard.engine.as_deref(), Some("in this console"));
        app.update(Action::AskQuit);
        assert!(matches!(app.shared.overlay, Overlay::KeepInBackground) && !app.quit);
        app.update(Action::CloseOverlay);
        assert!(!app.quit, "Esc stays");
        app.update(Action::AskQuit);
        app.update(Action::QuitKeeping);
        assert!(app.quit && app.keep_in_background);

        let mut app = App::new("default", Theme::monochrome(), false);
        app.handle(Event::EngineStarted(Ok(())));
        app.update(Action::AskQuit);
        app.update(Action::Quit);
        assert!(app.quit && !app.keep_in_background, "n stops it");

        // A signal (SIGHUP: the SSH connection dropped) does not ask.
        let mut app = App::new("default", Theme::monochrome(), false);
        app.handle(Event::EngineStarted(Ok(())));
        app.handle(Event::Signal("SIGHUP"));
        assert!(app.quit && !app.keep_in_background);

        // The demo's engine is never kept.
        let mut app = App::new("demo", Theme::monochrome(), true);
        app.handle(Event::EngineStarted(Ok(())));
        app.update(Action::AskQuit);
        assert!(app.quit);
    }
}
