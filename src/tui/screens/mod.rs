//! The screens that show the engine's work: the dashboard (with the live log pane at its
//! bottom), the plan and the provisioning logs.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::app::App;
use super::log::LogView;

/// Draws the dashboard, plan or records screen into `area`.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let [top, log] = Layout::vertical([Constraint::Min(8), Constraint::Percentage(45)]).areas(area);
    frame.render_widget(Paragraph::new(Line::from("The engine is not connected yet.")), top);
    frame.render_widget(
        LogView {
            log: &app.log,
            theme: app.theme,
            focused: false,
        },
        log,
    );
}
