//! The generated Entra tenant: users, groups, memberships, the enterprise app's service principal
//! and its app-role assignments, deterministic per seed (`Tenant::generate`).
//!
//! One seed describes one consistent world: [`Tenant::snow_seed_users`] derives the ServiceNow
//! simulator's pre-existing `sys_user` rows from the same tenant (matches by `user_name`, by
//! `email`, and the planted inactive-duplicate pair).
//!
//! Guarantees for any seed with at least 200 users (DESIGN.md "Simulators", tested for several
//! seeds in `tests.rs`): one verified domain for member UPNs plus B2B guests (`#EXT#`); users
//! without `mail`, `employeeId` or `department`; disabled users; UPNs longer than 40 characters;
//! at least 10 % of enabled users directly assigned, each principal at most once; at least 3
//! assigned security groups with direct user members among the first groups listed; at least 5
//! enabled member users directly assigned and in no assigned group; unique group names; nested
//! groups; the planted problems recorded in [`Planted`].
//!
//! Terms: *in scope* is Entra's "assigned" scope: enabled users directly assigned or direct members
//! of an assigned group (nested groups are not expanded, entra-provisioning.md §2.3).

mod assign;
mod generate;
mod names;
mod snow;
#[cfg(test)]
mod tests;

pub use names::{COMPANY_NAME, OTHER_DEPARTMENTS, OTHER_LOCATIONS, REFERENCE_DEPARTMENTS, REFERENCE_LOCATIONS};
pub use snow::SnowSeedUser;

/// `appRoleId` meaning "default access" (no specific role), as Graph spells it.
pub const DEFAULT_ACCESS_ROLE: &str = "00000000-0000-0000-0000-000000000000";

/// A whole tenant, as the Graph simulator serves it at start.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub tenant_id: String,
    /// The verified domain of member UPNs, e.g. `contoso.com`.
    pub domain: String,
    /// The initial domain guests' UPNs live under, e.g. `contoso.onmicrosoft.com`.
    pub initial_domain: String,
    /// The app registration nowsync signs in as (client credentials).
    pub client_id: String,
    pub client_secret: String,
    /// The service principal of nowsync's own app registration.
    pub client_service_principal_id: String,
    /// The enterprise app whose assignments define "assigned" scope.
    pub service_principal: ServicePrincipal,
    /// In listing order.
    pub users: Vec<User>,
    /// In listing order; the first ones include assigned groups with members.
    pub groups: Vec<Group>,
    pub assignments: Vec<Assignment>,
    pub planted: Planted,
}

#[derive(Debug, Clone)]
pub struct ServicePrincipal {
    pub id: String,
    pub app_id: String,
    pub display_name: String,
    /// `(id, value)` of the app roles besides default access.
    pub app_roles: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserType {
    Member,
    Guest,
}

/// A user, with Graph's property meanings.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub user_principal_name: String,
    pub mail: Option<String>,
    pub mail_nickname: String,
    pub display_name: String,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub job_title: Option<String>,
    pub department: Option<String>,
    pub office_location: Option<String>,
    pub employee_id: Option<String>,
    pub company_name: Option<String>,
    pub mobile_phone: Option<String>,
    pub business_phones: Vec<String>,
    pub account_enabled: bool,
    pub user_type: UserType,
    pub manager_id: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub usage_location: Option<String>,
    pub preferred_language: Option<String>,
    pub created_date_time: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalType {
    User,
    Group,
    ServicePrincipal,
}

impl PrincipalType {
    /// Graph's spelling in `principalType`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::Group => "Group",
            Self::ServicePrincipal => "ServicePrincipal",
        }
    }
}

/// A direct member of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    pub kind: PrincipalType,
}

#[derive(Debug, Clone)]
pub struct Group {
    pub id: String,
    pub display_name: String,
    pub description: Option<String>,
    pub security_enabled: bool,
    pub mail_enabled: bool,
    pub mail_nickname: String,
    pub mail: Option<String>,
    /// `Unified` for Microsoft 365 groups.
    pub group_types: Vec<String>,
    pub members: Vec<Member>,
    pub created_date_time: String,
}

/// An app-role assignment granted for the enterprise app.
#[derive(Debug, Clone)]
pub struct Assignment {
    /// Opaque, not a GUID (as Graph's).
    pub id: String,
    pub principal_id: String,
    pub principal_type: PrincipalType,
    pub principal_display_name: String,
    pub app_role_id: String,
    pub created_date_time: String,
}

/// The planted problems and matches, by user id, so tests can name them.
#[derive(Debug, Clone, Default)]
pub struct Planted {
    /// In scope, with a department that no `cmn_department` row holds.
    pub missing_department: String,
    /// In scope; its `mail` is the email of two pre-existing rows, one inactive.
    pub duplicate_email: String,
    /// In scope; each `mail` is the email of exactly one pre-existing row.
    pub email_matched: Vec<String>,
    /// In scope; each UPN is the `user_name` of a pre-existing row.
    pub upn_matched: Vec<String>,
    /// In scope; collides with the ServiceNow integration account (`snow::Options::
    /// integration_collision`), empty when none was asked for.
    pub integration_account: String,
    /// In scope; each `mail` is the email of a row of a table that extends `sys_user`, with
    /// that class (`snow::Options::extended_users`).
    pub extended_users: Vec<(String, String)>,
    /// An assigned, security-enabled Microsoft 365 group with user members
    /// (`graph::Options::unified_assigned_group`).
    pub unified_group: String,
}

impl Tenant {
    /// Generates a tenant; the same arguments give the same tenant.
    pub fn generate(seed: u64, users: usize, groups: usize) -> Tenant {
        generate::generate(seed, users, groups)
    }

    /// Ids of assigned groups (any kind).
    pub fn assigned_group_ids(&self) -> std::collections::HashSet<&str> {
        self.assignments
            .iter()
            .filter(|a| a.principal_type == PrincipalType::Group)
            .map(|a| a.principal_id.as_str())
            .collect()
    }

    /// Ids of users in "assigned" scope: enabled, and directly assigned or a direct member of an
    /// assigned security group.
    pub fn in_scope_user_ids(&self) -> std::collections::HashSet<&str> {
        let assigned = self.assigned_group_ids();
        let mut ids: std::collections::HashSet<&str> = self
            .assignments
            .iter()
            .filter(|a| a.principal_type == PrincipalType::User)
            .map(|a| a.principal_id.as_str())
            .collect();
        for g in self
            .groups
            .iter()
            .filter(|g| g.security_enabled && assigned.contains(g.id.as_str()))
        {
            ids.extend(
                g.members
                    .iter()
                    .filter(|m| m.kind == PrincipalType::User)
                    .map(|m| m.id.as_str()),
            );
        }
        let enabled: std::collections::HashSet<&str> = self
            .users
            .iter()
            .filter(|u| u.account_enabled)
            .map(|u| u.id.as_str())
            .collect();
        ids.retain(|id| enabled.contains(id));
        ids
    }

    /// Turns the first assigned security group with user members into a Microsoft 365 group
    /// (security-enabled, so its members stay in scope) and records it in `planted`.
    pub fn make_assigned_group_unified(&mut self) {
        let assigned: std::collections::HashSet<String> =
            self.assigned_group_ids().into_iter().map(str::to_owned).collect();
        let domain = self.domain.clone();
        let Some(g) = self.groups.iter_mut().find(|g| {
            g.security_enabled && assigned.contains(&g.id) && g.members.iter().any(|m| m.kind == PrincipalType::User)
        }) else {
            return;
        };
        g.group_types = vec!["Unified".to_owned()];
        g.mail_enabled = true;
        g.mail = Some(format!("{}@{domain}", g.mail_nickname));
        self.planted.unified_group = g.id.clone();
    }

    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }
}

/// A fresh random GUID (not seeded): for objects created at run time.
pub fn random_guid() -> String {
    generate::guid(&mut rand::rng())
}

/// A fresh opaque id in the style of `appRoleAssignment.id`.
pub fn random_opaque_id() -> String {
    generate::opaque_id(&mut rand::rng())
}
