//! Multi-valued attributes: `Count`, `Item`, `RemoveDuplicates`, and the app-role functions
//! (`SingleAppRoleAssignment`, `AppRoleAssignmentsComplex`,
//! `AssertiveAppRoleAssignmentsComplex`).
//!
//! `[appRoleAssignments]` holds one element per app role assigned to the user for this app: the
//! JSON text `{"id": …, "value": …, "displayName": …}` of the role (the form Entra's own PATCH
//! example carries), or just the role's value (what `mapping eval --attrs` can give). What the
//! functions return is documented in Entra's "Customize application attributes", section
//! "Provisioning a role to a SCIM app" (MicrosoftDocs/entra-docs
//! `docs/identity/app-provisioning/customize-application-attributes.md`):
//! - `SingleAppRoleAssignment`: one role's value (`roles[primary eq "True"].value`);
//! - `AppRoleAssignmentsComplex` and `AssertiveAppRoleAssignmentsComplex`: every role, each
//!   `{"primary": false, "type": "WindowsAzureActiveDirectoryRole", "display": <display
//!   name>, "value": <value>}` ("All roles are provisioned as primary = false"), as the JSON
//!   array that the `roles` attribute of the documented request holds. The two differ only in
//!   how Entra patches a SCIM app (Add vs Replace); a ServiceNow field is always replaced.
//!
//! A role without a value (the "Default Access" role of an app that defines none) provisions
//! nothing, as it adds nothing to a token's `roles` claim (Graph appRoleAssignment resource).

use serde_json::{Value as J, json};

use super::logic::int_arg;
use crate::mapping::ast::{Expr, Span};
use crate::mapping::eval::{Evaluator, R};
use crate::mapping::func::Function;
use crate::mapping::value::Value;

pub fn call(ev: &mut Evaluator, f: Function, args: &[Option<Expr>], span: Span) -> R<Value> {
    use Function as F;
    let v = ev.arg(args, 0)?;
    Ok(match f {
        F::Count => Value::Number(v.texts().len() as i64),
        F::Item => {
            // 1-based; Entra: "Index 0 shouldn't be used" (it gives nothing here).
            let index = int_arg(ev, args, 1, f, span)?.unwrap_or(0);
            let values = v.texts();
            index
                .checked_sub(1)
                .and_then(|i| usize::try_from(i).ok())
                .and_then(|i| values.get(i).cloned())
                .map_or(Value::Null, Value::Str)
        }
        F::RemoveDuplicates => match v {
            Value::Multi(values) => {
                let mut out: Vec<String> = Vec::with_capacity(values.len());
                for s in values {
                    if !out.contains(&s) {
                        out.push(s);
                    }
                }
                Value::Multi(out)
            }
            other => other,
        },
        // Entra: unpredictable with several roles; this takes the first.
        F::SingleAppRoleAssignment => roles(&v)
            .into_iter()
            .next()
            .map_or(Value::Null, |r| Value::Str(r.value)),
        F::AppRoleAssignmentsComplex | F::AssertiveAppRoleAssignmentsComplex => complex(&v),
        _ => Value::Null,
    })
}

/// One assigned app role.
struct Role {
    value: String,
    display: String,
}

/// The roles of an `[appRoleAssignments]` value that have a value, in order.
fn roles(v: &Value) -> Vec<Role> {
    v.texts()
        .into_iter()
        .map(|text| match serde_json::from_str::<J>(&text) {
            Ok(J::Object(o)) => {
                let field = |k: &str| o.get(k).and_then(J::as_str).unwrap_or_default().to_owned();
                let value = field("value");
                let display = Some(field("displayName"))
                    .filter(|d| !d.is_empty())
                    .unwrap_or_else(|| value.clone());
                Role { value, display }
            }
            // A bare role value.
            _ => Role {
                display: text.clone(),
                value: text,
            },
        })
        .filter(|r| !r.value.is_empty())
        .collect()
}

/// The documented `roles` value: every role, not primary, as a JSON array.
fn complex(v: &Value) -> Value {
    let roles: Vec<J> = roles(v)
        .into_iter()
        .map(|r| json!({"primary": false, "type": "WindowsAzureActiveDirectoryRole", "display": r.display, "value": r.value}))
        .collect();
    if roles.is_empty() {
        Value::Null
    } else {
        Value::Str(J::Array(roles).to_string())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::testutil::run_values;
    use crate::mapping::value::Value;

    #[test]
    fn multi_valued_functions() {
        let multi = |v: &[&str]| Value::Multi(v.iter().map(|s| s.to_string()).collect());
        let attrs: BTreeMap<String, Value> = [
            (
                "proxyAddresses".to_string(),
                multi(&["SMTP:a@x", "smtp:b@x", "SMTP:a@x"]),
            ),
            ("businessPhones".to_string(), multi(&["425-555-0100"])),
            ("appRoleAssignments".to_string(), multi(&["Admin", "User"])),
            ("mail".to_string(), Value::Str("a@x".into())),
        ]
        .into_iter()
        .collect();
        let cases = [
            ("Count([proxyAddresses])", "3"),
            ("Count([mail])", "1"),
            ("Count([missing])", "0"),
            ("Item([proxyAddresses], 1)", "SMTP:a@x"),
            ("Item([proxyAddresses], 3)", "SMTP:a@x"),
            ("Item([proxyAddresses], 4)", "null"),
            ("Item([proxyAddresses], 0)", "null"),
            ("Item([businessPhones], 1)", "425-555-0100"),
            ("Item([missing], 1)", "null"),
            ("RemoveDuplicates([proxyAddresses])", r#"["SMTP:a@x","smtp:b@x"]"#),
            (
                "Join(\";\", [proxyAddresses], [mail])",
                "SMTP:a@x;smtp:b@x;SMTP:a@x;a@x",
            ),
            ("ToLower([proxyAddresses])", r#"["smtp:a@x","smtp:b@x","smtp:a@x"]"#),
            ("SingleAppRoleAssignment([appRoleAssignments])", "Admin"),
            (
                "AppRoleAssignmentsComplex([appRoleAssignments])",
                r#"[{"display":"Admin","primary":false,"type":"WindowsAzureActiveDirectoryRole","value":"Admin"},{"display":"User","primary":false,"type":"WindowsAzureActiveDirectoryRole","value":"User"}]"#,
            ),
            ("AppRoleAssignmentsComplex([missing])", "null"),
            ("[proxyAddresses]", r#"["SMTP:a@x","smtp:b@x","SMTP:a@x"]"#),
            ("Count(Split(\"a,b,c\", \",\"))", "3"),
        ];
        for (expr, want) in cases {
            assert_eq!(run_values(expr, attrs.clone(), &[]).as_deref(), Ok(want), "{expr}");
        }
    }

    #[test]
    fn app_roles_as_the_engine_gives_them_take_the_documented_shape() {
        let role = |id: &str, value: &str, name: &str| {
            serde_json::json!({"id": id, "value": value, "displayName": name}).to_string()
        };
        let attrs: BTreeMap<String, Value> = [(
            "appRoleAssignments".to_string(),
            Value::Multi(vec![
                role("00000000-0000-0000-0000-000000000000", "", "Default Access"),
                role("a1", "itil", "ITIL User"),
                role("a2", "approver_user", "Approver"),
            ]),
        )]
        .into_iter()
        .collect();
        let doc = |expr: &str| -> serde_json::Value {
            serde_json::from_str(&run_values(expr, attrs.clone(), &[]).unwrap()).unwrap()
        };
        let want = serde_json::json!([
            {"primary": false, "type": "WindowsAzureActiveDirectoryRole", "display": "ITIL User", "value": "itil"},
            {"primary": false, "type": "WindowsAzureActiveDirectoryRole", "display": "Approver", "value": "approver_user"},
        ]);
        assert_eq!(doc("AppRoleAssignmentsComplex([appRoleAssignments])"), want);
        assert_eq!(doc("AssertiveAppRoleAssignmentsComplex([appRoleAssignments])"), want);
        assert_eq!(
            run_values("SingleAppRoleAssignment([appRoleAssignments])", attrs.clone(), &[]).as_deref(),
            Ok("itil")
        );
        let only_default: BTreeMap<String, Value> = [(
            "appRoleAssignments".to_string(),
            Value::Multi(vec![role("00000000-0000-0000-0000-000000000000", "", "Default Access")]),
        )]
        .into_iter()
        .collect();
        for f in ["SingleAppRoleAssignment", "AppRoleAssignmentsComplex"] {
            let expr = format!("{f}([appRoleAssignments])");
            assert_eq!(
                run_values(&expr, only_default.clone(), &[]).as_deref(),
                Ok("null"),
                "{expr}"
            );
        }
    }
}
