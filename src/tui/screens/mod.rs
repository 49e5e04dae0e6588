//! One folder per screen. Each `<name>/mod.rs` holds the screen's state, its own actions, its
//! `key()` (a key's meaning there) and `update()` (the change, returning `Effect`s); each
//! `view.rs` draws the state and reads it only. `App` routes keys and events to them and owns
//! only what they share ([`crate::tui::app::Shared`]: which screen shows, the overlay, the
//! status line; and the log buffer).
//!
//! - `dashboard/`: what the engine said last (status, the cycle in progress, totals), the log
//!   pane at its bottom.
//! - `log/`: the log full screen and the log pane's keys (scroll, follow, level, filter).
//! - `plan/`: the last dry run's plan, filterable, an operation's diff, apply.
//! - `records/`: the provisioning logs (the store's records), a record's details and
//!   troubleshooting (`troubleshoot.rs`), export.
//! - `mappings/`: the mapping file's working copy (`draft.rs`, shared with the scope and
//!   settings screens through [`mappings::Doc`]), the tables, the edit form (`form_view.rs`),
//!   the expression editor (`editor.rs`).
//! - `scope/`: assigned or all, the scoping-filter builder (`builder_view.rs`), the counts.
//! - `settings/`: the provisioning settings of the configuration file, and the rows that live
//!   in the mapping file (`extra.rs`).
//! - `wizard/`: setup, from the instance name to the saved profile.
//! - `sso/`: the SSO readiness panel, drawn over any screen (`o`).

pub mod dashboard;
pub mod list;
pub mod log;
pub mod mappings;
pub mod plan;
pub mod records;
pub mod scope;
pub mod settings;
pub mod sso;
pub mod wizard;

/// The screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Wizard,
    Dashboard,
    Log,
    Records,
    Plan,
    Mappings,
    Scope,
    Settings,
}

impl Screen {
    /// The screens in the order of their number keys (1–8) and of Tab.
    pub const ALL: [Screen; 8] = [
        Screen::Dashboard,
        Screen::Plan,
        Screen::Records,
        Screen::Log,
        Screen::Mappings,
        Screen::Scope,
        Screen::Settings,
        Screen::Wizard,
    ];

    /// The screen's number key.
    pub fn number(self) -> usize {
        Self::ALL.iter().position(|s| *s == self).map_or(0, |i| i + 1)
    }

    /// The screen `by` places after this one, round the ring.
    pub fn next(self, by: isize) -> Screen {
        let n = Self::ALL.len() as isize;
        Self::ALL[((self.number() as isize - 1 + by).rem_euclid(n)) as usize]
    }

    /// The tab bar's word for it.
    pub fn tab(self) -> &'static str {
        match self {
            Screen::Wizard => "Setup",
            Screen::Dashboard => "Dashboard",
            Screen::Log => "Log",
            Screen::Records => "Records",
            Screen::Plan => "Plan",
            Screen::Mappings => "Mappings",
            Screen::Scope => "Scope",
            Screen::Settings => "Settings",
        }
    }

    /// The tab's word on a narrow terminal.
    pub fn short_tab(self) -> &'static str {
        match self {
            Screen::Wizard => "Setup",
            Screen::Dashboard => "Dash",
            Screen::Log => "Log",
            Screen::Records => "Recs",
            Screen::Plan => "Plan",
            Screen::Mappings => "Maps",
            Screen::Scope => "Scope",
            Screen::Settings => "Set",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Screen::Wizard => "Setup wizard",
            Screen::Dashboard => "Dashboard",
            Screen::Log => "Log",
            Screen::Records => "Provisioning logs",
            Screen::Plan => "Plan",
            Screen::Mappings => "Mappings",
            Screen::Scope => "Scope",
            Screen::Settings => "Settings",
        }
    }
}

/// The window of `len` rows of height `height` that keeps `selected` in view.
pub fn window(selected: usize, len: usize, height: usize) -> std::ops::Range<usize> {
    if len <= height {
        return 0..len;
    }
    let start = selected.saturating_sub(height / 2).min(len - height);
    start..start + height
}

/// `m:ss` for a number of seconds.
pub fn clock(seconds: u64) -> String {
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

/// Long text in the whole area, wrapped and scrolled (details, a log line, test results at
/// 80×24), with where the view is and its keys on the last row.
pub struct ScrollText<'a> {
    pub lines: Vec<ratatui::text::Line<'a>>,
    /// The first wrapped row shown (kept within the text).
    pub scroll: u16,
    pub hint: &'a str,
    pub theme: crate::tui::theme::Theme,
}

impl ratatui::widgets::Widget for ScrollText<'_> {
    fn render(self, area: ratatui::layout::Rect, buf: &mut ratatui::buffer::Buffer) {
        use ratatui::layout::{Constraint, Layout};
        use ratatui::widgets::{Paragraph, Wrap};
        let [body, foot] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
        let text = Paragraph::new(self.lines).wrap(Wrap { trim: false });
        let total = text.line_count(body.width);
        let height = body.height as usize;
        let scroll = (self.scroll as usize).min(total.saturating_sub(height));
        text.scroll((scroll as u16, 0)).render(body, buf);
        let place = if total > height {
            format!(" · rows {}–{} of {total}", scroll + 1, (scroll + height).min(total))
        } else {
            String::new()
        };
        Paragraph::new(ratatui::text::Span::styled(
            format!("{}{place}", self.hint),
            self.theme.dim(),
        ))
        .render(foot, buf);
    }
}
