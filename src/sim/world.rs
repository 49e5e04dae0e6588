//! One consistent simulated world: a generated Entra tenant served by the Graph simulator, and a
//! ServiceNow instance whose pre-existing users are derived from the same tenant (matched by
//! `user_name`, matched by `email`, the planted inactive-duplicate pair), so that one seed
//! describes both sides. Used by `nowsync sim`, `nowsync demo` and the engine's tests.

use serde_json::{Map, Value, json};

use super::graph;
use super::snow;
use super::tenant::Tenant;

/// Both simulators' options. `snow.snow_users` is the number of pre-existing ServiceNow users,
/// taken from the tenant; `graph.users`, `graph.groups` and `graph.seed` shape the tenant.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub snow: snow::Options,
    pub graph: graph::Options,
}

/// Builds both simulators from one tenant, not yet serving.
pub fn build(options: Options) -> Result<(snow::Sim, graph::Sim), snow::InsertError> {
    let tenant = Tenant::generate(options.graph.seed, options.graph.users, options.graph.groups);
    let pre_existing = tenant.snow_seed_users(options.snow.snow_users);
    // The instance's own generated users would share no names with the tenant: replace them.
    let snow = snow::Sim::new(snow::Options {
        snow_users: 0,
        ..options.snow
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
    Ok((snow, graph::Sim::with_tenant(tenant, options.graph)))
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
