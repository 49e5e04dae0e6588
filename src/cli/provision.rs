//! `nowsync provision --user U | --group G [--dry-run] [--json]`: provision on demand through
//! `sync::Handle`, printed as Entra's on-demand view: Import, Scope, Match, Action per object.
//! Runs also while the job is quarantined. Exit codes: 0 done, 1 an object failed, 2 no such
//! object, a group with more than 5 members, or bad usage, 3 connection or authentication
//! failure, 4 a write held by the deletion threshold or its quarantine.

use std::path::Path;

use tokio::sync::broadcast::error::RecvError;

use super::out::{self, Lines};
use super::{Exit, ExitOf};
use crate::config::ResolvedProfile;
use crate::sync::outcome::Status;
use crate::sync::{self, Answer, Command, Credentials, Handle, ObjectReport, OnDemand, OpKind, Subject, SyncEvent};

/// The report as lines of raw values (sanitised when printed, `out::Lines`).
fn render(report: &OnDemand) -> Lines {
    let mut out = Lines::new();
    for o in &report.objects {
        render_object(&mut out, o, report.dry_run);
    }
    match report.held_left {
        Some((0, true)) => out.push(
            "Held    nothing is held by the deletion threshold any more: the TooManyDeletes quarantine ended",
        ),
        Some((left, _)) => out.push(format!(
            "Held    the held changes applied above left the held set; {} stay held by the deletion threshold (`nowsync allow-deletes` applies them)",
            crate::model::words::thousands(left as u64)
        )),
        None => {}
    }
    out
}

fn render_object(out: &mut Lines, o: &ObjectReport, dry_run: bool) {
    out.push(format!(
        "{} {} ({})",
        o.object_type.as_str(),
        o.source_name,
        o.source_id
    ));
    out.push(format!("  Import  {} attributes read from Entra", o.attributes.len()));
    for (k, v) in &o.attributes {
        out.push(format!("          {k}: {}", v.as_deref().unwrap_or("(empty)")));
    }
    // An out-of-scope detail says "out of scope: …" itself: not "out of scope: out of scope: …"
    // (acceptance A5).
    let label = if o.in_scope { "in scope" } else { "out of scope" };
    let detail = o.scope.strip_prefix("out of scope: ").unwrap_or(&o.scope);
    out.push(format!("  Scope   {label}: {detail}"));
    if !o.in_scope {
        out.push("  Match   not evaluated (out of scope)");
    }
    render_match(out, o);
    if o.held {
        out.push(if dry_run {
            "  Held    by the deletion threshold: provisioning it (without --dry-run) applies its held changes below now, together"
        } else {
            "  Held    by the deletion threshold until now: its held changes are applied below, together"
        });
    }
    render_actions(out, o);
    if dry_run {
        out.push("  Result  dry run: nothing written");
    }
    for r in &o.results {
        out.push(format!(
            "  Result  {} {}{}{}",
            r.status,
            r.action,
            other(&r.source_name, r.object_type, o),
            r.error_code
                .as_ref()
                .map(|c| format!(" {c}: {}", r.reason))
                .unwrap_or_default()
        ));
    }
}

/// Match: every candidate per matching attribute, and how the object matched.
fn render_match(out: &mut Lines, o: &ObjectReport) {
    for c in &o.candidates {
        let value = c
            .value
            .as_deref()
            .map_or("(no value)".to_owned(), |v| format!("'{}'", v));
        let rows: Vec<String> = c
            .rows
            .iter()
            .map(|(id, active)| format!("{id}{}", if *active { "" } else { " (inactive)" }))
            .collect();
        out.push(format!(
            "  Match   {} = {value}: {} candidate(s){}{}",
            c.attribute,
            rows.len(),
            if rows.is_empty() { "" } else { ": " },
            rows.join(", ")
        ));
    }
    for op in o.ops.iter().filter(|op| op.object_type == o.object_type) {
        if let Some(m) = op.steps.iter().find(|s| s.name == "Match") {
            out.push(format!("          → {}", m.detail));
        }
    }
}

/// Action: each planned op with its changes.
fn render_actions(out: &mut Lines, o: &ObjectReport) {
    if o.ops.is_empty() {
        out.push("  Action  skip: nothing to do");
    }
    for op in &o.ops {
        let changes = match &op.kind {
            OpKind::Create { fields } => fields.as_slice(),
            OpKind::Update { diff } | OpKind::Disable { diff } => diff.as_slice(),
            _ => &[],
        };
        let what = match &op.kind {
            OpKind::Error(f) => format!("{}: {}; fix: {}", f.code, f.reason, f.recommended_action),
            OpKind::Skip { reason } => format!("skip: {}", reason),
            // Why it is held (`on_demand_hold`, or the threshold's own step for a membership).
            OpKind::StagedDelete { .. } => match op.steps.iter().rev().find(|s| s.name == "Action") {
                Some(step) => format!("StagedDelete: {}", step.detail),
                None => "StagedDelete".to_owned(),
            },
            // The step names the user it refers to (`plan::names`), not its Entra object id.
            OpKind::SetReference { attribute, .. } => match op.steps.iter().find(|s| s.name == "Action") {
                Some(step) => format!("update {}", step.detail),
                None => format!("update {attribute}"),
            },
            OpKind::CreateReference(r) => {
                format!("create {} row {} = '{}'", r.table, r.field, r.value)
            }
            k => k.action().to_string(),
        };
        out.push(format!(
            "  Action  {what}{}",
            other(&op.source_name.text(), op.object_type, o)
        ));
        for c in changes {
            out.push(format!(
                "          {}: {} -> {}",
                c.attribute,
                c.old_text().unwrap_or("(empty)"),
                c.new_words().as_deref().unwrap_or("(empty)")
            ));
        }
    }
}

/// The name an Action or Result line ends with: none for the object the block is about (its
/// heading names it), a membership's "group / user".
fn other(name: &str, object_type: sync::ObjectType, o: &ObjectReport) -> String {
    if object_type == o.object_type {
        String::new()
    } else {
        format!(" {name}")
    }
}

fn failed(report: &OnDemand) -> bool {
    report.objects.iter().any(|o| {
        o.results.iter().any(|r| r.status == Status::Failure)
            || o.ops.iter().any(|op| matches!(op.kind, OpKind::Error(_)))
    })
}

fn held(report: &OnDemand) -> bool {
    report
        .objects
        .iter()
        .any(|o| o.ops.iter().any(|op| matches!(op.kind, OpKind::StagedDelete { .. })))
}

/// `provision`.
pub async fn run(
    profile: &ResolvedProfile,
    credentials: Credentials,
    data_dir: &Path,
    subject: Subject,
    dry_run: bool,
    json: bool,
) -> Exit {
    let handle = match Handle::start(profile, credentials, sync::Options::new(data_dir)) {
        Ok(h) => h,
        Err(e) => return super::fail(&e),
    };
    let mut rx = handle.subscribe();
    handle.send(Command::Provision {
        request: 1,
        subject,
        dry_run,
    });
    let exit = loop {
        match rx.recv().await {
            Ok(SyncEvent::Answer { request: 1, answer }) => {
                if let Some(exit) = answered(answer, json) {
                    break exit;
                }
            }
            Ok(_) | Err(RecvError::Lagged(_)) => {}
            Err(RecvError::Closed) => break super::sync::engine_gone(),
        }
    };
    handle.shutdown().await;
    exit
}

/// Prints the answer to a provision request (`--json`: one document); its exit code, `None`
/// for an answer that is not about provisioning.
pub(super) fn answered(answer: Answer, json: bool) -> Option<Exit> {
    match answer {
        Answer::Provisioned(report) => {
            if json {
                out::json(&*report);
            } else {
                render(&report).print();
            }
            let exit = if failed(&report) {
                Exit::ObjectFailures
            } else {
                Exit::Success
            };
            // Held by the deletion threshold or its quarantine: as a cycle it stopped.
            Some(if held(&report) { exit.max(Exit::Stopped) } else { exit })
        }
        Answer::NotProvisioned(e) | Answer::Failed(e) => {
            out::eprint_line(&format!("error: {}", e.message));
            Some(e.kind.exit())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Acceptance A5: "2601 stay held" had no thousands separator, where every other count has one.
    #[test]
    fn the_count_still_held_is_grouped_by_thousands() {
        let report = OnDemand {
            dry_run: false,
            cycle_id: Some(7),
            objects: Vec::new(),
            held_left: Some((2601, false)),
        };
        let shown = render(&report).render();
        assert!(shown.contains("; 2,601 stay held by the deletion threshold"), "{shown}");
    }
}
