//! The ServiceNow simulator's pre-existing `sys_user` rows, derived from the tenant so that one
//! seed describes one consistent world.

use super::Tenant;
use super::names::REFERENCE_DEPARTMENTS;

/// A `sys_user` row that exists before the first cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnowSeedUser {
    pub user_name: String,
    pub email: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub active: bool,
    /// A `cmn_department` name from [`REFERENCE_DEPARTMENTS`].
    pub department: Option<String>,
}

impl Tenant {
    /// The first `k` pre-existing ServiceNow users, in priority order: the planted duplicate pair
    /// (same email as an in-scope user, one inactive, user names matching no UPN), one row per
    /// email-matched user (user name matching no UPN), one row per UPN-matched user
    /// (`user_name` = UPN), then alternately more UPN matches and unrelated former staff.
    /// `k` ≥ 8 holds every planted row.
    pub fn snow_seed_users(&self, k: usize) -> Vec<SnowSeedUser> {
        let mut rows = Vec::with_capacity(k);
        let reference_dept = |dept: &Option<String>| {
            dept.as_ref()
                .filter(|d| REFERENCE_DEPARTMENTS.contains(&d.as_str()))
                .cloned()
        };
        let local = |upn: &str| {
            upn.split('@')
                .next()
                .unwrap_or(upn)
                .chars()
                .take(36)
                .collect::<String>()
        };
        if let Some(u) = self.user(&self.planted.duplicate_email) {
            for (n, active) in [(1, true), (2, false)] {
                rows.push(SnowSeedUser {
                    // No '@', so no UPN can equal it.
                    user_name: format!("{}.{n}", local(&u.user_principal_name)),
                    email: u.mail.clone(),
                    first_name: u.given_name.clone().unwrap_or_default(),
                    last_name: u.surname.clone().unwrap_or_default(),
                    active,
                    department: reference_dept(&u.department),
                });
            }
        }
        for u in self.planted.email_matched.iter().filter_map(|id| self.user(id)) {
            rows.push(SnowSeedUser {
                user_name: local(&u.user_principal_name),
                email: u.mail.clone(),
                first_name: u.given_name.clone().unwrap_or_default(),
                last_name: u.surname.clone().unwrap_or_default(),
                active: true,
                department: reference_dept(&u.department),
            });
        }
        let planted: std::collections::HashSet<&str> =
            [&self.planted.duplicate_email, &self.planted.missing_department]
                .into_iter()
                .chain(&self.planted.email_matched)
                .map(String::as_str)
                .collect();
        let more_upn = self.users.iter().filter(|u| {
            u.user_principal_name.len() <= 40
                && !planted.contains(u.id.as_str())
                && !self.planted.upn_matched.contains(&u.id)
        });
        let first_upn = self.planted.upn_matched.iter().filter_map(|id| self.user(id));
        let upn_row = |u: &super::User| SnowSeedUser {
            user_name: u.user_principal_name.clone(),
            email: u.mail.clone(),
            first_name: u.given_name.clone().unwrap_or_default(),
            last_name: u.surname.clone().unwrap_or_default(),
            active: true,
            department: reference_dept(&u.department),
        };
        rows.extend(first_upn.map(upn_row));
        let mut more_upn = more_upn.map(upn_row);
        let mut n = 0;
        while rows.len() < k {
            n += 1;
            let next = if n % 2 == 1 { more_upn.next() } else { None };
            rows.push(next.unwrap_or_else(|| SnowSeedUser {
                user_name: format!("former.employee{n}"),
                email: Some(format!("former.employee{n}@legacy.example.org")),
                first_name: "Former".to_owned(),
                last_name: format!("Employee {n}"),
                active: n % 3 != 0,
                department: Some(REFERENCE_DEPARTMENTS[n % REFERENCE_DEPARTMENTS.len()].to_owned()),
            }));
        }
        rows.truncate(k);
        rows
    }
}
