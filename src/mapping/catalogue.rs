//! The source attribute catalogue: what a mapping in a profile may reference. The Graph user
//! and group properties (spec graph.md §3.3 and §4) plus Entra's computed attributes
//! (`IsSoftDeleted`, `manager`, `appRoleAssignments`, `originalUserPrincipalName`,
//! `objectId`, `extensionAttribute1..15`).
//!
//! Also B2B guest UPNs: Entra reads `alias_domain#EXT#@tenant` as `alias@domain` when
//! `userPrincipalName` is a source attribute (spec §2.3); `originalUserPrincipalName` keeps
//! the raw value.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::compile::Catalogue;
use super::value::Value;

const USER: &[&str] = &[
    "id",
    "objectId",
    "userPrincipalName",
    "originalUserPrincipalName",
    "mail",
    "displayName",
    "givenName",
    "surname",
    "jobTitle",
    "officeLocation",
    "mobilePhone",
    "businessPhones",
    "telephoneNumber",
    "preferredLanguage",
    "department",
    "companyName",
    "employeeId",
    "employeeType",
    "employeeHireDate",
    "employeeLeaveDateTime",
    "employeeOrgData.division",
    "employeeOrgData.costCenter",
    "streetAddress",
    "city",
    "state",
    "postalCode",
    "country",
    "usageLocation",
    "accountEnabled",
    "userType",
    "mailNickname",
    "otherMails",
    "proxyAddresses",
    "faxNumber",
    "createdDateTime",
    "deletedDateTime",
    "creationType",
    "externalUserState",
    "identities",
    "onPremisesSamAccountName",
    "onPremisesUserPrincipalName",
    "onPremisesDistinguishedName",
    "onPremisesDomainName",
    "onPremisesImmutableId",
    "onPremisesSecurityIdentifier",
    "onPremisesSyncEnabled",
    "onPremisesLastSyncDateTime",
    "signInActivity",
    "manager",
    "IsSoftDeleted",
    "appRoleAssignments",
];

const GROUP: &[&str] = &[
    "id",
    "objectId",
    "deletedDateTime",
    "classification",
    "createdDateTime",
    "description",
    "displayName",
    "expirationDateTime",
    "groupTypes",
    "isAssignableToRole",
    "mail",
    "mailEnabled",
    "mailNickname",
    "membershipRule",
    "membershipRuleProcessingState",
    "onPremisesLastSyncDateTime",
    "onPremisesSecurityIdentifier",
    "onPremisesSyncEnabled",
    "onPremisesSamAccountName",
    "preferredDataLocation",
    "preferredLanguage",
    "proxyAddresses",
    "renewedDateTime",
    "resourceBehaviorOptions",
    "resourceProvisioningOptions",
    "securityEnabled",
    "theme",
    "visibility",
    "members",
    "IsSoftDeleted",
    "appRoleAssignments",
];

fn extension_attributes() -> Vec<String> {
    (1..=15)
        .flat_map(|i| {
            [
                format!("extensionAttribute{i}"),
                format!("onPremisesExtensionAttributes.extensionAttribute{i}"),
            ]
        })
        .collect()
}

/// Attributes a user mapping may read.
pub fn user_catalogue() -> Catalogue {
    let ext = extension_attributes();
    Catalogue::of(USER.iter().copied().chain(ext.iter().map(String::as_str))).with_prefix("extension_")
}

/// Attributes a group mapping may read.
pub fn group_catalogue() -> Catalogue {
    Catalogue::of(GROUP.iter().copied()).with_prefix("extension_")
}

/// The `userPrincipalName` Entra shows to mappings: a B2B guest's `alias_domain#EXT#@tenant`
/// becomes `alias@domain`, splitting at the last underscore before `#EXT#`.
pub fn effective_upn(raw: &str) -> Cow<'_, str> {
    let Some(ext) = raw.find("#EXT#") else {
        return Cow::Borrowed(raw);
    };
    let local = &raw[..ext];
    match local.rfind('_') {
        Some(us) if us > 0 && us + 1 < local.len() => Cow::Owned(format!("{}@{}", &local[..us], &local[us + 1..])),
        _ => Cow::Borrowed(raw),
    }
}

/// The Graph property a source attribute is read from, the inverse of [`source_attributes`]:
/// `objectId` from `id`, `originalUserPrincipalName` from `userPrincipalName`, `parent.child`
/// and `extensionAttributeN` from their object; `None` for what Entra computes outside the
/// object (`IsSoftDeleted`, `appRoleAssignments`). A `$select` is made of these (review R9).
pub fn graph_property(attribute: &str) -> Option<&str> {
    let is = |name: &str| attribute.eq_ignore_ascii_case(name);
    if is("IsSoftDeleted") || is("appRoleAssignments") {
        return None;
    }
    if is("objectId") {
        return Some("id");
    }
    if is("originalUserPrincipalName") {
        return Some("userPrincipalName");
    }
    let lower = attribute.to_ascii_lowercase();
    if let Some(n) = lower.strip_prefix("extensionattribute")
        && n.parse::<u8>().is_ok_and(|n| (1..=15).contains(&n))
    {
        return Some("onPremisesExtensionAttributes");
    }
    attribute.split('.').next().filter(|p| !p.is_empty())
}

/// The attributes a mapping sees for one Graph user or group object (as Graph returns it):
/// scalar properties as they are, string arrays multi-valued, `onPremisesExtensionAttributes`
/// flattened (both `extensionAttributeN` and the dotted name), other objects as
/// `parent.child`, `manager` as the manager's object id, plus `objectId`, the guest-UPN
/// rewrite with `originalUserPrincipalName`, `IsSoftDeleted` and `appRoleAssignments`
/// (one element per app role assigned for this app: see `functions::collections` for its
/// form), which Entra computes outside the object.
pub fn source_attributes(
    object: &serde_json::Value,
    is_soft_deleted: bool,
    app_roles: &[String],
) -> BTreeMap<String, Value> {
    use serde_json::Value as J;
    let mut out = BTreeMap::new();
    let Some(map) = object.as_object() else { return out };
    for (key, v) in map {
        if key.starts_with('@') {
            continue;
        }
        match (key.as_str(), v) {
            ("manager", J::Object(m)) => {
                let id = m
                    .get("id")
                    .and_then(J::as_str)
                    .map_or(Value::Null, |s| Value::Str(s.to_string()));
                out.insert("manager".to_string(), id);
            }
            (_, J::Object(inner)) => {
                for (child, cv) in inner {
                    let value = Value::from_json(cv).unwrap_or(Value::Null);
                    if key == "onPremisesExtensionAttributes" {
                        out.insert(child.clone(), value.clone());
                    }
                    out.insert(format!("{key}.{child}"), value);
                }
            }
            // Arrays of objects (identities, ...) have no single text form.
            _ => {
                out.insert(key.clone(), Value::from_json(v).unwrap_or(Value::Null));
            }
        }
    }
    if let Some(id) = map.get("id").and_then(J::as_str) {
        out.insert("objectId".into(), Value::Str(id.to_string()));
    }
    if let Some(upn) = map.get("userPrincipalName").and_then(J::as_str) {
        out.insert("originalUserPrincipalName".into(), Value::Str(upn.to_string()));
        out.insert("userPrincipalName".into(), Value::Str(effective_upn(upn).into_owned()));
    }
    out.insert("IsSoftDeleted".into(), Value::Bool(is_soft_deleted));
    out.insert("appRoleAssignments".into(), Value::multi(app_roles.to_vec()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_attribute_is_read_from_its_graph_property() {
        for (attribute, property) in [
            ("faxNumber", Some("faxNumber")),
            ("objectId", Some("id")),
            ("originalUserPrincipalName", Some("userPrincipalName")),
            ("extensionAttribute7", Some("onPremisesExtensionAttributes")),
            (
                "onPremisesExtensionAttributes.extensionAttribute7",
                Some("onPremisesExtensionAttributes"),
            ),
            ("employeeOrgData.division", Some("employeeOrgData")),
            ("extension_0a1b_costCenter", Some("extension_0a1b_costCenter")),
            ("extensionAttribute16", Some("extensionAttribute16")),
            ("IsSoftDeleted", None),
            ("appRoleAssignments", None),
        ] {
            assert_eq!(graph_property(attribute), property, "{attribute}");
        }
    }

    #[test]
    fn guest_upns() {
        let cases = [
            ("john_fabrikam.com#EXT#@contoso.onmicrosoft.com", "john@fabrikam.com"),
            (
                "john_doe_fabrikam.com#EXT#@contoso.onmicrosoft.com",
                "john_doe@fabrikam.com",
            ),
            ("jane@contoso.com", "jane@contoso.com"),
            (
                "nounderscore#EXT#@contoso.onmicrosoft.com",
                "nounderscore#EXT#@contoso.onmicrosoft.com",
            ),
        ];
        for (raw, want) in cases {
            assert_eq!(effective_upn(raw), want);
        }
    }

    #[test]
    fn graph_objects_become_source_attributes() {
        let user = serde_json::json!({
            "@odata.type": "#microsoft.graph.user",
            "id": "11111111-2222-3333-4444-555555555555",
            "userPrincipalName": "ann_fabrikam.com#EXT#@contoso.onmicrosoft.com",
            "businessPhones": ["425-555-0100"],
            "otherMails": [],
            "accountEnabled": true,
            "jobTitle": null,
            "onPremisesExtensionAttributes": {"extensionAttribute1": "E1", "extensionAttribute2": null},
            "manager": {"@odata.type": "#microsoft.graph.user", "id": "mgr-id"},
            "employeeOrgData": {"division": "R&D", "costCenter": "42"}
        });
        let a = source_attributes(&user, false, &["Admin".to_string()]);
        let text = |k: &str| a.get(k).map(Value::render).unwrap_or_else(|| "absent".into());
        assert_eq!(text("userPrincipalName"), "ann@fabrikam.com");
        assert_eq!(
            text("originalUserPrincipalName"),
            "ann_fabrikam.com#EXT#@contoso.onmicrosoft.com"
        );
        assert_eq!(text("objectId"), "11111111-2222-3333-4444-555555555555");
        assert_eq!(text("businessPhones"), r#"["425-555-0100"]"#);
        assert_eq!(text("otherMails"), "null");
        assert_eq!(text("accountEnabled"), "True");
        assert_eq!(text("jobTitle"), "null");
        assert_eq!(text("extensionAttribute1"), "E1");
        assert_eq!(text("onPremisesExtensionAttributes.extensionAttribute1"), "E1");
        assert_eq!(text("extensionAttribute2"), "null");
        assert_eq!(text("manager"), "mgr-id");
        assert_eq!(text("employeeOrgData.costCenter"), "42");
        assert_eq!(text("IsSoftDeleted"), "False");
        assert_eq!(text("appRoleAssignments"), r#"["Admin"]"#);
        assert_eq!(text("@odata.type"), "absent");
    }

    #[test]
    fn catalogues() {
        let u = user_catalogue();
        for name in [
            "userPrincipalName",
            "IsSoftDeleted",
            "onPremisesExtensionAttributes.extensionAttribute15",
            "manager",
        ] {
            assert!(u.contains(name), "{name}");
        }
        assert!(!u.contains("extensionAttribute16"));
        assert!(u.contains("extension_0a1b2c_costCenter"));
        assert!(group_catalogue().contains("displayName"));
        assert!(!group_catalogue().contains("givenName"));
    }
}
