//! The scope screen's filter builder: the object's scoping filters as rows of clauses, the
//! clause form (attribute, operator and value pickers) and the working copy's state.
//! Read state only.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::{CLAUSE_FIELDS, ClauseForm, State, rows};
use crate::model::text::sanitize_for_terminal;
use crate::tui::screens::mappings::Doc;
use crate::tui::theme::{FOCUS, Theme, UNFOCUSED};

/// Appends the builder's lines.
pub fn lines(state: &State, doc: &Doc, t: Theme, lines: &mut Vec<Line<'static>>) {
    let filters = doc
        .draft
        .object(doc.groups)
        .map_or(&[][..], |o| o.scoping_filters.as_slice());
    let who = if doc.groups { "Groups" } else { "Users" };
    lines.push(Line::from(Span::styled(
        format!("{who}: scoping filters (a filter's clauses are ANDed; filters are ORed)"),
        t.title(),
    )));
    if filters.is_empty() {
        lines.push(Line::from(Span::styled(
            "  none: every object in the assigned/all scope (f adds a filter)",
            t.dim(),
        )));
    }
    for (row, (f, c)) in rows(filters).into_iter().enumerate() {
        let selected = row == state.selected && state.form.is_none();
        let filter = &filters[f];
        let clause = &filter.clauses[c];
        let head = if c == 0 {
            format!("{:<12}", sanitize_for_terminal(&filter.name))
        } else {
            format!("{:<12}", "  and")
        };
        lines.push(Line::from(vec![
            Span::styled(if selected { FOCUS } else { UNFOCUSED }, t.focus()),
            Span::styled(head, t.key()),
            Span::styled(
                format!(
                    "{} {} {}",
                    sanitize_for_terminal(&clause.attribute),
                    sanitize_for_terminal(&clause.operator),
                    sanitize_for_terminal(&clause.value)
                ),
                if selected {
                    t.focus().patch(t.selected())
                } else {
                    Style::new()
                },
            ),
        ]));
    }
    if let Some(form) = &state.form {
        form_lines(form, t, lines);
    }
    let d = &doc.draft;
    if d.dirty() || d.note.is_some() {
        let mut spans = Vec::new();
        if d.dirty() {
            spans.push(Span::styled("unsaved: S saves (the counts follow) · ", t.warn()));
        }
        if let Some(note) = &d.note {
            spans.push(Span::raw(sanitize_for_terminal(note)));
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::default());
}

/// The clause form: attribute, operator and value, and why the last Enter was refused.
fn form_lines(form: &ClauseForm, t: Theme, lines: &mut Vec<Line<'static>>) {
    let op = form.operator();
    let values = [
        format!("◀ {} ▶  (a letter jumps)", form.attribute()),
        format!("◀ {} ▶", op.name()),
        if op.takes_value() {
            sanitize_for_terminal(form.value.value())
        } else {
            "(no value for this operator)".to_owned()
        },
    ];
    lines.push(Line::from(Span::styled(
        "Clause · ↑↓ field · ←→ pick · Enter checks and keeps · Esc drops",
        t.title(),
    )));
    for (i, (label, value)) in CLAUSE_FIELDS.iter().zip(values).enumerate() {
        let focused = i == form.focus;
        lines.push(Line::from(vec![
            Span::styled(if focused { FOCUS } else { UNFOCUSED }, t.focus()),
            Span::styled(format!("{label:<11}"), if focused { t.focus() } else { t.key() }),
            Span::styled(value, if focused { t.focus() } else { Style::new() }),
        ]));
    }
    for p in form.problems.iter().take(3) {
        lines.push(Line::from(Span::styled(
            format!("  ✗ {}", sanitize_for_terminal(p)),
            t.error(),
        )));
    }
}
