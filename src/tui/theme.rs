//! Styles of the console: the 16 ANSI colours by default, none under `NO_COLOR`.
//!
//! Invariant: focus and selection never rely on colour or on bold/reverse alone. The released
//! crossterm sends a bare `CSI m` when colours are disabled, which also resets bold and reverse
//! (ecosystem.md §0.8), so every focused field and selected row also carries a `>` marker.

use ratatui::style::{Color, Modifier, Style};

/// The marker drawn before the focused field or the selected row.
pub const FOCUS: &str = "> ";
/// The blank of the same width before the others.
pub const UNFOCUSED: &str = "  ";

/// Colours on or off; everything else is the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    /// Colours unless `NO_COLOR` is set to anything non-empty (no-color.org).
    pub fn from_env() -> Self {
        Self {
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }

    pub fn monochrome() -> Self {
        Self { color: false }
    }

    fn fg(self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    pub fn title(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn focus(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    pub fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn dim(self) -> Style {
        self.fg(Color::DarkGray)
    }

    pub fn ok(self) -> Style {
        self.fg(Color::Green)
    }

    pub fn error(self) -> Style {
        self.fg(Color::Red)
    }

    pub fn warn(self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn key(self) -> Style {
        self.fg(Color::Cyan)
    }
}
