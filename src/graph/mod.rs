//! Microsoft Graph: the client that reads the Entra tenant (token, paging, delta, members,
//! app-role assignments, deleted users, managers), typed errors, and the Entra half of test
//! connection ([`check`]).
//!
//! Terms are Graph's: a *page* is one collection response; a *nextLink* leads to the next page
//! and is followed verbatim; a *delta round* ends in a *deltaLink* stored for the next round;
//! the *service principal* is the enterprise app whose `appRoleAssignedTo` defines "assigned"
//! scope (spec graph.md §7.3). Reads always carry an explicit `$select`, and `$top=999` on full
//! lists (never on delta).

pub mod check;
mod client;
mod cloud;
mod delta;
mod error;
mod model;
mod paging;
#[cfg(test)]
mod proptests;
mod scope;
mod token_error;

pub use client::{Client, Options};
pub use cloud::{Endpoints, defaults as cloud_defaults};
pub use delta::{DeltaItem, DeltaItemError, DeltaRound, RefChange, Removed};
pub use error::{Error, GraphError};
pub use model::{AppRoleAssignment, DirectoryObject, GROUP_SELECT, Group, ServicePrincipal, USER_SELECT, User};
pub use paging::Pager;
pub use scope::{AssignedScope, KnownGroup};
pub use token_error::TokenError;

use crate::net::encode::segment as encode;

impl Client {
    /// All users, `$select` of [`USER_SELECT`], 999 per page.
    pub fn users(&self) -> Pager<User> {
        self.users_with(USER_SELECT)
    }

    /// All users with the given `$select` (must include `id`).
    pub fn users_with(&self, select: &[&str]) -> Pager<User> {
        Pager::new(
            self.clone(),
            self.url(&format!("/users?$select={}&$top=999", select.join(","))),
        )
    }

    /// All groups, `$select` of [`GROUP_SELECT`] (with `securityEnabled`), 999 per page.
    pub fn groups(&self) -> Pager<Group> {
        Pager::new(
            self.clone(),
            self.url(&format!("/groups?$select={}&$top=999", GROUP_SELECT.join(","))),
        )
    }

    /// The direct members of a group (users, groups, others, each with `@odata.type`).
    pub fn group_members(&self, group_id: &str) -> Pager<DirectoryObject> {
        let path = format!(
            "/groups/{}/members?$select=id,userPrincipalName,displayName&$top=999",
            encode(group_id)
        );
        Pager::new(self.clone(), self.url(&path))
    }

    /// The app-role assignments granted for the configured service principal.
    pub fn app_role_assigned_to(&self) -> Pager<AppRoleAssignment> {
        let path = format!(
            "/servicePrincipals/{}/appRoleAssignedTo?$top=999",
            encode(self.service_principal_id())
        );
        Pager::new(self.clone(), self.url(&path))
    }

    /// The configured service principal.
    pub async fn service_principal(&self) -> Result<ServicePrincipal, Error> {
        let path = format!(
            "/servicePrincipals/{}?$select=id,appId,displayName,appRoleAssignmentRequired,appRoles",
            encode(self.service_principal_id())
        );
        self.get_json(&self.url(&path)).await
    }

    /// Soft-deleted users (restorable for 30 days), with `deletedDateTime`.
    pub fn deleted_users(&self) -> Pager<User> {
        let path = format!(
            "/directory/deletedItems/microsoft.graph.user?$select={},deletedDateTime&$top=999",
            USER_SELECT.join(",")
        );
        Pager::new(self.clone(), self.url(&path))
    }

    /// Soft-deleted groups (Microsoft 365 groups, restorable for 30 days with their id;
    /// graph.md §8, §14 #3).
    pub fn deleted_groups(&self) -> Pager<Group> {
        let path = format!(
            "/directory/deletedItems/microsoft.graph.group?$select={}&$top=999",
            GROUP_SELECT.join(",")
        );
        Pager::new(self.clone(), self.url(&path))
    }

    /// A user's manager, `None` when the user has none (Graph answers 404 then).
    pub async fn manager(&self, user_id: &str) -> Result<Option<DirectoryObject>, Error> {
        let path = format!(
            "/users/{}/manager?$select=id,userPrincipalName,displayName",
            encode(user_id)
        );
        match self.get_json(&self.url(&path)).await {
            Ok(m) => Ok(Some(m)),
            Err(Error::Graph(g)) if g.status == 404 => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A users delta round: from a stored deltaLink, or a full round when `None`. Selects
    /// [`USER_SELECT`] plus `manager` (so `manager@delta` is reported).
    pub fn users_delta(&self, delta_link: Option<&str>) -> DeltaRound {
        let mut select = USER_SELECT.to_vec();
        select.push("manager");
        self.users_delta_with(&select, delta_link)
    }

    /// A users delta round with another selection. Only selected properties are tracked, and a
    /// stored link keeps the selection it was made with (spec §6.2): a new selection needs a
    /// full round (`delta_link` = `None`).
    pub fn users_delta_with(&self, select: &[&str], delta_link: Option<&str>) -> DeltaRound {
        let initial = self.url(&format!("/users/delta?$select={}", select.join(",")));
        DeltaRound::new(self.clone(), initial, delta_link)
    }

    /// A groups delta round, selecting [`GROUP_SELECT`] plus `members` (`members@delta`).
    pub fn groups_delta(&self, delta_link: Option<&str>) -> DeltaRound {
        let mut select = GROUP_SELECT.to_vec();
        select.push("members");
        self.groups_delta_with(&select, delta_link)
    }

    /// A groups delta round with another selection (see [`Client::users_delta_with`]).
    pub fn groups_delta_with(&self, select: &[&str], delta_link: Option<&str>) -> DeltaRound {
        let initial = self.url(&format!("/groups/delta?$select={}", select.join(",")));
        DeltaRound::new(self.clone(), initial, delta_link)
    }
}
