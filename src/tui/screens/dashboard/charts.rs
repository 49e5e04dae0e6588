//! The dashboard's pictures (issue 14): the recent cycles as a `Chart` (created, updated,
//! disabled and failed per cycle) with their durations under it as a `Sparkline`, the failures
//! of the last cycle by error code as a horizontal `BarChart`, and the running cycle's
//! throughput as a `Sparkline`. Readable without colour: each series has its own marker,
//! named in the title, and bars carry their numbers. Reads state only.

use std::collections::BTreeMap;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Bar, BarChart, Block, Borders, Chart, Dataset, GraphType, Paragraph, Sparkline, Widget};

use super::history::History;
use crate::model::text::sanitize_for_terminal;
use crate::store::LogRecord;
use crate::sync::CycleKind;
use crate::tui::theme::Theme;

/// The recent cycles: counts per cycle, durations under them.
pub struct CyclesChart<'a> {
    pub history: Option<&'a History>,
    pub theme: Theme,
}

/// The series of the chart: name, marker, its symbol for the title, style.
fn series(t: Theme) -> [(&'static str, Marker, &'static str, Style); 4] {
    [
        ("created", Marker::Dot, "•", t.ok()),
        ("updated", Marker::Quadrant, "▗", t.key()),
        ("disabled", Marker::Bar, "▄", t.warn()),
        ("failed", Marker::Block, "█", t.error()),
    ]
}

/// The series' short words, for the title on a narrow terminal.
fn short(name: &str) -> &str {
    match name {
        "created" => "new",
        "updated" => "upd",
        "disabled" => "off",
        _ => "fail",
    }
}

impl Widget for CyclesChart<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let points = self.history.map_or(&[][..], |h| h.points.as_slice());
        // Reconciliations (both sides read whole, drift corrected) stand as vertical rules.
        let reconciled: Vec<usize> = (0..points.len())
            .filter(|&i| points[i].kind == CycleKind::Reconciliation)
            .collect();
        let block = Block::default()
            .borders(Borders::TOP)
            .title(title(t, area.width < 60, !reconciled.is_empty()));
        let inner = block.inner(area);
        block.render(area, buf);
        if points.is_empty() {
            Paragraph::new(Span::styled("no cycle yet (r runs one)", t.dim())).render(inner, buf);
            return;
        }
        let [chart_area, durations] = Layout::vertical([Constraint::Min(2), Constraint::Length(1)]).areas(inner);
        // Plot rows: the chart's height less its x axis and their labels.
        let scale = Scale::new(largest(t, points), chart_area.height.saturating_sub(2));
        let chart_area = Rect {
            y: chart_area.bottom().saturating_sub(scale.rows + 2),
            height: (scale.rows + 2).min(chart_area.height),
            ..chart_area
        };
        let data = scaled(t, points, &scale);
        let rules: Vec<[(f64, f64); 2]> = reconciled
            .iter()
            .map(|&i| [(i as f64, 0.0), (i as f64, scale.top)])
            .collect();
        // The rules first, so the counts draw over them.
        let datasets = rules
            .iter()
            .map(|r| {
                Dataset::default()
                    .marker(Marker::Braille)
                    .graph_type(GraphType::Line)
                    .style(t.dim())
                    .data(r)
            })
            .chain(series(t).iter().zip(&data).map(|((_, marker, _, style), d)| {
                Dataset::default()
                    .marker(*marker)
                    .graph_type(GraphType::Scatter)
                    .style(*style)
                    .data(d)
            }))
            .collect();
        let first = points.first().map_or(0, |p| p.cycle_id);
        let last = points.last().map_or(0, |p| p.cycle_id);
        Chart::new(datasets)
            .x_axis(
                Axis::default()
                    .bounds([-0.5, points.len() as f64 - 0.5])
                    .labels([format!("cycle {first}"), format!("{last}")])
                    .style(t.dim()),
            )
            .y_axis(
                Axis::default()
                    .bounds([0.0, scale.top])
                    .labels(scale.labels.clone())
                    .style(t.dim()),
            )
            .legend_position(None)
            .render(chart_area, buf);
        render_durations(points, t, durations, buf);
    }
}

/// The chart's title: each series' marker and word (short ones when `narrow`), and the
/// reconciliations' rule when there are any.
fn title(t: Theme, narrow: bool, reconciled: bool) -> Line<'static> {
    let mut title = vec![Span::styled(" Cycles ", t.title())];
    for (name, _, symbol, style) in series(t) {
        let word = if narrow { short(name) } else { name };
        title.push(Span::styled(format!("{symbol}{word} "), style));
    }
    if reconciled {
        let word = if narrow { "rec" } else { "reconciliation" };
        title.push(Span::styled(format!("┊{word} "), t.dim()));
    }
    Line::from(title)
}

/// One series' count in a cycle.
fn value(p: &super::history::Point, name: &str) -> u64 {
    match name {
        "created" => p.created,
        "updated" => p.updated,
        "disabled" => p.disabled + p.deleted,
        _ => p.failed,
    }
}

/// The y axis: a log scale over the plot's rows, one label per row (blank between decades),
/// so that labels never draw over each other (the acceptance pass read "1k0": "100" and "1k"
/// on one row of a short chart).
///
/// A log scale, so that an initial cycle of thousands and quiet ones of a few both show. The
/// bottom row is the zero line: nothing is drawn on it (a zero is not drawn at all), so every
/// count stands above the x axis. Level 1 is a count of 1, level k a count of 10^(k-1).
#[derive(Debug, PartialEq)]
pub(super) struct Scale {
    /// Plot rows used: the chart is drawn this tall (plus its axis and labels).
    pub rows: u16,
    /// The top of the scale, in levels.
    pub top: f64,
    /// One per plot row, bottom first.
    pub labels: Vec<String>,
}

impl Scale {
    /// The scale for counts up to `max` in at most `rows` plot rows (at least 2): every row
    /// when there are as many as levels, else two or more levels a row.
    pub(super) fn new(max: u64, rows: u16) -> Scale {
        let levels = 1 + (max.max(1) as f64).log10().ceil() as usize;
        let gaps = usize::from(rows.max(2)) - 1;
        let (per_row, top, gaps) = if gaps >= levels {
            (1, levels, gaps)
        } else {
            let per_row = levels.div_ceil(gaps);
            let top = levels.div_ceil(per_row) * per_row;
            (per_row, top, top / per_row)
        };
        let mut labels = vec![String::new(); gaps + 1];
        for level in (0..=top).step_by(per_row) {
            if let Some(label) = labels.get_mut(row_of(level as f64, top, gaps)) {
                *label = level_label(level);
            }
        }
        Scale {
            rows: (gaps + 1) as u16,
            top: top as f64,
            labels,
        }
    }

    /// Where a count is drawn: on the row nearest its level, never on the zero line.
    fn y(&self, count: u64) -> f64 {
        let gaps = usize::from(self.rows) - 1;
        let level = 1.0 + (count as f64).log10();
        let row = row_of(level, self.top as usize, gaps).max(1);
        row as f64 * self.top / gaps as f64
    }
}

/// The plot row (0 at the bottom) nearest `level` on a scale of `top` levels over `gaps` rows.
fn row_of(level: f64, top: usize, gaps: usize) -> usize {
    (level * gaps as f64 / top as f64).round() as usize
}

/// A level's label: 0, 1, 10, 100, 1k, 10k, 100k, 1M, …
fn level_label(level: usize) -> String {
    match level {
        0 => "0".to_owned(),
        l => count_label(10u64.saturating_pow(l as u32 - 1)),
    }
}

/// A count in a few characters: 950, 1k, 1.5k, 12k, 1M, 2.5M.
pub(super) fn count_label(n: u64) -> String {
    let short = |n: u64, unit: u64, suffix: &str| {
        let whole = n / unit;
        let tenth = n % unit * 10 / unit;
        if tenth == 0 || whole >= 10 {
            format!("{whole}{suffix}")
        } else {
            format!("{whole}.{tenth}{suffix}")
        }
    };
    match n {
        n if n < 1000 => n.to_string(),
        n if n < 1_000_000 => short(n, 1000, "k"),
        n => short(n, 1_000_000, "M"),
    }
}

/// The series' points on `scale`. Each series a little apart within its cycle, so that two
/// counts of one cycle on the same row do not draw over each other.
fn scaled(t: Theme, points: &[super::history::Point], scale: &Scale) -> Vec<Vec<(f64, f64)>> {
    series(t)
        .iter()
        .enumerate()
        .map(|(k, (name, ..))| {
            let offset = (k as f64 - 1.5) * 0.2;
            points
                .iter()
                .enumerate()
                .filter(|(_, p)| value(p, name) > 0)
                .map(|(i, p)| (i as f64 + offset, scale.y(value(p, name))))
                .collect()
        })
        .collect()
}

/// The largest count of any series in `points`.
fn largest(t: Theme, points: &[super::history::Point]) -> u64 {
    points
        .iter()
        .flat_map(|p| series(t).map(|(name, ..)| value(p, name)))
        .max()
        .unwrap_or(0)
}

/// The cycles' durations as a sparkline, after the longest one's label.
fn render_durations(points: &[super::history::Point], t: Theme, area: Rect, buf: &mut Buffer) {
    let longest = points.iter().map(|p| p.duration_ms).max().unwrap_or(0);
    let label = format!("duration, longest {:.1} s ", longest as f64 / 1000.0);
    let [label_area, spark] =
        Layout::horizontal([Constraint::Length(label.chars().count() as u16), Constraint::Min(1)]).areas(area);
    Paragraph::new(Span::styled(label, t.dim())).render(label_area, buf);
    let durations: Vec<u64> = points.iter().map(|p| p.duration_ms).collect();
    Sparkline::default().data(&durations).style(t.key()).render(spark, buf);
}

/// The last real cycle's failures by error code.
pub struct FailuresChart<'a> {
    pub records: &'a [LogRecord],
    /// The cycle whose failures are counted.
    pub cycle_id: Option<i64>,
    pub theme: Theme,
}

impl Widget for FailuresChart<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let mut by_code: BTreeMap<String, u64> = BTreeMap::new();
        if let Some(cycle) = self.cycle_id {
            for r in self
                .records
                .iter()
                .filter(|r| r.cycle_id == cycle && r.status == "failure")
            {
                *by_code
                    .entry(r.error_code.clone().unwrap_or_else(|| "other".into()))
                    .or_default() += 1;
            }
        }
        let title = match self.cycle_id {
            Some(c) => format!(" Failures of cycle {c} by error code "),
            None => " Failures by error code ".to_owned(),
        };
        let block = Block::default()
            .borders(Borders::TOP)
            .title(Span::styled(title, t.title()));
        let inner = block.inner(area);
        block.render(area, buf);
        if by_code.is_empty() {
            let text = if self.cycle_id.is_some() {
                "none"
            } else {
                "no cycle yet"
            };
            Paragraph::new(Span::styled(text, t.dim())).render(inner, buf);
            return;
        }
        let mut rows: Vec<(String, u64)> = by_code.into_iter().collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let label = (inner.width as usize / 2).clamp(8, 28);
        let bars: Vec<Bar> = rows
            .iter()
            .take(inner.height as usize)
            .map(|(code, n)| {
                Bar::default()
                    .value(*n)
                    .label(Line::from(clip(&sanitize_for_terminal(code), label)))
                    .text_value(n.to_string())
                    .style(t.error())
                    .value_style(t.title())
            })
            .collect();
        BarChart::horizontal(bars).bar_width(1).bar_gap(0).render(inner, buf);
    }
}

/// `text` cut to `width` characters, with `…` when cut.
fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The running cycle's objects per second, a second per column.
pub struct Throughput<'a> {
    pub rates: &'a [u64],
    pub theme: Theme,
}

impl Widget for Throughput<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let shown = self.rates.len().saturating_sub(area.width as usize);
        Sparkline::default()
            .data(&self.rates[shown..])
            .style(self.theme.ok())
            .render(area, buf);
    }
}

#[cfg(test)]
#[path = "charts_tests.rs"]
mod tests;
