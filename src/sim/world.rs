//! One consistent simulated world: a generated Entra tenant served by the Graph simulator, and a
//! ServiceNow instance whose pre-existing users are derived from the same tenant (matched by
//! `user_name`, matched by `email`, the planted inactive-duplicate pair), so that one seed
//! describes both sides. Used by `nowsync sim`, `nowsync demo` and the engine's tests.

use serde_json::{Map, Value, json};

use super::graph;
use super::snow;
use std::collections::HashSet;

use super::tenant::{SnowSeedUser, Tenant, UserType};

/// Both simulators' options. `snow.snow_users` is the number of pre-existing ServiceNow users,
/// taken from the tenant; `graph.users`, `graph.groups` and `graph.seed` shape the tenant.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub snow: snow::Options,
    pub graph: graph::Options,
}

/// Builds both simulators from one tenant, not yet serving. Plants what `options.snow` asks
/// for beyond the pre-existing users: a tenant user colliding with the integration account,
/// and rows of tables that extend `sys_user` carrying tenant users' emails (recorded in
/// `tenant.planted`).
pub fn build(options: Options) -> Result<(snow::Sim, graph::Sim), snow::InsertError> {
    let mut tenant = Tenant::generate(options.graph.seed, options.graph.users, options.graph.groups);
    let pre_existing = tenant.snow_seed_users(options.snow.snow_users);
    let mut free = free_users(&tenant, &pre_existing);
    let mut snow_options = options.snow;
    if let Some(collision) = snow_options.integration_collision
        && let Some(i) = free.next()
    {
        let user = &mut tenant.users[i];
        match collision {
            snow::Collision::Email => user.mail = Some(admin_email(&snow_options.admin_user)),
            snow::Collision::UserName => snow_options.admin_user = user.user_principal_name.clone(),
        }
        tenant.planted.integration_account = user.id.clone();
    }
    let extended: Vec<usize> = free.take(snow_options.extended_users).collect();
    // The instance's own generated users would share no names with the tenant: replace them.
    let snow = snow::Sim::new(snow::Options {
        snow_users: 0,
        ..snow_options
    });
    for row in pre_existing {
        let department = row
            .department
            .as_deref()
            .and_then(|name| snow.find_by_name("cmn_department", name))
            .unwrap_or_default();
        snow.insert(
            "sys_user",
            &json!({
                "user_name": row.user_name,
                "email": row.email.unwrap_or_default(),
                "first_name": row.first_name,
                "last_name": row.last_name,
                "active": row.active,
                "department": department,
            }),
        )?;
    }
    for (n, i) in extended.into_iter().enumerate() {
        let (class, _) = snow::USER_CLASSES[n % snow::USER_CLASSES.len()];
        let u = &tenant.users[i];
        let local = u.user_principal_name.split('@').next().unwrap_or_default();
        let prefix = class.split('_').next_back().unwrap_or(class);
        snow.insert(
            class,
            &json!({
                "user_name": format!("{prefix}.{local}"),
                "email": u.mail.clone().unwrap_or_default(),
                "first_name": u.given_name.clone().unwrap_or_default(),
                "last_name": u.surname.clone().unwrap_or_default(),
            }),
        )?;
        tenant.planted.extended_users.push((u.id.clone(), class.to_owned()));
    }
    Ok((snow, graph::Sim::with_tenant(tenant, options.graph)))
}

/// The email the seed gives the admin account (see `snow::seed`).
fn admin_email(admin_user: &str) -> String {
    if admin_user.contains('@') {
        admin_user.to_owned()
    } else {
        format!("{admin_user}@example.com")
    }
}

/// Indexes of in-scope member users with a mail and a UPN of at most 40 characters that no
/// planted problem and no pre-existing row uses, in listing order.
fn free_users(tenant: &Tenant, pre_existing: &[SnowSeedUser]) -> std::vec::IntoIter<usize> {
    let in_scope = tenant.in_scope_user_ids();
    let p = &tenant.planted;
    let mut used: HashSet<String> = [&p.missing_department, &p.duplicate_email]
        .into_iter()
        .chain(&p.email_matched)
        .chain(&p.upn_matched)
        .cloned()
        .collect();
    let taken: HashSet<String> = pre_existing
        .iter()
        .flat_map(|r| {
            [
                Some(r.user_name.to_lowercase()),
                r.email.as_ref().map(|e| e.to_lowercase()),
            ]
        })
        .flatten()
        .collect();
    let ids: Vec<usize> = (0..tenant.users.len())
        .filter(|&i| {
            let u = &tenant.users[i];
            let mail = u.mail.as_deref().map(str::to_lowercase);
            in_scope.contains(u.id.as_str())
                && u.user_type == UserType::Member
                && u.user_principal_name.len() <= 40
                && !taken.contains(&u.user_principal_name.to_lowercase())
                && mail.is_some_and(|m| !taken.contains(&m))
                && used.insert(u.id.clone())
        })
        .collect();
    ids.into_iter()
}

/// The ready line of `nowsync sim` (DESIGN.md "Simulators"): one JSON object.
pub fn ready_line(snow_url: &str, snow: &snow::Sim, graph_origin: &str, graph: &graph::Sim) -> Value {
    let options = snow.options();
    let mut line = Map::new();
    line.insert("servicenow_url".into(), json!(snow_url));
    line.insert("servicenow_user".into(), json!(options.admin_user));
    line.insert("servicenow_password".into(), json!(options.admin_password));
    line.extend(graph.ready_fields(graph_origin));
    line.insert("stats_url".into(), json!(format!("{snow_url}/sim/stats")));
    Value::Object(line)
}

/// Both simulators serving on 127.0.0.1 free ports; dropping it stops them.
pub struct World {
    pub snow: snow::Running,
    pub graph: graph::Running,
}

/// Builds and serves a world (tests, `nowsync demo`).
pub async fn spawn(options: Options) -> std::io::Result<World> {
    let (snow_sim, graph_sim) = build(options).map_err(std::io::Error::other)?;
    let snow = snow::spawn_sim(snow_sim).await?;
    let graph = graph::spawn_sim(graph_sim, "127.0.0.1:0").await?;
    Ok(World { snow, graph })
}

impl World {
    pub fn ready_line(&self) -> Value {
        ready_line(&self.snow.url, &self.snow.sim, &self.graph.url, &self.graph.sim)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn pre_existing_servicenow_users_come_from_the_tenant() {
        let options = Options {
            snow: snow::Options {
                snow_users: 40,
                ..snow::Options::default()
            },
            graph: graph::Options {
                users: 200,
                groups: 20,
                seed: 7,
                ..graph::Options::default()
            },
        };
        let tenant = Tenant::generate(7, 200, 20);
        let world = spawn(options).await.unwrap();
        let line = world.ready_line();
        for key in [
            "servicenow_url",
            "servicenow_user",
            "servicenow_password",
            "graph_url",
            "authority_url",
            "tenant_id",
            "client_id",
            "client_secret",
            "service_principal_id",
            "stats_url",
        ] {
            assert!(
                line.get(key).and_then(Value::as_str).is_some_and(|v| !v.is_empty()),
                "{key}: {line}"
            );
        }
        let body: Value = reqwest::Client::new()
            .get(format!(
                "{}/api/now/v2/table/sys_user?sysparm_fields=user_name,email,department&sysparm_exclude_reference_link=true",
                world.snow.url
            ))
            .basic_auth(&world.snow.admin_user, Some(&world.snow.admin_password))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let rows = body["result"].as_array().unwrap();
        let upns: Vec<String> = tenant
            .users
            .iter()
            .map(|u| u.user_principal_name.to_lowercase())
            .collect();
        let by_upn = rows
            .iter()
            .filter(|r| upns.contains(&r["user_name"].as_str().unwrap().to_lowercase()))
            .count();
        assert!(by_upn >= 1, "no pre-existing user_name equals a tenant UPN");
        assert!(
            rows.iter()
                .any(|r| r["department"].as_str().is_some_and(|d| d.len() == 32)),
            "no department reference resolved"
        );
        // The seeded admin and snow.reader plus the 40 derived rows.
        assert_eq!(rows.len(), 42, "{}", rows.len());
    }
}
