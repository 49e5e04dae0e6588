//! Drawing the console: the current screen, the bottom key line, the overlay; a "terminal too
//! small" screen below 80×24. Reads state only.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::app::{App, Overlay, Screen};
use super::chrome::{KeyLine, StatusLine, TopBar};
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
                warning: app.quit_warning(),
            },
            area,
        );
        return;
    }
    let status = super::chrome::status_rows(app, area.width);
    let [top, body, status_area, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(status),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(TopBar { app }, top);
    screen(app, frame, body);
    if status > 0 {
        frame.render_widget(StatusLine { app }, status_area);
    }
    frame.render_widget(KeyLine { app }, keys);
    overlay(app, frame, body);
}

fn confirm(app: &App, text: String) -> Confirm<'_> {
    Confirm { app, text }
}

fn overlay(app: &App, frame: &mut Frame, body: Rect) {
    let text = match &app.shared.overlay {
        Overlay::None => return,
        Overlay::Help => {
            let help = HelpView {
                screen: app.shared.screen,
                engine: app.help_engine(),
                theme: app.theme,
                scroll: app.shared.help_scroll,
            };
            return frame.render_widget(help, body);
        }
        Overlay::ConfirmQuit(why) => format!("{why}\nQuit anyway?"),
        Overlay::ConfirmStop => {
            "Stop the running cycle? The object in flight finishes, then this console's engine stops: no cycle runs until the console is opened again."
                .to_owned()
        }
        Overlay::ConfirmLeave => "The settings have unsaved edits. Leave and drop them?".to_owned(),
        Overlay::Ask { text, .. } | Overlay::ConfirmAllowDeletes { text, .. } => text.clone(),
        Overlay::ConfirmCreate { table, field, value } => format!(
            "Create a {table} row with {field} = '{}' in ServiceNow?",
            crate::model::text::sanitize_for_terminal(value)
        ),
        Overlay::ConfirmApply { summary, .. } => format!("Apply this plan to ServiceNow?\n{summary}"),
        Overlay::LogLine(line) => {
            let popup = Popup {
                app,
                title: " Log line ",
                text: crate::model::text::sanitize_for_terminal(line),
                keys: "Esc or Enter closes",
            };
            return frame.render_widget(popup, body);
        }
        Overlay::Preview => return frame.render_widget(Popup::preview(app), body),
        Overlay::KeepInBackground => {
            let running = if app.dashboard.cycle_running() {
                "A cycle is running: it stops at the object in flight and the background engine's next cycle carries on.\n"
            } else {
                ""
            };
            let popup = Popup {
                app,
                title: " Quit ",
                text: format!(
                    "{running}Keep provisioning in the background?\n\ny: a background engine (nowsync run) takes over; `nowsync attach` shows it again\nn: stop the engine and quit\n\n(provisioning.keep_in_background = true starts the console's engine in the background from the start)"
                ),
                keys: "y keep · n stop · Esc stay",
            };
            return frame.render_widget(popup, body);
        }
        Overlay::Sso => {
            let view = super::screens::sso::SsoView {
                state: &app.sso,
                theme: app.theme,
            };
            return frame.render_widget(view, body);
        }
    };
    frame.render_widget(confirm(app, text), body);
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
                plan: &app.plan,
                schedule: app.settings.schedule(),
                records: &app.records.records,
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
                mode: app.settings.saved_scope_word(),
                switching_to: Some(app.settings.scope_word()).filter(|w| *w != app.settings.saved_scope_word()),
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

/// The notice drawn instead of a screen below [`MIN_WIDTH`]×[`MIN_HEIGHT`]; it says which key
/// works behind it (Ctrl-C only, `app/keys.rs`) and what quitting would drop.
struct TooSmall {
    width: u16,
    height: u16,
    /// Why quitting now would lose something (`App::quit_warning`).
    warning: Option<String>,
}

impl Widget for TooSmall {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let mut text = format!(
            "Terminal too small: {}×{}. nowsync needs at least {MIN_WIDTH}×{MIN_HEIGHT}.\nEnlarge the window to go on. No key works here but Ctrl-C, which quits.",
            self.width, self.height
        );
        if let Some(warning) = &self.warning {
            text.push_str(&format!("\n{warning} Ctrl-C quits all the same."));
        }
        let y = area.y + area.height / 2;
        let rect = Rect::new(area.x, y.saturating_sub(2), area.width, 6.min(area.height));
        Paragraph::new(text)
            .wrap(Wrap { trim: true })
            .centered()
            .render(rect, buf);
    }
}

use super::popup::Confirm;
pub use super::popup::Popup;
