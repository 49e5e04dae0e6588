//! Drawing the SSO readiness panel: a box over the screen with the report as labelled rows,
//! wrapped and scrolled, and the panel's keys on its last row. Names and values come from the
//! instance and the directory: sanitised here. Reads state only.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Widget};

use super::{State, Typing};
use crate::model::text::sanitize_for_terminal as clean;
use crate::sync::sso::{Providers, SsoReport};
use crate::tui::screens::ScrollText;
use crate::tui::theme::Theme;

/// The label column's width.
const LABEL: usize = 22;

pub struct SsoView<'a> {
    pub state: &'a State,
    pub theme: Theme,
}

impl Widget for SsoView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        // The whole body: the screen behind has nothing to add, and its edges would show.
        let popup = area;
        Clear.render(popup, buf);
        let block = Block::default().borders(Borders::ALL).title(Span::styled(
            " SSO readiness: can provisioned users sign in? ",
            t.title(),
        ));
        let inner = block.inner(popup);
        block.render(popup, buf);
        let hint = match self.state.typing {
            Some(_) => "Enter keeps it and checks · Esc drops the edit",
            None if self.state.field_unknown() => "f type the field · a attribute · Enter check · Esc close",
            None => "Enter check · f field · a attribute · ↑↓ · Esc close",
        };
        ScrollText {
            lines: lines(self.state, inner.width as usize, t),
            scroll: self.state.scroll,
            hint,
            theme: t,
        }
        .render(inner, buf);
    }
}

/// A labelled row, its value wrapped under itself (a hanging indent) to `width` columns.
fn row(out: &mut Vec<Line<'static>>, label: &str, value: &str, style: Style, width: usize, t: Theme) {
    let room = width.saturating_sub(LABEL).max(10);
    for (i, part) in crate::tui::text::wrap(value, room).into_iter().enumerate() {
        let label = if i == 0 { label } else { "" };
        out.push(Line::from(vec![
            Span::styled(format!("{label:<LABEL$}"), t.key()),
            Span::styled(part, style),
        ]));
    }
}

/// The panel's rows: what is asked, then the report.
fn lines(state: &State, width: usize, t: Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let typed = |what: Typing, value: &str, empty: &str| -> (String, Style) {
        let shown = if value.is_empty() {
            empty.to_owned()
        } else {
            clean(value)
        };
        match &state.typing {
            Some((w, _)) if *w == what => (format!("{shown}▏"), t.focus()),
            _ => (shown, Style::default()),
        }
    };
    let (field, style) = typed(
        Typing::Field,
        state.field.value(),
        "(the instance's identity provider's)",
    );
    row(&mut out, "Field (f)", &field, style, width, t);
    let (attribute, style) = typed(Typing::Attribute, state.attribute.value(), super::DEFAULT_NAMEID);
    row(&mut out, "NameID attribute (a)", &attribute, style, width, t);
    out.push(Line::default());
    match (&state.report, state.pending) {
        (_, Some(_)) => row(
            &mut out,
            "",
            "Checking: reading the instance's identity providers and the provisioned users…",
            t.dim(),
            width,
            t,
        ),
        (None, None) => out.push(Line::from("Enter checks.")),
        (Some(Err(e)), None) => row(&mut out, "Check failed", &clean(e), t.error(), width, t),
        (Some(Ok(r)), None) => report(r, &mut out, width, t),
    }
    out
}

/// The identity providers the instance has, each with the field it matches on.
fn providers(r: &SsoReport, out: &mut Vec<Line<'static>>, width: usize, t: Theme) {
    let plain = Style::default();
    match &r.providers {
        Providers::Unreadable { reason } => row(
            out,
            "Identity providers",
            &format!("none readable: {}", clean(reason)),
            t.warn(),
            width,
            t,
        ),
        Providers::Read { providers } if providers.is_empty() => row(
            out,
            "Identity providers",
            "Multi-Provider SSO has no identity provider",
            t.warn(),
            width,
            t,
        ),
        Providers::Read { providers } => {
            for (i, p) in providers.iter().enumerate() {
                let state = match (p.active, p.default) {
                    (true, true) => "active, default",
                    (true, false) => "active",
                    (false, _) => "inactive",
                };
                let label = if i == 0 { "Identity providers" } else { "" };
                let value = format!("{} ({state}): matches on {}", clean(&p.name), clean(&p.user_field));
                row(out, label, &value, plain, width, t);
            }
        }
    }
}

/// The report's rows: providers, the field SSO matches on, the mapping, who would sign in,
/// the fix, and a sample of those who would not.
fn report(r: &SsoReport, out: &mut Vec<Line<'static>>, width: usize, t: Theme) {
    let plain = Style::default();
    providers(r, out, width, t);
    let Some(field) = &r.field else {
        let what = "unknown: press f and type the sys_user field that the identity provider's User Field names (ServiceNow: Multi-Provider SSO > Identity Providers)";
        row(out, "SSO matches on", what, t.warn(), width, t);
        return;
    };
    let matches = format!("sys_user.{} ({})", clean(field), clean(&r.field_from));
    row(out, "SSO matches on", &matches, plain, width, t);
    let (mark, style) = if r.mapping_ok {
        ("✓", t.ok())
    } else {
        ("✗", t.error())
    };
    row(
        out,
        "Mapping",
        &format!("{mark} {}", clean(&r.mapping)),
        style,
        width,
        t,
    );
    let signs = format!(
        "{} of {} provisioned users would sign in",
        r.would_sign_in, r.provisioned
    );
    let style = if r.would_sign_in == r.provisioned {
        t.ok()
    } else {
        t.warn()
    };
    row(out, "Sign-in", &signs, style, width, t);
    // The fix before the sample, so that at 80×24 it shows without scrolling.
    match &r.fix {
        Some(fix) => row(out, "Fix", &clean(fix), t.warn(), width, t),
        None => row(out, "Ready", "provisioned users can sign in with SSO", t.ok(), width, t),
    }
    locked_out(r, field, out, width, t);
}

/// A sample of the provisioned users who would not sign in, and how many more.
fn locked_out(r: &SsoReport, field: &str, out: &mut Vec<Line<'static>>, width: usize, t: Theme) {
    let plain = Style::default();
    for (i, u) in r.locked_out.iter().enumerate() {
        let label = if i == 0 { "Would not sign in" } else { "" };
        let value = format!(
            "✗ {}: NameID '{}', sys_user.{} holds '{}'",
            clean(&u.name),
            clean(u.nameid.as_deref().unwrap_or("(unknown)")),
            clean(field),
            clean(u.field_value.as_deref().unwrap_or("(empty)"))
        );
        row(out, label, &value, plain, width, t);
    }
    if r.locked_out_count > r.locked_out.len() {
        let more = format!("… and {} more", r.locked_out_count - r.locked_out.len());
        row(out, "", &more, plain, width, t);
    }
}
