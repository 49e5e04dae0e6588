//! The dashboard's rows of the cycle in progress: kind and phase, progress, throughput (its
//! sparkline drawn over the row by the view), counts.

use ratatui::text::{Line, Span};

use super::Running;
use crate::tui::screens::clock;
use crate::tui::text::{ellipsis, fit_either};
use crate::tui::theme::Theme;

fn label(t: Theme, s: &str) -> Span<'static> {
    Span::styled(format!("{s:<11}"), t.dim())
}

/// The cycle in progress: kind and phase, the progress bar with rate and ETA, the throughput
/// row (its sparkline is drawn over it), the counts.
pub(super) fn running_lines(r: &Running, t: Theme, width: usize, lines: &mut Vec<Line<'static>>) {
    let kind = r.kind.map_or("", crate::sync::CycleKind::as_str);
    let what = if r.reading {
        let name = if r.dry_run {
            "dry run".to_owned()
        } else {
            r.cycle_id.to_string()
        };
        format!("{name} · {kind} · reading the source and the target…")
    } else if r.dry_run {
        format!("dry run · {kind} · planning, nothing is written")
    } else {
        let phase = if r.done < r.total { "applying" } else { "finishing" };
        format!("{} · {kind} · {phase}", r.cycle_id)
    };
    lines.push(Line::from(vec![label(t, "Cycle"), Span::raw(ellipsis(&what, width))]));
    let secs = r.elapsed.as_secs();
    let rate = if secs == 0 { 0.0 } else { r.done as f64 / secs as f64 };
    let eta = if rate > 0.0 {
        clock(((r.total - r.done.min(r.total)) as f64 / rate) as u64)
    } else {
        "–".to_owned()
    };
    if r.reading {
        lines.push(Line::from(vec![
            label(t, "Progress"),
            Span::styled(ellipsis("reading … (the totals come with the plan)", width), t.dim()),
        ]));
    } else {
        let rest = format!(" {}/{} objects · {rate:.1}/s · ETA {eta}", r.done, r.total);
        // The bar gives way to the numbers (3,000 users take more digits than 300).
        let bar = width.saturating_sub(rest.chars().count() + 2).clamp(10, 30);
        let filled = if r.total == 0 {
            0
        } else {
            (r.done.min(r.total) as usize * bar) / r.total as usize
        };
        lines.push(Line::from(vec![
            label(t, "Progress"),
            Span::styled(format!("[{}{}]", "#".repeat(filled), ".".repeat(bar - filled)), t.ok()),
            Span::raw(ellipsis(&rest, width.saturating_sub(bar + 2))),
        ]));
    }
    lines.push(Line::from(label(t, "Throughput")));
    let c = &r.tally;
    let parts = [
        format!("failed {}", c.failed),
        format!("created {}", c.created),
        format!("updated {}", c.updated),
        format!("disabled {}", c.disabled),
        format!("deleted {}", c.deleted),
        format!("skipped {}", c.skipped),
    ];
    let short = [
        format!("failed {}", c.failed),
        format!("new {}", c.created),
        format!("upd {}", c.updated),
        format!("off {}", c.disabled),
        format!("del {}", c.deleted),
        format!("skip {}", c.skipped),
    ];
    let style = if c.failed > 0 {
        t.error()
    } else {
        ratatui::style::Style::new()
    };
    lines.push(Line::from(vec![
        label(t, "Counts"),
        Span::styled(fit_either(&parts, &short, width), style),
    ]));
}
