//! What Graph returns, as the engine reads it. Unknown properties are kept in `other` so a
//! mapping may name any selected attribute; `id`s are opaque strings (spec §12.1).

use serde::Deserialize;
use serde_json::{Map, Value};

/// Users' `$select`: what the mappings need (spec §3.3, entra-provisioning §1.3).
pub const USER_SELECT: &[&str] = &[
    "id",
    "userPrincipalName",
    "mail",
    "mailNickname",
    "displayName",
    "givenName",
    "surname",
    "jobTitle",
    "department",
    "officeLocation",
    "employeeId",
    "employeeType",
    "companyName",
    "mobilePhone",
    "businessPhones",
    "accountEnabled",
    "userType",
    "city",
    "state",
    "country",
    "streetAddress",
    "postalCode",
    "usageLocation",
    "preferredLanguage",
    "createdDateTime",
];

/// Groups' `$select`.
pub const GROUP_SELECT: &[&str] = &[
    "id",
    "displayName",
    "description",
    "securityEnabled",
    "mailEnabled",
    "mailNickname",
    "mail",
    "groupTypes",
];

/// A user (from `/users`, `deletedItems`, or a delta item's properties).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct User {
    pub id: String,
    pub user_principal_name: Option<String>,
    pub mail: Option<String>,
    pub display_name: Option<String>,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub job_title: Option<String>,
    pub department: Option<String>,
    pub office_location: Option<String>,
    pub employee_id: Option<String>,
    pub mobile_phone: Option<String>,
    #[serde(deserialize_with = "null_as_empty")]
    pub business_phones: Vec<String>,
    pub account_enabled: Option<bool>,
    pub user_type: Option<String>,
    pub company_name: Option<String>,
    pub deleted_date_time: Option<String>,
    /// Every other selected property, as Graph sent it.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A group.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Group {
    pub id: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub security_enabled: Option<bool>,
    pub mail_enabled: Option<bool>,
    pub mail: Option<String>,
    #[serde(deserialize_with = "null_as_empty")]
    pub group_types: Vec<String>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A directory object in a relationship (members, manager): its type and id, and for users the
/// UPN when selected. Without `User.Read.All` only type and id are filled (spec §5).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DirectoryObject {
    #[serde(rename = "@odata.type")]
    pub odata_type: Option<String>,
    pub id: String,
    pub user_principal_name: Option<String>,
    pub display_name: Option<String>,
}

impl DirectoryObject {
    pub fn is_user(&self) -> bool {
        self.odata_type.as_deref() == Some("#microsoft.graph.user")
    }

    pub fn is_group(&self) -> bool {
        self.odata_type.as_deref() == Some("#microsoft.graph.group")
    }
}

/// An app-role assignment granted for the enterprise app (`appRoleAssignedTo`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AppRoleAssignment {
    /// Opaque, not a GUID.
    pub id: String,
    pub principal_id: String,
    /// `User`, `Group` or `ServicePrincipal`.
    pub principal_type: String,
    pub principal_display_name: Option<String>,
    pub app_role_id: String,
    pub resource_id: String,
    pub created_date_time: Option<String>,
}

/// The enterprise app's service principal.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServicePrincipal {
    pub id: String,
    pub app_id: String,
    pub display_name: Option<String>,
    pub app_role_assignment_required: Option<bool>,
    #[serde(deserialize_with = "null_as_empty")]
    pub app_roles: Vec<Value>,
}

/// Graph writes `null` for an unset collection in some places and `[]` in others.
fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_keep_unknown_properties_and_tolerate_nulls() {
        let u: User = serde_json::from_str(
            r#"{"id":"1","userPrincipalName":"a@b","businessPhones":null,"mail":null,"extension_x_costCenter":"42"}"#,
        )
        .unwrap();
        assert_eq!(u.user_principal_name.as_deref(), Some("a@b"));
        assert!(u.business_phones.is_empty() && u.mail.is_none());
        assert_eq!(u.other["extension_x_costCenter"], "42");
    }
}
