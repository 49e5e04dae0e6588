//! Drawing the console: the current screen, the bottom key line, the overlay; a "terminal too
//! small" screen below 80×24. Reads state only.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};

use super::app::{App, Overlay, Screen};
use super::help::HelpView;
use super::screens::dashboard::DashboardView;
use super::screens::log::LogView;
use super::screens::mappings::MappingsView;
use super::screens::plan::PlanView;
use super::screens::records::RecordsView;
use super::screens::scope::ScopeView;
use super::screens::settings::SettingsView;
use super::screens::wizard::WizardView;

/// The smallest terminal the console draws in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Draws one frame of `app`.
pub fn render(app: &App, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        frame.render_widget(
            TooSmall {
                width: area.width,
                height: area.height,
            },
            area,
        );
        return;
    }
    let [top, body, keys] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(1), Constraint::Length(1)]).areas(area);
    frame.render_widget(TopBar { app }, top);
    screen(app, frame, body);
    frame.render_widget(KeyLine { app }, keys);
    match &app.shared.overlay {
        Overlay::None => {}
        Overlay::Help => frame.render_widget(
            HelpView {
                screen: app.shared.screen,
                theme: app.theme,
            },
            body,
        ),
        Overlay::ConfirmQuit(why) => frame.render_widget(
            Confirm {
                app,
                text: format!("{why}\nQuit anyway?"),
            },
            body,
        ),
        Overlay::ConfirmStop => frame.render_widget(
            Confirm {
                app,
                text: "Stop the running cycle? It finishes the object in flight.".to_owned(),
            },
            body,
        ),
        Overlay::ConfirmLeave => frame.render_widget(
            Confirm {
                app,
                text: "The settings have unsaved edits. Leave and drop them?".to_owned(),
            },
            body,
        ),
        Overlay::Ask { text, .. } => frame.render_widget(
            Confirm {
                app,
                text: text.clone(),
            },
            body,
        ),
        Overlay::ConfirmCreate { table, field, value } => frame.render_widget(
            Confirm {
                app,
                text: format!(
                    "Create a {table} row with {field} = '{}' in ServiceNow?",
                    crate::model::text::sanitize_for_terminal(value)
                ),
            },
            body,
        ),
        Overlay::ConfirmApply { summary, .. } => frame.render_widget(
            Confirm {
                app,
                text: format!("Apply this plan to ServiceNow?\n{summary}"),
            },
            body,
        ),
    }
}

/// Draws the screen shown into `area`.
fn screen(app: &App, frame: &mut Frame, area: Rect) {
    let theme = app.theme;
    match app.shared.screen {
        Screen::Wizard => {
            if let Some(wizard) = &app.wizard {
                let view = WizardView { wizard, theme };
                let cursor = view.cursor(area);
                frame.render_widget(view, area);
                if let (Some(pos), Overlay::None) = (cursor, &app.shared.overlay) {
                    frame.set_cursor_position(pos);
                }
            }
        }
        Screen::Dashboard => frame.render_widget(
            DashboardView {
                state: &app.dashboard,
                plan: app.plan.plan.as_deref(),
                schedule: app.settings.schedule(),
                log: &app.log,
                theme,
            },
            area,
        ),
        Screen::Log => frame.render_widget(
            LogView {
                log: &app.log,
                theme,
                focused: true,
            },
            area,
        ),
        Screen::Plan => frame.render_widget(
            PlanView {
                state: &app.plan,
                theme,
            },
            area,
        ),
        Screen::Records => frame.render_widget(
            RecordsView {
                state: &app.records,
                theme,
            },
            area,
        ),
        Screen::Mappings => frame.render_widget(
            MappingsView {
                state: &app.mappings,
                theme,
            },
            area,
        ),
        Screen::Scope => frame.render_widget(
            ScopeView {
                state: &app.scope,
                doc: &app.mappings.doc,
                mode: app.settings.scope_word(),
                theme,
            },
            area,
        ),
        Screen::Settings => frame.render_widget(
            SettingsView {
                state: &app.settings,
                doc: &app.mappings.doc,
                profile: &app.profile,
                demo: app.demo,
                theme,
            },
            area,
        ),
    }
}

struct TooSmall {
    width: u16,
    height: u16,
}

impl Widget for TooSmall {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let text = format!(
            "Terminal too small: {}×{}. nowsync needs at least {MIN_WIDTH}×{MIN_HEIGHT}.\nEnlarge the window; q or Ctrl-C quits.",
            self.width, self.height
        );
        let y = area.y + area.height / 2;
        let rect = Rect::new(area.x, y.saturating_sub(1), area.width, 2.min(area.height));
        Paragraph::new(text)
            .wrap(Wrap { trim: true })
            .centered()
            .render(rect, buf);
    }
}

struct TopBar<'a> {
    app: &'a App,
}

impl Widget for TopBar<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let demo = if app.demo { " · DEMO (built-in simulators)" } else { "" };
        let line = Line::from(vec![
            Span::styled(" nowsync ", app.theme.title()),
            Span::raw(format!(
                "· {} · profile {}{demo}",
                app.shared.screen.title(),
                app.profile
            )),
        ]);
        Paragraph::new(line).render(area, buf);
    }
}

struct KeyLine<'a> {
    app: &'a App,
}

impl Widget for KeyLine<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let t = app.theme;
        let line = if let Some(input) = &app.log_screen.filter {
            Line::from(vec![
                Span::styled("filter: ", t.key()),
                Span::raw(crate::model::text::sanitize_for_terminal(input.value())),
                Span::styled("  (Enter keeps, Esc clears)", t.dim()),
            ])
        } else if !app.shared.status.is_empty() {
            Line::from(vec![
                Span::styled("F1 help · q quit · ", t.dim()),
                Span::raw(crate::model::text::sanitize_for_terminal(&app.shared.status)),
            ])
        } else {
            let keys = match app.shared.screen {
                Screen::Wizard => "F1 help · Enter next · PgUp/PgDn steps · Esc leave field · Ctrl-C quit",
                Screen::Dashboard => {
                    "F1 help · r run · d dry · p pause · e logs · a plan · m map · s scope · t settings"
                }
                Screen::Log => "F1 help · ↑↓ scroll · f follow · Space pause · l level · / filter · Esc back",
                Screen::Records => "F1 help · Enter details · s status · / filter · J/C export · Esc back",
                Screen::Plan => "F1 help · Enter diff · f action · / filter · A apply · Esc back",
                Screen::Mappings => {
                    "F1 help · ↑↓ select · g users/groups · Enter expression · e edit · S save · Esc back"
                }
                Screen::Scope => "F1 help · a assigned/all · n clause · f filter · S save · r read again · Esc back",
                Screen::Settings => "F1 help · ↑↓ field · ←→ Space toggle · Enter save · Esc back",
            };
            Line::from(Span::styled(keys, t.dim()))
        };
        Paragraph::new(line).render(area, buf);
    }
}

struct Confirm<'a> {
    app: &'a App,
    text: String,
}

impl Widget for Confirm<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.app.theme;
        let width = area.width.min(64);
        let inner = width.saturating_sub(2).max(1) as usize;
        let rows: usize = self
            .text
            .lines()
            .map(|l| l.chars().count().div_ceil(inner).max(1))
            .sum();
        let height = (rows as u16 + 4).min(area.height);
        let popup = Rect::new(
            area.x + (area.width - width) / 2,
            area.y + (area.height.saturating_sub(height)) / 2,
            width,
            height,
        );
        Clear.render(popup, buf);
        let block = Block::default()
            .borders(Borders::ALL)
            .title(Span::styled(" Confirm ", t.title()));
        let mut lines: Vec<Line> = self.text.lines().map(|l| Line::from(l.to_owned())).collect();
        lines.push(Line::default());
        lines.push(Line::from(Span::styled("y: yes   n or Esc: no", t.key())));
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .render(popup, buf);
    }
}
