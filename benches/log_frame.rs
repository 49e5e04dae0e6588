//! One dashboard frame with 1,000,000 lines in the log buffer (no text filter) must render in
//! under 2 ms (issue 7). Renders into ratatui's TestBackend at 120×40 and reports the median
//! and the worst of many frames, as a ratio to the 2 ms budget.
//! Run: `cargo bench --bench log_frame`.

use std::time::{Duration, Instant};

use nowsync::tui::app::{App, Screen};
use nowsync::tui::log::{Level, LogBuffer};
use nowsync::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const BUDGET: Duration = Duration::from_millis(2);

fn main() {
    let mut app = App::new("bench", Theme::from_env(), false);
    app.shared.screen = Screen::Dashboard;
    app.log = LogBuffer::with_capacity(1_000_000);
    for i in 0..1_000_000u32 {
        let level = if i % 97 == 0 { Level::Error } else { Level::Info };
        app.log.push(
            "21:00:00".to_owned(),
            level,
            &format!("cycle 7: user user{i}@contoso.com update: success title: Engineer → Senior engineer"),
        );
    }
    for (w, h, min_level) in [(120, 40, Level::Debug), (80, 24, Level::Debug), (120, 40, Level::Warn)] {
        app.log.min_level = min_level;
        let Ok(mut term) = Terminal::new(TestBackend::new(w, h));
        let mut times = Vec::new();
        for i in 0..200 {
            // Alternate the newest line so every frame has something to draw.
            app.log.push("21:00:01".to_owned(), Level::Info, &format!("tick {i}"));
            let started = Instant::now();
            let drawn = term.draw(|f| nowsync::tui::view::render(&app, f));
            times.push(started.elapsed());
            if drawn.is_err() {
                eprintln!("draw failed");
                return;
            }
        }
        times.sort();
        let median = times[times.len() / 2];
        let worst = times[times.len() - 1];
        // A row of the issue 16 table (BENCHMARKS.md): case, figure, target.
        println!(
            "| console frame, {} log lines, {w}×{h}, level ≥ {:?} | median {:.3} ms, worst {:.3} ms ({:.2}× / {:.2}× the budget) | < 2 ms |",
            app.log.len(),
            min_level,
            median.as_secs_f64() * 1e3,
            worst.as_secs_f64() * 1e3,
            median.as_secs_f64() / BUDGET.as_secs_f64(),
            worst.as_secs_f64() / BUDGET.as_secs_f64(),
        );
    }
}
