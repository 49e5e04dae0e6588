//! The frame around every screen: the top bar (the profile and the screens' tabs with their
//! number keys), the status line (while a message lasts) and the key line, which always lists
//! the shown screen's keys, the most useful first, cut to the width before `F1 more` so that
//! it is never cut off (issue 14, k9s-style). Reads state only.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::app::{App, Overlay, Screen};
use super::screens::mappings::Focus;
use crate::model::text::sanitize_for_terminal;

/// The top bar.
pub struct TopBar<'a> {
    pub app: &'a App,
}

impl Widget for TopBar<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let t = app.theme;
        let demo = if app.demo { " DEMO" } else { "" };
        let head = format!(" nowsync {}{demo} ", app.profile);
        let room = (area.width as usize).saturating_sub(head.chars().count() + 1);
        let tabs = |word: fn(Screen) -> String| -> Vec<(Screen, String)> {
            Screen::ALL.iter().map(|s| (*s, word(*s))).collect()
        };
        // Each tab is a space and its word; the current one is bracketed instead.
        let width = |tabs: &[(Screen, String)]| tabs.iter().map(|(_, w)| w.chars().count() + 1).sum::<usize>() + 1;
        let mut chosen = tabs(|s| format!("{} {}", s.number(), s.tab()));
        if width(&chosen) > room {
            chosen = tabs(|s| format!("{} {}", s.number(), s.short_tab()));
        }
        if width(&chosen) > room {
            chosen = tabs(|s| s.number().to_string());
        }
        let mut spans = vec![Span::styled(head, t.title())];
        for (screen, word) in chosen {
            if screen == app.shared.screen {
                spans.push(Span::styled(format!("[{word}]"), t.focus().patch(t.selected())));
            } else {
                spans.push(Span::styled(format!(" {word}"), t.dim()));
            }
        }
        Paragraph::new(Line::from(spans)).render(area, buf);
    }
}

/// The most rows a status message takes; a longer one ends with `…` (the log has it whole).
const STATUS_ROWS: usize = 3;

/// The status message, wrapped to `width` columns (issue 14: wrapped, not cut), at most
/// [`STATUS_ROWS`] rows.
fn status_lines(app: &App, width: u16) -> Vec<String> {
    let status = &app.shared.status;
    if status.is_empty() {
        return Vec::new();
    }
    let width = (width as usize).saturating_sub(1).max(1);
    let mut rows = crate::tui::text::wrap(&sanitize_for_terminal(status), width);
    if rows.len() > STATUS_ROWS {
        rows.truncate(STATUS_ROWS);
        if let Some(last) = rows.last_mut() {
            let keep: String = last.chars().take(width.saturating_sub(1)).collect();
            *last = format!("{keep}…");
        }
    }
    rows
}

/// How many rows the status message takes in a terminal `width` columns wide.
pub fn status_rows(app: &App, width: u16) -> u16 {
    status_lines(app, width).len() as u16
}

/// The status line: the last message, while it lasts, wrapped.
pub struct StatusLine<'a> {
    pub app: &'a App,
}

impl Widget for StatusLine<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let style = self.app.theme.warn();
        let lines: Vec<Line> = status_lines(self.app, area.width)
            .into_iter()
            .map(|l| Line::from(Span::styled(format!(" {l}"), style)))
            .collect();
        Paragraph::new(lines).render(area, buf);
    }
}

/// The key line.
pub struct KeyLine<'a> {
    pub app: &'a App,
}

impl Widget for KeyLine<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let t = app.theme;
        if let Some(input) = &app.log_screen.filter {
            let line = Line::from(vec![
                Span::styled("filter: ", t.key()),
                Span::raw(sanitize_for_terminal(input.value())),
                Span::styled("  (Enter keeps, Esc clears)", t.dim()),
            ]);
            Paragraph::new(line).render(area, buf);
            return;
        }
        let more = "F1 more";
        let room = (area.width as usize).saturating_sub(more.len() + 1);
        let mut spans = Vec::new();
        let mut used = 0;
        for (key, what) in keys(app) {
            let len = key.chars().count() + 1 + what.chars().count() + 3;
            if used + len > room {
                break;
            }
            used += len;
            spans.push(Span::styled(key.to_owned(), t.key()));
            spans.push(Span::raw(format!(" {what}")));
            spans.push(Span::styled(" · ", t.dim()));
        }
        spans.push(Span::styled("F1", t.key()));
        spans.push(Span::raw(" more"));
        Paragraph::new(Line::from(spans)).render(area, buf);
    }
}

/// The shown screen's keys for the key line, the most useful first.
pub fn keys(app: &App) -> Vec<(&'static str, &'static str)> {
    // A box takes the keys while it is open: its keys, not the screen's below it (a question
    // opened a moment after a save looked like a hang while the screen's keys stayed listed).
    match &app.shared.overlay {
        Overlay::Preview => return preview_keys(app),
        Overlay::Ask { .. }
        | Overlay::ConfirmQuit(_)
        | Overlay::ConfirmStop
        | Overlay::ConfirmApply { .. }
        | Overlay::ConfirmAllowDeletes { .. }
        | Overlay::ConfirmCreate { .. }
        | Overlay::ConfirmLeave => return vec![("y", "yes"), ("n/Esc", "no")],
        Overlay::KeepInBackground => return vec![("y", "keep it running"), ("n", "stop it"), ("Esc", "stay")],
        Overlay::Help => return vec![("↑↓ PgUp PgDn", "scroll"), ("Esc", "close")],
        Overlay::LogLine(_) => return vec![("Enter/Esc", "close")],
        Overlay::None | Overlay::Sso => {}
    }
    let every = [("1-8", "screens"), ("r", "run"), ("d", "dry run")];
    let mut keys: Vec<(&str, &str)> = match app.shared.screen {
        Screen::Wizard => return wizard_keys(app),
        Screen::Dashboard => {
            let pause = if app.dashboard.paused() { "resume" } else { "pause" };
            vec![
                ("r", "run"),
                ("d", "dry run"),
                ("a", "plan"),
                ("e", "records"),
                ("p", pause),
                ("↑↓", "log"),
                ("Space", "pause log"),
                ("/", "filter"),
                ("Enter", "line"),
                ("1-8", "screens"),
            ]
        }
        Screen::Log => vec![
            ("↑↓", "scroll"),
            ("Space", "pause/follow"),
            ("/", "filter"),
            ("l", "level"),
            ("Enter", "line"),
            ("Esc", "back"),
        ],
        Screen::Plan => plan_keys(app),
        Screen::Records => records_keys(app),
        Screen::Mappings => mapping_keys(app),
        Screen::Scope => scope_keys(app),
        Screen::Settings => settings_keys(app),
    };
    // In a text field or a form those keys are the field's.
    let captured = app.in_text_field()
        || app.scope.form.is_some()
        || app.mappings.editor.is_some()
        || app.mappings.doc.draft.is_open();
    for k in every.iter().filter(|_| !captured) {
        if !keys.iter().any(|(key, _)| *key == k.0) {
            keys.push(*k);
        }
    }
    // A held set is the quarantine's way out: first, while an engine serves the profile and
    // the screen leaves `D` to the console (acceptance F23: a key shown works where shown).
    let own_d = matches!(app.shared.screen, Screen::Scope | Screen::Mappings);
    if !captured && !own_d && app.allow_deletes_refused().is_ok() {
        keys.insert(0, ("D", "apply held"));
    }
    // The engine attached to has gone: what to do about it comes first, and r and d, which
    // reach no engine now, are not offered (acceptance F14).
    if app.engine_has_gone() && !captured {
        keys.retain(|(key, _)| !matches!(*key, "r" | "d"));
        if !keys.iter().any(|(key, _)| *key == "c") {
            keys.insert(0, ("c", "attach again"));
        }
    }
    keys
}

/// The settings screen's keys: browsing the fields, or editing one.
fn settings_keys(app: &App) -> Vec<(&'static str, &'static str)> {
    if app.settings.in_text_field() {
        return vec![("Enter", "save"), ("Esc", "keep, browse"), ("↑↓", "field")];
    }
    vec![
        ("↑↓", "field"),
        ("Enter/e", "edit"),
        ("←→", "change"),
        ("S", "save"),
        ("t", "on/off"),
        ("Esc", "back"),
        ("o", "SSO check"),
    ]
}

/// The save preview's keys: `y` only once the answer is shown (before it, `y` does nothing).
fn preview_keys(app: &App) -> Vec<(&'static str, &'static str)> {
    let answered = app.pending.as_ref().is_some_and(|p| p.result.is_some());
    if answered {
        vec![("y", "save"), ("n/Esc", "cancel")]
    } else {
        vec![("n/Esc", "cancel")]
    }
}

/// The plan screen's keys: the list's, or the details'.
fn plan_keys(app: &App) -> Vec<(&'static str, &'static str)> {
    if app.plan.view.open {
        return vec![("↑↓", "scroll"), ("Esc", "list")];
    }
    let mut keys = vec![
        ("Enter", "details"),
        ("f", "action"),
        ("/", "text"),
        ("d", "new dry run"),
        ("Esc", "back"),
    ];
    if app.plan.ready() {
        keys.insert(1, ("A", "apply"));
    }
    keys
}

/// The provisioning logs' keys: the list's, or a record's details'.
fn records_keys(app: &App) -> Vec<(&'static str, &'static str)> {
    if app.records.can_create() {
        vec![("↑↓", "scroll"), ("c", "create row"), ("Esc", "list")]
    } else if app.records.view.open {
        vec![("↑↓", "scroll"), ("Esc", "list")]
    } else {
        vec![
            ("Enter", "details"),
            ("s", "status"),
            ("/", "text"),
            ("J/C", "export"),
            ("Esc", "back"),
        ]
    }
}

/// The scope screen's keys: the list's, or the filter builder's.
fn scope_keys(app: &App) -> Vec<(&'static str, &'static str)> {
    if app.scope.form.is_some() {
        return vec![("←→", "pick"), ("Tab", "field"), ("Enter", "keep"), ("Esc", "close")];
    }
    vec![
        ("a", "assigned/all"),
        ("n", "clause"),
        ("f", "filter"),
        ("e", "edit"),
        ("D", "delete"),
        ("S", "save"),
        ("c", "count"),
        ("Esc", "back"),
    ]
}

fn wizard_keys(app: &App) -> Vec<(&'static str, &'static str)> {
    use crate::tui::screens::wizard::Step;
    let Some(w) = &app.wizard else {
        return Vec::new();
    };
    let leave = if app.settings.editor.is_some() && !w.editing {
        "leave"
    } else {
        "step list"
    };
    let mut k = match w.step {
        Step::Review => vec![("Enter", "save"), ("←→", "start now?")],
        Step::Test => vec![("Enter/t", "test"), ("↑↓", "scroll")],
        // On the step list no field has the keys (the console's letters act): Enter enters.
        _ if !w.editing => vec![("Enter", "edit step"), ("↑↓", "step")],
        _ => vec![("Enter", "next"), ("Tab", "field")],
    };
    k.extend([("PgDn/PgUp", "step"), ("Esc", leave), ("Ctrl-C", "quit")]);
    if matches!(w.step, Step::Credentials | Step::Entra) {
        k.insert(2, ("←→", "choice"));
    }
    k
}

fn mapping_keys(app: &App) -> Vec<(&'static str, &'static str)> {
    let m = &app.mappings;
    if let Some(editor) = &m.editor {
        let search = if editor.focus == Focus::Search {
            "search"
        } else {
            "apply"
        };
        return vec![("Enter", search), ("Tab", "expression/user"), ("Esc", "close")];
    }
    if m.doc.draft.form.is_some() {
        return vec![("Enter", "check"), ("Tab", "field"), ("←→", "choice"), ("Esc", "close")];
    }
    vec![
        ("Enter", "expression"),
        ("e", "edit"),
        ("n", "new"),
        ("D", "delete"),
        ("S", "save"),
        ("g", "users/groups"),
        ("Esc", "back"),
    ]
}
