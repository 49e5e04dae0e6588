//! `nowsync mapping ...` as the real binary, and the default mappings on a generated tenant.

use nowsync::mapping::model::{self, AttributeMapping};
use nowsync::mapping::{Context, Flow, catalogue::source_attributes};
use reqwest::Method;

use crate::graph::{client, start};
use crate::support::{Workspace, text};

async fn eval(args: &[&str]) -> (Option<i32>, String, String) {
    let ws = Workspace::new();
    let mut all = vec!["mapping", "eval"];
    all.extend_from_slice(args);
    let out = ws.run(&all, &[]).await;
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

#[tokio::test]
async fn eval_prints_each_kind_of_value_as_design_says() {
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "--expr",
                r#"Join(".", [givenName], [surname])"#,
                "--attrs",
                r#"{"givenName":"Zoë","surname":"Ång"}"#,
            ],
            "Zoë.Ång\n",
        ),
        (&["--expr", r#""""#], "\n"),
        (&["--expr", "CBool(1=1)"], "True\n"),
        (
            &["--expr", r#"Split([a], ",")"#, "--attrs", r#"{"a":"x,y"}"#],
            "[\"x\",\"y\"]\n",
        ),
        (&["--expr", "IgnoreFlowIfNullOrEmpty([missing])"], "null\n"),
        (&["--expr", "[missing]"], "null\n"),
        (
            &["--expr", "Now()", "--now", "2020-03-16T07:00:00Z"],
            "3/16/2020 7:00:00 AM\n",
        ),
        (
            &[
                "--expr",
                r#"SelectUniqueValue([a], Join("", [a], "1"))"#,
                "--attrs",
                r#"{"a":"bob"}"#,
                "--taken",
                "bob",
            ],
            "bob1\n",
        ),
    ];
    for (args, want) in cases {
        let (code, stdout, stderr) = eval(args).await;
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        assert_eq!(&stdout, want, "{args:?}");
    }
}

#[tokio::test]
async fn eval_errors_go_to_stderr_with_a_caret_and_exit_2() {
    let (code, stdout, stderr) = eval(&["--expr", r#"Join(".", [givenName], "abc)"#]).await;
    assert_eq!(code, Some(2));
    assert!(stdout.is_empty());
    let lines: Vec<&str> = stderr.lines().collect();
    let caret_line = lines.iter().find(|l| l.trim() == "^").expect(&stderr);
    let expr_line = lines.iter().find(|l| l.contains("Join(")).expect(&stderr);
    // The caret stands under the opening quote of the unterminated string.
    let col = caret_line.find('^').unwrap();
    assert_eq!(&expr_line[col..col + 1], "\"", "{stderr}");
    let (code, _, stderr) = eval(&["--expr", "NoSuchFunction([a])"]).await;
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains('^'), "{stderr}");
    // Every candidate taken: Entra escrows the object (NoUniqueValue), reachable from eval.
    let (code, stdout, stderr) = eval(&[
        "--expr",
        r#"SelectUniqueValue([a], Join("", [a], "1"))"#,
        "--attrs",
        r#"{"a":"bob"}"#,
        "--taken",
        "bob",
        "--taken",
        "BOB1",
    ])
    .await;
    assert_eq!(code, Some(2), "{stdout}");
    assert!(stderr.contains("every candidate is empty or already used"), "{stderr}");
}

#[tokio::test]
async fn random_values_differ_between_evaluations() {
    let (_, a, _) = eval(&["--expr", "Guid()"]).await;
    let (_, b, _) = eval(&["--expr", "Guid()"]).await;
    assert_eq!(a.trim().len(), 36, "{a}");
    assert_ne!(a, b, "two evaluations gave the same Guid()");
}

#[tokio::test]
async fn check_warns_of_random_values_applied_on_update_and_still_passes() {
    let ws = Workspace::new();
    ws.write_config("[profiles.default.provisioning]\nmappings = \"mappings.toml\"\n");
    let file = format!(
        "{}\n[[user.attributes]]\ntarget = \"user_password\"\nexpression = 'Redact(RandomString(16,2,2,2,2))'\n",
        model::DEFAULT_MAPPINGS_TOML.split("\n[group]\n").next().unwrap()
    );
    std::fs::write(ws.dir.path().join("mappings.toml"), file).unwrap();
    let out = ws.run(&["mapping", "check"], &[]).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("warning: user.attributes[")
            && stderr.contains("(user_password): RandomString() gives a new value at every evaluation")
            && stderr.contains("apply = \"on_create\""),
        "{stderr}"
    );
}

#[tokio::test]
async fn check_reports_every_problem_of_a_profile_mapping_file() {
    let ws = Workspace::new();
    ws.write_config("[profiles.default.provisioning]\nmappings = \"mappings.toml\"\n");
    let good = ws.run(&["mapping", "check"], &[]).await;
    assert_eq!(good.status.code(), Some(2), "a missing file is an error");
    assert!(text(&good.stderr).contains("mappings.toml"), "{}", text(&good.stderr));
    let defaults = model::DEFAULT_MAPPINGS_TOML
        .replacen("source = \"givenName\"", "source = \"givnName\"", 1)
        .replacen("Item([businessPhones], 1)", "Item([businessPhones])", 1);
    std::fs::write(ws.dir.path().join("mappings.toml"), defaults).unwrap();
    let out = ws.run(&["mapping", "check"], &[]).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("2 problems"), "{stderr}");
    assert!(
        stderr.contains("givnName") && stderr.contains("Item takes 2 arguments"),
        "{stderr}"
    );
}

#[tokio::test]
async fn check_with_a_named_config_file_that_is_missing_is_an_error() {
    let ws = Workspace::new();
    let out = ws.run(&["mapping", "check"], &[]).await;
    // --config names a file that does not exist: that is an error, not the defaults.
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no configuration file"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn import_then_export_round_trips_an_entra_schema() {
    let ws = Workspace::new();
    ws.write_config("[profiles.default.provisioning]\nmappings = \"imported.toml\"\n");
    let schema = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/mapping/servicenow-schema.json"
    );
    let out = ws.run(&["mapping", "import", schema], &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let imported = std::fs::read_to_string(ws.dir.path().join("imported.toml")).unwrap();
    assert!(imported.contains("user_name"), "{imported}");
    let check = ws.run(&["mapping", "check"], &[]).await;
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stderr));
    let exported = ws.dir.path().join("exported.json");
    let out = ws.run(&["mapping", "export", exported.to_str().unwrap()], &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&exported).unwrap()).unwrap();
    let text = json.to_string();
    for needle in ["userPrincipalName", "user_name", "mail", "email"] {
        assert!(text.contains(needle), "{needle} missing from the export");
    }
}

/// The issue's last test: the built-in mappings evaluate on every generated user without an
/// error (missing references are the engine's to report, not the evaluator's).
#[tokio::test]
async fn default_mappings_evaluate_on_every_generated_user() {
    let sim = start(600, 20, |_| {}).await;
    let graph = client(&sim);
    let mappings = model::defaults().unwrap();
    let sources: Vec<&AttributeMapping> = mappings.user.attributes.iter().collect();
    let select = "id,userPrincipalName,mail,givenName,surname,jobTitle,department,officeLocation,businessPhones,\
                  mobilePhone,employeeId,city,state,postalCode,streetAddress,country,usageLocation,accountEnabled,\
                  displayName";
    let mut next = Some(format!("/users?$select={select}&$top=999"));
    let mut evaluated = 0;
    let now = chrono::Utc::now();
    while let Some(path) = next.take() {
        let page = graph.request(Method::GET, &path, None).await.unwrap().unwrap();
        for user in page["value"].as_array().unwrap() {
            let attrs = source_attributes(user, false, &[]);
            let ctx = Context::new(&attrs, now);
            for m in &sources {
                let out = m
                    .evaluate(&ctx)
                    .unwrap_or_else(|e| panic!("{} on {}: {e:?}", m.target, user["userPrincipalName"]));
                if m.target == "user_name" {
                    assert!(matches!(out.flow, Flow::Value(_)), "every user has a UPN");
                }
                // sys_user.country holds an ISO 3166 alpha-2 code, never Entra's free text.
                if m.target == "country"
                    && let Flow::Value(v) = &out.flow
                    && let Some(code) = v.text()
                {
                    assert!(
                        code.len() == 2 && code.chars().all(|c| c.is_ascii_uppercase()),
                        "{code}"
                    );
                }
            }
            evaluated += 1;
        }
        next = page["@odata.nextLink"]
            .as_str()
            .map(|link| link.split_once("/v1.0").map_or(link.to_owned(), |(_, p)| p.to_owned()));
    }
    assert_eq!(evaluated, 600);
}
