//! The cycles chart's y axis: one label per row at most, numbers written plainly, and every
//! count above the zero line (the acceptance pass read "1k0" at 80×24, "100" and "1k" drawn on
//! one row, and saw the counts sitting on the x axis).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use super::{CyclesChart, Scale, count_label};
use crate::tui::screens::dashboard::history::{History, Point};
use crate::tui::theme::Theme;

#[test]
fn counts_are_written_plainly() {
    for (n, text) in [
        (0, "0"),
        (950, "950"),
        (1000, "1k"),
        (1500, "1.5k"),
        (12_345, "12k"),
        (1_000_000, "1M"),
        (2_500_000, "2.5M"),
    ] {
        assert_eq!(count_label(n), text);
    }
}

#[test]
fn the_scale_gives_each_row_one_label_at_most_and_keeps_the_zero_line_empty() {
    for rows in 2..=12u16 {
        for max in [0, 1, 9, 17, 240, 1000, 3000, 250_000] {
            let scale = Scale::new(max, rows);
            assert!(scale.rows <= rows.max(2), "{max} in {rows} rows: {scale:?}");
            assert_eq!(scale.labels.len(), usize::from(scale.rows));
            assert_eq!(scale.labels.first().map(String::as_str), Some("0"));
            assert!(
                !scale.labels.last().is_some_and(String::is_empty),
                "the top is labelled"
            );
            for label in scale.labels.iter().filter(|l| !l.is_empty()) {
                let known = ["0", "1", "10", "100", "1k", "10k", "100k", "1M", "10M", "100M"];
                assert!(known.contains(&label.as_str()), "'{label}' for {max} in {rows} rows");
            }
            for count in [1, max.max(1)] {
                let y = scale.y(count);
                assert!(
                    y > 0.0 && y <= scale.top,
                    "{count} of {max} in {rows} rows at {y}: {scale:?}"
                );
            }
        }
    }
    // At 80×24 the chart has 6 plot rows: a row or more per level up to 10k.
    assert_eq!(Scale::new(240, 6).labels, ["0", "1", "", "10", "100", "1k"]);
    assert_eq!(Scale::new(3000, 6).labels, ["0", "1", "10", "100", "1k", "10k"]);
    // Fewer rows than levels: two levels a row, each row still one label.
    assert_eq!(Scale::new(3000, 4).labels, ["0", "10", "1k", "100k"]);
}

fn point(cycle_id: i64, created: u64, updated: u64, failed: u64) -> Point {
    Point {
        cycle_id,
        kind: crate::sync::CycleKind::Incremental,
        started: "2026-11-28T21:00:00Z".into(),
        created,
        updated,
        disabled: 0,
        deleted: 0,
        members_added: 0,
        members_removed: 0,
        skipped: 0,
        staged: 0,
        failed,
        duration_ms: 1000,
        stopped: None,
        error: None,
    }
}

/// The chart drawn `height` rows tall: its rows as text.
fn drawn(history: &History, width: u16, height: u16) -> Vec<String> {
    let area = Rect::new(0, 0, width, height);
    let mut buf = Buffer::empty(area);
    CyclesChart {
        history: Some(history),
        theme: Theme::monochrome(),
    }
    .render(area, &mut buf);
    (0..height)
        .map(|y| (0..width).map(|x| buf[(x, y)].symbol().to_owned()).collect())
        .collect()
}

#[test]
fn counts_stand_above_the_axis_with_plain_labels_at_both_sizes() {
    let history = History {
        points: vec![
            point(1, 3000, 1500, 17),
            point(2, 2, 8, 0),
            point(3, 0, 1, 1),
            point(4, 40, 400, 2),
        ],
        ..History::default()
    };
    // The dashboard's chart at 80×24 (44 columns, 10 rows) and 120×40 (66 columns, 12 rows).
    for (width, height) in [(44, 10), (66, 12)] {
        let rows = drawn(&history, width, height);
        let axis = rows
            .iter()
            .position(|r| r.contains('└'))
            .unwrap_or_else(|| panic!("{rows:#?}"));
        let zero = &rows[axis - 1];
        assert!(zero.starts_with("0 "), "the zero line is labelled 0: {rows:#?}");
        assert!(
            !zero.contains(['•', '▗', '▄', '█', '▖', '▘', '▝']),
            "a count drawn on the zero line, on the axis: {rows:#?}"
        );
        for row in &rows[1..axis] {
            let label = row.split('│').next().unwrap_or_default().trim();
            assert!(
                ["", "0", "1", "10", "100", "1k", "10k"].contains(&label),
                "label '{label}' at {width}x{height}: {rows:#?}"
            );
        }
        assert!(rows[1..axis].iter().any(|r| r.starts_with("10k")), "{rows:#?}");
    }
}
