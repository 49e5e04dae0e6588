//! App-role assignments for the enterprise app, and the planted problems among in-scope users.

use std::collections::HashSet;

use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::generate::{opaque_id, random_timestamp};
use super::names::OTHER_DEPARTMENTS;
use super::{Assignment, DEFAULT_ACCESS_ROLE, Group, PrincipalType, Tenant, User, UserType};

pub(super) fn assign(rng: &mut StdRng, tenant: &mut Tenant, groups: &[Group]) {
    let mut out = Assigner {
        role_user: tenant.service_principal.app_roles.first().map(|r| r.0.clone()),
        assignments: Vec::new(),
    };
    let mut via_group: HashSet<&str> = HashSet::new();
    for i in assigned_groups(rng, groups) {
        let g = &groups[i];
        out.push(rng, &g.id, PrincipalType::Group, &g.display_name);
        via_group.extend(
            g.members
                .iter()
                .filter(|m| m.kind == PrincipalType::User)
                .map(|m| m.id.as_str()),
        );
    }

    // Enabled members outside every assigned group, in a seeded order: the planted users and
    // the "directly assigned only" guarantee come from these.
    let users = &tenant.users;
    let mut outside: Vec<usize> = (0..users.len())
        .filter(|&i| {
            let u = &users[i];
            u.account_enabled && u.user_type == UserType::Member && !via_group.contains(u.id.as_str())
        })
        .collect();
    outside.shuffle(rng);
    let with_mail = |i: &&usize| users[**i].mail.is_some();
    let mut planted_idx = outside.iter().filter(with_mail);
    let mut take = |pred: &dyn Fn(usize) -> bool| planted_idx.by_ref().find(|&&i| pred(i)).copied();
    let short_upn = |i: usize| users[i].user_principal_name.len() <= 40;
    let missing_department = take(&|_| true);
    let duplicate_email = take(&|_| true);
    let email_matched: Vec<usize> = (0..3).filter_map(|_| take(&|_| true)).collect();
    let upn_matched: Vec<usize> = (0..3).filter_map(|_| take(&short_upn)).collect();

    let mut direct: Vec<usize> = Vec::new();
    direct.extend(missing_department);
    direct.extend(duplicate_email);
    direct.extend(&email_matched);
    direct.extend(&upn_matched);
    for &i in outside.iter().take(8) {
        if !direct.contains(&i) {
            direct.push(i);
        }
    }
    fill_direct(rng, users, &mut direct);
    for &i in &direct {
        let u = &users[i];
        out.push(rng, &u.id, PrincipalType::User, &u.display_name);
    }
    // nowsync's own service principal holds an assignment too; the engine must ignore it.
    let client_sp = tenant.client_service_principal_id.clone();
    out.push(rng, &client_sp, PrincipalType::ServicePrincipal, "nowsync");
    let mut assignments = out.assignments;
    assignments.shuffle(rng);

    let id = |i: usize| users[i].id.clone();
    let planted = super::Planted {
        missing_department: missing_department.map(id).unwrap_or_default(),
        duplicate_email: duplicate_email.map(id).unwrap_or_default(),
        email_matched: email_matched.iter().map(|&i| id(i)).collect(),
        upn_matched: upn_matched.iter().map(|&i| id(i)).collect(),
        ..super::Planted::default()
    };
    if let Some(i) = missing_department {
        tenant.users[i].department = Some(OTHER_DEPARTMENTS[0].to_owned());
    }
    tenant.planted = planted;
    tenant.assignments = assignments;
}

/// Collects assignments, each to the app's first role for a fifth of principals.
struct Assigner {
    role_user: Option<String>,
    assignments: Vec<Assignment>,
}

impl Assigner {
    fn push(&mut self, rng: &mut StdRng, id: &str, kind: PrincipalType, name: &str) {
        let app_role_id = match (&self.role_user, rng.random_bool(0.2)) {
            (Some(role), true) => role.clone(),
            _ => DEFAULT_ACCESS_ROLE.to_owned(),
        };
        self.assignments.push(Assignment {
            id: opaque_id(rng),
            principal_id: id.to_owned(),
            principal_type: kind,
            principal_display_name: name.to_owned(),
            app_role_id,
            created_date_time: random_timestamp(rng),
        });
    }
}

/// Groups 1..=3 (security, with members) plus about a tenth of the other security groups with
/// user members; "All Employees" (group 0) stays unassigned, as it would in a real tenant.
fn assigned_groups(rng: &mut StdRng, groups: &[Group]) -> Vec<usize> {
    let mut assigned: Vec<usize> = (1..groups.len().min(4)).collect();
    for (i, g) in groups.iter().enumerate().skip(4) {
        let has_users = g.members.iter().any(|m| m.kind == PrincipalType::User);
        if g.security_enabled && has_users && rng.random_bool(0.1) {
            assigned.push(i);
        }
    }
    assigned
}

/// Adds random users (any state, guests too) until 10 % of enabled users are direct.
fn fill_direct(rng: &mut StdRng, users: &[User], direct: &mut Vec<usize>) {
    let enabled = users.iter().filter(|u| u.account_enabled).count();
    let target = enabled.div_ceil(10) + 1;
    let mut chosen: HashSet<usize> = direct.iter().copied().collect();
    let mut order: Vec<usize> = (0..users.len()).collect();
    order.shuffle(rng);
    let mut enabled_direct = direct.len();
    for i in order {
        if enabled_direct >= target {
            break;
        }
        if chosen.insert(i) {
            direct.push(i);
            if users[i].account_enabled {
                enabled_direct += 1;
            }
        }
    }
}
