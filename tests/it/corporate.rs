//! Corporate networks, for real (issue 13): the ServiceNow simulator serves HTTPS with a
//! certificate from a CA made for the test, a CONNECT proxy of the test carries the traffic,
//! and the real binary fails with the unknown-issuer diagnosis without `ca_file` and works
//! with it. Also the auth-policy 401 and the test connection's steps with an injected resolver.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use nowsync::model::check::Outcome;
use nowsync::net::http::Transport;
use nowsync::net::proxy::ProxyEnv;
use nowsync::net::resolve::Resolver;
use nowsync::secrets::Secret;
use nowsync::servicenow::{Auth, ClientOptions, Error, Instance, ListParams, check};
use nowsync::sim::tls::TestCa;
use nowsync::sim::world::{self, World};
use nowsync::sim::{graph as gsim, snow};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::support::{Workspace, text};

const HOST: &str = "snow.nowsync.test";

/// A CONNECT-only proxy on 127.0.0.1 that resolves names from its own table, as a corporate
/// proxy resolves outside names the client cannot. It records every CONNECT target.
struct Proxy {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
}

async fn proxy(names: HashMap<String, IpAddr>) -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let (names, log) = (names.clone(), log.clone());
            tokio::spawn(async move {
                let _ = carry(client, &names, &log).await;
            });
        }
    });
    Proxy { url, seen }
}

async fn carry(
    mut client: TcpStream,
    names: &HashMap<String, IpAddr>,
    log: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if client.read(&mut byte).await? == 0 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let line = String::from_utf8_lossy(&head)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    let mut parts = line.split_whitespace();
    let (Some("CONNECT"), Some(target)) = (parts.next(), parts.next()) else {
        client
            .write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            .await?;
        return Ok(());
    };
    log.lock().unwrap().push(target.to_owned());
    let (host, port) = target.rsplit_once(':').unwrap_or((target, "443"));
    let addr = names
        .get(host)
        .copied()
        .or_else(|| host.parse().ok())
        .map(|ip| SocketAddr::new(ip, port.parse().unwrap_or(443)));
    let Some(addr) = addr else {
        client
            .write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            .await?;
        return Ok(());
    };
    let mut upstream = TcpStream::connect(addr).await?;
    client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").await?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}

/// Both simulators, ServiceNow over HTTPS with a certificate for `HOST` from `ca`.
async fn world_over_tls(ca: &TestCa) -> (World, u16) {
    let (snow_sim, graph_sim) = world::build(world::Options {
        snow: snow::Options::default(),
        graph: gsim::Options {
            users: 200,
            groups: 20,
            seed: 4,
            ..gsim::Options::default()
        },
    })
    .unwrap();
    let tls = ca.server(&[HOST], false).unwrap();
    let snow = snow::spawn_tls(snow_sim, tls).await.unwrap();
    let graph = gsim::spawn_sim(graph_sim, "127.0.0.1:0").await.unwrap();
    let port: u16 = snow.url.rsplit(':').next().unwrap().parse().unwrap();
    (World { snow, graph }, port)
}

fn profile(world: &World, port: u16, extra: &str) -> String {
    let line = world.ready_line();
    let get = |k: &str| line[k].as_str().unwrap().to_owned();
    format!(
        "[profiles.default.servicenow]\ninstance = \"https://{HOST}:{port}\"\nusername = \"{}\"\n{extra}\n\
         [profiles.default.entra]\ntenant_id = \"{}\"\nclient_id = \"{}\"\nservice_principal_id = \"{}\"\n\
         authority_url = \"{}\"\ngraph_url = \"{}\"\n",
        get("servicenow_user"),
        get("tenant_id"),
        get("client_id"),
        get("service_principal_id"),
        get("authority_url"),
        get("graph_url"),
    )
}

#[tokio::test]
async fn https_with_a_private_ca_through_a_proxy_fails_with_the_issuer_then_works_with_ca_file() {
    let ca = TestCa::new("nowsync Test Corporate CA").unwrap();
    let (world, port) = world_over_tls(&ca).await;
    let p = proxy(HashMap::from([(HOST.to_owned(), IpAddr::from([127, 0, 0, 1]))])).await;
    let ws = Workspace::new();
    let line = world.ready_line();
    let secrets = [
        (
            "NOWSYNC_SERVICENOW_PASSWORD",
            line["servicenow_password"].as_str().unwrap(),
        ),
        ("NOWSYNC_GRAPH_CLIENT_SECRET", line["client_secret"].as_str().unwrap()),
    ];

    // Without ca_file: the TLS step names the issuer and ca_file; DNS is the proxy's to do.
    ws.write_config(&profile(&world, port, &format!("proxy = \"{}\"\n", p.url)));
    let out = ws.run(&["test-connection", "--json"], &secrets).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let steps = doc["sides"][0]["steps"].as_array().unwrap();
    let step = |id: &str| steps.iter().find(|s| s["id"] == id).unwrap().clone();
    let dns = step("dns");
    assert_eq!(dns["outcome"], "pass", "{dns}");
    assert!(
        dns["message"]
            .as_str()
            .unwrap()
            .contains("which resolves 'snow.nowsync.test'"),
        "{dns}"
    );
    assert!(
        step("tcp")["message"].as_str().unwrap().contains("the proxy"),
        "{}",
        step("tcp")
    );
    let tls = step("tls");
    let m = tls["message"].as_str().unwrap();
    assert_eq!(tls["outcome"], "fail");
    assert!(m.contains("nowsync Test Corporate CA") && m.contains("ca_file"), "{m}");
    assert!(!m.to_lowercase().contains("password"), "{m}");

    // A cycle fails the same way, at once, as a connection failure.
    let out = ws.run(&["sync", "--once"], &secrets).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("ca_file"), "{}", text(&out.stderr));

    // With ca_file: every step passes, through the proxy, and a cycle provisions.
    std::fs::write(ws.dir.path().join("corp-ca.pem"), ca.pem()).unwrap();
    ws.write_config(&profile(
        &world,
        port,
        &format!("proxy = \"{}\"\nca_file = \"corp-ca.pem\"\n", p.url),
    ));
    let out = ws.run(&["test-connection"], &secrets).await;
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        text(&out.stdout).contains("trusted through ca_file"),
        "{}",
        text(&out.stdout)
    );
    let before = world.snow.sim.stats()["requests"]["POST"].as_u64().unwrap_or(0);
    let out = ws.run(&["sync", "--once"], &secrets).await;
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(world.snow.sim.stats()["requests"]["POST"].as_u64().unwrap_or(0) > before + 50);
    let seen = p.seen.lock().unwrap().clone();
    assert!(
        !seen.is_empty() && seen.iter().all(|t| t == &format!("{HOST}:{port}")),
        "{seen:?}"
    );

    // HTTPS_PROXY in the environment does the same without the proxy key.
    ws.write_config(&profile(&world, port, "ca_file = \"corp-ca.pem\"\n"));
    let mut env = secrets.to_vec();
    env.push(("HTTPS_PROXY", p.url.as_str()));
    let out = ws.run(&["test-connection"], &env).await;
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("HTTPS_PROXY"), "{}", text(&out.stdout));
}

fn options(resolver: Resolver, ca_file: Option<std::path::PathBuf>) -> ClientOptions {
    ClientOptions {
        transport: Transport {
            ca_file,
            proxy: None,
            proxy_env: ProxyEnv::default(),
            resolver,
        },
        ..ClientOptions::default()
    }
}

#[tokio::test]
async fn certificate_failures_are_explained_and_names_resolve_through_the_injected_resolver() {
    let ca = TestCa::new("nowsync Test Private CA").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();
    let resolver = Resolver::fixed([
        (HOST, IpAddr::from([127, 0, 0, 1])),
        ("other.nowsync.test", IpAddr::from([127, 0, 0, 1])),
    ]);
    let cases = [
        (HOST, false, "unknown"),
        ("other.nowsync.test", false, "name"),
        (HOST, true, "expired"),
    ];
    for (host, expired, case) in cases {
        let sim = snow::Sim::new(snow::Options::default());
        let running = snow::spawn_tls(sim, ca.server(&[HOST], expired).unwrap())
            .await
            .unwrap();
        let port = running.url.rsplit(':').next().unwrap().to_owned();
        let instance = Instance::parse(&format!("https://{host}:{port}"), false).unwrap();
        let auth = Auth::Basic {
            username: running.admin_user.clone(),
            password: Secret::new(running.admin_password.clone()),
        };
        let with_ca = if case == "unknown" { None } else { Some(ca_file.clone()) };
        let steps = check::test_connection(&instance, &auth, &options(resolver.clone(), with_ca)).await;
        let tls = steps.iter().find(|s| s.id == "tls").unwrap();
        assert_eq!(tls.outcome, Outcome::Fail, "{case}: {}", tls.message);
        let want = match case {
            "unknown" => "nowsync Test Private CA",
            "name" => "not for other.nowsync.test",
            _ => "expired",
        };
        assert!(tls.message.contains(want), "{case}: {}", tls.message);
        assert!(
            steps[0].message.contains("resolves to 127.0.0.1"),
            "{}",
            steps[0].message
        );
    }
    // A name the resolver does not know fails the DNS step, without asking the system.
    let instance = Instance::parse("https://nowhere.nowsync.test", false).unwrap();
    let auth = Auth::Basic {
        username: "admin".into(),
        password: Secret::new("x"),
    };
    let steps = check::test_connection(&instance, &auth, &options(resolver, None)).await;
    assert_eq!(steps[0].outcome, Outcome::Fail);
    assert!(
        steps[0].message.contains("nowhere.nowsync.test"),
        "{}",
        steps[0].message
    );
}

#[tokio::test]
async fn an_api_access_policy_that_refuses_basic_is_named_for_what_it_is() {
    let running = snow::spawn(snow::Options {
        refuse_basic: true,
        ..snow::Options::default()
    })
    .await
    .unwrap();
    let instance = Instance::parse(&running.url, false).unwrap();
    let basic = Auth::Basic {
        username: running.admin_user.clone(),
        password: Secret::new(running.admin_password.clone()),
    };
    let client = nowsync::servicenow::Client::new(instance.clone(), basic.clone(), ClientOptions::default()).unwrap();
    let err = client.list("sys_user", &ListParams::default()).await.unwrap_err();
    assert!(
        matches!(err, Error::BasicRefused { .. }) && err.is_connection(),
        "{err:?}"
    );
    let m = err.to_string();
    assert!(
        m.contains("API access policy does not accept Basic authentication") && m.contains("auth = \"oauth\""),
        "{m}"
    );
    assert!(!m.contains("password"), "never 'wrong password': {m}");

    let steps = check::test_connection(&instance, &basic, &ClientOptions::default()).await;
    let cred = steps.iter().find(|s| s.id == "credentials").unwrap();
    assert_eq!(
        cred.error_code.as_deref(),
        Some("ServiceNowBasicAuthRefused"),
        "{}",
        cred.message
    );
    assert!(cred.message.contains("use OAuth"), "{}", cred.message);

    // OAuth gets in; the switch can be turned off through /sim/faults.
    let oauth = Auth::OAuth {
        client_id: snow::OAUTH_CLIENT_ID.into(),
        client_secret: Secret::new(snow::OAUTH_CLIENT_SECRET),
        username: running.admin_user.clone(),
        password: Secret::new(running.admin_password.clone()),
    };
    let client = nowsync::servicenow::Client::new(instance.clone(), oauth, ClientOptions::default()).unwrap();
    client.list("sys_user", &ListParams::default().limit(1)).await.unwrap();
    let off = reqwest::Client::new()
        .post(format!("{}/sim/faults", running.url))
        .json(&json!({"refuse_basic": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(off.status(), 200);
    let client = nowsync::servicenow::Client::new(instance, basic, ClientOptions::default()).unwrap();
    client.list("sys_user", &ListParams::default().limit(1)).await.unwrap();
}
