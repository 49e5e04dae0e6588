//! How fast the simulators start and serve at 100,000 users (issue 16 §5): `world::build` for
//! `nowsync sim --users 100000 --groups 2000`, a ServiceNow instance filled as an initial cycle
//! leaves it (every user, every group, every user membership), and the median time of the
//! queries a cycle sends, over HTTP on loopback.
//!
//! Run: `cargo bench --bench sim_queries` (`NOWSYNC_BENCH_USERS`, `NOWSYNC_BENCH_GROUPS` to
//! change the size, `NOWSYNC_BENCH_RUNS` the runs per ServiceNow query). The `groupIN` query
//! includes "All Employees" (every user is a member), so it counts about a fifth of all
//! memberships: its time is that of a result that size, not of a scan.

use std::time::{Duration, Instant};

use nowsync::sim::{graph, snow, world};
use serde_json::{Value, json};

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn median(runs: usize, mut f: impl AsyncFnMut() -> usize) -> (Duration, usize) {
    let mut times = Vec::with_capacity(runs);
    let mut rows = 0;
    for _ in 0..runs {
        let started = Instant::now();
        rows = f().await;
        times.push(started.elapsed());
    }
    times.sort();
    (times[runs / 2], rows)
}

fn main() {
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with('-') && !"sim_queries".contains(a.as_str()))
    {
        return;
    }
    let users = env_num("NOWSYNC_BENCH_USERS", 100_000);
    let groups = env_num("NOWSYNC_BENCH_GROUPS", 2_000);
    let started = Instant::now();
    let (snow_sim, graph_sim) = world::build(world::Options {
        snow: snow::Options::default(),
        graph: graph::Options {
            users,
            groups,
            seed: 3,
            ..graph::Options::default()
        },
    })
    .expect("world");
    println!("world::build users={users} groups={groups}: {:.2?}", started.elapsed());

    let tenant = graph_sim.tenant().clone();
    let started = Instant::now();
    let mut user_ids = std::collections::HashMap::new();
    for u in &tenant.users {
        let name: String = u.user_principal_name.chars().take(40).collect();
        let fields = json!({"user_name": name, "email": u.mail, "first_name": u.given_name, "last_name": u.surname});
        if let Ok(id) = snow_sim.insert("sys_user", &fields) {
            user_ids.insert(u.id.clone(), id);
        }
    }
    let mut group_ids = Vec::new();
    let mut memberships = 0;
    for g in &tenant.groups {
        let Ok(gid) = snow_sim.insert("sys_user_group", &json!({"name": g.display_name})) else {
            continue;
        };
        for m in &g.members {
            if let Some(uid) = user_ids.get(&m.id) {
                memberships += usize::from(
                    snow_sim
                        .insert("sys_user_grmember", &json!({"user": uid, "group": gid}))
                        .is_ok(),
                );
            }
        }
        group_ids.push(gid);
    }
    println!(
        "ServiceNow filled: {} users, {} groups, {memberships} memberships in {:.2?}",
        user_ids.len(),
        group_ids.len(),
        started.elapsed()
    );

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let snow = snow::spawn_sim(snow_sim).await.expect("snow");
        let graph = graph::spawn_sim(graph_sim, "127.0.0.1:0").await.expect("graph");
        let http = reqwest::Client::new();
        let q = |query: String| url::form_urlencoded::byte_serialize(query.as_bytes()).collect::<String>();
        let snow_get = async |path: &str| -> usize {
            let body: Value = http
                .get(format!("{}{path}", snow.url))
                .basic_auth(&snow.admin_user, Some(&snow.admin_password))
                .send()
                .await
                .expect("snow")
                .json()
                .await
                .expect("snow json");
            body["result"].as_array().map_or(0, Vec::len)
        };
        let upns: Vec<String> = tenant.users.iter().step_by(997).take(100).map(|u| u.user_principal_name.chars().take(40).collect()).collect();
        let mails: Vec<String> = tenant.users.iter().filter_map(|u| u.mail.clone()).step_by(991).take(100).collect();
        let ids: Vec<String> = user_ids.values().step_by(977).take(100).cloned().collect();
        let gids: Vec<String> = group_ids.iter().step_by(19).take(100).cloned().collect();
        let mut sorted: Vec<&String> = user_ids.values().collect();
        sorted.sort();
        let mid = sorted[sorted.len() / 2].clone();
        let one_user = ids[0].clone();
        let snow_queries = [
            ("user_nameIN (100 values)", format!("/api/now/table/sys_user?sysparm_query={}&sysparm_fields=sys_id,user_name", q(format!("user_nameIN{}", upns.join(","))))),
            ("emailIN (100 values)", format!("/api/now/table/sys_user?sysparm_query={}&sysparm_fields=sys_id,email", q(format!("emailIN{}", mails.join(","))))),
            ("sys_idIN (100 values)", format!("/api/now/table/sys_user?sysparm_query=sys_idIN{}", ids.join(","))),
            ("grmember groupIN (100 groups), page 1000", format!("/api/now/table/sys_user_grmember?sysparm_query=groupIN{}%5EORDERBYsys_id&sysparm_limit=1000&sysparm_fields=group,user", gids.join(","))),
            ("grmember user=X", format!("/api/now/table/sys_user_grmember?sysparm_query=user={one_user}")),
            ("keyset page sys_id>X, 1000, no count", format!("/api/now/table/sys_user?sysparm_query=sys_id%3E{mid}%5EORDERBYsys_id&sysparm_limit=1000&sysparm_no_count=true&sysparm_fields=sys_id,user_name")),
            ("offset page at 50000, 1000, no count", "/api/now/table/sys_user?sysparm_query=ORDERBYsys_id&sysparm_limit=1000&sysparm_offset=50000&sysparm_no_count=true&sysparm_fields=sys_id,user_name".to_owned()),
            ("first page with X-Total-Count, 1000", "/api/now/table/sys_user?sysparm_query=ORDERBYsys_id&sysparm_limit=1000&sysparm_fields=sys_id,user_name".to_owned()),
            ("grmember whole-table page at 250000, 1000", "/api/now/table/sys_user_grmember?sysparm_query=ORDERBYsys_id&sysparm_limit=1000&sysparm_offset=250000&sysparm_no_count=true".to_owned()),
        ];
        println!("{:<48} {:>10} {:>6}", "ServiceNow query", "median", "rows");
        let runs = env_num("NOWSYNC_BENCH_RUNS", 5);
        for (name, path) in &snow_queries {
            let (t, rows) = median(runs, async || snow_get(path).await).await;
            println!("{name:<48} {t:>10.2?} {rows:>6}");
        }

        let token: Value = http
            .post(format!("{}/{}/oauth2/v2.0/token", graph.url, graph.tenant_id))
            .form(&[("grant_type", "client_credentials"), ("client_id", graph.client_id.as_str()),
                    ("client_secret", graph.client_secret.as_str()), ("scope", "https://graph.microsoft.com/.default")])
            .send().await.expect("token").json().await.expect("token json");
        let bearer = format!("Bearer {}", token["access_token"].as_str().expect("access token"));
        let graph_get = async |url: &str| -> Value {
            http.get(url).header("authorization", &bearer).send().await.expect("graph").json().await.expect("graph json")
        };
        let select = "$select=id,userPrincipalName,mail,displayName,accountEnabled,department,manager";
        let started = Instant::now();
        let mut url = format!("{}/users/delta?{select}", graph.graph_url);
        let mut pages = 0;
        let delta = loop {
            let page = graph_get(&url).await;
            pages += 1;
            match (page["@odata.nextLink"].as_str(), page["@odata.deltaLink"].as_str()) {
                (Some(next), _) => url = next.to_owned(),
                (None, Some(delta)) => break delta.to_owned(),
                _ => panic!("no link: {page}"),
            }
        };
        println!("{:<48} {:>10.2?} {pages:>6} pages", "Graph users/delta initial round", started.elapsed());
        let sp = &graph.service_principal_id;
        let group = &tenant.groups[1].id;
        let graph_queries = [
            ("users/delta quiet incremental round", delta.clone()),
            ("appRoleAssignedTo first page ($top=999)", format!("{}/servicePrincipals/{sp}/appRoleAssignedTo?$top=999", graph.graph_url)),
            ("groups/{id}/members ($top=999)", format!("{}/groups/{group}/members?$top=999&$select=id", graph.graph_url)),
            ("groups/delta first page", format!("{}/groups/delta?$select=id,displayName,members", graph.graph_url)),
        ];
        println!("{:<48} {:>10} {:>6}", "Graph query", "median", "items");
        for (name, url) in &graph_queries {
            let (t, rows) = median(5, async || graph_get(url).await["value"].as_array().map_or(0, Vec::len)).await;
            println!("{name:<48} {t:>10.2?} {rows:>6}");
        }
    });
}
