//! The DESIGN.md guarantees, checked for several seeds.

use std::collections::{HashMap, HashSet};

use super::*;

const SEEDS: &[u64] = &[0, 1, 7, 42, 2026, u64::MAX];

fn tenants() -> impl Iterator<Item = Tenant> {
    SEEDS.iter().map(|&s| Tenant::generate(s, 200, 30))
}

#[test]
fn same_seed_same_tenant() {
    let a = Tenant::generate(9, 300, 20);
    let b = Tenant::generate(9, 300, 20);
    assert_eq!(a.tenant_id, b.tenant_id);
    let ids = |t: &Tenant| {
        t.users
            .iter()
            .map(|u| u.user_principal_name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&a), ids(&b));
    assert_eq!(a.snow_seed_users(50), b.snow_seed_users(50));
    assert_ne!(a.tenant_id, Tenant::generate(10, 300, 20).tenant_id);
}

#[test]
fn users_have_the_promised_variety() {
    for t in tenants() {
        assert_eq!(t.users.len(), 200);
        let upns: HashSet<&str> = t.users.iter().map(|u| u.user_principal_name.as_str()).collect();
        assert_eq!(upns.len(), 200, "UPNs are unique");
        for u in &t.users {
            match u.user_type {
                UserType::Member => assert!(u.user_principal_name.ends_with(&format!("@{}", t.domain))),
                UserType::Guest => assert!(u.user_principal_name.contains("#EXT#@")),
            }
        }
        assert!(t.users.iter().any(|u| u.user_type == UserType::Guest));
        assert!(t.users.iter().any(|u| u.mail.is_none()));
        assert!(
            t.users
                .iter()
                .any(|u| u.employee_id.is_none() && u.user_type == UserType::Member)
        );
        assert!(
            t.users
                .iter()
                .any(|u| u.department.is_none() && u.user_type == UserType::Member)
        );
        assert!(t.users.iter().any(|u| !u.account_enabled));
        assert!(t.users.iter().any(|u| u.user_principal_name.len() > 40));
        assert!(t.users.iter().any(|u| !u.display_name.is_ascii()), "non-ASCII names");
        assert!(t.users.iter().any(|u| u.manager_id.is_some()));
        let mails: Vec<&String> = t.users.iter().filter_map(|u| u.mail.as_ref()).collect();
        assert_eq!(
            mails.len(),
            mails.iter().collect::<HashSet<_>>().len(),
            "mails are unique"
        );
        let depts = t.users.iter().filter_map(|u| u.department.as_deref());
        let (known, unknown): (Vec<&str>, Vec<&str>) = depts.partition(|d| REFERENCE_DEPARTMENTS.contains(d));
        assert!(
            known.len() > 5 * unknown.len() && !unknown.is_empty(),
            "mostly but not always reference rows"
        );
    }
}

#[test]
fn assignments_meet_the_scope_guarantees() {
    for t in tenants() {
        let principals: Vec<&str> = t.assignments.iter().map(|a| a.principal_id.as_str()).collect();
        assert_eq!(
            principals.len(),
            principals.iter().collect::<HashSet<_>>().len(),
            "each principal at most once"
        );
        let enabled: HashSet<&str> = t
            .users
            .iter()
            .filter(|u| u.account_enabled)
            .map(|u| u.id.as_str())
            .collect();
        let direct: HashSet<&str> = t
            .assignments
            .iter()
            .filter(|a| a.principal_type == PrincipalType::User)
            .map(|a| a.principal_id.as_str())
            .collect();
        assert!(
            direct.intersection(&enabled).count() * 10 >= enabled.len(),
            "at least 10 % directly assigned"
        );

        let assigned = t.assigned_group_ids();
        let groups: HashMap<&str, &Group> = t.groups.iter().map(|g| (g.id.as_str(), g)).collect();
        let with_users = |g: &Group| g.members.iter().any(|m| m.kind == PrincipalType::User);
        let assigned_security = assigned
            .iter()
            .filter(|id| groups[*id].security_enabled && with_users(groups[*id]))
            .count();
        assert!(assigned_security >= 3);
        assert!(
            t.groups
                .iter()
                .take(4)
                .filter(|g| assigned.contains(g.id.as_str()) && with_users(g))
                .count()
                >= 2
        );

        let via_group: HashSet<&str> = assigned
            .iter()
            .flat_map(|id| groups[*id].members.iter().map(|m| m.id.as_str()))
            .collect();
        let only_direct = t
            .users
            .iter()
            .filter(|u| u.account_enabled && u.user_type == UserType::Member)
            .filter(|u| direct.contains(u.id.as_str()) && !via_group.contains(u.id.as_str()))
            .count();
        assert!(only_direct >= 5);

        let names: HashSet<&str> = t.groups.iter().map(|g| g.display_name.as_str()).collect();
        assert_eq!(names.len(), t.groups.len());
        assert!(names.iter().all(|n| !n.is_empty()));
        assert!(
            t.groups
                .iter()
                .any(|g| g.members.iter().any(|m| m.kind == PrincipalType::Group)),
            "nested"
        );
        assert!(t.groups.iter().any(|g| !g.security_enabled), "non-security groups");
        let sizes: Vec<usize> = t.groups.iter().map(|g| g.members.len()).collect();
        assert!(sizes.iter().filter(|&&s| s >= 30).count() >= 1 && sizes.iter().filter(|&&s| s < 30).count() >= 10);
    }
}

#[test]
fn planted_problems_are_in_scope_and_seeded_into_servicenow() {
    for t in tenants() {
        let scope = t.in_scope_user_ids();
        let p = &t.planted;
        let upns: HashSet<&str> = t.users.iter().map(|u| u.user_principal_name.as_str()).collect();
        let dept = t
            .user(&p.missing_department)
            .and_then(|u| u.department.clone())
            .unwrap_or_default();
        assert!(scope.contains(p.missing_department.as_str()) && !REFERENCE_DEPARTMENTS.contains(&dept.as_str()));

        let rows = t.snow_seed_users(40);
        assert_eq!(rows.len(), 40);
        let dup = t.user(&p.duplicate_email).unwrap();
        assert!(scope.contains(dup.id.as_str()));
        let same: Vec<&SnowSeedUser> = rows.iter().filter(|r| r.email == dup.mail).collect();
        assert_eq!(same.len(), 2);
        assert_eq!(same.iter().filter(|r| !r.active).count(), 1);
        assert!(same.iter().all(|r| !upns.contains(r.user_name.as_str())));

        assert!(p.email_matched.len() >= 2);
        for id in &p.email_matched {
            let u = t.user(id).unwrap();
            assert!(scope.contains(id.as_str()));
            assert_eq!(rows.iter().filter(|r| r.email == u.mail).count(), 1);
            let row = rows.iter().find(|r| r.email == u.mail).unwrap();
            assert!(!upns.contains(row.user_name.as_str()));
        }
        assert!(!p.upn_matched.is_empty());
        for id in &p.upn_matched {
            let u = t.user(id).unwrap();
            assert!(scope.contains(id.as_str()));
            assert!(rows.iter().any(|r| r.user_name == u.user_principal_name));
        }
        assert!(rows.iter().all(|r| r.user_name.len() <= 40));
        let names: HashSet<&str> = rows.iter().map(|r| r.user_name.as_str()).collect();
        assert_eq!(names.len(), rows.len(), "user names unique");
    }
}

#[test]
fn small_k_takes_the_priority_rows() {
    let t = Tenant::generate(3, 200, 30);
    assert!(t.snow_seed_users(0).is_empty());
    let two = t.snow_seed_users(2);
    assert_eq!(two[0].email, two[1].email);
}

#[test]
fn tiny_tenants_do_not_panic() {
    for (users, groups) in [(0, 0), (1, 0), (5, 2), (50, 1), (0, 10), (199, 3)] {
        let t = Tenant::generate(5, users, groups);
        assert_eq!((t.users.len(), t.groups.len()), (users, groups));
        let _ = t.snow_seed_users(20);
        let _ = t.in_scope_user_ids();
    }
}
