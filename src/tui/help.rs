//! The help overlay (F1, and `?` outside a text field): the keys of the current screen, then
//! the keys that work everywhere.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

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
        "next field; at a step's last field, the next step once this one is valid (what is wrong is shown); runs the test; saves",
    ),
    ("Tab / Shift-Tab, ↓ / ↑", "next / previous field"),
    (
        "PgDn / PgUp",
        "next / previous step, valid or not (every step can be revisited)",
    ),
    (
        "← → Space",
        "change a choice: secret store, cloud, start provisioning now",
    ),
    (
        "Esc",
        "leave the field: ↑/↓ pick a step, Enter edits it; on the step list of a saved profile, back to the dashboard (asks first when edited)",
    ),
    ("t, ↑ ↓", "on the test step: run test connection, scroll its results"),
    (
        "Start provisioning now",
        "yes: scheduled cycles write to ServiceNow; no (a new profile's default): nothing is written until it is turned on (Settings) or a cycle is run (r)",
    ),
];

const DASHBOARD: &[(&str, &str)] = &[
    ("r", "run a cycle now"),
    (
        "R",
        "reconcile now: a cycle that reads both sides whole and corrects drift (also every reconcile_hours by itself)",
    ),
    ("d", "dry run: plan without writing, then review the plan"),
    ("a", "the plan (A there applies a dry run's plan while it is current)"),
    ("p", "pause / resume scheduled cycles"),
    ("D", ALLOW_DELETES),
    ("x", "stop the running cycle (asks first)"),
    ("e", "provisioning logs: every object's result, troubleshooting"),
    ("L", "the log full screen"),
    ("w", "the setup wizard again"),
    ("m / s / t", "mappings / scope / settings"),
    ("↑ ↓ PgUp PgDn", "scroll the log; End or f follows the tail"),
    ("Space", "pause the log view; Space again follows the tail"),
    ("l", "log level: debug, info, warn, error"),
    ("/", "a new log filter by text (Enter keeps it, Esc clears it)"),
    ("Enter", "the bottom log line, whole"),
];

const LOG: &[(&str, &str)] = &[
    ("↑ ↓ PgUp PgDn Home", "scroll"),
    ("End or f", "follow the tail"),
    ("Space", "pause the view; paused or scrolled, follow the tail again"),
    ("l", "log level"),
    ("/", "a new filter by text (replaces the one set)"),
    ("Enter", "the bottom line shown, whole"),
    ("Esc", "back to the dashboard"),
];

const RECORDS: &[(&str, &str)] = &[
    ("↑ ↓ PgUp PgDn", "select a record"),
    (
        "Enter",
        "details: steps, modified properties (references by name), troubleshooting; ↑ ↓ scroll them",
    ),
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
        "edit the selected mapping / add one (a form that evaluates its source as typed; Enter checks the whole file)",
    ),
    ("D or Delete", "delete the selected mapping"),
    (
        "[ / ]",
        "move the selected mapping earlier / later in matching precedence",
    ),
    ("R", "restore the built-in mappings (asks first)"),
    ("i", "import an Entra schema JSON from a path (shows what was dropped)"),
    (
        "S or Ctrl-S",
        "check and save the mapping file (what it does is shown first); the engine reloads",
    ),
    ("E", "export the mappings as Entra schema JSON (data dir, exports/)"),
    (
        "Enter or x",
        "expression editor: evaluates as you type against a user picked by search; Enter applies it to the mapping",
    ),
    (
        "Tab (in the editor)",
        "expression or user search; Enter searches, ↑↓ picks a user",
    ),
    (
        "Esc",
        "close the editor or form (asks before dropping an edit); back (asks first when unsaved)",
    ),
];

const SCOPE: &[(&str, &str)] = &[
    (
        "a",
        "assigned or all users and groups: a dry run of the change shows what it does; y saves it",
    ),
    ("g", "user or group scoping filters"),
    ("↑ ↓", "select a clause"),
    ("n / f", "add a clause to the selected filter / a new filter"),
    ("e or Enter / D", "edit / delete the selected clause"),
    (
        "← → (in the form)",
        "pick the attribute or operator; a letter jumps to an attribute",
    ),
    (
        "S",
        "check and save the mapping file (what it does is shown first); the counts follow",
    ),
    ("c", "count again: read the source for the counts and samples"),
    ("Esc", "close the form; back (asks first when unsaved)"),
];

const SETTINGS: &[(&str, &str)] = &[
    (
        "↑ ↓ Tab",
        "another field (the screen opens browsing, and is back to it after a save)",
    ),
    (
        "t (browsing)",
        "provisioning on (asks first: cycles then write to ServiceNow) or off; saved at once",
    ),
    (
        "Enter / e",
        "edit the number or email field shown with >; its keys are then the field's (✎)",
    ),
    (
        "← → Space Enter",
        "change a choice: provisioning on/off, scope assigned/all, the yes/no options",
    ),
    (
        "← → Space Enter (last rows)",
        "skip out-of-scope deletions, Delete action: toggled (and back) here, written to the mapping file by S. A user or group purged in Entra is deleted only with the Delete action on and deprovision_users / deprovision_groups = \"delete\" in the configuration; otherwise it is disabled / deactivated (the defaults)",
    ),
    (
        "S (Enter in a field)",
        "check and save: the fields to the configuration file, then the last rows to the mapping file (a change of scope or deprovisioning shows what it does first; y saves, Esc cancels and keeps the edits); the engine reloads",
    ),
    (
        "Esc",
        "in a field: leave it, its edit kept (unsaved); browsing: back (asks first when edits are unsaved)",
    ),
    ("w (browsing)", "the setup wizard"),
    (
        "o (browsing)",
        "SSO readiness: would the provisioned users sign in with SAML SSO?",
    ),
];

const PLAN: &[(&str, &str)] = &[
    ("↑ ↓ PgUp PgDn", "select an operation"),
    (
        "Enter",
        "its details: steps, the whole attribute diff (references by name); ↑ ↓ scroll them",
    ),
    (
        "f",
        "action filter: all, create, update, disable, delete, add_member, remove_member, …",
    ),
    ("/", "filter by text"),
    (
        "A",
        "apply a dry run's plan while it is current (asks first, with the counts of disables and deletes); an applied or out-of-date plan is not applied",
    ),
    ("D", ALLOW_DELETES),
    ("Esc", "back to the dashboard"),
];

/// `D`, on the screens that show what the deletion threshold holds.
const ALLOW_DELETES: &str = "apply what the deletion threshold holds (the Held row), as nowsync allow-deletes: asks first, naming the counts and the instance; ends the TooManyDeletes quarantine. Offered only while something is held and an engine serves the profile";

const EVERYWHERE: [(&str, &str); 11] = [
    (
        "1–8, Tab / Shift-Tab",
        "switch screens: Dashboard, Plan, Records (provisioning logs), Log, Mappings, Scope, Settings, Setup (outside a text field)",
    ),
    (
        "r / d",
        "run a cycle now / dry run (plan without writing), from every screen where the key is not the screen's own",
    ),
    (
        "a e L m s t w",
        "plan, provisioning logs, log, mappings, scope, settings, setup wizard (where the screen does not use the letter)",
    ),
    (
        "p / x",
        "pause or resume scheduled cycles / stop the running cycle (asks first)",
    ),
    (
        "o",
        "SSO readiness: the field SSO matches on, whether the mappings write it from the NameID attribute, which provisioned users would sign in (f types the field when the instance does not say)",
    ),
    ("F1, ? (outside a text field)", "this help; ↑ ↓ PgUp PgDn scroll it"),
    ("Esc", "leave a text field, close an overlay or go back; never exits"),
    (
        "q (outside a text field)",
        "quit (asks first when edits are unsaved or a cycle runs)",
    ),
    ("Ctrl-C", "quit from anywhere (asks first likewise)"),
    (
        "",
        "Leaving a screen with unsaved edits asks first; the edits stay until saved or dropped.",
    ),
    (
        "",
        "A change of scope, scoping filters, matching or deprovisioning shows what it would do (a dry run of the changed rules) before it is saved.",
    ),
];

/// What `x` does in a console whose engine is its own: the engine's stop ends its running
/// cycle and the engine with it (`sync::Handle`: a stop ends the engine's loop).
pub const X_OWN: &str = "stop the running cycle (asks first): the object in flight finishes, then this console's engine stops; no cycle runs until the console is opened again (or its setup wizard saved again)";

/// What `x` does in a console attached to another process's engine.
pub const X_ATTACHED: &str = "stop the engine this console is attached to (asks first), idle or not: a running cycle finishes the object in flight, then the engine exits (`nowsync run` ends) and every console attached to it is left without it";

/// `c`, in a console attached to another process's engine.
const C_ATTACHED: &str = "once the engine attached to has gone (stopped or restarted): attach to the engine serving the profile now, without quitting";

/// Which engine the console works with: what `x` does depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// The console's own (or none yet).
    Own,
    /// Another process's, through its socket.
    Attached,
}

/// The width of the keys column.
const KEYS: usize = 26;

/// The popup over a body of `width` columns: its inner width.
fn inner_width(width: u16) -> usize {
    (width.saturating_sub(8).min(90) as usize).saturating_sub(2)
}

/// The help of `screen`, wrapped to `width` columns: the screen's keys, then every screen's.
fn lines(screen: Screen, engine: Engine, width: usize, t: Theme) -> Vec<Line<'static>> {
    let text = width.saturating_sub(KEYS + 1).max(10);
    let mut out = Vec::new();
    let mut row = |k: &str, v: &str| {
        for (i, part) in crate::tui::text::wrap(v, text).into_iter().enumerate() {
            let key = if i == 0 { k } else { "" };
            out.push(Line::from(vec![
                Span::styled(format!("{key:<KEYS$} "), t.key()),
                Span::raw(part),
            ]));
        }
    };
    let x = match engine {
        Engine::Own => X_OWN,
        Engine::Attached => X_ATTACHED,
    };
    for (k, v) in keys(screen) {
        row(k, if *k == "x" { x } else { v });
    }
    row("", "");
    for (k, v) in EVERYWHERE {
        if k == "p / x" {
            row("p", "pause or resume scheduled cycles");
            row("x", x);
        } else {
            row(k, v);
        }
        if k == "o" && engine == Engine::Attached {
            row("c", C_ATTACHED);
        }
    }
    out
}

/// How many rows the help of `screen` has in a terminal `width` columns wide.
pub fn rows(screen: Screen, engine: Engine, width: u16) -> usize {
    lines(screen, engine, inner_width(width), Theme::monochrome()).len()
}

/// The overlay, scrolled to `scroll`.
pub struct HelpView {
    pub screen: Screen,
    pub engine: Engine,
    pub theme: Theme,
    pub scroll: u16,
}

impl Widget for HelpView {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let width = area.width.saturating_sub(8).min(90);
        let height = area.height.saturating_sub(2).max(3);
        let popup = Rect::new(area.x + (area.width - width) / 2, area.y + 1, width, height);
        Clear.render(popup, buf);
        let lines = lines(self.screen, self.engine, inner_width(area.width), t);
        let shown = popup.height.saturating_sub(2) as usize;
        let scroll = (self.scroll as usize).min(lines.len().saturating_sub(shown));
        let more = if lines.len() > shown {
            format!(
                " · rows {}–{} of {}, ↑↓ scroll",
                scroll + 1,
                (scroll + shown).min(lines.len()),
                lines.len()
            )
        } else {
            String::new()
        };
        let block = Block::default().borders(Borders::ALL).title(Span::styled(
            format!(" Help · {}{more} · Esc closes ", self.screen.title()),
            t.title(),
        ));
        Paragraph::new(lines)
            .block(block)
            .scroll((scroll as u16, 0))
            .render(popup, buf);
    }
}
