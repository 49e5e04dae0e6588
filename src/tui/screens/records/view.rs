//! The provisioning logs: the state store's records with filters (status, text), and a
//! record's details: Steps, Modified properties and Troubleshooting.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};
use serde_json::Value;

use super::{FILTERS, State, troubleshoot};
use crate::model::text::sanitize_for_terminal;
use crate::store::LogRecord;
use crate::tui::screens::{ScrollText, window};
use crate::tui::text::ellipsis;
use crate::tui::theme::{FOCUS, Theme, UNFOCUSED};

/// The columns before the action (marker, time, cycle) and the space after the name.
const FIXED: usize = 2 + 9 + 6 + 1;
/// The action column's room at most ("remove_member" and a space).
const ACTION_MOST: usize = 14;
/// The result's room when the terminal is wide enough for a 16-character name.
const RESULT_WIDTH: usize = 25;

/// The provisioning-logs screen.
pub struct RecordsView<'a> {
    pub state: &'a State,
    pub theme: Theme,
}

impl Widget for RecordsView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let d = self.state;
        let v = &d.view;
        let records = d.visible();
        if v.open
            && let Some(record) = records.get(v.selected)
        {
            let hint = if troubleshoot::missing_reference(&record.reason).is_some() {
                "↑↓ PgUp PgDn scroll · c creates the missing reference row · Esc back to the list"
            } else {
                "↑↓ PgUp PgDn scroll · Esc back to the list"
            };
            ScrollText {
                lines: detail_lines(t, record),
                scroll: v.scroll,
                hint,
                theme: t,
            }
            .render(area, buf);
            return;
        }
        let [head, list] = Layout::vertical([Constraint::Length(3), Constraint::Min(1)]).areas(area);
        // The name takes what the fixed columns and the result leave; the result's room fits
        // "✗ ReferenceNotProvisioned", the longest code, and a longer one ends with "…".
        // The action column is as wide as the longest action listed (acceptance F24: at 80
        // columns it kept 14 for "update" while the name was cut to 23 characters): the name
        // gets the rest.
        let action_width = records
            .iter()
            .map(|r| r.action.chars().count() + 1)
            .max()
            .unwrap_or(0)
            .clamp("ACTION ".len(), ACTION_MOST);
        let room = usize::from(list.width).saturating_sub(FIXED + action_width);
        let name_width = room.saturating_sub(RESULT_WIDTH).max(16);
        let result_width = room.saturating_sub(name_width);
        let widths = Widths {
            action: action_width,
            name: name_width,
            result: result_width,
        };
        Paragraph::new(head_lines(d, t, widths)).render(head, buf);
        let mut lines: Vec<Line> = window(v.selected, records.len(), list.height as usize)
            .map(|i| row(records[i], i == v.selected, t, widths))
            .collect();
        if records.is_empty() {
            lines.push(Line::from(Span::styled("no record matches: r runs a cycle", t.dim())));
        }
        Paragraph::new(lines).render(list, buf);
    }
}

/// The list's head: the counts, the filters (or the error reading the store) and the column
/// headers.
fn head_lines(d: &State, t: Theme, widths: Widths) -> Vec<Line<'static>> {
    let v = &d.view;
    let failures = d.records.iter().filter(|r| r.status == "failure").count();
    // Counts mean objects (issue 14): a failing object is logged again each cycle, so the
    // failure records are many more than the objects failing now (acceptance F24).
    // As `nowsync status` and the dashboard count them once the history is read: an object
    // whose last record failed may have left the retry queue since (out of scope, never
    // provisioned).
    let failing = d.failing_now.unwrap_or_else(|| failing_objects(&d.records) as u64);
    let filter = FILTERS.get(v.filter).copied().unwrap_or("all");
    let text = if v.input.is_some() || !v.text.is_empty() {
        format!(" · text \"{}\"", sanitize_for_terminal(&v.text))
    } else {
        String::new()
    };
    let mut head_lines = vec![Line::from(Span::styled(
        format!(
            "{} · {} ({} failing now) · newest first",
            crate::tui::text::count(d.records.len() as u64, "record", "records"),
            crate::tui::text::count(failures as u64, "failure record", "failure records"),
            crate::tui::text::count(failing, "object", "objects")
        ),
        t.title(),
    ))];
    head_lines.push(match &d.error {
        Some(e) => Line::from(Span::styled(sanitize_for_terminal(e), t.error())),
        None => Line::from(Span::styled(
            format!("status: {filter}{text} · s next status · / text · Enter details"),
            t.dim(),
        )),
    });
    head_lines.push(Line::from(Span::styled(
        format!(
            "  {:<9}{:<6}{:<a$}{:<w$} {}",
            "TIME",
            "CYCLE",
            "ACTION",
            "NAME",
            "RESULT",
            a = widths.action,
            w = widths.name
        ),
        t.dim(),
    )));
    head_lines
}

/// The objects whose newest record is a failure (`records` newest first).
fn failing_objects(records: &[LogRecord]) -> usize {
    let mut seen = std::collections::HashSet::new();
    records
        .iter()
        .filter(|r| seen.insert((r.object_type, r.source_id.as_str())))
        .filter(|r| r.status == "failure")
        .count()
}

/// The list's column widths: the action's, the name's and the result's.
#[derive(Clone, Copy)]
struct Widths {
    action: usize,
    name: usize,
    result: usize,
}

/// One record's row; a failure's result is its error code.
fn row(r: &LogRecord, selected: bool, t: Theme, widths: Widths) -> Line<'static> {
    let (name_width, result_width) = (widths.name, widths.result);
    let (result, style) = match (r.status.as_str(), &r.error_code) {
        ("failure", Some(code)) => (format!("✗ {code}"), t.error()),
        ("failure", None) => ("✗ failure".to_owned(), t.error()),
        ("success", _) => ("success".to_owned(), t.ok()),
        (other, _) => (other.to_owned(), t.dim()),
    };
    Line::from(vec![
        Span::raw(if selected { FOCUS } else { UNFOCUSED }),
        Span::styled(format!("{:<9}", time_of(&r.time)), t.dim()),
        Span::styled(format!("{:<6}", r.cycle_id), t.dim()),
        Span::raw(format!("{:<a$}", sanitize_for_terminal(&r.action), a = widths.action)),
        Span::styled(
            format!(
                "{:<w$} ",
                ellipsis(&sanitize_for_terminal(&r.source_name), name_width),
                w = name_width
            ),
            if selected {
                t.focus().patch(t.selected())
            } else {
                ratatui::style::Style::new()
            },
        ),
        Span::styled(ellipsis(&sanitize_for_terminal(&result), result_width), style),
    ])
}

/// `HH:MM:SS` of an RFC 3339 time (the day is in the details).
fn time_of(time: &str) -> String {
    time.get(11..19)
        .map_or_else(|| sanitize_for_terminal(time), sanitize_for_terminal)
}

fn json_lines(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().map(one_line).collect(),
        Value::Object(map) => map.iter().map(|(k, v)| format!("{k}: {}", one_line(v))).collect(),
        Value::Null => Vec::new(),
        other => vec![one_line(other)],
    }
}

fn one_line(v: &Value) -> String {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Object(map) if map.contains_key("name") => {
            let field = |k: &str| map.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
            format!("{}: {} · {}", field("name"), field("status"), field("detail"))
        }
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{k}={}", v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
            .collect::<Vec<_>>()
            .join(" · "),
        other => other.to_string(),
    };
    sanitize_for_terminal(&text)
}

/// A record's details: what, when, Steps, Modified properties (references by name),
/// Troubleshooting.
pub fn detail_lines(t: Theme, r: &LogRecord) -> Vec<Line<'static>> {
    let s = sanitize_for_terminal;
    let mut lines = vec![
        Line::from(Span::styled(
            format!(
                "{} · {} {} · {}",
                s(&r.source_name),
                r.object_type,
                s(&r.action),
                s(&r.status)
            ),
            t.title(),
        )),
        Line::from(Span::styled(
            format!(
                "cycle {} · {} · source {} · target {}",
                r.cycle_id,
                s(&r.time),
                s(&r.source_id),
                s(r.target_id.as_deref().unwrap_or("(none)"))
            ),
            t.dim(),
        )),
        Line::default(),
        Line::from(Span::styled("Steps", t.title())),
    ];
    lines.extend(json_lines(&r.steps).into_iter().map(|l| Line::from(format!("  {l}"))));
    lines.push(Line::from(Span::styled("Modified properties", t.title())));
    let props = property_lines(&r.modified_properties);
    if props.is_empty() {
        lines.push(Line::from(Span::styled("  none", t.dim())));
    }
    lines.extend(props.into_iter().map(|l| Line::from(format!("  {l}"))));
    lines.push(Line::from(Span::styled("Troubleshooting", t.title())));
    match &r.error_code {
        Some(code) => {
            for l in troubleshoot::explain(
                &s(code),
                &s(&r.reason),
                r.recommended_action.as_deref().map(s).as_deref(),
            ) {
                lines.push(Line::from(Span::styled(format!("  {l}"), t.warn())));
            }
        }
        None => lines.push(Line::from(format!(
            "  {}",
            s(if r.reason.is_empty() { "no error" } else { &r.reason })
        ))),
    }
    lines
}

/// Modified properties as `attribute: old → new`, references by the referenced rows' names
/// (a list of `sync::Change`); anything else as the JSON lines show it.
fn property_lines(value: &Value) -> Vec<String> {
    let Ok(changes) = serde_json::from_value::<Vec<crate::sync::Change>>(value.clone()) else {
        return json_lines(value);
    };
    let text = |v: Option<&str>| sanitize_for_terminal(v.unwrap_or("(none)"));
    changes
        .iter()
        .map(|c| {
            format!(
                "{}: {} → {}",
                sanitize_for_terminal(&c.attribute),
                text(c.old_text()),
                text(c.new_text())
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(code: &str, name: &str) -> LogRecord {
        LogRecord {
            cycle_id: 3,
            change_id: "c".into(),
            time: "2026-11-28T21:00:00Z".into(),
            object_type: crate::model::ObjectType::User,
            source_id: "id".into(),
            source_name: name.into(),
            target_id: None,
            action: "update".into(),
            status: "failure".into(),
            error_code: Some(code.into()),
            reason: String::new(),
            recommended_action: None,
            steps: json!([]),
            modified_properties: json!({}),
            duration_ms: 1,
        }
    }

    /// Regression (acceptance test at 80×24): the result column showed
    /// "ReferenceNotProvision", cut mid-word with no ellipsis.
    #[test]
    fn the_result_column_shows_the_longest_code_whole_at_80_columns_and_marks_a_cut() {
        let state = State {
            records: vec![
                record(
                    "ReferenceNotProvisioned",
                    "a.very.long.mailbox.name@widgets-international.example.com",
                ),
                record("AnErrorCodeLongerThanAnyNowsyncHas", "b@x.io"),
            ],
            error: None,
            view: Default::default(),
            failing_now: None,
        };
        let area = Rect::new(0, 0, 80, 6);
        let mut buf = Buffer::empty(area);
        RecordsView {
            state: &state,
            theme: Theme::monochrome(),
        }
        .render(area, &mut buf);
        let rows: Vec<String> = (3..5)
            .map(|y| {
                (0..80)
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
                    .trim_end()
                    .to_owned()
            })
            .collect();
        assert!(rows[0].ends_with("✗ ReferenceNotProvisioned"), "{rows:?}");
        // The action column as wide as "update" needs: the name has 30 (was 23, F24).
        assert!(rows[0].contains("update a.very.long.mailbox.name@widg… "), "{rows:?}");
        assert!(rows[1].ends_with("✗ AnErrorCodeLongerThanA…"), "{rows:?}");
    }

    /// Acceptance N11: the header counts the objects failing now as `status` and the dashboard
    /// do once the history is read (an object whose last record failed may have left the retry
    /// queue since); before, by the records.
    #[test]
    fn the_header_counts_failing_objects_as_status_does_once_the_history_is_read() {
        let mut state = State {
            records: vec![record("AttributeValueTooLong", "gone@x.io")],
            ..State::default()
        };
        let head = |state: &State| {
            let area = Rect::new(0, 0, 80, 6);
            let mut buf = Buffer::empty(area);
            RecordsView {
                state,
                theme: Theme::monochrome(),
            }
            .render(area, &mut buf);
            (0..80).map(|x| buf[(x, 0)].symbol()).collect::<String>()
        };
        assert!(
            head(&state).contains("1 failure record (1 object failing now)"),
            "{}",
            head(&state)
        );
        state.failing_now = Some(0);
        assert!(
            head(&state).contains("1 failure record (0 objects failing now)"),
            "{}",
            head(&state)
        );
    }
}
