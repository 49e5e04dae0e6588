//! The engine end to end: the real binary against both simulators (`sim::world`) on
//! 127.0.0.1:0, in a temp dir. Helpers here; scenarios in the submodules.

mod binding;
mod changes;
mod consoles;
mod crash;
mod delta;
mod denied;
mod disk;
mod door;
mod escrow;
mod functions;
mod group_delete;
pub(crate) mod held;
pub(crate) mod held_on_demand;
mod identity;
mod initial;
mod intents;
mod managers;
mod matrix;
mod members_delta;
mod normalised;
mod on_demand;
mod on_demand_group;
mod ops;
mod options;
mod plans;
mod reads;
mod reconcile;
mod redact;
mod refusals;
mod replay;
mod retries;
pub(crate) mod socket;
mod sso;
mod stop;
mod through_door;
mod validity;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::process::Output;
use std::time::Duration;

use nowsync::config::{Config, ResolvedProfile};
use nowsync::graph;
use nowsync::secrets::Secret;
use nowsync::servicenow::{self, Auth, ClientOptions, Instance, ListParams, Query};
use nowsync::sim::world::{self, World};
use nowsync::sim::{graph as gsim, snow};
use nowsync::sync::{self, Credentials, Handle, SyncEvent};
use serde_json::{Map, Value};

use super::support::{Workspace, text};

pub struct Env {
    pub world: World,
    pub ws: Workspace,
    pub env: Vec<(String, String)>,
    pub graph: graph::Client,
    pub snow: servicenow::Client,
}

pub async fn setup(users: usize, groups: usize, snow_users: usize, latency_ms: u64) -> Env {
    setup_with(options(users, groups, snow_users, latency_ms)).await
}

/// The world `setup` starts, to adjust before `setup_with`.
pub fn options(users: usize, groups: usize, snow_users: usize, latency_ms: u64) -> world::Options {
    world::Options {
        snow: snow::Options {
            snow_users,
            latency: Duration::from_millis(latency_ms),
            ..snow::Options::default()
        },
        graph: gsim::Options {
            users,
            groups,
            seed: 5,
            ..gsim::Options::default()
        },
    }
}

pub async fn setup_with(options: world::Options) -> Env {
    let world = world::spawn(options).await.unwrap();
    let ws = Workspace::new();
    ws.world_profile(&world);
    let line = world.ready_line();
    let get = |k: &str| line[k].as_str().unwrap().to_owned();
    let env = vec![
        ("NOWSYNC_SERVICENOW_PASSWORD".to_owned(), get("servicenow_password")),
        ("NOWSYNC_GRAPH_CLIENT_SECRET".to_owned(), get("client_secret")),
    ];
    let entra = nowsync::config::Entra {
        tenant_id: get("tenant_id"),
        client_id: get("client_id"),
        service_principal_id: get("service_principal_id"),
        cloud: nowsync::config::Cloud::Global,
        authority_url: Some(get("authority_url")),
        graph_url: Some(get("graph_url")),
        network: Default::default(),
    };
    let graph = graph::Client::new(&entra, Secret::new(get("client_secret")), graph::Options::default()).unwrap();
    let auth = Auth::Basic {
        username: get("servicenow_user"),
        password: Secret::new(get("servicenow_password")),
    };
    let snow = servicenow::Client::new(
        Instance::parse(&get("servicenow_url"), false).unwrap(),
        auth,
        ClientOptions::default(),
    )
    .unwrap();
    Env {
        world,
        ws,
        env,
        graph,
        snow,
    }
}

/// The next event `f` picks, skipping the others (60 s at most).
pub async fn next_event(
    rx: &mut tokio::sync::broadcast::Receiver<SyncEvent>,
    f: impl Fn(&SyncEvent) -> bool,
) -> SyncEvent {
    tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            match rx.recv().await {
                Ok(e) if f(&e) => return e,
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => panic!("{e}"),
            }
        }
    })
    .await
    .unwrap()
}

impl Env {
    /// The world's credentials, as an engine started in this process takes them.
    pub fn credentials(&self) -> Credentials {
        let line = self.world.ready_line();
        let get = |k: &str| line[k].as_str().unwrap().to_owned();
        Credentials {
            servicenow: Some(Auth::Basic {
                username: get("servicenow_user"),
                password: Secret::new(get("servicenow_password")),
            }),
            graph_client_secret: Some(Secret::new(get("client_secret"))),
        }
    }

    /// The profile as the configuration file says now, resolved.
    pub fn profile(&self) -> ResolvedProfile {
        Config::load(&self.ws.config()).unwrap().resolve("default").unwrap()
    }

    /// An engine in this process on `profile`, with the world's credentials and this
    /// workspace's data dir.
    pub fn start(&self, profile: &ResolvedProfile) -> Handle {
        Handle::start(profile, self.credentials(), sync::Options::new(self.ws.data_dir())).unwrap()
    }

    pub fn secrets(&self) -> Vec<String> {
        self.env.iter().map(|(_, v)| v.clone()).collect()
    }

    pub async fn nowsync(&self, args: &[&str]) -> Output {
        let env: Vec<(&str, &str)> = self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.ws.run(args, &env).await
    }

    /// `sync --once --json [extra]`: the exit code and the JSON document.
    pub async fn sync(&self, extra: &[&str]) -> (i32, Value) {
        let mut args = vec!["sync", "--once", "--json"];
        args.extend(extra);
        let out = self.nowsync(&args).await;
        let doc = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: stdout {} stderr {}", text(&out.stdout), text(&out.stderr)));
        (out.status.code().unwrap_or(-1), doc)
    }

    pub async fn logs(&self, args: &[&str]) -> Vec<Value> {
        let mut a = vec!["logs", "--format", "json"];
        a.extend(args);
        let out = self.nowsync(&a).await;
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice::<Vec<Value>>(&out.stdout).unwrap()
    }

    pub async fn stats(&self) -> Value {
        let url = format!("{}/sim/stats", self.world.snow.url);
        reqwest::get(url).await.unwrap().json().await.unwrap()
    }

    pub async fn reset_stats(&self) {
        let url = format!("{}/sim/stats/reset", self.world.snow.url);
        reqwest::Client::new().post(url).send().await.unwrap();
    }

    pub async fn writes(&self) -> u64 {
        let s = self.stats().await;
        ["POST", "PUT", "PATCH", "DELETE"]
            .iter()
            .map(|m| s["requests"][m].as_u64().unwrap())
            .sum()
    }

    pub async fn rows(&self, table: &str, fields: &[&str]) -> Vec<Map<String, Value>> {
        let mut out = Vec::new();
        let params = ListParams::new(Query::new().order_by("sys_id")).fields(fields);
        self.snow
            .read_all(table, &params, |page| {
                out.extend(page.into_iter().map(|r| r.into_map()))
            })
            .await
            .unwrap();
        out
    }

    /// ServiceNow's state as comparable sets: users (user_name → active), groups (name →
    /// active), memberships (group name, user_name); panics on a duplicate.
    pub async fn state(&self) -> State {
        let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        let users = self.rows("sys_user", &["sys_id", "user_name", "active"]).await;
        let groups = self.rows("sys_user_group", &["sys_id", "name", "active"]).await;
        let members = self.rows("sys_user_grmember", &["group", "user"]).await;
        let mut state = State::default();
        let mut user_by_id = HashMap::new();
        for u in &users {
            let name = s(&u["user_name"]).to_lowercase();
            assert!(
                state.users.insert(name.clone(), s(&u["active"])).is_none(),
                "duplicate user {name}"
            );
            user_by_id.insert(s(&u["sys_id"]), name);
        }
        let mut group_by_id = HashMap::new();
        for g in &groups {
            let name = s(&g["name"]);
            assert!(
                state.groups.insert(name.clone(), s(&g["active"])).is_none(),
                "duplicate group {name}"
            );
            group_by_id.insert(s(&g["sys_id"]), name);
        }
        for m in &members {
            let pair = (
                group_by_id.get(&s(&m["group"])).cloned().unwrap_or_default(),
                user_by_id.get(&s(&m["user"])).cloned().unwrap_or_default(),
            );
            assert!(state.members.insert(pair.clone()), "duplicate membership {pair:?}");
        }
        state
    }

    pub async fn graph_write(&self, method: reqwest::Method, path: &str, body: Value) {
        let body = (!body.is_null()).then_some(body);
        self.graph.request(method, path, body.as_ref()).await.unwrap();
    }

    /// A new Entra user (`extra` merged into its body) assigned to the app; its id.
    pub async fn new_assigned_user(&self, upn: &str, extra: Value) -> String {
        let mut body = serde_json::json!({"userPrincipalName": upn, "displayName": upn, "accountEnabled": true});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let created = self
            .graph
            .request(reqwest::Method::POST, "/users", Some(&body))
            .await
            .unwrap();
        let id = created.unwrap()["id"].as_str().unwrap().to_owned();
        let sp = self.graph.service_principal_id().to_owned();
        let assignment = serde_json::json!({"principalId": id, "resourceId": sp, "appRoleId": nowsync::sim::tenant::DEFAULT_ACCESS_ROLE});
        self.graph_write(
            reqwest::Method::POST,
            &format!("/servicePrincipals/{sp}/appRoleAssignedTo"),
            assignment,
        )
        .await;
        id
    }

    /// A row written straight into ServiceNow (as an admin would); its sys_id.
    pub async fn snow_insert(&self, table: &str, fields: Value) -> String {
        let fields = fields.as_object().cloned().unwrap_or_default();
        let record = self.snow.create(table, &fields).await.unwrap();
        record.sys_id().unwrap().to_string()
    }

    /// Every field of one row, as the Table API returns it.
    pub async fn row(&self, table: &str, sys_id: &str) -> Map<String, Value> {
        let id = nowsync::model::SysId::parse(sys_id).unwrap();
        self.snow.get(table, &id, &[]).await.unwrap().into_map()
    }

    /// The link of a source object: its sys_id.
    pub async fn link_of(&self, source_id: &str) -> Option<String> {
        let out = self.nowsync(&["links", "--format", "json"]).await;
        let links: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap_or_default();
        links
            .iter()
            .find(|l| l["source_id"] == source_id)
            .and_then(|l| l["sys_id"].as_str())
            .map(str::to_owned)
    }

    /// `status --json`.
    pub async fn status(&self) -> Value {
        let out = self.nowsync(&["status", "--json"]).await;
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)))
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct State {
    pub users: BTreeMap<String, String>,
    pub groups: BTreeMap<String, String>,
    pub members: BTreeSet<(String, String)>,
}
