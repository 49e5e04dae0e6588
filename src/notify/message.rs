//! The mail for an [`Event`]: subject and plain-text body, built by a pure function so that the
//! text is tested without a server.
//!
//! Invariant: foreign text (object names, error codes and messages from ServiceNow or Graph)
//! appears only in the body, one value per line, with control characters made visible, so it
//! can neither add a header nor start a line of its own. The subject is built from our own
//! words and the profile name, sanitised too.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::event::{Event, Kind};
use crate::model::text::sanitize_for_terminal;

/// How many failures a mail lists; the provisioning log has the rest.
pub const MAX_ERRORS: usize = 10;
/// Longest error message quoted, in characters: a stack trace from a server is not useful mail.
const MAX_MESSAGE_CHARS: usize = 500;

/// A rendered notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub subject: String,
    pub body: String,
}

/// The subject and body for `event`.
pub fn render(event: &Event) -> Mail {
    let profile = one_line(&event.profile, 100);
    let subject = match &event.kind {
        Kind::QuarantineStarted { reason } => format!("[nowsync] profile '{profile}' is quarantined: {reason}"),
        Kind::DeletionThreshold { .. } => {
            format!("[nowsync] profile '{profile}': deletion threshold exceeded, deletions staged")
        }
        Kind::ReasonChanged { to, .. } => format!("[nowsync] profile '{profile}': quarantine reason is now {to}"),
        Kind::Test => format!("[nowsync] test message for profile '{profile}'"),
    };
    Mail {
        // The reason may be an engine's `Other` word: sanitise the whole line once more.
        subject: one_line(&subject, 200),
        body: body(event, &profile),
    }
}

fn body(event: &Event, profile: &str) -> String {
    let mut out = String::new();
    let headline = match &event.kind {
        Kind::QuarantineStarted { reason } => format!(
            "Provisioning for profile '{profile}' is quarantined: {}.",
            one_line(reason.as_str(), 100)
        ),
        Kind::DeletionThreshold { .. } => {
            format!("Provisioning for profile '{profile}' stopped at the deletion threshold.")
        }
        Kind::ReasonChanged { from, to } => format!(
            "Provisioning for profile '{profile}' is still quarantined, and the reason changed from {} to {}.",
            one_line(from.as_str(), 100),
            one_line(to.as_str(), 100)
        ),
        Kind::Test => format!(
            "This is a test message from nowsync for profile '{profile}'. Notification email works: \
             quarantine and deletion-threshold notices will come to this address."
        ),
    };
    line(&mut out, &headline);
    if let Some(explanation) = event.explanation() {
        line(&mut out, "");
        line(&mut out, explanation);
    }
    line(&mut out, "");
    field(&mut out, "Profile", profile);
    if let Some(reason) = event.reason() {
        field(&mut out, "Reason", &one_line(reason.as_str(), 100));
    }
    field(&mut out, "Time", &timestamp(event.time));
    if let Some(next) = event.next_attempt {
        field(&mut out, "Next attempt", &timestamp(next));
    }
    if let Kind::DeletionThreshold {
        staged_disables,
        staged_deletes,
        threshold,
    } = event.kind
    {
        field(&mut out, "Staged disables", &staged_disables.to_string());
        field(&mut out, "Staged deletes", &staged_deletes.to_string());
        field(&mut out, "Threshold", &threshold.to_string());
    }
    // A threshold trip is decided from the plan, before any operation: counts of zero would
    // only mislead, so they are shown when the engine filled them in.
    let plan_only = matches!(event.kind, Kind::DeletionThreshold { .. }) && event.counts == Default::default();
    if event.kind != Kind::Test && !plan_only {
        field(&mut out, "Operations", &event.counts.operations.to_string());
        field(&mut out, "Failures", &event.counts.failures.to_string());
    }
    errors(&mut out, event);
    let steps = event.what_to_do();
    if !steps.is_empty() {
        line(&mut out, "");
        line(&mut out, "What to do:");
        for step in steps {
            // The steps quote the profile name: one more sanitising pass.
            line(&mut out, &format!("  - {}", one_line(&step, 300)));
        }
    }
    line(&mut out, "");
    line(&mut out, "-- ");
    line(
        &mut out,
        "Sent by nowsync. One message per quarantine reason: the next comes only if the reason changes.",
    );
    out
}

fn errors(out: &mut String, event: &Event) {
    if event.errors.is_empty() {
        return;
    }
    let shown = event.errors.len().min(MAX_ERRORS);
    let total = (event.counts.failures as usize).max(event.errors.len());
    line(out, "");
    line(out, &format!("First errors ({shown} of {total}):"));
    for (i, e) in event.errors.iter().take(MAX_ERRORS).enumerate() {
        line(
            out,
            &format!("  {}. {}  {}", i + 1, one_line(&e.code, 100), one_line(&e.object, 200)),
        );
        line(out, &format!("     {}", one_line(&e.message, MAX_MESSAGE_CHARS)));
    }
}

fn field(out: &mut String, name: &str, value: &str) {
    let _ = writeln!(out, "{:<17}{value}", format!("{name}:"));
}

fn line(out: &mut String, text: &str) {
    out.push_str(text);
    out.push('\n');
}

fn timestamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// Foreign text as one safe line: CR, LF and every other control character made visible (so no
/// header or body line can be injected), cut to `max` characters.
pub(super) fn one_line(text: &str, max: usize) -> String {
    let clean = sanitize_for_terminal(text);
    if clean.chars().count() <= max {
        return clean;
    }
    let mut cut: String = clean.chars().take(max).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
#[path = "message_tests.rs"]
mod tests;
