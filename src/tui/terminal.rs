//! The terminal: raw mode and the alternate screen on entry, restored on every way out (normal
//! exit, panic, SIGHUP, SIGTERM, Ctrl-C), and frames written inside synchronized-output
//! brackets so a slow SSH link never shows half a frame.

use std::io::{self, Stdout, Write};

use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use crossterm::{cursor, event, execute, terminal};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

pub type Term = Terminal<CrosstermBackend<Stdout>>;

/// Enters raw mode and the alternate screen; installs a panic hook that restores first.
pub fn enter() -> io::Result<Term> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
    terminal::enable_raw_mode()?;
    let mut stdout = io::stdout();
    if let Err(e) = execute!(stdout, terminal::EnterAlternateScreen, cursor::Hide) {
        restore();
        return Err(e);
    }
    let mut term = Terminal::new(CrosstermBackend::new(stdout))?;
    term.clear()?;
    Ok(term)
}

/// Leaves the alternate screen and raw mode. Safe to call more than once.
pub fn restore() {
    let mut stdout = io::stdout();
    let _ = execute!(
        stdout,
        event::DisableBracketedPaste,
        terminal::LeaveAlternateScreen,
        cursor::Show
    );
    let _ = terminal::disable_raw_mode();
    let _ = stdout.flush();
}

/// Restores the terminal and lets go of `term` without its `Drop`: ratatui's shows the cursor
/// again and `eprintln!`s when that fails, which panics once the terminal is gone (a closed
/// SSH connection, `tmux kill-session`) and skipped the demo's clean-up. `restore` has shown
/// the cursor already; what is not dropped is a frame buffer, at the end of the console.
pub fn leave(term: Term) {
    restore();
    std::mem::forget(term);
}

/// Draws one frame between Begin/EndSynchronizedUpdate.
pub fn draw(term: &mut Term, render: impl FnOnce(&mut ratatui::Frame)) -> io::Result<()> {
    execute!(term.backend_mut(), BeginSynchronizedUpdate)?;
    let drawn = term.draw(render).map(|_| ());
    execute!(term.backend_mut(), EndSynchronizedUpdate)?;
    drawn
}
