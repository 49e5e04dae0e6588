//! The log pane: a bordered block with the state of the view in its title, and the lines it
//! shows. The dashboard draws it at its bottom, the log screen full size. Reads state only.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use crate::tui::log::{Level, LogBuffer};
use crate::tui::theme::Theme;

/// The pane: a bordered block with the state of the view in its title.
pub struct LogView<'a> {
    pub log: &'a LogBuffer,
    pub theme: Theme,
    pub focused: bool,
}

impl Widget for LogView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let log = self.log;
        let mode = if log.paused {
            "paused".to_owned()
        } else if log.offset > 0 {
            format!("scrolled {}", log.offset)
        } else {
            "following".to_owned()
        };
        let mut title = format!(
            "{}Log · {} lines · {} · level ≥ {}",
            if self.focused { ">" } else { "" },
            log.len(),
            mode,
            log.min_level.as_str()
        );
        if !log.filter.is_empty() {
            title.push_str(&format!(" · filter \"{}\"", log.filter));
        }
        let block = Block::default()
            .borders(Borders::TOP)
            .title(Span::styled(title, self.theme.title()));
        let inner = block.inner(area);
        block.render(area, buf);
        let theme = self.theme;
        let lines: Vec<Line> = log
            .visible(inner.height as usize)
            .into_iter()
            .map(|l| {
                let style = match l.level {
                    Level::Error => theme.error(),
                    Level::Warn => theme.warn(),
                    Level::Debug => theme.dim(),
                    Level::Info => ratatui::style::Style::new(),
                };
                Line::from(vec![
                    Span::styled(format!("{} {:<5} ", l.time, l.level.as_str()), theme.dim()),
                    Span::styled(l.text.as_str(), style),
                ])
            })
            .collect();
        Paragraph::new(lines).render(inner, buf);
    }
}
