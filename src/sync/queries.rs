//! The console's questions to the engine (test connection, search users, one user's source
//! attributes, evaluate a mapping for one user, preview scope, SSO readiness, create a
//! missing reference row), answered as [`SyncEvent::Answer`] with the request's id. They read, and only
//! `CreateReference` writes.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::Credentials;
use super::cycle::{Context, read_source};
use super::event::{Answer, SyncEvent};
use super::handle::Command;
use crate::graph;
use crate::mapping::catalogue::source_attributes;
use crate::mapping::{Context as Evaluation, Flow};
use crate::model::text::sanitize_for_terminal;

pub(super) async fn answer(cx: &Context, credentials: &Credentials, command: Command) {
    let (request, answer) = match command {
        Command::TestConnection { request } => (request, test_connection(cx, credentials).await),
        Command::SearchUsers { request, text, limit } => (request, search(cx, &text, limit).await),
        Command::EvaluateUser { request, user_id } => (request, evaluate(cx, &user_id).await),
        Command::SourceAttributes { request, user_id } => (
            request,
            match read_user(cx, &user_id).await {
                Ok(attributes) => Answer::SourceAttributes { attributes },
                Err(e) => Answer::Failed(e.into()),
            },
        ),
        Command::PreviewScope { request, samples } => (request, preview(cx, samples).await),
        Command::PreviewPlan { request, profile } => (
            request,
            match super::cycle::preview(cx, &profile).await {
                Ok(plan) => Answer::Preview(std::sync::Arc::new(plan)),
                Err(e) => Answer::Failed(e.into()),
            },
        ),
        Command::SsoCheck { request, field, nameid } => {
            let mapping = &cx.profile.mappings.user;
            let a = match super::sso::check(&cx.snow, Some(&cx.store), mapping, field.as_deref(), &nameid).await {
                Ok(report) => Answer::Sso(Box::new(report)),
                Err(e) => Answer::Failed(e.into()),
            };
            (request, a)
        }
        Command::CreateReference {
            request,
            table,
            field,
            value,
        } => {
            let mut m = Map::new();
            m.insert(field, Value::String(value));
            let a = match cx.snow.create(&table, &m).await {
                Ok(r) => Answer::Created {
                    sys_id: r.sys_id().map(|s| s.to_string()).unwrap_or_default(),
                    table,
                },
                Err(e) => Answer::Failed(e.into()),
            };
            (request, a)
        }
        // The engine loop handles the others.
        _ => return,
    };
    cx.emit(SyncEvent::Answer { request, answer });
}

async fn test_connection(cx: &Context, credentials: &Credentials) -> Answer {
    let mut sides = Vec::new();
    if let (Some(sn), Some(auth)) = (&cx.profile.servicenow, &credentials.servicenow) {
        let options = cx.snow.options().clone();
        let steps = crate::servicenow::check::test_connection(&sn.instance, auth, &options).await;
        sides.push(("servicenow".to_owned(), steps));
    }
    if let (Some(entra), Some(secret)) = (&cx.profile.entra, &credentials.graph_client_secret) {
        let steps = graph::check::test_connection(entra, secret).await;
        sides.push(("entra".to_owned(), steps));
    }
    Answer::Connection(sides)
}

async fn search(cx: &Context, text: &str, limit: usize) -> Answer {
    let needle = text.to_lowercase();
    let mut found = Vec::new();
    let mut pager = cx.graph.users();
    loop {
        match pager.next_page().await {
            Ok(Some(page)) => {
                for u in page {
                    let hay = [&u.user_principal_name, &u.display_name, &u.mail];
                    if hay
                        .iter()
                        .any(|v| v.as_deref().is_some_and(|v| v.to_lowercase().contains(&needle)))
                    {
                        found.push((
                            u.id,
                            sanitize_for_terminal(u.user_principal_name.as_deref().unwrap_or_default()),
                            u.display_name.map(|d| sanitize_for_terminal(&d)),
                        ));
                        if found.len() >= limit {
                            return Answer::Users(found);
                        }
                    }
                }
            }
            Ok(None) => return Answer::Users(found),
            Err(e) => return Answer::Failed(e.into()),
        }
    }
}

/// One source user's attributes as the mappings see them (with the manager's id).
async fn read_user(cx: &Context, user_id: &str) -> Result<BTreeMap<String, crate::mapping::Value>, graph::Error> {
    let select = crate::sync::source::user_select(&cx.profile).join(",");
    let path = format!("/users/{}?$select={select}", crate::net::encode::segment(user_id));
    let mut obj: Value = cx.graph.get_json(&cx.graph.url(&path)).await?;
    if let Ok(Some(m)) = cx.graph.manager(user_id).await
        && let Some(o) = obj.as_object_mut()
    {
        o.insert("manager".into(), json!({"id": m.id}));
    }
    let enabled = obj.get("accountEnabled").and_then(Value::as_bool).unwrap_or(true);
    Ok(source_attributes(&obj, !enabled, &[]))
}

async fn evaluate(cx: &Context, user_id: &str) -> Answer {
    let attrs = match read_user(cx, user_id).await {
        Ok(a) => a,
        Err(e) => return Answer::Failed(e.into()),
    };
    let ctx = Evaluation::new(&attrs, chrono::Utc::now());
    let rows = cx
        .profile
        .mappings
        .user
        .attributes
        .iter()
        .map(|m| {
            let v = m.evaluate(&ctx).map(|o| match o.flow {
                Flow::Value(v) if o.redacted => v.text().map(|_| "[Redact]".to_owned()),
                Flow::Value(v) => v.text(),
                Flow::Dropped => None,
            });
            (m.target.clone(), v.map_err(|e| e.to_string()))
        })
        .collect();
    Answer::Evaluated(rows)
}

async fn preview(cx: &Context, samples: usize) -> Answer {
    // A full read: it rebuilds the source cache, which stays consistent (the next incremental
    // cycle replays the changes since its watermarks onto it).
    match read_source(cx, None).await.map(|r| r.source) {
        Ok(source) => {
            let (ins, outs): (Vec<_>, Vec<_>) = source.users.iter().partition(|u| u.in_scope);
            Answer::ScopePreview {
                users_in: ins.len() as u64,
                users_out: outs.len() as u64,
                groups_in: source.groups.iter().filter(|g| g.in_scope).count() as u64,
                samples_in: ins
                    .iter()
                    .take(samples)
                    .map(|u| sanitize_for_terminal(&u.name))
                    .collect(),
                samples_out: outs
                    .iter()
                    .take(samples)
                    .map(|u| sanitize_for_terminal(&format!("{} ({})", u.name, u.scope_detail)))
                    .collect(),
            }
        }
        Err(e) => Answer::Failed(e.into()),
    }
}
