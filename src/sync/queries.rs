//! The console's questions to the engine (test connection, search users, one user's source
//! attributes, evaluate a mapping for one user, preview scope, create a missing reference
//! row), answered as [`SyncEvent::Answer`] with the request's id. They read, and only
//! `CreateReference` writes.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::engine::Engine;
use super::event::{Answer, SyncEvent};
use super::handle::Command;
use super::read_source;
use crate::graph;
use crate::mapping::catalogue::source_attributes;
use crate::mapping::{Context, Flow};
use crate::model::text::sanitize_for_terminal;

pub(super) async fn answer(engine: &Engine, command: Command) {
    let (request, answer) = match command {
        Command::TestConnection { request } => (request, test_connection(engine).await),
        Command::SearchUsers { request, text, limit } => (request, search(engine, &text, limit).await),
        Command::EvaluateUser { request, user_id } => (request, evaluate(engine, &user_id).await),
        Command::SourceAttributes { request, user_id } => (
            request,
            match read_user(engine, &user_id).await {
                Ok(attributes) => Answer::SourceAttributes { attributes },
                Err(e) => Answer::Failed(e),
            },
        ),
        Command::PreviewScope { request, samples } => (request, preview(engine, samples).await),
        Command::CreateReference {
            request,
            table,
            field,
            value,
        } => {
            let mut m = Map::new();
            m.insert(field, Value::String(value));
            let a = match engine.snow.create(&table, &m).await {
                Ok(r) => Answer::Created {
                    sys_id: r.sys_id().map(|s| s.to_string()).unwrap_or_default(),
                    table,
                },
                Err(e) => Answer::Failed(e.to_string()),
            };
            (request, a)
        }
        // The engine loop handles the others.
        _ => return,
    };
    let _ = engine.events_sender().send(SyncEvent::Answer { request, answer });
}

async fn test_connection(engine: &Engine) -> Answer {
    let mut sides = Vec::new();
    if let Some(sn) = &engine.profile.servicenow {
        let options = engine.snow.options().clone();
        let steps =
            crate::servicenow::check::test_connection(&sn.instance, &engine.credentials.servicenow, &options).await;
        sides.push(("servicenow".to_owned(), steps));
    }
    if let Some(entra) = &engine.profile.entra {
        let steps = graph::check::test_connection(entra, &engine.credentials.graph_client_secret).await;
        sides.push(("entra".to_owned(), steps));
    }
    Answer::Connection(sides)
}

async fn search(engine: &Engine, text: &str, limit: usize) -> Answer {
    let needle = text.to_lowercase();
    let mut found = Vec::new();
    let mut pager = engine.graph.users();
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
            Err(e) => return Answer::Failed(e.to_string()),
        }
    }
}

/// One source user's attributes as the mappings see them (with the manager's id).
async fn read_user(engine: &Engine, user_id: &str) -> Result<BTreeMap<String, crate::mapping::Value>, String> {
    let select = graph::USER_SELECT.join(",");
    let path = format!(
        "/users/{}?$select={select}",
        percent_encoding::utf8_percent_encode(user_id, percent_encoding::NON_ALPHANUMERIC)
    );
    let mut obj: Value = engine
        .graph
        .get_json(&engine.graph.url(&path))
        .await
        .map_err(|e| e.to_string())?;
    if let Ok(Some(m)) = engine.graph.manager(user_id).await
        && let Some(o) = obj.as_object_mut()
    {
        o.insert("manager".into(), json!({"id": m.id}));
    }
    let enabled = obj.get("accountEnabled").and_then(Value::as_bool).unwrap_or(true);
    Ok(source_attributes(&obj, !enabled, &[]))
}

async fn evaluate(engine: &Engine, user_id: &str) -> Answer {
    let attrs = match read_user(engine, user_id).await {
        Ok(a) => a,
        Err(e) => return Answer::Failed(e),
    };
    let ctx = Context::new(&attrs, chrono::Utc::now());
    let rows = engine
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

async fn preview(engine: &Engine, samples: usize) -> Answer {
    // A full read: it rebuilds the source cache, which stays consistent (the next incremental
    // cycle replays the changes since its watermarks onto it).
    let read = read_source::source(
        &engine.graph,
        engine.store(),
        &engine.mappings,
        engine.profile.provisioning.scope,
        engine.profile.provisioning.flatten_nested_groups,
        None,
    );
    match read.await.map(|r| r.source) {
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
        Err(e) => Answer::Failed(e.to_string()),
    }
}
