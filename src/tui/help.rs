//! The help overlay (F1, and `?` outside a text field): the keys of the current screen, then
//! the keys that work everywhere.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};

use super::app::Screen;
use super::theme::Theme;

/// The keys of `screen`, as (keys, what they do).
pub fn keys(screen: Screen) -> &'static [(&'static str, &'static str)] {
    match screen {
        Screen::Wizard => WIZARD,
        Screen::Dashboard => DASHBOARD,
        Screen::Log => LOG,
        Screen::Records => RECORDS,
        Screen::Mappings => MAPPINGS,
        Screen::Scope => SCOPE,
        Screen::Settings => SETTINGS,
        Screen::Plan => PLAN,
    }
}

const WIZARD: &[(&str, &str)] = &[
    (
        "Enter",
        "next field; at the last field, next step; runs the test; saves",
    ),
    ("Tab / Shift-Tab, ↓ / ↑", "next / previous field"),
    ("PgDn / PgUp", "next / previous step (every step can be revisited)"),
    ("← → Space", "change a choice (cloud, secret store)"),
    ("Esc", "leave the field: ↑/↓ pick a step, Enter edits it"),
    ("t", "run test connection (on that step, outside a field)"),
];

const DASHBOARD: &[(&str, &str)] = &[
    ("r", "run a cycle now"),
    ("d", "dry run: plan without writing, then review the plan"),
    ("a", "the last plan (apply it from there)"),
    ("p", "pause / resume scheduled cycles"),
    ("x", "stop the running cycle (asks first)"),
    ("e", "provisioning logs: every object's result, troubleshooting"),
    ("L", "the log full screen"),
    ("w", "the setup wizard again"),
    ("m / s / t", "mappings / scope / settings"),
    ("↑ ↓ PgUp PgDn", "scroll the log; End or f follows the tail"),
    ("Space", "pause the log view"),
    ("l", "log level: debug, info, warn, error"),
    ("/", "filter the log by text (Enter keeps it, Esc clears it)"),
];

const LOG: &[(&str, &str)] = &[
    ("↑ ↓ PgUp PgDn Home", "scroll"),
    ("End or f", "follow the tail"),
    ("Space", "pause the view"),
    ("l", "log level"),
    ("/", "filter by text"),
    ("Esc", "back to the dashboard"),
];

const RECORDS: &[(&str, &str)] = &[
    ("↑ ↓ PgUp PgDn", "select a record"),
    ("Enter", "details: steps, modified properties, troubleshooting"),
    ("s", "status filter: all, failure, success, skipped"),
    ("/", "filter by text (name, code, reason)"),
    ("J / C", "export the shown records to JSON / CSV in the data dir"),
    (
        "c (in details)",
        "create the missing reference row (InvalidLookupReference)",
    ),
    ("Esc", "back (from details: to the list)"),
];

const MAPPINGS: &[(&str, &str)] = &[
    ("↑ ↓", "select a mapping"),
    ("g", "user or group mappings"),
    (
        "e / n",
        "edit the selected mapping / add one (a form; Enter checks the whole file)",
    ),
    ("D or Delete", "delete the selected mapping"),
    (
        "[ / ]",
        "move the selected mapping earlier / later in matching precedence",
    ),
    ("R", "restore the built-in mappings (asks first)"),
    ("i", "import an Entra schema JSON from a path (shows what was dropped)"),
    ("S or Ctrl-S", "check and save the mapping file; the engine reloads"),
    ("E", "export the mappings as Entra schema JSON (data dir, exports/)"),
    (
        "Enter or x",
        "expression editor: evaluates as you type against a user picked by search",
    ),
    (
        "Tab (in the editor)",
        "expression or user search; Enter searches, ↑↓ picks a user",
    ),
    ("Esc", "close the editor or form; back (asks first when unsaved)"),
];

const SCOPE: &[(&str, &str)] = &[
    ("a", "assigned or all users and groups (saved to the settings at once)"),
    ("g", "user or group scoping filters"),
    ("↑ ↓", "select a clause"),
    ("n / f", "add a clause to the selected filter / a new filter"),
    ("e or Enter / D", "edit / delete the selected clause"),
    (
        "← → (in the form)",
        "pick the attribute or operator; a letter jumps to an attribute",
    ),
    ("S", "check and save the mapping file; the counts and samples follow"),
    ("r", "read the source again: counts and samples"),
    ("Esc", "close the form; back (asks first when unsaved)"),
];

const SETTINGS: &[(&str, &str)] = &[
    ("↑ ↓ Tab", "another field"),
    ("← → Space", "provisioning on/off, scope assigned/all"),
    (
        "← → Space (last rows)",
        "skip out-of-scope deletions, delete action: saved to the mapping file at once",
    ),
    ("Enter", "check and save to the configuration file; the engine reloads"),
    ("w (outside a number)", "the setup wizard"),
    ("Esc", "back (asks first when edits are unsaved)"),
];

const PLAN: &[(&str, &str)] = &[
    ("↑ ↓ PgUp PgDn", "select an operation"),
    ("Enter", "expand / collapse its attribute diff"),
    ("f", "action filter: all, create, update, disable, delete, error, …"),
    ("/", "filter by text"),
    (
        "A",
        "apply this plan (asks first, with the counts of disables and deletes)",
    ),
    ("Esc", "back to the dashboard"),
];

const EVERYWHERE: [(&str, &str); 4] = [
    ("F1, ? (outside a text field)", "this help"),
    ("Esc", "leave a text field or close an overlay; never exits"),
    (
        "q (outside a text field)",
        "quit (asks first when edits are unsaved or a cycle runs)",
    ),
    ("Ctrl-C", "quit from anywhere (asks first likewise)"),
];

/// The overlay.
pub struct HelpView {
    pub screen: Screen,
    pub theme: Theme,
}

impl Widget for HelpView {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let width = area.width.saturating_sub(8).min(90);
        let height = area.height.saturating_sub(4);
        let popup = Rect::new(area.x + (area.width - width) / 2, area.y + 2, width, height);
        Clear.render(popup, buf);
        let block = Block::default().borders(Borders::ALL).title(Span::styled(
            format!(" Help · {} · Esc closes ", self.screen.title()),
            t.title(),
        ));
        let mut lines = Vec::new();
        let row = |k: &str, v: &str| {
            Line::from(vec![
                Span::styled(format!("{k:<26} "), t.key()),
                Span::raw(v.to_owned()),
            ])
        };
        for (k, v) in keys(self.screen) {
            lines.push(row(k, v));
        }
        lines.push(Line::default());
        for (k, v) in EVERYWHERE {
            lines.push(row(k, v));
        }
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .render(popup, buf);
    }
}
