//! The mappings screen's editing panel: the form that edits or adds one attribute mapping, the
//! schema import path field, and the working copy's state (unsaved, the last note, every
//! problem with its path). Read state only.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};

use super::{Draft, FORM_FIELDS, Form, Kind};
use crate::model::text::{sanitize_for_terminal, sanitize_multiline};
use crate::tui::theme::{FOCUS, Theme, UNFOCUSED};

/// The panel under the table.
pub struct EditPanel<'a> {
    pub draft: &'a Draft,
    /// The form's source evaluated as it is typed, and for whom (the user last picked in the
    /// expression editor).
    pub value: Option<&'a Result<String, String>>,
    pub sample: Option<&'a str>,
    pub theme: Theme,
}

impl EditPanel<'_> {
    /// The rows the panel wants (0 when it has nothing to show).
    pub fn height(draft: &Draft, width: u16) -> u16 {
        let shown = draft.form.as_ref().map_or(&draft.problems, |f| &f.problems);
        // Problems wrap: count the rows each takes at this width.
        let width = usize::from(width.max(1));
        let problems: usize = shown
            .iter()
            .take(4)
            .flat_map(|p| p.lines())
            .map(|l| (l.chars().count() + 4).div_ceil(width))
            .sum();
        let problems = problems.min(8) as u16;
        let status = u16::from(draft.dirty() || draft.note.is_some()) + problems;
        if draft.form.is_some() {
            2 + FORM_FIELDS.len() as u16 + status
        } else if draft.import.is_some() {
            2 + status
        } else {
            status
        }
    }
}

/// The form's value, live: for the user last picked in the expression editor, else on nulls.
fn value_line(t: Theme, value: &Result<String, String>, sample: Option<&str>) -> Line<'static> {
    let who = match sample {
        Some(upn) => format!("  Value for {}: ", sanitize_for_terminal(upn)),
        None => "  Value (no user picked yet; x picks one): ".to_owned(),
    };
    match value {
        Ok(v) => Line::from(vec![
            Span::styled(who, t.dim()),
            Span::styled(
                if v.is_empty() {
                    "(empty)".to_owned()
                } else {
                    sanitize_for_terminal(v)
                },
                t.ok(),
            ),
        ]),
        Err(e) => Line::from(vec![
            Span::styled(who, t.dim()),
            Span::styled(
                format!("✗ {}", sanitize_for_terminal(e.lines().next().unwrap_or(""))),
                t.error(),
            ),
        ]),
    }
}

fn problem_lines(t: Theme, problems: &[String], lines: &mut Vec<Line<'static>>) {
    for p in problems.iter().take(4) {
        // A parse error's caret line lines up with the line above it: keep the indent.
        for (i, l) in sanitize_multiline(p).lines().enumerate() {
            let mark = if i == 0 { "  ✗ " } else { "    " };
            lines.push(Line::from(Span::styled(format!("{mark}{l}"), t.error())));
        }
    }
}

/// The form's fields as shown, in field order.
fn form_values(f: &Form) -> [String; 6] {
    let source_hint = match f.kind {
        Kind::Direct => "  (source attribute)",
        Kind::Constant => "  (the value)",
        Kind::Expression => "  (expression)",
        Kind::None => "  (not used)",
    };
    [
        format!("◀ {} ▶", f.kind.word()),
        format!("{}{source_hint}", sanitize_for_terminal(f.source.value())),
        sanitize_for_terminal(f.target.value()),
        sanitize_for_terminal(f.default.value()),
        format!(
            "◀ {} ▶",
            if f.on_create {
                "Only during object creation"
            } else {
                "Always"
            }
        ),
        if f.matching.value().is_empty() {
            "(not matching)".to_owned()
        } else {
            sanitize_for_terminal(f.matching.value())
        },
    ]
}

impl Widget for EditPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let d = self.draft;
        let mut lines: Vec<Line<'static>> = Vec::new();
        let mut area = area;
        if let Some(f) = &d.form {
            let title = if f.index.is_some() {
                "Edit mapping · ↑↓ field · ←→ change · Enter checks and keeps · Esc drops"
            } else {
                "Add mapping · ↑↓ field · ←→ change · Enter checks and keeps · Esc drops"
            };
            let block = Block::default()
                .borders(Borders::TOP)
                .title(Span::styled(title, t.title()));
            let inner = block.inner(area);
            block.render(area, buf);
            area = inner;
            for (i, (label, value)) in FORM_FIELDS.iter().zip(form_values(f)).enumerate() {
                let focused = i == f.focus;
                lines.push(Line::from(vec![
                    Span::styled(if focused { FOCUS } else { UNFOCUSED }, t.focus()),
                    Span::styled(format!("{label:<29}"), if focused { t.focus() } else { t.key() }),
                    Span::styled(value, if focused { t.focus() } else { Style::new() }),
                ]));
            }
            // A source that does not parse is said once, by the problems below.
            if let Some(value) = self.value.filter(|_| f.problems.is_empty()) {
                lines.push(value_line(t, value, self.sample));
            }
            problem_lines(t, &f.problems, &mut lines);
        } else if let Some(input) = &d.import {
            lines.push(Line::from(Span::styled(
                "Import an Entra schema JSON · Enter reads it · Esc drops",
                t.title(),
            )));
            lines.push(Line::from(vec![
                Span::styled(FOCUS, t.focus()),
                Span::styled("Path ", t.key()),
                Span::styled(sanitize_for_terminal(input.value()), t.focus()),
            ]));
        }
        if d.dirty() || d.note.is_some() {
            let mut spans = Vec::new();
            if d.dirty() {
                spans.push(Span::styled("unsaved: S saves · ", t.warn()));
            }
            if let Some(note) = &d.note {
                spans.push(Span::raw(sanitize_for_terminal(note)));
            }
            lines.push(Line::from(spans));
        }
        if d.form.is_none() {
            problem_lines(t, &d.problems, &mut lines);
        }
        Paragraph::new(lines).wrap(Wrap { trim: false }).render(area, buf);
    }
}
