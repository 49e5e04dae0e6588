//! "Assigned" scope as Entra's provisioning service reads it (spec graph.md §7.3,
//! entra-provisioning.md §2.3): users assigned directly to the enterprise app, plus the
//! **direct** members of assigned security groups. Nested groups are not expanded; assigned
//! groups that are not security-enabled and service-principal assignments are set aside.
//! Whether a user is enabled is the caller's business (disabled users are not created).

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::{AppRoleAssignment, Client, Error};

/// Who is assigned, and with which app roles.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssignedScope {
    /// Every assignment as read, for comparison with the previous cycle (assignment changes
    /// are in no delta, so the engine re-reads them each cycle).
    pub assignments: Vec<AppRoleAssignment>,
    /// Directly assigned users → their app role ids.
    pub direct_users: BTreeMap<String, BTreeSet<String>>,
    /// Assigned security groups → their app role ids.
    pub groups: BTreeMap<String, BTreeSet<String>>,
    /// Direct user members of each assigned security group.
    pub group_members: BTreeMap<String, BTreeSet<String>>,
    /// Assignments that bring no one into scope: non-security groups, service principals,
    /// groups that no longer exist.
    pub ignored: Vec<AppRoleAssignment>,
}

impl AssignedScope {
    /// Ids of users in scope (enabled or not).
    pub fn user_ids(&self) -> BTreeSet<&str> {
        let mut ids: BTreeSet<&str> = self.direct_users.keys().map(String::as_str).collect();
        ids.extend(self.group_members.values().flatten().map(String::as_str));
        ids
    }

    /// A user's app role ids, directly and through assigned groups.
    pub fn roles(&self, user_id: &str) -> BTreeSet<&str> {
        let mut roles: BTreeSet<&str> = self
            .direct_users
            .get(user_id)
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        for (group, members) in &self.group_members {
            if members.contains(user_id) {
                roles.extend(self.groups.get(group).into_iter().flatten().map(String::as_str));
            }
        }
        roles
    }
}

/// What the caller already knows of an assigned group (issue 16 §4: from the groups delta
/// round's `members@delta`, kept in the source cache): no request for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnownGroup {
    pub security_enabled: bool,
    /// Direct user members.
    pub members: BTreeSet<String>,
}

impl Client {
    /// Reads `appRoleAssignedTo`, then each assigned group's kind and direct members.
    pub async fn assigned_scope(&self) -> Result<AssignedScope, Error> {
        self.assigned_scope_with(|_| None).await
    }

    /// Reads `appRoleAssignedTo`; each assigned group that `known` answers for is taken from
    /// it, every other one's kind and direct members are read from Graph.
    pub async fn assigned_scope_with(
        &self,
        known: impl Fn(&str) -> Option<KnownGroup>,
    ) -> Result<AssignedScope, Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct GroupKind {
            security_enabled: Option<bool>,
        }
        let mut scope = AssignedScope {
            assignments: self.app_role_assigned_to().all().await?,
            ..AssignedScope::default()
        };
        let mut group_roles: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for a in &scope.assignments {
            match a.principal_type.as_str() {
                "User" => {
                    scope
                        .direct_users
                        .entry(a.principal_id.clone())
                        .or_default()
                        .insert(a.app_role_id.clone());
                }
                "Group" => {
                    group_roles
                        .entry(a.principal_id.clone())
                        .or_default()
                        .insert(a.app_role_id.clone());
                }
                _ => scope.ignored.push(a.clone()),
            }
        }
        for (group, roles) in group_roles {
            let (security, users) = match known(&group) {
                Some(k) => (k.security_enabled, Some(k.members)),
                None => {
                    let url = self.url(&format!("/groups/{}?$select=id,securityEnabled", super::encode(&group)));
                    match self.get_json::<GroupKind>(&url).await {
                        Ok(g) => (g.security_enabled == Some(true), None),
                        Err(Error::Graph(g)) if g.status == 404 => (false, None),
                        Err(e) => return Err(e),
                    }
                }
            };
            if !security {
                let set_aside = scope.assignments.iter().filter(|a| a.principal_id == group).cloned();
                scope.ignored.extend(set_aside.collect::<Vec<_>>());
                continue;
            }
            let users = match users {
                Some(users) => users,
                None => {
                    let members = self.group_members(&group).all().await?;
                    members.into_iter().filter(|m| m.is_user()).map(|m| m.id).collect()
                }
            };
            scope.group_members.insert(group.clone(), users);
            scope.groups.insert(group, roles);
        }
        Ok(scope)
    }
}
