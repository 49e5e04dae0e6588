//! Drawing the wizard: the step list on the left, the step on the right. Reads state only.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};

use super::{CLOUDS, Field, SaveStatus, SideTest, Step, StoreStatus, Wizard, cloud_word};
use crate::model::check::Outcome;
use crate::model::text::{sanitize_for_terminal, sanitize_multiline};
use crate::secrets::{StoreChoice, StoreKind};
use crate::tui::theme::{FOCUS, Theme, UNFOCUSED};

const LABEL: usize = 22;
const STEPS_WIDTH: u16 = 25;

/// The wizard as a widget.
pub struct WizardView<'a> {
    pub wizard: &'a Wizard,
    pub theme: Theme,
}

fn split(area: Rect) -> (Rect, Rect) {
    let [steps, body] = Layout::horizontal([Constraint::Length(STEPS_WIDTH), Constraint::Min(20)]).areas(area);
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
        let index = self.wizard.step.fields().iter().position(|f| *f == field)?;
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
        let fields = w.step.fields();
        let [fields_area, detail] =
            Layout::vertical([Constraint::Length(fields.len() as u16), Constraint::Min(0)]).areas(rest);
        for (i, field) in fields.iter().enumerate() {
            let row = Rect::new(fields_area.x, fields_area.y + i as u16, fields_area.width, 1);
            if row.y < fields_area.bottom() {
                self.render_field(*field, i == w.focus && w.editing, row, buf);
            }
        }
        let text = self.detail();
        Paragraph::new(text).wrap(Wrap { trim: false }).render(detail, buf);
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
            lines.push(Line::from(vec![
                Span::raw(marker),
                Span::styled(format!("{done}{}. {}", step.index() + 1, step.title()), style),
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

    fn hint(&self) -> &'static str {
        match self.wizard.step {
            Step::Instance => "The name before .service-now.com (e.g. dev35214), or a full https:// URL.",
            Step::Credentials => "An admin account of the instance (the admin role is checked in the test).",
            Step::Entra => "The app registration (client credentials) and the enterprise app's service principal.",
            Step::Test => "Enter or t runs both sides; each step shows its result, duration and what to do.",
            Step::Notification => "Who hears about quarantine and failures (sending is configured in Settings).",
            Step::Review => "Enter saves the secrets to the store and the profile to the configuration file.",
        }
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
            Span::styled(format!("{:<LABEL$}", field.label()), label_style),
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

    fn detail(&self) -> Text<'static> {
        let w = self.wizard;
        let t = self.theme;
        let mut lines: Vec<Line<'static>> = vec![Line::default()];
        match w.step {
            Step::Instance => match w.instance() {
                Ok(instance) => lines.push(Line::from(Span::styled(
                    format!("✓ resolves to {}", instance.base_url()),
                    t.ok(),
                ))),
                Err(why) => lines.push(Line::from(Span::styled(
                    format!("✗ {}", sanitize_for_terminal(&why.to_string())),
                    t.error(),
                ))),
            },
            Step::Credentials => {
                let (text, style) = match &w.store_status {
                    StoreStatus::Probing => ("checking the secret store…".to_owned(), t.dim()),
                    StoreStatus::Ready(StoreKind::Memory) => (
                        "Secrets are kept in memory for this demo: nothing is written anywhere.".to_owned(),
                        t.ok(),
                    ),
                    StoreStatus::Ready(StoreKind::Keyutils) => (
                        "Secrets will be saved to keyutils, the kernel keyring: it is cleared on reboot.".to_owned(),
                        t.warn(),
                    ),
                    StoreStatus::Ready(kind) => (format!("Secrets will be saved to {kind} (the OS keyring)."), t.ok()),
                    StoreStatus::EnvOnly => (
                        "Nothing will be stored: set NOWSYNC_SERVICENOW_PASSWORD and NOWSYNC_GRAPH_CLIENT_SECRET (or their _FILE variants) where nowsync runs. The values typed here are used for the test only.".to_owned(),
                        t.warn(),
                    ),
                    StoreStatus::Unavailable(why) => (
                        format!("{}\n← → on \"Secret store\" picks keyutils (cleared on reboot) or env.", sanitize_multiline(why)),
                        t.error(),
                    ),
                };
                for l in text.lines() {
                    lines.push(Line::from(Span::styled(l.to_owned(), style)));
                }
            }
            Step::Entra => {
                let clouds: Vec<&str> = CLOUDS.iter().map(|(_, w)| *w).collect();
                lines.push(Line::from(Span::styled(
                    format!("Clouds: {}", clouds.join(", ")),
                    t.dim(),
                )));
                if let Some(url) = &w.authority_url {
                    lines.push(Line::from(Span::styled(
                        format!("Authority: {}", sanitize_for_terminal(url)),
                        t.dim(),
                    )));
                }
            }
            Step::Test => {
                self.side_lines(&mut lines, "ServiceNow", &w.servicenow_test);
                self.side_lines(&mut lines, "Entra", &w.entra_test);
            }
            Step::Notification => lines.push(Line::from(Span::styled("Optional: leave empty for none.", t.dim()))),
            Step::Review => self.review_lines(&mut lines),
        }
        Text::from(lines)
    }

    fn side_lines(&self, lines: &mut Vec<Line<'static>>, name: &str, side: &SideTest) {
        let t = self.theme;
        let status = match side {
            SideTest::NotRun => ("not run".to_owned(), t.dim()),
            SideTest::Invalid(why) => (format!("cannot run: {}", sanitize_for_terminal(why)), t.error()),
            SideTest::Running => ("running…".to_owned(), t.warn()),
            SideTest::Done(_) if side.passed() => ("PASS".to_owned(), t.ok()),
            SideTest::Done(_) => ("FAIL".to_owned(), t.error()),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{name}: "), t.title()),
            Span::styled(status.0, status.1),
        ]));
        if let SideTest::Done(steps) = side {
            for step in steps {
                let (mark, style) = match step.outcome {
                    Outcome::Pass => ("✓", t.ok()),
                    Outcome::Fail => ("✗", t.error()),
                    Outcome::Skipped => ("-", t.dim()),
                };
                lines.push(Line::from(vec![
                    Span::styled(format!(" {mark}"), style),
                    Span::styled(format!("{:>5}ms ", step.duration.as_millis()), t.dim()),
                    Span::raw(sanitize_for_terminal(&step.title)),
                ]));
                if step.outcome == Outcome::Fail {
                    let code = step
                        .error_code
                        .as_deref()
                        .map(|c| format!("[{c}] "))
                        .unwrap_or_default();
                    lines.push(Line::from(Span::styled(
                        format!(
                            "      {}{}",
                            sanitize_for_terminal(&code),
                            sanitize_for_terminal(&step.message)
                        ),
                        t.error(),
                    )));
                }
            }
        }
    }

    fn review_lines(&self, lines: &mut Vec<Line<'static>>) {
        let w = self.wizard;
        let t = self.theme;
        let row = |k: &str, v: String| Line::from(vec![Span::styled(format!("  {k:<20}"), t.dim()), Span::raw(v)]);
        let instance = w.instance().map(|i| i.base_url()).unwrap_or_else(|e| e.to_string());
        lines.push(row("Instance", sanitize_for_terminal(&instance)));
        lines.push(row("Admin user", sanitize_for_terminal(w.inputs.username.value())));
        lines.push(row(
            "Tenant / cloud",
            format!(
                "{} / {}",
                sanitize_for_terminal(w.inputs.tenant_id.value()),
                cloud_word(w.cloud)
            ),
        ));
        lines.push(row("Email", sanitize_for_terminal(w.inputs.email.value())));
        lines.push(row("Secrets to", store_word(w.store_choice())));
        lines.push(row(
            "Profile file",
            format!("{} [profiles.{}]", w.config_path.display(), w.profile),
        ));
        let tested = w.servicenow_test.passed() && w.entra_test.passed();
        lines.push(row(
            "Connection test",
            if tested {
                "passed".into()
            } else {
                "not passed (you may still save)".into()
            },
        ));
        lines.push(Line::default());
        match w.validation() {
            Err(why) => lines.push(Line::from(Span::styled(
                format!("✗ {}", sanitize_for_terminal(&why.to_string())),
                t.error(),
            ))),
            Ok(_) => match &w.save {
                SaveStatus::NotSaved => lines.push(Line::from(Span::styled("Enter saves.", t.key()))),
                SaveStatus::Saving => lines.push(Line::from(Span::styled("saving…", t.warn()))),
                SaveStatus::Saved(m) => lines.push(Line::from(Span::styled(format!("✓ {m}"), t.ok()))),
                SaveStatus::Failed(m) => lines.push(Line::from(Span::styled(format!("✗ {m}"), t.error()))),
            },
        }
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
