//! The screens that show the engine's work: the dashboard (with the live log pane at its
//! bottom), the plan and the provisioning logs. Each reads state only.

mod dashboard;
mod mapping_form;
mod mappings;
mod plan;
mod records;
mod scope_builder;

use ratatui::Frame;
use ratatui::layout::Rect;

use super::app::{App, Screen};

pub use dashboard::DashboardView;
pub use mappings::{MappingsView, ScopeView, SettingsView};
pub use plan::PlanView;
pub use records::RecordsView;

/// Draws the dashboard, plan or records screen into `area`.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    match app.screen {
        Screen::Plan => frame.render_widget(PlanView { app }, area),
        Screen::Records => frame.render_widget(RecordsView { app }, area),
        Screen::Mappings => frame.render_widget(MappingsView { app }, area),
        Screen::Scope => frame.render_widget(ScopeView { app }, area),
        Screen::Settings => frame.render_widget(SettingsView { app }, area),
        _ => frame.render_widget(DashboardView { app }, area),
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
