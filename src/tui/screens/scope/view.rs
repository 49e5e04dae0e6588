//! The scope screen: the mode, the scoping-filter builder, the counts and samples. Reads
//! state only.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::State;
use crate::model::text::sanitize_for_terminal;
use crate::tui::screens::mappings::Doc;
use crate::tui::theme::Theme;

/// The scope screen.
pub struct ScopeView<'a> {
    pub state: &'a State,
    pub doc: &'a Doc,
    /// `assigned` or `all`, as saved.
    pub mode: &'a str,
    /// The other one while a switch to it waits for its preview's `y` (not saved yet).
    pub switching_to: Option<&'a str>,
    pub theme: Theme,
}

impl Widget for ScopeView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let mode = self.mode;
        let title = match self.switching_to {
            Some(to) => {
                format!("Scope: {mode} users and groups (saved; switching to {to} waits for y, nothing saved yet)")
            }
            None => format!("Scope: {mode} users and groups (a switches: what it does is shown first)"),
        };
        let mut lines = vec![
            Line::from(Span::styled(title, t.title())),
            Line::from(Span::styled(
                "g users/groups · n clause · f filter · e edit · D delete · S save · c count",
                t.dim(),
            )),
        ];
        super::builder_view::lines(self.state, self.doc, t, &mut lines);
        match &self.state.preview {
            None => lines.push(Line::from(Span::styled("reading the source…", t.warn()))),
            Some(Err(e)) => lines.push(Line::from(Span::styled(sanitize_for_terminal(e), t.error()))),
            Some(Ok(p)) => {
                lines.push(Line::from(format!(
                    "Users in scope: {} · out of scope: {} · groups in scope: {}",
                    p.users_in, p.users_out, p.groups_in
                )));
                lines.push(Line::from(Span::styled("In scope, for example:", t.title())));
                lines.extend(
                    p.samples_in
                        .iter()
                        .map(|s| Line::from(format!("  {}", sanitize_for_terminal(s)))),
                );
                lines.push(Line::from(Span::styled("Out of scope, for example:", t.title())));
                lines.extend(
                    p.samples_out
                        .iter()
                        .map(|s| Line::from(format!("  {}", sanitize_for_terminal(s)))),
                );
            }
        }
        Paragraph::new(lines).wrap(Wrap { trim: false }).render(area, buf);
    }
}
