//! The mappings screen: tables of user and group mappings, the editing panel, the expression
//! editor. Reads state only.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};

use super::{Editor, Focus, State};
use crate::mapping::model::ObjectMapping;
use crate::mapping::model::{Apply, MappingSource, TargetType};
use crate::model::text::{sanitize_for_terminal, sanitize_multiline};
use crate::tui::screens::window;
use crate::tui::text::fit_keys;
use crate::tui::theme::{FOCUS, Theme, UNFOCUSED};

/// The mappings screen.
pub struct MappingsView<'a> {
    pub state: &'a State,
    pub theme: Theme,
}

fn kind(source: &MappingSource) -> &'static str {
    match source {
        MappingSource::Direct { .. } => "Direct",
        MappingSource::Constant(_) => "Constant",
        MappingSource::Expression(_) => "Expression",
        MappingSource::None => "None",
    }
}

fn type_word(t: &TargetType) -> String {
    match t {
        TargetType::String => "String".into(),
        TargetType::Boolean => "Boolean".into(),
        TargetType::Integer => "Integer".into(),
        TargetType::DateTime => "DateTime".into(),
        TargetType::Binary => "Binary".into(),
        TargetType::Reference(r) => match r {
            crate::mapping::model::Reference::Lookup { table, field } => format!("Ref {table}.{field}"),
            crate::mapping::model::Reference::Provisioned { table } => format!("Ref {table}"),
        },
    }
}

fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return format!("{text:<width$}");
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

impl Widget for MappingsView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let m = self.state;
        let doc = &m.doc;
        let Some(set) = &doc.set else {
            let why = doc.load_error.as_deref().unwrap_or("no mappings");
            Paragraph::new(format!("The mappings cannot be read: {}", sanitize_multiline(why)))
                .wrap(Wrap { trim: false })
                .render(area, buf);
            return;
        };
        let object = if doc.groups { &set.group } else { &set.user };
        let editor_height = if m.editor.is_some() { 11 } else { 0 };
        let panel_height = if m.editor.is_some() {
            0
        } else {
            super::form_view::EditPanel::height(&doc.draft, area.width)
        };
        let [head, table, panel, editor] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Min(3),
            Constraint::Length(panel_height),
            Constraint::Length(editor_height),
        ])
        .areas(area);
        super::form_view::EditPanel {
            draft: &doc.draft,
            value: self.state.form_value.as_ref(),
            sample: self.state.sample.as_ref().map(|(upn, _)| upn.as_str()),
            theme: t,
        }
        .render(panel, buf);
        Paragraph::new(vec![
            Line::from(Span::styled(
                format!(
                    "{} → {} · {} mappings · matching: {}",
                    if doc.groups { "Groups" } else { "Users" },
                    object.target_table,
                    object.attributes.len(),
                    object
                        .matching()
                        .iter()
                        .map(|a| a.target.as_str())
                        .collect::<Vec<_>>()
                        .join(", then ")
                ),
                t.title(),
            )),
            Line::from(Span::styled(
                fit_keys(
                    &[
                        "e edit",
                        "S save",
                        "n add",
                        "D delete",
                        "i import",
                        "E export",
                        "[ ] precedence",
                        "R defaults",
                    ],
                    head.width as usize,
                ),
                t.dim(),
            )),
        ])
        .render(head, buf);
        let wide = area.width >= 110;
        Paragraph::new(table_lines(object, m.selected, wide, table.height as usize, t)).render(table, buf);
        if let Some(e) = &m.editor {
            let block = Block::default()
                .borders(Borders::TOP)
                .title(Span::styled("Expression editor · Tab switches · Esc closes", t.title()));
            let inner = block.inner(editor);
            block.render(editor, buf);
            Paragraph::new(editor_lines(e, t)).render(inner, buf);
        }
    }
}

/// The table's rows in view, the selected one marked.
fn table_lines(object: &ObjectMapping, selected: usize, wide: bool, height: usize, t: Theme) -> Vec<Line<'static>> {
    let src_w = if wide { 44 } else { 26 };
    let mut lines = Vec::new();
    for i in window(selected, object.attributes.len(), height) {
        let a = &object.attributes[i];
        let selected = i == selected;
        let mut spans = vec![
            Span::raw(if selected { FOCUS } else { UNFOCUSED }),
            Span::styled(
                clip(&a.target, 16),
                if selected {
                    t.focus().patch(t.selected())
                } else {
                    ratatui::style::Style::new()
                },
            ),
            Span::raw(" "),
            Span::raw(clip(&sanitize_for_terminal(&a.source_text()), src_w)),
            Span::raw(" "),
            Span::styled(clip(kind(&a.source), 11), t.dim()),
            Span::raw(clip(&type_word(&a.target_type), if wide { 24 } else { 12 })),
            Span::raw(" "),
            Span::raw(a.matching.map_or("  ".to_owned(), |p| format!("{p:>2}"))),
            Span::raw(if a.apply == Apply::OnCreate {
                " create"
            } else {
                " always"
            }),
        ];
        if wide {
            spans.push(Span::styled(
                format!(" {}", sanitize_for_terminal(a.default_value.as_deref().unwrap_or(""))),
                t.dim(),
            ));
        }
        lines.push(Line::from(spans));
    }
    lines
}

/// The expression editor: the expression, the user search, the value or its error, and the
/// engine's evaluation of the whole mapping for the picked user.
fn editor_lines(e: &Editor, t: Theme) -> Vec<Line<'static>> {
    let mark = |f: Focus| if e.focus == f { FOCUS } else { UNFOCUSED };
    let mut lines = vec![
        Line::from(vec![
            Span::styled(mark(Focus::Expression), t.focus()),
            Span::styled("Expression ", t.key()),
            Span::raw(sanitize_for_terminal(e.expr.value())),
        ]),
        Line::from(vec![
            Span::styled(mark(Focus::Search), t.focus()),
            Span::styled("User search ", t.key()),
            Span::raw(sanitize_for_terminal(e.search.value())),
            Span::styled("  (Enter searches UPN or name, ↑↓ picks)", t.dim()),
        ]),
    ];
    let user = e
        .users
        .get(e.picked)
        .map_or("no user picked: attributes are null".to_owned(), |(id, upn, _)| {
            let known = match &e.source {
                Some((source_id, attrs)) if source_id == id => format!("{} source attributes", attrs.len()),
                _ => "reading its attributes".to_owned(),
            };
            format!(
                "user {} of {}: {} ({known})",
                e.picked + 1,
                e.users.len(),
                sanitize_for_terminal(upn)
            )
        });
    lines.push(Line::from(Span::styled(user, t.dim())));
    match &e.result {
        Ok(v) => lines.push(Line::from(Span::styled(
            format!("= {}", sanitize_for_terminal(v)),
            t.ok(),
        ))),
        Err(err) => {
            for l in sanitize_multiline(err).lines() {
                lines.push(Line::from(Span::styled(l.to_owned(), t.error())));
            }
        }
    }
    for (target, value) in e.evaluated.iter().take(4) {
        let v = match value {
            Ok(Some(v)) => sanitize_for_terminal(v),
            Ok(None) => "(null)".to_owned(),
            Err(err) => format!("error: {}", sanitize_for_terminal(err)),
        };
        lines.push(Line::from(Span::styled(
            format!("  mapping {}: {v}", sanitize_for_terminal(target)),
            t.dim(),
        )));
    }
    lines
}
