//! The settings screen: the editor's fields, the mapping-file rows, the saved profile's other
//! settings. Reads state only.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::{FIELDS, Settings, State};
use crate::model::text::sanitize_for_terminal;
use crate::tui::screens::mappings::Doc;
use crate::tui::theme::{FOCUS, Theme, UNFOCUSED};

/// The settings screen.
pub struct SettingsView<'a> {
    pub state: &'a State,
    pub doc: &'a Doc,
    pub profile: &'a str,
    pub demo: bool,
    pub theme: Theme,
}

impl Widget for SettingsView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let st = self.state;
        let mut lines = vec![
            Line::from(Span::styled(format!("Settings of profile {}", self.profile), t.title())),
            Line::from(Span::styled(
                "S saves (a change that can disable shows its effect first) · w wizard",
                t.dim(),
            )),
            Line::default(),
        ];
        if let Some(e) = &st.editor {
            let values = field_values(e);
            let values = values.into_iter().chain(super::extra::values(self.doc, &e.base));
            for (i, (label, value)) in FIELDS.iter().zip(values).enumerate() {
                let focused = i == e.focus;
                // The field being edited is marked apart from one only browsed to.
                let marker = match focused {
                    true if e.in_text_field() => EDITING,
                    true => FOCUS,
                    false => UNFOCUSED,
                };
                let value = if focused && e.in_text_field() {
                    format!("{value}▏ (Enter saves, Esc keeps)")
                } else {
                    value
                };
                lines.push(Line::from(vec![
                    Span::styled(marker, t.focus()),
                    Span::styled(format!("{label:<40}"), if focused { t.focus() } else { t.key() }),
                    Span::styled(
                        value,
                        if focused {
                            t.focus()
                        } else {
                            ratatui::style::Style::new()
                        },
                    ),
                ]));
            }
            match &e.message {
                Some(Ok(m)) => lines.push(Line::from(Span::styled(
                    format!("✓ {}", sanitize_for_terminal(m)),
                    t.ok(),
                ))),
                Some(Err(m)) => lines.push(Line::from(Span::styled(
                    format!("✗ {}", sanitize_for_terminal(m)),
                    t.error(),
                ))),
                None => lines.push(note(st, super::extra::explain(e, self.doc), t)),
            }
            lines.push(Line::default());
        }
        let blank_after_note = st.editor.as_ref().map(|_| lines.len() - 1);
        if st.rows.is_empty() {
            lines.push(Line::from(Span::styled(
                "The profile is not saved yet: finish the wizard (w).",
                t.warn(),
            )));
        }
        // With the editor shown, the read-only rows it edits are not listed twice.
        let edited = |k: &str| st.editor.is_some() && EDITED.contains(&k);
        for (k, v) in st.rows.iter().filter(|(k, _)| !edited(k)) {
            let v = if self.demo && k == "secrets.store" {
                "memory (demo)"
            } else {
                v.as_str()
            };
            lines.push(Line::from(vec![
                Span::styled(format!("{k:<42}"), t.key()),
                Span::raw(sanitize_for_terminal(v)),
            ]));
        }
        // Every row on screen at 80×24, also under a wrapped error: the blank lines go first,
        // then the heading's hint (the key line says S saves).
        let dropped = fit(&mut lines, [blank_after_note, Some(2), Some(1)], area);
        // The focused field stays on screen (under the heading's lines kept).
        let heading = 3 - dropped.iter().filter(|&&i| i < 3).count() as u16;
        let focus = st.editor.as_ref().map_or(0, |e| e.focus as u16);
        let scroll = (heading + focus + 2).saturating_sub(area.height);
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0))
            .render(area, buf);
    }
}

/// Drops the optional lines (`optional`, indices into `lines`, in the order they go) while the
/// lines wrapped to `area`'s width take more rows than it has; returns the indices dropped.
fn fit<const N: usize>(lines: &mut Vec<Line<'static>>, optional: [Option<usize>; N], area: Rect) -> Vec<usize> {
    let rows = |lines: &[Line]| -> usize {
        lines
            .iter()
            .map(|l| {
                let text: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
                crate::tui::text::wrap(&text, area.width as usize).len().max(1)
            })
            .sum()
    };
    let mut dropped = Vec::new();
    for i in optional.into_iter().flatten() {
        let kept: Vec<Line> = lines
            .iter()
            .enumerate()
            .filter(|(j, _)| !dropped.contains(j))
            .map(|(_, l)| l.clone())
            .collect();
        if rows(&kept) <= area.height as usize {
            break;
        }
        dropped.push(i);
    }
    let mut j = 0;
    lines.retain(|_| {
        j += 1;
        !dropped.contains(&(j - 1))
    });
    dropped
}

/// Under the fields when no save spoke last: what the focused row does (the Delete action's
/// state explained), then whether edits are unsaved — only when they are.
fn note(st: &State, explained: Option<String>, t: Theme) -> Line<'static> {
    let unsaved = if st.previewing {
        Some("unsaved: its effect is shown first")
    } else {
        st.dirty().then_some("unsaved: S saves")
    };
    let mut spans = Vec::new();
    if let Some(what) = explained {
        spans.push(Span::styled(what, t.dim()));
    }
    if let Some(unsaved) = unsaved {
        if !spans.is_empty() {
            spans.push(Span::raw(" · "));
        }
        spans.push(Span::styled(unsaved, t.warn()));
    }
    Line::from(spans)
}

/// The marker of the field being edited (`FOCUS` marks the one browsed to).
const EDITING: &str = "✎ ";

/// The read-only rows that the settings editor's fields show.
const EDITED: [&str; 7] = [
    "provisioning.enabled",
    "provisioning.scope",
    "provisioning.interval_minutes",
    "provisioning.deletion_threshold",
    "provisioning.deletion_threshold_percent",
    "servicenow.max_in_flight",
    "notification.email",
];

/// The editor's fields as shown, in field order.
fn field_values(e: &Settings) -> [String; 11] {
    [
        format!("◀ {} ▶", if e.enabled { "on" } else { "off" }),
        format!("◀ {} ▶", e.scope.word()),
        sanitize_for_terminal(e.interval.value()),
        sanitize_for_terminal(e.threshold.value()),
        if e.percent.value().is_empty() {
            "(none)".to_owned()
        } else {
            sanitize_for_terminal(e.percent.value())
        },
        sanitize_for_terminal(e.ceiling.value()),
        if e.email.value().is_empty() {
            "(none)".to_owned()
        } else {
            sanitize_for_terminal(e.email.value())
        },
        format!("◀ {} ▶", if e.match_active_only { "yes" } else { "no" }),
        format!("◀ {} ▶", if e.missing_warn { "warn" } else { "fail" }),
        format!("◀ {} ▶", if e.flatten { "yes" } else { "no" }),
        sanitize_for_terminal(e.retention.value()),
    ]
}
