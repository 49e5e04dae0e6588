//! The plan: its status (ready, applied, out of date), a filterable list of operations with
//! column headers, and an operation's details full size, scrolled. Reads state only.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::{FILTERS, State, Status};
use crate::model::text::sanitize_for_terminal;
use crate::sync::{Change, Op, OpKind, Plan};
use crate::tui::screens::{ScrollText, window};
use crate::tui::text::ellipsis;
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

/// A value as the plan shows it: a reference by its row's name, a redacted one as `***`.
fn value(v: Option<&str>) -> String {
    v.map_or("(none)".to_owned(), sanitize_for_terminal)
}

/// The plan's line: its number, when it was made, where it stands.
pub fn status_line(plan: &Plan, made: &str, status: &Status) -> String {
    let state = match status {
        Status::Ready => "ready: A applies it".to_owned(),
        Status::Applying => "being applied".to_owned(),
        Status::Applied { .. } if !plan.numbered() => "applied by that cycle (not a dry run's plan)".to_owned(),
        Status::Applied { cycle_id } => format!("applied in cycle {cycle_id}"),
        Status::Stopped { cycle_id, at } => format!("{at} in cycle {cycle_id}: the next cycle plans the rest"),
        Status::OutOfDate(why) => format!("out of date ({why}): d makes a new dry run"),
        Status::Expired { until } => format!("expired at {until} UTC: d makes a new dry run"),
        Status::EngineGone => "its engine has gone; start one (nowsync run) and make a new dry run".to_owned(),
    };
    // When its reads began, as the engine stamped it; the console's arrival time otherwise.
    let made = plan
        .basis
        .made
        .map_or_else(|| made.to_owned(), |t| t.format("%H:%M:%S").to_string());
    let until = match (status, plan.basis.valid_until) {
        (Status::Ready, Some(until)) => format!(", valid until {} UTC", until.format("%H:%M")),
        _ => String::new(),
    };
    let made = if made.is_empty() {
        String::new()
    } else {
        format!(" · made {made} UTC{until}")
    };
    format!("{}{made} · {state}", super::capitalised(&super::name(plan, status)))
}

impl Widget for PlanView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let d = self.state;
        let Some(plan) = &d.plan else {
            Paragraph::new("No plan yet: d makes a dry run (it plans a cycle and writes nothing).").render(area, buf);
            return;
        };
        let v = &d.view;
        let ops = d.visible();
        if v.open
            && let Some(op) = d.visible_op(&ops, v.selected)
        {
            ScrollText {
                lines: detail_lines(&op, t),
                scroll: v.scroll,
                hint: "↑↓ PgUp PgDn scroll · Esc back to the list",
                theme: t,
            }
            .render(area, buf);
            return;
        }
        let c = &plan.counts;
        let held = c.held_words();
        let head_rows = 4 + u16::from(held.is_some());
        let [head, list] = Layout::vertical([Constraint::Length(head_rows), Constraint::Min(1)]).areas(area);
        let filter = FILTERS.get(v.filter).copied().unwrap_or("all");
        let text = if v.input.is_some() || !v.text.is_empty() {
            format!(" · text \"{}\"", sanitize_for_terminal(&v.text))
        } else {
            String::new()
        };
        let status_style = match d.status {
            Status::OutOfDate(_) | Status::Expired { .. } => t.warn(),
            _ => t.title(),
        };
        let mut head_lines = vec![
            Line::from(Span::styled(status_line(plan, &d.made, &d.status), status_style)),
            Line::from(format!(
                "{} create · {} update · {} disable · {} delete · {} member · {} skip · {} error",
                c.create,
                c.update + c.set_reference,
                c.disable,
                c.delete,
                c.add_member + c.remove_member,
                c.skip,
                c.error
            )),
        ];
        // Held ops are none of the counts above (issue 14: "859 delete" were held disables and
        // deactivations, and the held membership removals were in no count).
        if let Some(words) = held {
            let long = [format!(
                "held by the deletion threshold: {words} (f to the action 'held' lists them)"
            )];
            let short = [format!("held: {words}")];
            head_lines.push(Line::from(Span::styled(
                crate::tui::text::fit_either(&long, &short, usize::from(area.width)),
                t.warn(),
            )));
        }
        head_lines.extend([
            Line::from(Span::styled(
                format!("action: {filter}{text} · f next action · / text · Enter details"),
                t.dim(),
            )),
            Line::from(Span::styled(
                format!("  {:<ACTION_WIDTH$}{:<11}{}", "ACTION", "TYPE", "NAME"),
                t.dim(),
            )),
        ]);
        Paragraph::new(head_lines).render(head, buf);
        let mut lines = Vec::new();
        let name_width = usize::from(list.width).saturating_sub(2 + ACTION_WIDTH + 11);
        for i in window(v.selected, ops.len(), list.height as usize) {
            if let Some(op) = d.visible_op(&ops, i) {
                lines.push(op_row(&op, i == v.selected, t, name_width));
            }
        }
        if ops.is_empty() {
            lines.push(Line::from(Span::styled("no operation matches the filters", t.dim())));
        }
        Paragraph::new(lines).render(list, buf);
    }
}

/// The ACTION column: "held deactivate" and a space.
const ACTION_WIDTH: usize = 16;

/// What an op does, in the admin's words: a held op says what it holds ("held disable"), not
/// the JSON's `StagedDelete` (acceptance pass 4), which `logs --action` and `--json` keep.
fn action_label(kind: &OpKind) -> std::borrow::Cow<'static, str> {
    match kind {
        // The TYPE column says "membership": "held remove_member" would not fit.
        OpKind::StagedDelete {
            held: crate::sync::Held::RemoveMember,
        } => "held remove".into(),
        OpKind::StagedDelete { held } => format!("held {held}").into(),
        other => other.action().as_str().into(),
    }
}

/// An operation's row; a name longer than `name_width` ends with "…".
fn op_row(op: &Op, selected: bool, t: Theme, name_width: usize) -> Line<'static> {
    let style = match &op.kind {
        OpKind::Error(_) => t.error(),
        OpKind::Disable { .. } | OpKind::Delete | OpKind::StagedDelete { .. } | OpKind::RemoveMember => t.warn(),
        _ => ratatui::style::Style::new(),
    };
    Line::from(vec![
        Span::raw(if selected { FOCUS } else { UNFOCUSED }),
        Span::styled(format!("{:<ACTION_WIDTH$}", action_label(&op.kind)), style),
        Span::styled(format!("{:<11}", op.object_type.as_str()), t.dim()),
        Span::styled(
            ellipsis(&sanitize_for_terminal(&op.source_name.text()), name_width),
            if selected {
                t.focus().patch(t.selected())
            } else {
                ratatui::style::Style::new()
            },
        ),
    ])
}

/// An operation's details: what it is, its steps, its error or reason, its attribute changes
/// (references by the referenced rows' names).
pub fn detail_lines(op: &Op, t: Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "{} {} · {}",
            action_label(&op.kind),
            op.object_type.as_str(),
            sanitize_for_terminal(&op.source_name.text())
        ),
        t.title(),
    ))];
    if let Some(row) = &op.target_id {
        lines.push(Line::from(Span::styled(
            format!("ServiceNow row {}", sanitize_for_terminal(row)),
            t.dim(),
        )));
    }
    for step in op.steps.iter() {
        lines.push(Line::from(format!(
            "  {}: {}",
            step.name,
            sanitize_for_terminal(&step.detail)
        )));
    }
    match &op.kind {
        OpKind::Error(f) => lines.push(Line::from(Span::styled(
            format!("{}: {}", f.code, sanitize_for_terminal(&f.reason)),
            t.error(),
        ))),
        OpKind::Skip { reason } => lines.push(Line::from(sanitize_for_terminal(&reason.to_string()))),
        OpKind::CreateReference(r) => lines.push(Line::from(format!(
            "new {} row: {} = {}",
            r.table,
            r.field,
            sanitize_for_terminal(&r.value)
        ))),
        _ => {}
    }
    let changes = changes(op);
    if !changes.is_empty() {
        lines.push(Line::from(Span::styled("Changes", t.title())));
    }
    for ch in changes {
        lines.push(Line::from(format!(
            "  {}: {} → {}",
            sanitize_for_terminal(&ch.attribute),
            value(ch.old_text()),
            value(ch.new_words().as_deref())
        )));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::ObjectType;

    /// Regression (acceptance test at 80×24): a long address was cut at the terminal's edge
    /// with no sign that it was cut ("…@wi").
    #[test]
    fn a_long_name_in_the_plan_list_ends_with_an_ellipsis_at_80_columns() {
        let name = "a.very.long.mailbox.name.for.testing@widgets-international.example.com";
        let op = Op {
            object_type: ObjectType::User,
            source_id: "id".into(),
            source_name: name.into(),
            target_id: None,
            member_id: None,
            kind: OpKind::Delete,
            steps: Vec::new().into(),
            hash: Default::default(),
        };
        let row: String = op_row(&op, false, Theme::monochrome(), 80 - (2 + ACTION_WIDTH + 11))
            .spans
            .iter()
            .map(|s| s.content.as_ref())
            .collect();
        assert_eq!(row.chars().count(), 80, "{row}");
        assert!(row.ends_with('…'), "{row}");
        assert!(
            row.contains("a.very.long.mailbox.name.for.testing@widgets-inter"),
            "{row}"
        );
    }

    /// Names instead of ids (issue 14): a manager this cycle creates is shown by its name and
    /// said to be created in this cycle, not by its Entra object id.
    #[test]
    fn a_manager_created_in_this_cycle_is_shown_by_name_in_the_details() {
        let mut manager = crate::sync::op::Change::pending("manager", "boss-object-id".to_owned());
        manager.set_display(None, Some("adele.vance@x.com".to_owned()));
        let op = Op {
            object_type: ObjectType::User,
            source_id: "id".into(),
            source_name: "emp@x.com".into(),
            target_id: None,
            member_id: None,
            kind: OpKind::Create { fields: vec![manager] },
            steps: Vec::new().into(),
            hash: Default::default(),
        };
        let lines: Vec<String> = detail_lines(&op, Theme::monochrome())
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect();
        assert!(
            lines.contains(&"  manager: (none) → adele.vance@x.com (created in this cycle)".to_owned()),
            "{lines:#?}"
        );
    }
}
