//! Troubleshooting text for a provisioning-log error code: what happened in plain words and
//! how to fix it, in Entra's vocabulary (specs/entra-provisioning.md, the ServiceNow tutorial).

/// Plain-words explanation and fix for `code`; `reason` is the record's own reason (already
/// sanitised), `recommended` the engine's recommended action when it gave one.
pub fn explain(code: &str, reason: &str, recommended: Option<&str>) -> Vec<String> {
    let mut out = match code {
        "InvalidLookupReference" => vec![
            "A reference field (department, location, company, manager) names a value that has no row in ServiceNow, so the user cannot be written.".to_owned(),
            format!("What is missing: {reason}"),
            "Fix: create the missing row in the referenced table (c does it here when the table is named below), or change the mapping (Mappings) so that the value maps to a row that exists. Then run a cycle again: the user is retried.".to_owned(),
        ],
        "EntryJoiningPropertyValueIsMissing" => vec![
            "The matching attribute used to find this user in ServiceNow has no value in Entra, so nowsync cannot tell whether the user already exists.".to_owned(),
            format!("Attribute: {reason}"),
            "Fix: fill that attribute on the user in Entra, or change the matching precedence (Mappings) so that an attribute every user has comes first.".to_owned(),
        ],
        "DuplicateTargetEntries" => vec![
            "More than one ServiceNow record matches this user, so nowsync will not guess which one to manage.".to_owned(),
            format!("Candidates: {reason}"),
            "Fix: keep one record (deactivate, merge or change the email / user_name of the others), or make the first matching attribute unique. Then run a cycle again.".to_owned(),
        ],
        "AttributeValueTooLong" => vec![
            "A value is longer than the ServiceNow column allows; ServiceNow would cut it.".to_owned(),
            format!("Detail: {reason}"),
            "Fix: shorten the value with an expression (Left, Mid) in Mappings, or widen the column in ServiceNow (sys_dictionary max_length).".to_owned(),
        ],
        "ServiceNowInstanceInvalid" => vec![
            "The instance did not answer as a ServiceNow instance (wrong name, hibernating developer instance, or a proxy page).".to_owned(),
            format!("Detail: {reason}"),
            "Fix: check the instance name in the setup wizard (w), wake a developer instance, then test the connection.".to_owned(),
        ],
        "InsufficientRights" | "Forbidden" | "Authorization_RequestDenied" => vec![
            "The account or app lacks a permission this write needs.".to_owned(),
            format!("Detail: {reason}"),
            "Fix: give the ServiceNow account the admin role (or the user_admin role and table ACLs), or grant the Graph application permissions, then test the connection.".to_owned(),
        ],
        _ => vec![format!("{code}: {reason}")],
    };
    if let Some(action) = recommended.filter(|a| !a.is_empty()) {
        out.push(format!("Recommended: {action}"));
    }
    out
}

/// The missing row of an InvalidLookupReference reason, as (table, field, value), when the
/// reason names them: `… cmn_location has no row whose name is 'Remote'`.
pub fn missing_reference(reason: &str) -> Option<(String, String, String)> {
    let (before, after) = reason.split_once(" has no row whose ")?;
    let table = before.rsplit(' ').next()?.trim_start_matches(':').to_owned();
    let (field, value) = after.split_once(" is ")?;
    let value = value.trim().strip_prefix('\'')?.strip_suffix('\'')?.to_owned();
    let ok = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    (ok(&table) && ok(field)).then(|| (table, field.to_owned(), value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_missing_row_in_the_reason() {
        assert_eq!(
            missing_reference("location 'Remote': cmn_location has no row whose name is 'Remote'"),
            Some(("cmn_location".into(), "name".into(), "Remote".into()))
        );
        assert_eq!(missing_reference("something else"), None);
    }

    #[test]
    fn named_codes_say_what_to_do() {
        for code in [
            "InvalidLookupReference",
            "EntryJoiningPropertyValueIsMissing",
            "DuplicateTargetEntries",
        ] {
            let text = explain(code, "r", None).join("\n");
            assert!(text.contains("Fix:"), "{code}: {text}");
        }
        assert_eq!(
            explain("Other", "why", Some("do this")),
            ["Other: why", "Recommended: do this"]
        );
    }
}
