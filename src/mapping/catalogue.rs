//! The source attribute catalogue: what a mapping in a profile may reference. The Graph user
//! and group properties (spec graph.md §3.3 and §4) plus Entra's computed attributes
//! (`IsSoftDeleted`, `manager`, `appRoleAssignments`, `originalUserPrincipalName`,
//! `objectId`, `extensionAttribute1..15`).
//!
//! Also B2B guest UPNs: Entra reads `alias_domain#EXT#@tenant` as `alias@domain` when
//! `userPrincipalName` is a source attribute (spec §2.3); `originalUserPrincipalName` keeps
//! the raw value.

use std::borrow::Cow;

use super::compile::Catalogue;

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
    "employeeOrgData",
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

#[cfg(test)]
mod tests {
    use super::*;

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
