//! Boxes drawn over a screen: a question (`y` / `n`), a long text (one log line, whole), and
//! what a change would do before it is saved (the preview of the changed rules). Text is
//! wrapped to the box; the box grows to fit it, up to the screen. Reads state only.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};

use super::app::App;
use super::app::pending::effect_text;
use crate::model::text::sanitize_for_terminal;

/// A box of `text` with its keys on the last line, centred in the area.
fn boxed(app: &App, title: &str, text: &str, keys: &str, area: Rect, buf: &mut Buffer) {
    let t = app.theme;
    let width = area.width.min(76);
    let inner = width.saturating_sub(2).max(1) as usize;
    let rows: usize = text.lines().map(|l| crate::tui::text::wrap(l, inner).len()).sum();
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
        .title(Span::styled(title.to_owned(), t.title()));
    let mut lines: Vec<Line> = text.lines().map(|l| Line::from(l.to_owned())).collect();
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(keys.to_owned(), t.key())));
    Paragraph::new(lines)
        .block(block)
        .wrap(Wrap { trim: false })
        .render(popup, buf);
}

/// A question: `y` does it.
pub struct Confirm<'a> {
    pub app: &'a App,
    pub text: String,
}

impl Widget for Confirm<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        boxed(self.app, " Confirm ", &self.text, "y: yes   n or Esc: no", area, buf);
    }
}

/// A box of text to read.
pub struct Popup<'a> {
    pub app: &'a App,
    pub title: &'a str,
    pub text: String,
    pub keys: &'a str,
}

impl<'a> Popup<'a> {
    /// What the change waiting for a confirmation would do.
    pub fn preview(app: &'a App) -> Popup<'a> {
        let Some(p) = &app.pending else {
            return Popup {
                app,
                title: " Change ",
                text: "Nothing to save.".to_owned(),
                keys: "Esc closes",
            };
        };
        let mut text = format!("{}?\n", p.what);
        let keys = match &p.result {
            None => {
                text.push_str("A dry run of the changed rules is reading both sides; nothing is saved yet.");
                "n or Esc: cancel"
            }
            Some(Ok(plan)) => {
                // Only a TooManyDeletes quarantine ends by a change that holds nothing.
                let d = &app.dashboard;
                let held_now = d
                    .quarantine
                    .as_ref()
                    .filter(|q| q.reason == "TooManyDeletes")
                    .and(d.held.words());
                text.push_str(&effect_text(plan, held_now.as_deref()).join("\n"));
                "y: save it   n or Esc: keep things as they are"
            }
            Some(Err(why)) => {
                text.push_str(&sanitize_for_terminal(why));
                "y: save it anyway   n or Esc: do not save"
            }
        };
        Popup {
            app,
            title: " What this change does ",
            text,
            keys,
        }
    }
}

impl Widget for Popup<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        boxed(self.app, self.title, &self.text, self.keys, area, buf);
    }
}
