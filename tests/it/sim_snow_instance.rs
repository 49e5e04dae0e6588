//! What a ServiceNow instance holds besides users and groups, over HTTP: its identity
//! (`sys_properties`), the out-of-box admin row, tables that extend `sys_user`, Multi-Provider
//! SSO identity providers, and the planted collisions of `world`.

use nowsync::sim::snow::{self, Collision, Options, Running, Sso};
use nowsync::sim::{graph, world};
use serde_json::{Value, json};

use crate::sim_snow::{admin, start};

async fn get(r: &Running, c: &reqwest::Client, path: &str) -> (u16, Value) {
    let resp = admin(r, c.get(format!("{}{path}", r.url))).send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null))
}

fn result(v: &Value) -> &Vec<Value> {
    v["result"].as_array().unwrap()
}

#[tokio::test]
async fn instance_id_is_a_system_property_only_admins_read() {
    let (r, c) = start(Options {
        instance_id: Some("0123456789abcdef0123456789abcdef".into()),
        instance_name: "dev35214".into(),
        ..Options::default()
    })
    .await;
    assert_eq!(r.sim.instance_id(), "0123456789abcdef0123456789abcdef");
    let (status, body) = get(
        &r,
        &c,
        "/api/now/table/sys_properties?sysparm_query=nameINinstance_id,instance_name&sysparm_fields=name,value",
    )
    .await;
    assert_eq!(status, 200);
    let mut got: Vec<(String, String)> = result(&body)
        .iter()
        .map(|p| (p["name"].as_str().unwrap().into(), p["value"].as_str().unwrap().into()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("instance_id".into(), "0123456789abcdef0123456789abcdef".into()),
            ("instance_name".into(), "dev35214".into())
        ]
    );
    let reader = c
        .get(format!(
            "{}/api/now/table/sys_properties?sysparm_query=name=instance_id",
            r.url
        ))
        .basic_auth(snow::READER_USER, Some(snow::READER_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(reader.status(), 200);
    assert_eq!(
        reader.json::<Value>().await.unwrap(),
        json!({"result": []}),
        "silent ACL"
    );
    // Two instances never share an id.
    let other = snow::Sim::new(Options::default());
    assert_ne!(other.instance_id(), snow::Sim::new(Options::default()).instance_id());
}

#[tokio::test]
async fn the_admin_row_is_the_out_of_box_one() {
    let (r, c) = start(Options::default()).await;
    let (_, body) = get(&r, &c, "/api/now/table/sys_user?sysparm_query=user_name=admin&sysparm_fields=sys_id,first_name,last_name,name,email,roles,active,locked_out,sys_class_name").await;
    assert_eq!(
        result(&body)[0],
        json!({"sys_id": snow::ADMIN_SYS_ID, "first_name": "System", "last_name": "Administrator",
               "name": "System Administrator", "email": "admin@example.com", "roles": "admin",
               "active": "true", "locked_out": "false", "sys_class_name": "sys_user"})
    );
}

#[tokio::test]
async fn rows_of_extending_tables_come_back_from_sys_user_reads() {
    let (r, c) = start(Options {
        snow_users: 3,
        ..Options::default()
    })
    .await;
    for (table, user_name) in [
        ("customer_contact", "contact.ann"),
        ("csm_consumer_user", "consumer.bo"),
    ] {
        let resp = admin(&r, c.post(format!("{}/api/now/table/{table}", r.url)))
            .json(&json!({"user_name": user_name, "email": format!("{user_name}@contoso.com")}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 201, "{table}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["result"]["sys_class_name"], table);
    }
    let (_, body) = get(
        &r,
        &c,
        "/api/now/table/sys_user?sysparm_fields=user_name,sys_class_name",
    )
    .await;
    let classes: Vec<&str> = result(&body)
        .iter()
        .map(|u| u["sys_class_name"].as_str().unwrap())
        .collect();
    assert_eq!(classes.len(), 7);
    assert_eq!(classes.iter().filter(|c| **c == "customer_contact").count(), 1);
    assert_eq!(classes.iter().filter(|c| **c == "csm_consumer_user").count(), 1);
    let (_, body) = get(&r, &c, "/api/now/table/customer_contact?sysparm_fields=user_name").await;
    assert_eq!(result(&body), &vec![json!({"user_name": "contact.ann"})]);
    // user_name is unique across the hierarchy.
    let clash = admin(&r, c.post(format!("{}/api/now/table/sys_user", r.url)))
        .json(&json!({"user_name": "CONTACT.ANN"}))
        .send()
        .await
        .unwrap();
    assert_eq!(clash.status(), 403);
    // A sys_user row is not a contact.
    let (_, admin_row) = get(&r, &c, "/api/now/table/sys_user?sysparm_query=user_name=admin").await;
    let id = result(&admin_row)[0]["sys_id"].as_str().unwrap().to_owned();
    let (status, _) = get(&r, &c, &format!("/api/now/table/customer_contact/{id}")).await;
    assert_eq!(status, 404);
    let (_, body) = get(&r, &c, "/api/now/table/sys_db_object?sysparm_query=nameINcustomer_contact,csm_consumer_user&sysparm_fields=name,super_class.name").await;
    assert_eq!(result(&body).len(), 2);
    assert!(
        result(&body).iter().all(|t| t["super_class.name"] == "sys_user"),
        "{body}"
    );
}

#[tokio::test]
async fn multi_provider_sso_identity_providers_by_setup() {
    let idps = |sso| async move {
        let (r, c) = start(Options {
            sso,
            ..Options::default()
        })
        .await;
        get(
            &r,
            &c,
            "/api/now/table/sso_properties?sysparm_query=active=true&sysparm_fields=name,user_field,default",
        )
        .await
    };
    let (status, body) = idps(Sso::Absent).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["message"], "Invalid table sso_properties");
    let (status, body) = idps(Sso::Empty).await;
    assert_eq!((status, body), (200, json!({"result": []})));
    let (_, body) = idps(Sso::Matching).await;
    assert_eq!(
        body,
        json!({"result": [{"name": "Microsoft Entra ID", "user_field": "user_name", "default": "true"}]})
    );
    let (_, body) = idps(Sso::Mismatched).await;
    assert_eq!(result(&body)[0]["user_field"], "email");

    let (r, c) = start(Options {
        sso: Sso::Matching,
        ..Options::default()
    })
    .await;
    let (_, body) = get(
        &r,
        &c,
        "/api/now/table/saml2_update1_properties?sysparm_fields=name,active,nameid_policy,idp,sys_class_name",
    )
    .await;
    assert_eq!(result(&body).len(), 2);
    let entra = result(&body)
        .iter()
        .find(|i| i["name"] == "Microsoft Entra ID")
        .unwrap();
    assert_eq!(
        entra["nameid_policy"],
        "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
    );
    assert!(entra["idp"].as_str().unwrap().starts_with("https://sts.windows.net/"));
    // The parent table shows its own fields only.
    let (_, body) = get(
        &r,
        &c,
        "/api/now/table/sso_properties?sysparm_query=name=Microsoft Entra ID",
    )
    .await;
    assert!(result(&body)[0].get("nameid_policy").is_none(), "{body}");
    assert_eq!(result(&body)[0]["sys_class_name"], "saml2_update1_properties");
    let (_, body) = get(
        &r,
        &c,
        "/api/now/table/sys_properties?sysparm_query=name=glide.authenticate.multisso.enabled&sysparm_fields=value",
    )
    .await;
    assert_eq!(result(&body)[0]["value"], "true");
}

async fn world_with(snow: Options) -> world::World {
    world::spawn(world::Options {
        snow: Options { snow_users: 20, ..snow },
        graph: graph::Options {
            users: 200,
            groups: 20,
            seed: 11,
            ..graph::Options::default()
        },
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn world_plants_a_tenant_user_with_the_integration_accounts_email_or_user_name() {
    let c = reqwest::Client::new();
    let w = world_with(Options {
        integration_collision: Some(Collision::Email),
        ..Options::default()
    })
    .await;
    let id = w.graph.sim.tenant().planted.integration_account.clone();
    let user = w.graph.sim.tenant().user(&id).unwrap().clone();
    assert_eq!(user.mail.as_deref(), Some("admin@example.com"));
    assert!(w.graph.sim.tenant().in_scope_user_ids().contains(id.as_str()));
    let (_, body) = get(
        &w.snow,
        &c,
        "/api/now/table/sys_user?sysparm_query=email=admin@example.com&sysparm_fields=user_name",
    )
    .await;
    assert_eq!(result(&body), &vec![json!({"user_name": "admin"})]);

    let w = world_with(Options {
        integration_collision: Some(Collision::UserName),
        ..Options::default()
    })
    .await;
    let id = w.graph.sim.tenant().planted.integration_account.clone();
    let upn = w.graph.sim.tenant().user(&id).unwrap().user_principal_name.clone();
    assert_eq!(w.snow.admin_user, upn);
    assert_eq!(w.ready_line()["servicenow_user"], upn.as_str());
    let (status, body) = get(
        &w.snow,
        &c,
        &format!("/api/now/table/sys_user?sysparm_query=user_name={upn}&sysparm_fields=roles"),
    )
    .await;
    assert_eq!((status, result(&body)[0]["roles"].as_str()), (200, Some("admin")));
}

#[tokio::test]
async fn world_plants_extending_rows_with_tenant_users_emails() {
    let c = reqwest::Client::new();
    let w = world_with(Options {
        extended_users: 4,
        ..Options::default()
    })
    .await;
    let planted = w.graph.sim.tenant().planted.extended_users.clone();
    assert_eq!(planted.len(), 4);
    for (id, class) in planted {
        let mail = w.graph.sim.tenant().user(&id).unwrap().mail.clone().unwrap();
        let path =
            format!("/api/now/table/sys_user?sysparm_query=email={mail}&sysparm_fields=sys_class_name,user_name");
        let (_, body) = get(&w.snow, &c, &path).await;
        assert_eq!(result(&body).len(), 1, "{mail}: {body}");
        assert_eq!(result(&body)[0]["sys_class_name"], class.as_str());
    }
}

#[tokio::test]
async fn nowsync_sim_serves_servicenow_over_https_with_a_ca_it_writes() {
    use std::io::BufRead;
    let ws = crate::support::Workspace::new();
    let ca = ws.dir.path().join("ca.pem");
    let mut child = std::process::Command::new(crate::support::BIN)
        .arg("--data-dir")
        .arg(ws.data_dir())
        .args([
            "sim",
            "--snow-users",
            "5",
            "--sso",
            "mismatched",
            "--mariadb",
            "--tls-ca",
        ])
        .arg(&ca)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
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
    let ready: Value = serde_json::from_str(&line).unwrap();
    let url = ready["servicenow_url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    assert_eq!(ready["servicenow_ca_file"], ca.display().to_string());
    let root = reqwest::Certificate::from_pem(&std::fs::read(&ca).unwrap()).unwrap();
    let trusting = reqwest::Client::builder().add_root_certificate(root).build().unwrap();
    let resp = trusting
        .get(format!("{url}/api/now/table/sys_user?sysparm_limit=1"))
        .basic_auth("admin", ready["servicenow_password"].as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let idps: Value = trusting
        .get(format!(
            "{url}/api/now/table/sso_properties?sysparm_query=active=true&sysparm_fields=user_field"
        ))
        .basic_auth("admin", ready["servicenow_password"].as_str())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(idps, json!({"result": [{"user_field": "email"}]}), "--sso mismatched");
    let stored: Value = trusting
        .post(format!("{url}/api/now/table/sys_user"))
        .basic_auth("admin", ready["servicenow_password"].as_str())
        .json(&json!({"user_name": "emoji.cli", "first_name": "Bo 😀"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stored["result"]["first_name"], "Bo ?", "--mariadb");
    let untrusting = reqwest::Client::new()
        .get(format!("{url}/api/now/table/sys_user"))
        .send()
        .await;
    assert!(untrusting.is_err(), "an unknown issuer is refused");
    child.kill().unwrap();
    let _ = child.wait();
}
