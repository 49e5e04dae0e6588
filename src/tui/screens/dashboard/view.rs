//! The dashboard: status, the cycle in progress (kind, phase, progress bar with rate and ETA,
//! counts), the last cycle's summary, statistics to date; the live log pane below.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::{Running, State};
use crate::model::text::sanitize_for_terminal;
use crate::sync::Plan;
use crate::tui::log::LogBuffer;
use crate::tui::screens::clock;
use crate::tui::screens::log::LogView;
use crate::tui::theme::Theme;

/// The dashboard screen: its state, the plan it names, the schedule (provisioning on, every
/// so many minutes) once a profile is saved, and the log pane.
pub struct DashboardView<'a> {
    pub state: &'a State,
    pub plan: Option<&'a Plan>,
    pub schedule: Option<(bool, u32)>,
    pub log: &'a LogBuffer,
    pub theme: Theme,
}

impl Widget for DashboardView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let d = self.state;
        let [top, log] = Layout::vertical([Constraint::Length(9), Constraint::Min(3)]).areas(area);
        let label = |s: &str| label(t, s);
        let mut lines = vec![Line::from(vec![
            label("Status"),
            Span::styled(
                sanitize_for_terminal(&d.status()),
                if d.failing.is_some() { t.error() } else { t.ok() },
            ),
        ])];
        match &d.running {
            Some(r) => running_lines(r, t, &mut lines),
            None => {
                lines.push(Line::from(vec![
                    label("Cycle"),
                    Span::raw("none running · r runs one now, d plans one"),
                ]));
                lines.push(Line::default());
                lines.push(Line::default());
            }
        }
        match &d.last {
            Some(f) => {
                let s = &f.stats;
                lines.push(Line::from(vec![
                    label("Last cycle"),
                    Span::raw(format!(
                        "{}{} finished · ",
                        f.cycle_id,
                        if f.dry_run { " (dry run)" } else { "" }
                    )),
                    Span::styled(
                        format!("failed {}", s.failed),
                        if s.failed > 0 { t.error() } else { t.dim() },
                    ),
                    Span::raw(format!(
                        " · created {} · updated {} · disabled {} · deleted {} · skipped {} · {} ms",
                        s.created, s.updated, s.disabled, s.deleted, s.skipped, s.duration_ms
                    )),
                ]));
            }
            None => lines.push(Line::from(vec![label("Last cycle"), Span::raw("none yet")])),
        }
        let s = &d.to_date;
        lines.push(Line::from(vec![
            label("To date"),
            Span::raw(format!(
                "{} cycles · failed {} · created {} · updated {} · disabled {} · deleted {} · {} writes",
                d.cycles, s.failed, s.created, s.updated, s.disabled, s.deleted, s.writes
            )),
        ]));
        let plan = match self.plan {
            Some(p) => format!("plan {} ready ({} operations): a opens it", p.id, p.ops.len()),
            None => "no plan yet: d plans a cycle".to_owned(),
        };
        lines.push(Line::from(vec![label("Plan"), Span::raw(plan)]));
        let next = match self.schedule {
            Some((enabled, interval)) => d.next_run(enabled, interval),
            None => "after the profile is saved".to_owned(),
        };
        lines.push(Line::from(vec![label("Next run"), Span::raw(next)]));
        Paragraph::new(lines).render(top, buf);
        LogView {
            log: self.log,
            theme: t,
            focused: true,
        }
        .render(log, buf);
    }
}

fn label(t: Theme, s: &str) -> Span<'static> {
    Span::styled(format!("{s:<11}"), t.dim())
}

/// The cycle in progress: kind and phase, the progress bar with rate and ETA, the counts.
fn running_lines(r: &Running, t: Theme, lines: &mut Vec<Line<'static>>) {
    let label = |s: &str| label(t, s);
    let kind = r.kind.map_or("", |k| match k {
        crate::sync::CycleKind::Initial => "initial",
        crate::sync::CycleKind::Incremental => "incremental",
    });
    let phase = if r.dry_run {
        "planning (dry run)"
    } else if r.done < r.total {
        "applying"
    } else {
        "finishing"
    };
    lines.push(Line::from(vec![
        label("Cycle"),
        Span::raw(format!("{} · {kind} · {phase}", r.cycle_id)),
    ]));
    let width = 30usize;
    let filled = if r.total == 0 {
        0
    } else {
        (r.done.min(r.total) as usize * width) / r.total as usize
    };
    let secs = r.elapsed.as_secs();
    let rate = if secs == 0 { 0.0 } else { r.done as f64 / secs as f64 };
    let eta = if rate > 0.0 {
        clock(((r.total - r.done.min(r.total)) as f64 / rate) as u64)
    } else {
        "–".to_owned()
    };
    lines.push(Line::from(vec![
        label("Progress"),
        Span::styled(
            format!("[{}{}]", "#".repeat(filled), ".".repeat(width - filled)),
            t.ok(),
        ),
        Span::raw(format!(" {}/{} objects · {rate:.1}/s · ETA {eta}", r.done, r.total)),
    ]));
    let c = &r.tally;
    lines.push(Line::from(vec![
        label("Counts"),
        Span::styled(
            format!("failed {}", c.failed),
            if c.failed > 0 { t.error() } else { t.dim() },
        ),
        Span::raw(format!(
            " · created {} · updated {} · disabled {} · deleted {} · skipped {}",
            c.created, c.updated, c.disabled, c.deleted, c.skipped
        )),
    ]));
}
