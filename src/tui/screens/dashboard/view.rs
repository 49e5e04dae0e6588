//! The dashboard: status, the cycle in progress (kind, phase, progress bar with rate, ETA and
//! the throughput sparkline, counts), the last cycle, the totals to date (from the store), the
//! plan; the recent cycles and the last cycle's failures as charts; the live log pane below.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::State;
use super::charts::{CyclesChart, FailuresChart, Throughput};
use super::running::running_lines;
use crate::model::text::sanitize_for_terminal;
use crate::store::LogRecord;
use crate::tui::log::LogBuffer;
use crate::tui::screens::log::LogView;
use crate::tui::screens::plan::{self, Status as PlanStatus};
use crate::tui::text::{count, ellipsis, fit_either};
use crate::tui::theme::Theme;

/// The dashboard screen: its state, the plan it names, the schedule (provisioning on, every
/// so many minutes) once a profile is saved, the provisioning log's records (the failures
/// chart) and the log pane.
pub struct DashboardView<'a> {
    pub state: &'a State,
    pub plan: &'a plan::State,
    pub schedule: Option<(bool, u32)>,
    pub records: &'a [LogRecord],
    pub log: &'a LogBuffer,
    pub theme: Theme,
}

fn label(t: Theme, s: &str) -> Span<'static> {
    Span::styled(format!("{s:<11}"), t.dim())
}

impl Widget for DashboardView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let d = self.state;
        let held = held_lines(d, t, usize::from(area.width).saturating_sub(11));
        let held_rows = held.len() as u16;
        let text_rows = if d.running.is_some() { 8 } else { 6 } + u16::from(d.engine.is_some()) + held_rows;
        // Room for a plot row per decade up to 10k at 80×24 (`charts::Scale`); before the
        // first cycle only the titles and "no cycle yet", the log pane getting the rest. The
        // held rows take theirs from the charts on a small terminal, not from the log pane.
        let charts = match d.history.as_ref().is_some_and(|h| !h.points.is_empty()) {
            false => 2,
            true if area.height >= 30 => 12,
            true => 10u16.saturating_sub(held_rows).max(6),
        };
        let [top, pictures, log] = Layout::vertical([
            Constraint::Length(text_rows),
            Constraint::Length(charts),
            Constraint::Min(3),
        ])
        .areas(area);
        // Every row fits its width or ends with "…" (at 80 columns too).
        let width = usize::from(area.width).saturating_sub(11);
        let mut lines = vec![self.status_line(width)];
        lines.extend(held);
        if let Some(engine) = &d.engine {
            lines.push(Line::from(vec![
                label(t, "Engine"),
                Span::styled(ellipsis(&sanitize_for_terminal(engine), width), t.dim()),
            ]));
        }
        match &d.running {
            Some(r) => running_lines(r, t, width, &mut lines),
            // r and d reach no engine while none is attached (acceptance F14).
            None if d.engine_gone => lines.push(Line::from(vec![
                label(t, "Cycle"),
                Span::raw("none running · no engine: c attaches again"),
            ])),
            None => lines.push(Line::from(vec![
                label(t, "Cycle"),
                Span::raw("none running · r runs one now, d plans one without writing"),
            ])),
        }
        lines.push(self.last_line(width));
        lines.push(self.to_date_line(width));
        lines.push(Line::from(vec![
            label(t, "Plan"),
            Span::raw(ellipsis(&self.plan_text(), width)),
        ]));
        if d.running.is_none()
            && let Some(h) = &d.history
        {
            lines.push(reconcile_line(&h.reconciliation, t, width));
        }
        Paragraph::new(lines).render(top, buf);
        if let Some(r) = &d.running {
            // The throughput sparkline sits in the rate row, after its label.
            let row = Rect::new(
                top.x + 11,
                top.y + 3 + u16::from(d.engine.is_some()) + held_rows,
                top.width.saturating_sub(11).min(60),
                1,
            );
            Throughput {
                rates: &r.rates,
                theme: t,
            }
            .render(row, buf);
        }
        let [cycles, failures] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(pictures);
        CyclesChart {
            history: d.history.as_ref(),
            theme: t,
        }
        .render(cycles, buf);
        FailuresChart {
            records: self.records,
            cycle_id: d.history.as_ref().and_then(|h| h.points.last()).map(|p| p.cycle_id),
            theme: t,
        }
        .render(failures, buf);
        LogView {
            log: self.log,
            theme: t,
            focused: true,
        }
        .render(log, buf);
    }
}

impl DashboardView<'_> {
    /// The engine's state and, when provisioning is on, the next scheduled cycle (while
    /// quarantined: the next attempt, which is that cycle).
    fn status_line(&self, width: usize) -> Line<'static> {
        let t = self.theme;
        let d = self.state;
        let (text, style) = match (d.state, self.schedule) {
            (Some(_), Some((false, _))) if d.failing.is_none() && d.quarantine.is_none() && d.running.is_none() => (
                "off: no cycle runs by itself · r runs one now · turn on: t, then t".to_owned(),
                t.warn(),
            ),
            (_, schedule) => {
                let mut text = d.status();
                // Paused, the status says so: no cycle is due by itself.
                match (schedule, &d.failing, d.paused()) {
                    (Some((true, _)), None, false) if d.quarantine.is_some() => {
                        if let Some(at) = d.next_attempt() {
                            text.push_str(&format!(" · next attempt {at}"));
                        }
                    }
                    (Some((true, interval)), None, false) => {
                        text.push_str(&format!(" · next run {}", d.next_run(true, interval)));
                    }
                    _ => {}
                }
                let style = if d.failing.is_some() || d.quarantine.is_some() {
                    t.error()
                } else {
                    t.ok()
                };
                (text, style)
            }
        };
        Line::from(vec![
            label(t, "Status"),
            Span::styled(ellipsis(&sanitize_for_terminal(&text), width), style),
        ])
    }

    /// The last real cycle (never a dry run: it takes no cycle number and shows in the plan
    /// row): the counts that are not zero, failures first, as many as fit.
    fn last_line(&self, width: usize) -> Line<'static> {
        let t = self.theme;
        let Some(f) = &self.state.last else {
            return Line::from(vec![label(t, "Last"), Span::raw("no cycle yet")]);
        };
        let s = &f.stats;
        let head = format!(
            "cycle {} ({}{:.1} s){}",
            f.cycle_id,
            f.kind.map(|k| format!("{}, ", k.as_str())).unwrap_or_default(),
            s.duration_ms as f64 / 1000.0,
            s.stopped.map(|st| format!(" {st}")).unwrap_or_default(),
        );
        // Failed as a whole (often before any object): why, and the way out, in its words.
        if let Some(error) = &s.error {
            let text = format!("{head}: failed: {}", sanitize_for_terminal(error));
            return Line::from(vec![label(t, "Last"), Span::styled(ellipsis(&text, width), t.error())]);
        }
        // Stopped before it planned: nothing done, so no counts of zero.
        if s.stopped.is_some_and(|st| st.phase == crate::sync::StopPhase::Reading) {
            return Line::from(vec![label(t, "Last"), Span::styled(head, t.warn())]);
        }
        let head = format!("{head}:");
        let mut parts = vec![format!("{head} failed {}", s.failed)];
        let mut short = parts.clone();
        // Membership changes are writes too, and what the threshold held is part of the
        // cycle's result (acceptance F22: "failed 53 · skipped 1935" beside 843 objects held).
        for (word, brief, n) in [
            ("created", "new", s.created),
            ("updated", "upd", s.updated),
            ("disabled", "off", s.disabled),
            ("deleted", "del", s.deleted),
            ("members added", "+mem", s.members_added),
            ("members removed", "-mem", s.members_removed),
            ("held", "held", s.staged_deletes),
            ("skipped", "skip", s.skipped),
        ] {
            if n > 0 {
                parts.push(format!("{word} {n}"));
                short.push(format!("{brief} {n}"));
            }
        }
        let style = if s.failed > 0 {
            t.error()
        } else {
            ratatui::style::Style::new()
        };
        Line::from(vec![
            label(t, "Last"),
            Span::styled(fit_either(&parts, &short, width), style),
        ])
    }

    /// The totals to date, as the store (and `nowsync status`) count them; failures are the
    /// objects failing now, each once.
    fn to_date_line(&self, width: usize) -> Line<'static> {
        let t = self.theme;
        let Some(h) = &self.state.history else {
            return Line::from(vec![
                label(t, "To date"),
                Span::styled("reading the state store…", t.dim()),
            ]);
        };
        let s = &h.to_date;
        let cycles = count(s.cycles, "cycle", "cycles");
        let writes = count(s.writes, "write", "writes");
        let mut parts = vec![
            cycles.clone(),
            format!("failing now {}", s.failing),
            format!("created {}", s.created),
            format!("updated {}", s.updated),
            format!("disabled {}", s.disabled),
            format!("deleted {}", s.deleted),
        ];
        // At 80 columns the words of the cycles chart's legend (new, upd, off) keep every
        // count on the row.
        let mut short = vec![
            cycles,
            format!("failing {}", s.failing),
            format!("new {}", s.created),
            format!("upd {}", s.updated),
            format!("off {}", s.disabled),
            format!("del {}", s.deleted),
        ];
        // Membership changes when there were some (a held set is no event: never summed).
        for (word, brief, n) in [
            ("members added", "+mem", s.members_added),
            ("members removed", "-mem", s.members_removed),
        ] {
            if n > 0 {
                parts.push(format!("{word} {n}"));
                short.push(format!("{brief} {n}"));
            }
        }
        parts.push(writes.clone());
        short.push(writes);
        let style = if s.failing > 0 {
            t.error()
        } else {
            ratatui::style::Style::new()
        };
        Line::from(vec![
            label(t, "To date"),
            Span::styled(fit_either(&parts, &short, width), style),
        ])
    }

    fn plan_text(&self) -> String {
        let Some(p) = &self.plan.plan else {
            return "no plan yet: d makes a dry run".to_owned();
        };
        let ops = count(p.len() as u64, "operation", "operations");
        match &self.plan.status {
            PlanStatus::Ready => format!("plan {} ready ({ops}): a opens it, A there applies it", p.id),
            PlanStatus::Applying => format!("plan {} being applied", p.id),
            PlanStatus::Applied { cycle_id }
                if self.state.running.as_ref().is_some_and(|r| r.cycle_id == *cycle_id) =>
            {
                let name = crate::tui::screens::plan::name(p, &self.plan.status);
                if p.numbered() {
                    format!("{name} being applied by cycle {cycle_id} ({ops})")
                } else {
                    format!("{name} being applied ({ops})")
                }
            }
            // A cycle run with r or by the schedule applied a plan of its own, not a dry run's.
            PlanStatus::Applied { .. } if !p.numbered() => {
                format!(
                    "{} applied ({ops})",
                    crate::tui::screens::plan::name(p, &self.plan.status)
                )
            }
            PlanStatus::Applied { cycle_id } => format!("plan {} applied in cycle {cycle_id} ({ops})", p.id),
            PlanStatus::Stopped { cycle_id, at } => format!(
                "{} {at} in cycle {cycle_id}: the next cycle plans the rest",
                crate::tui::screens::plan::name(p, &self.plan.status)
            ),
            PlanStatus::OutOfDate(why) => format!("plan {} out of date ({why}): d makes a new one", p.id),
            PlanStatus::Expired { until } => format!("plan {} expired at {until} UTC: d makes a new one", p.id),
            PlanStatus::EngineGone => crate::tui::screens::plan::engine_gone(p.id),
        }
    }
}

/// What the deletion threshold holds now and the ways out, as two rows (none when nothing is
/// held): the counts by kind, and what releases them.
fn held_lines(d: &State, t: Theme, width: usize) -> Vec<Line<'static>> {
    let Some(words) = d.held.words() else {
        return Vec::new();
    };
    let counts = fit_either(
        &[format!("by the deletion threshold: {words}")],
        std::slice::from_ref(&words),
        width,
    );
    // `D` is named only where it works: an engine serves the profile (acceptance F23).
    let d_works = !d.engine_gone && d.state.is_some_and(|s| s != crate::sync::EngineState::Stopped);
    let parts = |p: &[&str]| p.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let way_out = if d_works {
        fit_either(
            &parts(&[
                "D applies them (after a confirm)",
                "or nowsync allow-deletes in a shell",
                "or fix the rules and run a cycle (r)",
            ]),
            &parts(&["D applies them", "or allow-deletes in a shell", "or fix rules, then r"]),
            width,
        )
    } else {
        fit_either(
            &parts(&[
                "nowsync allow-deletes (in a shell) applies them",
                "or fix the rules and run a cycle (r)",
            ]),
            &parts(&["nowsync allow-deletes applies them", "or fix the rules, then r"]),
            width,
        )
    };
    vec![
        Line::from(vec![label(t, "Held"), Span::styled(counts, t.warn())]),
        Line::from(vec![label(t, ""), Span::raw(way_out)]),
    ]
}

/// The last reconciliation (a cycle that reads both sides whole) and when the next is due, as
/// `nowsync status` says it.
fn reconcile_line(r: &crate::sync::Reconciliation, t: Theme, width: usize) -> Line<'static> {
    let when = |s: &str| chrono::DateTime::parse_from_rfc3339(s).map_or(s.to_owned(), |d| super::when(d.to_utc()));
    let mut parts = vec![
        r.last
            .as_deref()
            .map_or("none yet".to_owned(), |l| format!("last {}", when(l))),
    ];
    parts.push(match (&r.next_due, r.every_hours) {
        (_, 0) => "never by itself (reconcile_hours = 0)".to_owned(),
        (Some(n), h) if !r.due => format!("next due {} (every {h} h)", when(n)),
        _ => "due: the next cycle reads both sides whole".to_owned(),
    });
    // At 80 columns the times without their zone (every time on the dashboard is UTC).
    let mut short: Vec<String> = parts.iter().map(|p| p.replace(" UTC", "")).collect();
    parts.push("R reconciles now".to_owned());
    short.push("R now".to_owned());
    Line::from(vec![
        label(t, "Reconcile"),
        Span::raw(fit_either(&parts, &short, width)),
    ])
}
