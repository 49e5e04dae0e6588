//! The plan of a dry run: a filterable list of operations (by action, by text), the selected
//! one expandable to its attribute diff; `A` applies it after a confirmation with the counts.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::{FILTERS, State};
use crate::model::text::sanitize_for_terminal;
use crate::sync::{Change, Op, OpKind};
use crate::tui::screens::window;
use crate::tui::theme::{FOCUS, Theme, UNFOCUSED};

/// The plan screen.
pub struct PlanView<'a> {
    pub state: &'a State,
    pub theme: Theme,
}

fn changes(op: &Op) -> Vec<&Change> {
    match &op.kind {
        OpKind::Create { fields } => fields.iter().collect(),
        OpKind::Update { diff } | OpKind::Disable { diff } => diff.iter().collect(),
        _ => Vec::new(),
    }
}

fn value(v: &Option<String>) -> String {
    v.as_deref().map_or("(none)".to_owned(), sanitize_for_terminal)
}

impl Widget for PlanView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let d = self.state;
        let Some(plan) = &d.plan else {
            Paragraph::new("No plan yet: press Esc, then d for a dry run.").render(area, buf);
            return;
        };
        let v = &d.view;
        let c = &plan.counts;
        let [head, list, detail] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Min(3),
            Constraint::Length(if v.open { 8 } else { 0 }),
        ])
        .areas(area);
        let filter = FILTERS.get(v.filter).copied().unwrap_or("all");
        let text = if v.input.is_some() || !v.text.is_empty() {
            format!(" · text \"{}\"", sanitize_for_terminal(&v.text))
        } else {
            String::new()
        };
        Paragraph::new(vec![
            Line::from(Span::styled(
                format!(
                    "Plan {} · {} create · {} update · {} disable · {} delete · {} member · {} skip · {} error",
                    plan.id,
                    c.create,
                    c.update + c.set_reference,
                    c.disable,
                    c.delete,
                    c.add_member + c.remove_member,
                    c.skip,
                    c.error
                ),
                t.title(),
            )),
            Line::from(Span::styled(
                format!("action: {filter}{text} · f next action · / text · Enter diff · A apply"),
                t.dim(),
            )),
        ])
        .render(head, buf);
        let ops = d.visible_ops();
        let rows = window(v.selected, ops.len(), list.height as usize);
        let mut lines = Vec::new();
        for i in rows {
            let op = ops[i];
            let selected = i == v.selected;
            let style = match &op.kind {
                OpKind::Error(_) => t.error(),
                OpKind::Disable { .. } | OpKind::Delete | OpKind::StagedDelete => t.warn(),
                _ => ratatui::style::Style::new(),
            };
            lines.push(Line::from(vec![
                Span::raw(if selected { FOCUS } else { UNFOCUSED }),
                Span::styled(format!("{:<14}", op.kind.action()), style),
                Span::styled(format!("{:<11}", op.object_type.as_str()), t.dim()),
                Span::styled(
                    sanitize_for_terminal(&op.source_name),
                    if selected {
                        t.focus().patch(t.selected())
                    } else {
                        ratatui::style::Style::new()
                    },
                ),
            ]));
        }
        if ops.is_empty() {
            lines.push(Line::from(Span::styled("no operation matches the filters", t.dim())));
        }
        Paragraph::new(lines).render(list, buf);
        if v.open
            && let Some(op) = ops.get(v.selected)
        {
            Paragraph::new(detail_lines(op, t))
                .wrap(Wrap { trim: false })
                .render(detail, buf);
        }
    }
}

/// An operation's details: what it is, its error or reason, its attribute changes.
fn detail_lines(op: &Op, t: Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(Span::styled(
        format!("{} · {}", op.kind.action(), sanitize_for_terminal(&op.source_name)),
        t.title(),
    ))];
    match &op.kind {
        OpKind::Error(f) => lines.push(Line::from(Span::styled(
            format!("{}: {}", f.code, sanitize_for_terminal(&f.reason)),
            t.error(),
        ))),
        OpKind::Skip { reason } => lines.push(Line::from(sanitize_for_terminal(&reason.to_string()))),
        OpKind::CreateReference { table, field, value } => lines.push(Line::from(format!(
            "new {table} row: {field} = {}",
            sanitize_for_terminal(value)
        ))),
        _ => {}
    }
    for ch in changes(op) {
        lines.push(Line::from(format!(
            "  {}: {} → {}",
            sanitize_for_terminal(&ch.attribute),
            value(&ch.old),
            value(&ch.new)
        )));
    }
    lines
}
