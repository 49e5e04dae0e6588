//! `nowsync provision --user U | --group G [--dry-run] [--json]`: provision on demand through
//! `sync::Handle`, printed as Entra's on-demand view: Import, Scope, Match, Action per object.
//! Runs also while the job is quarantined. Exit codes: 0 done, 1 an object failed, 2 no such
//! object or bad usage, 3 connection or authentication failure.

use std::fmt::Write as _;
use std::path::Path;

use tokio::sync::broadcast::error::RecvError;

use super::Exit;
use crate::config::ResolvedProfile;
use crate::model::text::sanitize_for_terminal as clean;
use crate::sync::outcome::Status;
use crate::sync::{self, Answer, Command, Credentials, Handle, ObjectReport, OnDemand, OpKind, Subject, SyncEvent};

fn render(report: &OnDemand) -> String {
    let mut out = String::new();
    for o in &report.objects {
        render_object(&mut out, o, report.dry_run);
    }
    out
}

fn render_object(out: &mut String, o: &ObjectReport, dry_run: bool) {
    let _ = writeln!(
        out,
        "{} {} ({})",
        o.object_type.as_str(),
        clean(&o.source_name),
        o.source_id
    );
    let _ = writeln!(out, "  Import  {} attributes read from Entra", o.attributes.len());
    for (k, v) in &o.attributes {
        let _ = writeln!(out, "          {k}: {}", clean(v.as_deref().unwrap_or("(empty)")));
    }
    let _ = writeln!(
        out,
        "  Scope   {}: {}",
        if o.in_scope { "in scope" } else { "out of scope" },
        clean(&o.scope)
    );
    if !o.in_scope {
        let _ = writeln!(out, "  Match   not evaluated (out of scope)");
    }
    render_match(out, o);
    render_actions(out, o);
    if dry_run {
        let _ = writeln!(out, "  Result  dry run: nothing written");
    }
    for r in &o.results {
        let _ = writeln!(
            out,
            "  Result  {} {} {}{}",
            r.status,
            r.action,
            clean(&r.source_name),
            r.error_code
                .as_ref()
                .map(|c| format!(" {c}: {}", clean(&r.reason)))
                .unwrap_or_default()
        );
    }
}

/// Match: every candidate per matching attribute, and how the object matched.
fn render_match(out: &mut String, o: &ObjectReport) {
    for c in &o.candidates {
        let value = c
            .value
            .as_deref()
            .map_or("(no value)".to_owned(), |v| format!("'{}'", clean(v)));
        let rows: Vec<String> = c
            .rows
            .iter()
            .map(|(id, active)| format!("{id}{}", if *active { "" } else { " (inactive)" }))
            .collect();
        let _ = writeln!(
            out,
            "  Match   {} = {value}: {} candidate(s){}{}",
            c.attribute,
            rows.len(),
            if rows.is_empty() { "" } else { ": " },
            rows.join(", ")
        );
    }
    for op in o.ops.iter().filter(|op| op.object_type == o.object_type) {
        if let Some(m) = op.steps.iter().find(|s| s.name == "Match") {
            let _ = writeln!(out, "          → {}", clean(&m.detail));
        }
    }
}

/// Action: each planned op with its changes.
fn render_actions(out: &mut String, o: &ObjectReport) {
    if o.ops.is_empty() {
        let _ = writeln!(out, "  Action  skip: nothing to do");
    }
    for op in &o.ops {
        let changes = match &op.kind {
            OpKind::Create { fields } => fields.as_slice(),
            OpKind::Update { diff } | OpKind::Disable { diff } => diff.as_slice(),
            _ => &[],
        };
        let what = match &op.kind {
            OpKind::Error(f) => format!("{}: {}; fix: {}", f.code, clean(&f.reason), f.recommended_action),
            OpKind::Skip { reason } => format!("skip: {}", clean(&reason.to_string())),
            OpKind::SetReference { attribute, source_id } => format!("update {attribute} -> {source_id}:"),
            OpKind::CreateReference { table, field, value } => {
                format!("create {table} row {field} = '{}':", clean(value))
            }
            k => k.action().to_string(),
        };
        let _ = writeln!(out, "  Action  {what} {}", clean(&op.source_name));
        for c in changes {
            let _ = writeln!(
                out,
                "          {}: {} -> {}",
                c.attribute,
                clean(c.old_text().unwrap_or("(empty)")),
                clean(c.new_text().unwrap_or("(empty)"))
            );
        }
    }
}

fn failed(report: &OnDemand) -> bool {
    report.objects.iter().any(|o| {
        o.results.iter().any(|r| r.status == Status::Failure)
            || o.ops.iter().any(|op| matches!(op.kind, OpKind::Error(_)))
    })
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
        Err(e) => {
            super::report_error(&e);
            return Exit::Usage;
        }
    };
    let mut rx = handle.subscribe();
    handle.send(Command::Provision {
        request: 1,
        subject,
        dry_run,
    });
    let exit = loop {
        match rx.recv().await {
            Ok(SyncEvent::Answer { request: 1, answer }) => match answer {
                Answer::Provisioned(report) => {
                    if json {
                        println!("{}", serde_json::to_value(&*report).unwrap_or_default());
                    } else {
                        print!("{}", render(&report));
                    }
                    break if failed(&report) {
                        Exit::ObjectFailures
                    } else {
                        Exit::Success
                    };
                }
                Answer::NotProvisioned { kind, message } => {
                    eprintln!("error: {}", clean(&message));
                    break super::sync::exit_of(kind);
                }
                _ => {}
            },
            Ok(_) | Err(RecvError::Lagged(_)) => {}
            Err(RecvError::Closed) => break Exit::Connection,
        }
    };
    handle.shutdown().await;
    exit
}
