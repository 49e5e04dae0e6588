//! The headless commands, run as the real binary: `sim` and `test-connection`.

use std::io::BufRead;
use std::process::Stdio;

use nowsync::sim::snow;

use crate::support::{BIN, Workspace, files_under, text};

#[tokio::test]
async fn sim_announces_itself_with_one_json_line_and_serves() {
    let ws = Workspace::new();
    let mut child = std::process::Command::new(BIN)
        .arg("--data-dir")
        .arg(ws.data_dir())
        .args(["sim", "--snow-users", "30"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    let ready: serde_json::Value = serde_json::from_str(&line).unwrap();
    let url = ready["servicenow_url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert_eq!(ready["servicenow_user"], "admin");
    assert_eq!(ready["stats_url"].as_str().unwrap(), format!("{url}/sim/stats"));
    let graph_url = ready["graph_url"].as_str().unwrap();
    assert!(
        graph_url.starts_with("http://127.0.0.1:") && graph_url.ends_with("/v1.0"),
        "{graph_url}"
    );
    for key in [
        "authority_url",
        "tenant_id",
        "client_id",
        "client_secret",
        "service_principal_id",
    ] {
        assert!(ready[key].as_str().is_some_and(|v| !v.is_empty()), "{key}: {ready}");
    }
    let resp = reqwest::Client::new()
        .get(format!("{url}/api/now/v2/table/sys_user?sysparm_limit=1"))
        .basic_auth("admin", ready["servicenow_password"].as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let total: usize = resp.headers()["x-total-count"].to_str().unwrap().parse().unwrap();
    assert!(total >= 30, "{total}");
    child.kill().unwrap();
    let _ = child.wait();
}

#[tokio::test]
async fn test_connection_passes_every_step_against_the_simulator() {
    let sim = snow::spawn(snow::Options::default()).await.unwrap();
    let ws = Workspace::new();
    ws.servicenow_profile(&sim.url, &sim.admin_user);
    let out = ws
        .run(
            &["test-connection"],
            &[("NOWSYNC_SERVICENOW_PASSWORD", &sim.admin_password)],
        )
        .await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", text(&out.stderr));
    for title_word in ["PASS", "admin", "All configured checks passed"] {
        assert!(stdout.contains(title_word), "{title_word}: {stdout}");
    }
    assert!(!stdout.contains("FAIL"), "{stdout}");
    // The write check leaves nothing behind.
    let leftovers = reqwest::Client::new()
        .get(format!(
            "{}/api/now/v2/table/sys_user_group?sysparm_query=nameLIKEnowsync",
            sim.url
        ))
        .basic_auth(&sim.admin_user, Some(&sim.admin_password))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(leftovers["result"].as_array().unwrap().len(), 0, "{leftovers}");
}

#[tokio::test]
async fn test_connection_json_is_one_document_with_every_step() {
    let sim = snow::spawn(snow::Options::default()).await.unwrap();
    let ws = Workspace::new();
    ws.servicenow_profile(&sim.url, &sim.admin_user);
    let out = ws
        .run(
            &["test-connection", "--json"],
            &[("NOWSYNC_SERVICENOW_PASSWORD", &sim.admin_password)],
        )
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], true);
    let sides = report["sides"].as_array().unwrap();
    let sn = sides.iter().find(|s| s["side"] == "servicenow").unwrap();
    assert_eq!(sn["status"], "pass");
    let ids: Vec<&str> = sn["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    for id in ["dns", "tcp", "instance", "credentials", "admin_role", "table_access"] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    for step in sn["steps"].as_array().unwrap() {
        assert!(step["duration"].is_u64(), "{step}");
    }
    let entra = sides.iter().find(|s| s["side"] == "entra").unwrap();
    assert_eq!(entra["status"], "skipped");
}

#[tokio::test]
async fn test_connection_with_a_wrong_password_fails_with_exit_3() {
    let sim = snow::spawn(snow::Options::default()).await.unwrap();
    let ws = Workspace::new();
    ws.servicenow_profile(&sim.url, &sim.admin_user);
    let out = ws
        .run(
            &["test-connection"],
            &[("NOWSYNC_SERVICENOW_PASSWORD", "not-the-password")],
        )
        .await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert!(stdout.contains("FAIL"), "{stdout}");
    assert!(!stdout.contains("not-the-password"), "{stdout}");
}

#[tokio::test]
async fn test_connection_to_nothing_listening_is_instance_invalid() {
    // Bind then drop, so the port is very likely closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let ws = Workspace::new();
    ws.servicenow_profile(&format!("http://127.0.0.1:{port}"), "admin");
    let out = ws
        .run(&["test-connection"], &[("NOWSYNC_SERVICENOW_PASSWORD", "pw")])
        .await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert!(stdout.contains("ServiceNowInstanceInvalid"), "{stdout}");
}

#[tokio::test]
async fn test_connection_without_a_config_file_exits_2() {
    let ws = Workspace::new();
    let out = ws.run(&["test-connection"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no configuration file"),
        "{}",
        text(&out.stderr)
    );
    assert!(out.stdout.is_empty());
}

#[tokio::test]
async fn a_bad_config_value_exits_2_naming_the_key() {
    let ws = Workspace::new();
    ws.write_config("[profiles.default.servicenow]\ninstance = \"dev_35214\"\nusername = \"admin\"\n");
    let out = ws.run(&["test-connection"], &[]).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("profiles.default.servicenow.instance"), "{stderr}");
    assert!(stderr.contains("underscore"), "{stderr}");
}

#[tokio::test]
async fn a_missing_password_without_a_terminal_exits_2_and_says_how_to_give_it() {
    let ws = Workspace::new();
    ws.servicenow_profile("http://127.0.0.1:9", "admin");
    let out = ws.run(&["test-connection"], &[]).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("NOWSYNC_SERVICENOW_PASSWORD"), "{stderr}");
}

#[tokio::test]
async fn the_password_appears_nowhere_in_output_or_data_dir() {
    let sim = snow::spawn(snow::Options::default()).await.unwrap();
    let ws = Workspace::new();
    ws.servicenow_profile(&sim.url, &sim.admin_user);
    let out = ws
        .run(
            &["test-connection", "--json"],
            &[
                ("NOWSYNC_SERVICENOW_PASSWORD", &sim.admin_password),
                ("NOWSYNC_LOG", "trace"),
            ],
        )
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let secret = sim.admin_password.as_bytes();
    let contains = |hay: &[u8]| hay.windows(secret.len()).any(|w| w == secret);
    assert!(!contains(&out.stdout) && !contains(&out.stderr));
    let files = files_under(&ws.data_dir());
    assert!(!files.is_empty(), "no log file written");
    for file in files {
        assert!(
            !contains(&std::fs::read(&file).unwrap()),
            "password found in {}",
            file.display()
        );
    }
}

async fn world() -> nowsync::sim::world::World {
    nowsync::sim::world::spawn(nowsync::sim::world::Options::default())
        .await
        .unwrap()
}

#[tokio::test]
async fn test_connection_checks_both_sides_of_a_simulated_world() {
    let world = world().await;
    let ws = Workspace::new();
    ws.world_profile(&world);
    let line = world.ready_line();
    let out = ws
        .run(
            &["test-connection", "--json"],
            &[
                (
                    "NOWSYNC_SERVICENOW_PASSWORD",
                    line["servicenow_password"].as_str().unwrap(),
                ),
                ("NOWSYNC_GRAPH_CLIENT_SECRET", line["client_secret"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let entra = report["sides"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["side"] == "entra")
        .unwrap();
    assert_eq!(entra["status"], "pass", "{entra}");
    let ids: Vec<&str> = entra["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "authority",
            "token",
            "service_principal",
            "read_users",
            "read_groups",
            "read_app_role_assignments"
        ]
    );
}

#[tokio::test]
async fn a_wrong_graph_secret_fails_the_entra_side_with_exit_3() {
    let world = world().await;
    let ws = Workspace::new();
    ws.world_profile(&world);
    let line = world.ready_line();
    let out = ws
        .run(
            &["test-connection"],
            &[
                (
                    "NOWSYNC_SERVICENOW_PASSWORD",
                    line["servicenow_password"].as_str().unwrap(),
                ),
                ("NOWSYNC_GRAPH_CLIENT_SECRET", "not-the-secret"),
            ],
        )
        .await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert!(stdout.contains("AADSTS"), "{stdout}");
    assert!(!stdout.contains("not-the-secret"), "{stdout}");
}

#[tokio::test]
async fn no_secret_of_either_side_appears_in_output_or_data_dir() {
    let world = world().await;
    let ws = Workspace::new();
    ws.world_profile(&world);
    let line = world.ready_line();
    let password = line["servicenow_password"].as_str().unwrap().to_owned();
    let secret = line["client_secret"].as_str().unwrap().to_owned();
    for args in [&["test-connection"][..], &["test-connection", "--json"][..]] {
        let out = ws
            .run(
                args,
                &[
                    ("NOWSYNC_SERVICENOW_PASSWORD", &password),
                    ("NOWSYNC_GRAPH_CLIENT_SECRET", &secret),
                    ("NOWSYNC_LOG", "trace"),
                ],
            )
            .await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        for value in [&password, &secret] {
            assert!(!text(&out.stdout).contains(value.as_str()) && !text(&out.stderr).contains(value.as_str()));
        }
    }
    let files = files_under(&ws.data_dir());
    assert!(!files.is_empty(), "no log file written");
    for file in files {
        let content = std::fs::read(&file).unwrap();
        for value in [&password, &secret] {
            let needle = value.as_bytes();
            assert!(
                !content.windows(needle.len()).any(|w| w == needle),
                "a secret was found in {}",
                file.display()
            );
        }
    }
}

/// Issue 17, defect 7: a 10 MB user name makes the request too large for the server (431);
/// test connection says so, not "not a ServiceNow instance".
#[tokio::test]
async fn a_ten_megabyte_user_name_is_reported_as_too_large() {
    let sim = snow::spawn(snow::Options::default()).await.unwrap();
    let ws = Workspace::new();
    ws.servicenow_profile(&sim.url, &"u".repeat(10 * 1024 * 1024));
    let out = ws
        .run(&["test-connection"], &[("NOWSYNC_SERVICENOW_PASSWORD", "x")])
        .await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert!(stdout.contains("too large"), "{}", &stdout[..stdout.len().min(2000)]);
    assert!(!stdout.contains("does not answer as a ServiceNow instance"), "{stdout}");
    assert!(
        stdout.len() < 20_000,
        "the 10 MB value was echoed: {} bytes",
        stdout.len()
    );
}

/// `links` has no `--follow` (acceptance N10): its help and the man page's `links` section
/// must not offer it; `logs` has it and says how JSON is printed then.
#[test]
fn links_help_offers_no_follow_and_logs_help_does() {
    let help = |args: &[&str]| {
        let out = std::process::Command::new(BIN).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let links = help(&["links", "--help"]);
    assert!(!links.contains("follow"), "{links}");
    let logs = help(&["logs", "--help"]);
    assert!(logs.contains("--follow") && logs.contains("JSON lines"), "{logs}");
}
