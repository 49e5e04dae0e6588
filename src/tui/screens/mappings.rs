//! The mappings screen (tables of user and group mappings, the expression editor), the scope
//! screen (mode, scoping filters, counts and samples) and the settings screen. Read state only.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};

use super::window;
use crate::mapping::model::{Apply, MappingSource, TargetType};
use crate::model::text::{sanitize_for_terminal, sanitize_multiline};
use crate::tui::app::App;
use crate::tui::mappings::Focus;
use crate::tui::theme::{FOCUS, UNFOCUSED};

/// The mappings screen.
pub struct MappingsView<'a> {
    pub app: &'a App,
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
        let app = self.app;
        let t = app.theme;
        let m = &app.mappings;
        let Some(set) = &m.set else {
            let why = m.load_error.as_deref().unwrap_or("no mappings");
            Paragraph::new(format!("The mappings cannot be read: {}", sanitize_multiline(why)))
                .wrap(Wrap { trim: false })
                .render(area, buf);
            return;
        };
        let object = if m.groups { &set.group } else { &set.user };
        let editor_height = if m.editor.is_some() { 11 } else { 0 };
        let panel_height = if m.editor.is_some() {
            0
        } else {
            super::mapping_form::EditPanel::height(&m.draft, area.width)
        };
        let [head, table, panel, editor] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Min(3),
            Constraint::Length(panel_height),
            Constraint::Length(editor_height),
        ])
        .areas(area);
        super::mapping_form::EditPanel {
            draft: &m.draft,
            theme: t,
        }
        .render(panel, buf);
        Paragraph::new(vec![
            Line::from(Span::styled(
                format!(
                    "{} → {} · {} mappings · matching: {}",
                    if m.groups { "Groups" } else { "Users" },
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
                "e edit · n add · D delete · [ ] precedence · R defaults · i import · E export · S save · F1 more",
                t.dim(),
            )),
        ])
        .render(head, buf);
        let wide = area.width >= 110;
        let src_w = if wide { 44 } else { 26 };
        let mut lines = Vec::new();
        for i in window(m.selected, object.attributes.len(), table.height as usize) {
            let a = &object.attributes[i];
            let selected = i == m.selected;
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
        Paragraph::new(lines).render(table, buf);
        if let Some(e) = &m.editor {
            let block = Block::default()
                .borders(Borders::TOP)
                .title(Span::styled("Expression editor · Tab switches · Esc closes", t.title()));
            let inner = block.inner(editor);
            block.render(editor, buf);
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
            let user =
                e.users
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
            Paragraph::new(lines).render(inner, buf);
        }
    }
}

/// The scope screen.
pub struct ScopeView<'a> {
    pub app: &'a App,
}

impl Widget for ScopeView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let t = app.theme;
        let m = &app.mappings;
        let mode = match &app.settings_edit {
            Some(s) if s.scope == crate::config::ScopeMode::All => "all",
            Some(_) => "assigned",
            None => app
                .settings
                .iter()
                .find(|(k, _)| k == "provisioning.scope")
                .map_or("assigned", |(_, v)| v.as_str()),
        };
        let mut lines = vec![
            Line::from(Span::styled(
                format!("Scope: {mode} users and groups (a toggles and saves)"),
                t.title(),
            )),
            Line::from(Span::styled(
                "g users/groups · n clause · f filter · e edit · D delete · S save · r recount",
                t.dim(),
            )),
        ];
        super::scope_builder::lines(app, &mut lines);
        match &m.scope {
            None => lines.push(Line::from(Span::styled("reading the source…", t.warn()))),
            Some(Err(e)) => lines.push(Line::from(Span::styled(sanitize_for_terminal(e), t.error()))),
            Some(Ok(p)) => {
                lines.push(Line::from(format!(
                    "Users in scope: {} · out of scope: {} · groups in scope: {}",
                    p.users_in, p.users_out, p.groups_in
                )));
                lines.push(Line::from(Span::styled("In scope, for example:", t.title())));
                lines.extend(
                    p.samples_in
                        .iter()
                        .map(|s| Line::from(format!("  {}", sanitize_for_terminal(s)))),
                );
                lines.push(Line::from(Span::styled("Out of scope, for example:", t.title())));
                lines.extend(
                    p.samples_out
                        .iter()
                        .map(|s| Line::from(format!("  {}", sanitize_for_terminal(s)))),
                );
            }
        }
        Paragraph::new(lines).wrap(Wrap { trim: false }).render(area, buf);
    }
}

/// The settings screen.
pub struct SettingsView<'a> {
    pub app: &'a App,
}

impl Widget for SettingsView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let t = app.theme;
        let mut lines = vec![
            Line::from(Span::styled(format!("Settings of profile {}", app.profile), t.title())),
            Line::from(Span::styled(
                "Enter saves the configuration file · last 3 rows save the mappings · w wizard",
                t.dim(),
            )),
            Line::default(),
        ];
        if let Some(e) = &app.settings_edit {
            let values = [
                format!("◀ {} ▶", if e.enabled { "on" } else { "off" }),
                format!(
                    "◀ {} ▶",
                    if e.scope == crate::config::ScopeMode::All {
                        "all"
                    } else {
                        "assigned"
                    }
                ),
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
            ];
            let values = values.into_iter().chain(crate::tui::settings_extra::values(app));
            for (i, (label, value)) in crate::tui::settings::FIELDS.iter().zip(values).enumerate() {
                let focused = i == e.focus;
                lines.push(Line::from(vec![
                    Span::styled(if focused { FOCUS } else { UNFOCUSED }, t.focus()),
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
                None if e.dirty => lines.push(Line::from(Span::styled("unsaved: Enter saves", t.warn()))),
                None => lines.push(Line::default()),
            }
            lines.push(Line::default());
        }
        if app.settings.is_empty() {
            lines.push(Line::from(Span::styled(
                "The profile is not saved yet: finish the wizard (w).",
                t.warn(),
            )));
        }
        // With the editor shown, the read-only rows it edits are not listed twice.
        let edited = |k: &str| app.settings_edit.is_some() && EDITED.contains(&k);
        for (k, v) in app.settings.iter().filter(|(k, _)| !edited(k)) {
            let v = if app.demo && k == "secrets.store" {
                "memory (demo)"
            } else {
                v.as_str()
            };
            lines.push(Line::from(vec![
                Span::styled(format!("{k:<42}"), t.key()),
                Span::raw(sanitize_for_terminal(v)),
            ]));
        }
        // The focused field stays on screen (the heading takes three lines).
        let focus = app.settings_edit.as_ref().map_or(0, |e| e.focus as u16);
        let scroll = (3 + focus + 2).saturating_sub(area.height);
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0))
            .render(area, buf);
    }
}

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
