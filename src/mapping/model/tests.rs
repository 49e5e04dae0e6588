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
    assert!(text.contains("unknown attribute [mial]"));
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
