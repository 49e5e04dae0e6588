//! Drawing the wizard: the step list on the left, the step on the right. Reads state only.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};

use super::{Field, SaveStatus, Step, Wizard, cloud_word};
use crate::model::text::sanitize_for_terminal;
use crate::secrets::{StoreChoice, StoreKind};
use crate::tui::screens::ScrollText;
use crate::tui::text::ellipsis;
use crate::tui::theme::{FOCUS, Theme, UNFOCUSED};

const LABEL: usize = 22;
const STEPS_WIDTH: u16 = 25;
/// Below this width the step list shows short names, so that a GUID (36 characters and the
/// cursor after it) still fits whole beside its label at 80 columns.
const NARROW: u16 = 100;
const NARROW_STEPS_WIDTH: u16 = 16;
/// Marker, done mark and "1. " before a step's name.
const STEP_PREFIX: usize = 6;

/// The wizard as a widget.
pub struct WizardView<'a> {
    pub wizard: &'a Wizard,
    pub theme: Theme,
}

fn split(area: Rect) -> (Rect, Rect) {
    let width = if area.width < NARROW {
        NARROW_STEPS_WIDTH
    } else {
        STEPS_WIDTH
    };
    let [steps, body] = Layout::horizontal([Constraint::Length(width), Constraint::Min(20)]).areas(area);
    (steps, body)
}

impl WizardView<'_> {
    /// Where the terminal cursor goes: in the focused text field.
    pub fn cursor(&self, area: Rect) -> Option<Position> {
        let w = self.wizard;
        if !w.in_text_field() {
            return None;
        }
        let field = w.field()?;
        let input = w.inputs.get(field)?;
        let (_, body) = split(area);
        let inner = Block::default().borders(Borders::LEFT).inner(body);
        let width = (inner.width as usize).saturating_sub(LABEL + 4);
        let scroll = input.visual_scroll(width);
        let x = inner.x as usize + 2 + LABEL + 1 + input.visual_cursor().saturating_sub(scroll);
        let y = inner.y + self.field_row(field)?;
        Some(Position::new(x as u16, y))
    }

    /// Row of a field within the step body (after the header lines).
    fn field_row(&self, field: Field) -> Option<u16> {
        let index = self.wizard.fields(self.wizard.step).iter().position(|f| *f == field)?;
        Some(HEADER_ROWS + index as u16)
    }
}

const HEADER_ROWS: u16 = 4;

impl Widget for WizardView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (steps_area, body) = split(area);
        self.render_steps(steps_area, buf);
        let block = Block::default().borders(Borders::LEFT);
        let inner = block.inner(body);
        block.render(body, buf);
        let [head, rest] = Layout::vertical([Constraint::Length(HEADER_ROWS), Constraint::Min(1)]).areas(inner);
        self.render_header(head, buf);
        let w = self.wizard;
        let fields = w.fields(w.step);
        let [fields_area, detail] =
            Layout::vertical([Constraint::Length(fields.len() as u16), Constraint::Min(0)]).areas(rest);
        for (i, field) in fields.iter().enumerate() {
            let row = Rect::new(fields_area.x, fields_area.y + i as u16, fields_area.width, 1);
            if row.y < fields_area.bottom() {
                self.render_field(*field, i == w.focus && w.editing, row, buf);
            }
        }
        // Long results (the test's steps at 80×24) scroll with ↑↓ on the step list.
        ScrollText {
            lines: self.detail(),
            scroll: w.scroll,
            hint: if w.step == Step::Test {
                "↑↓ scroll the results"
            } else {
                ""
            },
            theme: self.theme,
        }
        .render(detail, buf);
    }
}

impl WizardView<'_> {
    fn render_steps(&self, area: Rect, buf: &mut Buffer) {
        let w = self.wizard;
        let t = self.theme;
        let mut lines = vec![Line::from(Span::styled("Setup", t.title())), Line::default()];
        for step in Step::ALL {
            let current = step == w.step;
            let marker = if current { FOCUS } else { UNFOCUSED };
            let done = match step {
                _ if w.marked(step) => "✗",
                Step::Test if w.servicenow_test.passed() && w.entra_test.passed() => "✓",
                Step::Review if matches!(w.save, SaveStatus::Saved(_)) => "✓",
                _ => " ",
            };
            let style = if current && !w.editing {
                t.focus().patch(t.selected())
            } else if current {
                t.focus()
            } else {
                ratatui::style::Style::new()
            };
            let name = if area.width < STEPS_WIDTH {
                step.short_title()
            } else {
                step.title()
            };
            let room = (area.width as usize).saturating_sub(STEP_PREFIX);
            let title = ellipsis(name, room);
            lines.push(Line::from(vec![
                Span::raw(marker),
                Span::styled(format!("{done}{}. {title}", step.index() + 1), style),
            ]));
        }
        Paragraph::new(lines).render(area, buf);
    }

    fn render_header(&self, area: Rect, buf: &mut Buffer) {
        let w = self.wizard;
        let t = self.theme;
        let mut lines = vec![Line::from(Span::styled(
            format!(
                "Step {} of {} · {}",
                w.step.index() + 1,
                Step::ALL.len(),
                w.step.title()
            ),
            t.title(),
        ))];
        if w.demo && w.step == Step::Instance {
            lines.push(Line::from(Span::styled(
                "Demo: this is the setup wizard's ServiceNow instance step, pre-filled with the built-in simulator. Enter goes on.",
                t.warn(),
            )));
        } else {
            lines.push(Line::from(self.hint()));
        }
        Paragraph::new(lines).wrap(Wrap { trim: true }).render(area, buf);
    }

    fn render_field(&self, field: Field, focused: bool, area: Rect, buf: &mut Buffer) {
        let w = self.wizard;
        let t = self.theme;
        let marker = if focused { FOCUS } else { UNFOCUSED };
        let label_style = if focused {
            t.focus()
        } else {
            ratatui::style::Style::new()
        };
        let width = (area.width as usize).saturating_sub(LABEL + 4);
        let value = match field {
            Field::Cloud => format!("◀ {} ▶", cloud_word(w.cloud)),
            Field::Store => format!("◀ {} ▶", store_word(w.store_choice())),
            Field::Start => format!("◀ {} ▶", if w.start { "yes" } else { "no" }),
            Field::Auth => format!("◀ {} ▶", if w.oauth { "OAuth" } else { "Basic" }),
            Field::AuthorityUrl | Field::GraphUrl if w.inputs.get(field).is_some_and(|i| i.value().is_empty()) => {
                return self.render_default(field, marker, label_style, area, buf);
            }
            _ if w.from_env(field).is_some() => {
                format!("from {} (not asked, not stored)", w.from_env(field).unwrap_or_default())
            }
            _ => match w.inputs.get(field) {
                Some(input) => {
                    let scroll = input.visual_scroll(width);
                    let shown: String = if field.secret() {
                        "*".repeat(input.value().chars().count())
                    } else {
                        sanitize_for_terminal(input.value())
                    };
                    shown.chars().skip(scroll).take(width).collect()
                }
                None => String::new(),
            },
        };
        let line = Line::from(vec![
            Span::styled(marker, label_style),
            Span::styled(format!("{:<LABEL$}", self.label(field)), label_style),
            Span::raw(" "),
            Span::styled(
                value,
                if focused {
                    t.focus()
                } else {
                    ratatui::style::Style::new()
                },
            ),
        ]);
        Paragraph::new(line).render(area, buf);
    }
}

impl WizardView<'_> {
    /// A field's label; a profile already on is kept on, not started (acceptance F19).
    fn label(&self, field: Field) -> &'static str {
        match field {
            Field::Start if self.wizard.was_enabled == Some(true) => "Keep provisioning on",
            _ => field.label(),
        }
    }

    /// An empty endpoint field: the cloud's default it stands for, dim (a placeholder, not a value).
    fn render_default(&self, field: Field, marker: &str, label_style: Style, area: Rect, buf: &mut Buffer) {
        let width = (area.width as usize).saturating_sub(LABEL + 4);
        let (login, root) = crate::graph::cloud_defaults(self.wizard.cloud);
        let url = match field {
            Field::AuthorityUrl => login.to_owned(),
            _ => format!("{root}/v1.0"),
        };
        // "(default)" always shows, so that it reads as a placeholder without colour too.
        let bare = url.trim_start_matches("https://");
        let shown = [format!("{url} (default)"), format!("{bare} (default)")]
            .into_iter()
            .find(|s| s.chars().count() <= width)
            .unwrap_or_else(|| ellipsis(&format!("(default) {bare}"), width));
        let line = Line::from(vec![
            Span::styled(marker.to_owned(), label_style),
            Span::styled(format!("{:<LABEL$}", field.label()), label_style),
            Span::raw(" "),
            Span::styled(shown, self.theme.dim()),
        ]);
        Paragraph::new(line).render(area, buf);
    }
}

/// How a store choice reads in the wizard.
pub fn store_word(choice: StoreChoice) -> String {
    match choice {
        StoreChoice::Auto => format!("auto ({})", StoreChoice::platform_default()),
        StoreChoice::Store(StoreKind::Memory) => "memory (demo)".to_owned(),
        other => other.as_str().to_owned(),
    }
}
