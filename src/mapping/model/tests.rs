use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};

use super::*;
use crate::mapping::eval::Context;

fn user(pairs: &[(&str, Value)]) -> BTreeMap<String, Value> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn s(v: &str) -> Value {
    Value::Str(v.into())
}

#[test]
fn defaults_load_with_the_documented_shape() {
    let m = defaults().unwrap_or_else(|e| panic!("{e}"));
    assert!(!m.skip_out_of_scope_deletions);
    assert_eq!(m.user.target_table, "sys_user");
    assert_eq!(m.group.target_table, "sys_user_group");
    assert_eq!(m.group.members_table.as_deref(), Some("sys_user_grmember"));
    let matching: Vec<&str> = m.user.matching().iter().map(|a| a.target.as_str()).collect();
    assert_eq!(matching, ["user_name", "email"]);
    let gm: Vec<&str> = m.group.matching().iter().map(|a| a.target.as_str()).collect();
    assert_eq!(gm, ["name"]);
    let dept = m.user.attribute("department").unwrap();
    assert_eq!(
        dept.target_type,
        TargetType::Reference(Reference::Lookup {
            table: "cmn_department".into(),
            field: "name".into()
        })
    );
    let mgr = m.user.attribute("manager").unwrap();
    assert_eq!(
        mgr.target_type,
        TargetType::Reference(Reference::Provisioned {
            table: "sys_user".into()
        })
    );
    let targets: Vec<&str> = m.user.attributes.iter().map(|a| a.target.as_str()).collect();
    assert_eq!(
        targets,
        [
            "user_name",
            "email",
            "first_name",
            "last_name",
            "title",
            "department",
            "location",
            "phone",
            "mobile_phone",
            "employee_number",
            "manager",
            "city",
            "state",
            "zip",
            "street",
            "country",
            "active"
        ]
    );
}

#[test]
fn defaults_evaluate_on_a_user() {
    let m = defaults().unwrap();
    let attrs = user(&[
        ("userPrincipalName", s("adele@contoso.com")),
        ("mail", s("Adele.Vance@contoso.com")),
        ("givenName", s("Adele")),
        ("surname", s("Vance")),
        (
            "businessPhones",
            Value::Multi(vec!["+1 425 555 0109".into(), "x".into()]),
        ),
        ("IsSoftDeleted", s("False")),
        ("manager", s("0b1c2d3e-0000-0000-0000-000000000001")),
    ]);
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let ctx = Context::new(&attrs, now);
    let mut got = BTreeMap::new();
    for a in &m.user.attributes {
        let out = a.evaluate(&ctx).unwrap_or_else(|e| panic!("{}: {e}", a.target));
        if let Flow::Value(v) = out.flow {
            got.insert(a.target.as_str(), v.render());
        }
    }
    assert_eq!(got["user_name"], "adele@contoso.com");
    assert_eq!(got["phone"], "+1 425 555 0109");
    assert_eq!(got["active"], "1");
    assert_eq!(got["title"], "null");
    assert_eq!(got["manager"], "0b1c2d3e-0000-0000-0000-000000000001");
    let soft = user(&[("IsSoftDeleted", Value::Bool(true))]);
    let out = m
        .user
        .attribute("active")
        .unwrap()
        .evaluate(&Context::new(&soft, now))
        .unwrap();
    assert_eq!(out.flow, Flow::Value(s("0")));
}

#[test]
fn every_problem_is_reported_with_its_path() {
    let text = r#"
[user]
[[user.attributes]]
target = "user_name"
expression = 'Appendx([userPrincipalName], "x")'
matching = 1
[[user.attributes]]
target = "email"
source = "mial"
matching = 1
[[user.attributes]]
target = "user_name"
constant = "x"
source = "mail"
[[user.attributes]]
target = "location"
source = "officeLocation"
type = "reference"
[[user.attributes]]
target = "title"
expression = 'SelectUniqueValue([mail], [givenName])'
matching = 3
apply = "sometimes"
"#;
    let e = load_str(text).unwrap_err();
    let paths: Vec<&str> = e.problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "user.attributes[0] (user_name)",
            "user.attributes[1] (email)",
            "user.attributes[1] (email)",
            "user.attributes[2] (user_name)",
            "user.attributes[2] (user_name)",
            "user.attributes[3] (location)",
            "user.attributes[4] (title)",
            "user.attributes[4] (title)",
        ],
        "{e}"
    );
    let text = e.to_string();
    assert!(
        text.starts_with("8 problems in the mappings:\nuser.attributes[0] (user_name): unknown function 'Appendx'")
    );
    assert!(
        text.contains("\n      Appendx([userPrincipalName], \"x\")\n      ^"),
        "{text}"
    );
    assert!(text.contains("unknown attribute [mial]: it is not in the source attribute catalogue; did you mean mail?"));
    assert!(text.contains("matching precedence 1 is also given to \"user_name\""));
    assert!(text.contains("SelectUniqueValue cannot be used on a matching attribute"));
    assert!(text.contains("apply = \"sometimes\""));
}

#[test]
fn a_file_without_groups_keeps_the_default_group_mapping() {
    let text = "[user]\n[[user.attributes]]\ntarget = \"user_name\"\nsource = \"[userPrincipalName]\"\nmatching = 1\n";
    let m = load_str(text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(m.user.attributes.len(), 1);
    assert_eq!(m.group.matching()[0].target, "name");
    let e = load_str("[user]\nbogus = 1\n").unwrap_err();
    assert!(e.to_string().contains("unknown field `bogus`"), "{e}");
}

const SCHEMA: &str = include_str!("../../../tests/fixtures/mapping/servicenow-schema.json");

#[test]
fn schema_import_understands_an_exported_servicenow_schema() {
    let imported = import_schema(SCHEMA).unwrap_or_else(|e| panic!("{e}"));
    let user = imported.file.user.as_ref().unwrap();
    // targetObjectName "User" is not a table: the default table stays.
    assert_eq!(user.target_table.as_deref(), Some("sys_user"));
    let actions = user.actions.clone().unwrap();
    assert_eq!(
        (actions.create, actions.update, actions.delete),
        (Some(true), Some(true), Some(false))
    );
    let by = |t: &str| user.attributes.iter().find(|a| a.target == t).unwrap();
    assert_eq!(by("user_name").matching, Some(1));
    assert_eq!(by("email").matching, Some(2));
    assert_eq!(
        by("active").expression.as_deref(),
        Some(r#"Switch([IsSoftDeleted], , "False", "1", "True", "0")"#)
    );
    assert_eq!(by("source").constant.as_deref(), Some("Entra ID"));
    assert!(by("time_zone").none);
    assert_eq!(by("time_zone").default.as_deref(), Some("America/Los_Angeles"));
    assert_eq!(by("employee_number").apply.as_deref(), Some("on_create"));
    assert_eq!(
        by("department").reference.as_ref().map(|r| r.table.as_str()),
        Some("cmn_department")
    );
    assert_eq!(user.scoping_filters.len(), 2);
    assert_eq!(user.scoping_filters[0].clauses[1].value, ".*@contoso\\.com");
    let group = imported.file.group.as_ref().unwrap();
    assert_eq!(group.members_table.as_deref(), Some("sys_user_grmember"));
    assert!(group.attributes.iter().all(|a| a.target != "members"));
    let dropped = imported.dropped.join("\n");
    for expected in [
        "directories: attribute definitions",
        "objectMappings[0].metadata",
        "(title): flowBehavior FlowAlways",
        "(u_notes): flowType AttributeAddOnly",
        "objectMappings[0].scope.inputFilterGroups",
        "scope.groups[1].clauses[0]: values after the first",
        "objectMappings[2]: source object Some(\"Contact\")",
    ] {
        assert!(dropped.contains(expected), "{expected} not in:\n{dropped}");
    }
    assert_eq!(imported.dropped.len(), 7, "{dropped}");
    // The imported file is a valid mapping file, in TOML too.
    let text = to_toml(&imported.file).unwrap();
    let set = load_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(set.user.attributes.len(), 15);
    assert!(!set.user.actions.delete);
}

#[test]
fn schema_round_trip_keeps_what_we_understand() {
    let imported = import_schema(SCHEMA).unwrap();
    let exported = export_schema(&imported.file);
    let again = import_schema(&exported.schema.to_string()).unwrap();
    assert_eq!(again.file, imported.file);
    assert!(again.dropped.is_empty(), "{:?}", again.dropped);
    let rule = &exported.schema["synchronizationRules"][0];
    let user = &rule["objectMappings"][0];
    assert_eq!(user["flowTypes"], "Add, Update");
    assert_eq!(user["attributeMappings"][0]["matchingPriority"], 1);
    assert_eq!(user["attributeMappings"][14]["source"]["name"], "Switch");
    assert_eq!(
        user["scope"]["groups"][0]["clauses"][0]["targetOperand"]["values"][0],
        "Sales"
    );
    assert_eq!(
        rule["objectMappings"][1]["attributeMappings"][3]["targetAttributeName"],
        "members"
    );
    // Reference targets live in the schema's directories, which export does not write.
    assert!(
        exported
            .dropped
            .iter()
            .any(|d| d.starts_with("user department: reference target"))
    );
    // The defaults round-trip too.
    let defaults: raw::RawMappingFile = toml::from_str(DEFAULT_MAPPINGS_TOML).unwrap();
    let back = import_schema(&export_schema(&defaults).schema.to_string()).unwrap();
    assert_eq!(back.file, defaults);
}

#[test]
fn clear_when_null_is_off_by_default_kept_by_to_toml_and_checked() {
    assert!(defaults().unwrap().user.attributes.iter().all(|a| !a.clear_when_null));
    let text = DEFAULT_MAPPINGS_TOML.replace(
        "target = \"title\"\nsource = \"jobTitle\"\n",
        "target = \"title\"\nsource = \"jobTitle\"\nclear_when_null = true\n",
    );
    let set = load_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let title = set.user.attributes.iter().find(|a| a.target == "title").unwrap();
    assert!(title.clear_when_null);
    let file: raw::RawMappingFile = toml::from_str(&text).unwrap();
    let again = to_toml(&file).unwrap();
    assert!(again.contains("clear_when_null = true"), "{again}");
    assert!(
        load_str(&again)
            .unwrap()
            .user
            .attributes
            .iter()
            .any(|a| a.clear_when_null)
    );
    // A constant is never null; a matching attribute is never cleared.
    let bad = DEFAULT_MAPPINGS_TOML.replace(
        "target = \"title\"\nsource = \"jobTitle\"\n",
        "target = \"title\"\nconstant = \"x\"\nclear_when_null = true\n",
    );
    let e = load_str(&bad).unwrap_err().to_string();
    assert!(e.contains("clear_when_null needs a `source` or an `expression`"), "{e}");
}
