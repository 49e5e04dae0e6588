//! Multi-valued attributes: `Count`, `Item`, `RemoveDuplicates`, and the app-role functions
//! (`SingleAppRoleAssignment`, `AppRoleAssignmentsComplex`,
//! `AssertiveAppRoleAssignmentsComplex`), which read `[appRoleAssignments]` as the list of
//! the user's role values for this app.

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
        F::SingleAppRoleAssignment => v.texts().into_iter().next().map_or(Value::Null, Value::Str),
        F::AppRoleAssignmentsComplex | F::AssertiveAppRoleAssignmentsComplex => Value::multi(v.texts()),
        _ => Value::Null,
    })
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
            ("AppRoleAssignmentsComplex([appRoleAssignments])", r#"["Admin","User"]"#),
            (
                "AssertiveAppRoleAssignmentsComplex([appRoleAssignments])",
                r#"["Admin","User"]"#,
            ),
            ("AppRoleAssignmentsComplex([missing])", "null"),
            ("[proxyAddresses]", r#"["SMTP:a@x","smtp:b@x","SMTP:a@x"]"#),
            ("Count(Split(\"a,b,c\", \",\"))", "3"),
        ];
        for (expr, want) in cases {
            assert_eq!(run_values(expr, attrs.clone(), &[]).as_deref(), Ok(want), "{expr}");
        }
    }
}
