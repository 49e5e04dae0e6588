//! The generator behind [`Tenant::generate`]: one pass over users, then groups, then assignments
//! and planted problems. Linear in users plus memberships, so 100,000 users take well under a
//! second of work (see the `tenant_generate` benchmark).

use std::collections::HashSet;

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

use super::names::*;
use super::{Group, Member, Planted, PrincipalType, ServicePrincipal, Tenant};
use super::{User, UserType};

/// A random version-4 GUID drawn from `rng` (deterministic per seed).
pub(crate) fn guid(rng: &mut impl Rng) -> String {
    let v: u128 = rng.random();
    let v = (v & !(0xf << 76)) | (0x4 << 76); // version 4
    let v = (v & !(0x3 << 62)) | (0x2 << 62); // RFC 4122 variant
    let h = format!("{v:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// An opaque id in the style of `appRoleAssignment.id` (base64url, 43 characters, not a GUID).
pub(crate) fn opaque_id(rng: &mut impl Rng) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    (0..43)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

pub(super) fn random_timestamp(rng: &mut impl Rng) -> String {
    let base = chrono::DateTime::from_timestamp(1_640_995_200, 0).unwrap_or_default(); // 2022-01-01
    let t = base + chrono::Duration::seconds(rng.random_range(0..3 * 365 * 86_400));
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub(super) fn generate(seed: u64, n_users: usize, n_groups: usize) -> Tenant {
    let mut rng = StdRng::seed_from_u64(seed);
    let org = ["contoso", "fabrikam", "northwind", "tailspin", "wingtip"][(seed % 5) as usize];
    let domain = format!("{org}.com");
    let initial_domain = format!("{org}.onmicrosoft.com");
    let tenant_id = guid(&mut rng);
    let client_id = guid(&mut rng);
    let client_service_principal_id = guid(&mut rng);
    let client_secret: String = {
        const CHARS: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789~._-";
        (0..40)
            .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
            .collect()
    };
    let service_principal = ServicePrincipal {
        id: guid(&mut rng),
        app_id: guid(&mut rng),
        display_name: "ServiceNow".to_owned(),
        app_roles: vec![
            (guid(&mut rng), "User".to_owned()),
            (guid(&mut rng), "Admin".to_owned()),
        ],
    };

    let users = generate_users(&mut rng, n_users, &domain, &initial_domain);
    let groups = generate_groups(&mut rng, &users, n_groups, &domain);
    let mut tenant = Tenant {
        tenant_id,
        domain,
        initial_domain,
        client_id,
        client_secret,
        client_service_principal_id,
        service_principal,
        users,
        groups: Vec::new(),
        assignments: Vec::new(),
        planted: Planted::default(),
    };
    super::assign::assign(&mut rng, &mut tenant, &groups);
    tenant.groups = groups;
    tenant
}

fn generate_users(rng: &mut StdRng, n: usize, domain: &str, initial_domain: &str) -> Vec<User> {
    let mut taken: HashSet<String> = HashSet::with_capacity(n);
    let mut users = Vec::with_capacity(n);
    // Managers come from the first 5 % of members, so the hierarchy has no cycles.
    let managers = (n / 20).max(1);
    for i in 0..n {
        let first = *FIRST_NAMES.choose(rng).unwrap_or(&"Alex");
        let last = *LAST_NAMES.choose(rng).unwrap_or(&"Smith");
        // A handful of users at fixed positions carry the properties every seed must show.
        let forced_guest = i % 97 == 13;
        let guest = forced_guest || (i >= managers && rng.random_bool(0.03));
        let alias = unique_alias(rng, &mut taken, first, last, i);
        let (upn, mail, user_type) = if guest {
            let home = *GUEST_DOMAINS.choose(rng).unwrap_or(&"gmail.com");
            (
                format!("{alias}_{home}#EXT#@{initial_domain}"),
                Some(format!("{alias}@{home}")),
                UserType::Guest,
            )
        } else {
            let no_mail = i % 41 == 7 || rng.random_bool(0.04);
            let mail = (!no_mail).then(|| format!("{alias}@{domain}"));
            (format!("{alias}@{domain}"), mail, UserType::Member)
        };
        let member = user_type == UserType::Member;
        let (department, office_location) = placement(rng, member, i);
        let manager_id = (member && i >= managers && rng.random_bool(0.9))
            .then(|| rng.random_range(0..managers))
            .and_then(|m: usize| users.get(m).map(|u: &User| u.id.clone()));
        users.push(User {
            id: guid(rng),
            user_principal_name: upn,
            mail,
            mail_nickname: alias.replace('-', ""),
            display_name: format!("{first} {last}"),
            given_name: Some(first.to_owned()),
            surname: Some(last.to_owned()),
            job_title: member
                .then(|| JOB_TITLES.choose(rng).map(|t| (*t).to_owned()))
                .flatten(),
            department,
            office_location,
            employee_id: (member && i % 37 != 5 && rng.random_bool(0.92)).then(|| format!("E{:06}", 100_000 + i)),
            company_name: member.then(|| COMPANY_NAME.to_owned()),
            mobile_phone: rng
                .random_bool(0.6)
                .then(|| format!("+1 425 555 {:04}", rng.random_range(0..10_000))),
            business_phones: if member && rng.random_bool(0.7) {
                vec![format!("+1 206 555 {:04}", rng.random_range(0..10_000))]
            } else {
                Vec::new()
            },
            account_enabled: !(i % 29 == 11 || rng.random_bool(0.06)),
            user_type,
            manager_id,
            city: member.then(|| "Seattle".to_owned()),
            // Entra's country is free text; usageLocation is the ISO 3166 alpha-2 code.
            country: member.then(|| "United States".to_owned()),
            usage_location: Some("US".to_owned()),
            preferred_language: rng.random_bool(0.8).then(|| "en-US".to_owned()),
            created_date_time: random_timestamp(rng),
        });
    }
    users
}

/// `first.last`, longer for some, numbered when taken.
fn unique_alias(rng: &mut StdRng, taken: &mut HashSet<String>, first: &str, last: &str, i: usize) -> String {
    let mut alias = format!("{}.{}", ascii_alias(first), ascii_alias(last));
    if i % 61 == 17 {
        // Some UPNs exceed sys_user.user_name's default length of 40.
        alias = format!("{alias}.{}", LONG_SURNAMES.choose(rng).unwrap_or(&LONG_SURNAMES[0]));
    }
    let mut unique = alias.clone();
    let mut k = 2;
    while !taken.insert(unique.clone()) {
        unique = format!("{alias}{k}");
        k += 1;
    }
    unique
}

/// A member's department and office: mostly ones ServiceNow knows, a few it does not, some none.
fn placement(rng: &mut StdRng, member: bool, i: usize) -> (Option<String>, Option<String>) {
    let department = if !member || i % 43 == 9 || rng.random_bool(0.04) {
        None
    } else if rng.random_bool(0.03) {
        OTHER_DEPARTMENTS.choose(rng).map(|d| (*d).to_owned())
    } else {
        REFERENCE_DEPARTMENTS.choose(rng).map(|d| (*d).to_owned())
    };
    let office_location = if !member || rng.random_bool(0.05) {
        None
    } else if rng.random_bool(0.05) {
        OTHER_LOCATIONS.choose(rng).map(|l| (*l).to_owned())
    } else {
        REFERENCE_LOCATIONS.choose(rng).map(|l| (*l).to_owned())
    };
    (department, office_location)
}

/// Member count for the group at `rank`: a few large groups, many small ones (some empty).
fn group_size(rng: &mut StdRng, rank: usize, n_users: usize) -> usize {
    let n = n_users as f64;
    let size = match rank {
        0 => n * 0.35,
        1..=3 => n * rng.random_range(0.04..0.10),
        _ if rng.random_bool(0.08) => n * rng.random_range(0.02..0.06),
        _ if rng.random_bool(0.1) => 0.0,
        _ => rng.random_range(1.0..25.0_f64).min(n / 4.0),
    };
    (size as usize).min(n_users)
}

fn generate_groups(rng: &mut StdRng, users: &[User], n: usize, domain: &str) -> Vec<Group> {
    let mut names: HashSet<String> = HashSet::with_capacity(n);
    let mut groups = Vec::with_capacity(n);
    for rank in 0..n {
        let base = if rank == 0 {
            "All Employees".to_owned()
        } else {
            let topic = GROUP_TOPICS.choose(rng).unwrap_or(&"Team");
            let kind = GROUP_KINDS.choose(rng).unwrap_or(&"Team");
            format!("{topic} {kind}")
        };
        let mut name = base.clone();
        let mut k = 2;
        while !names.insert(name.clone()) {
            name = format!("{base} {k}");
            k += 1;
        }
        // The first four groups are security groups (three of them get assigned); the rest mix
        // security, Microsoft 365, mail-enabled security and distribution groups.
        let kind = if rank < 4 { 0 } else { rng.random_range(0..20) };
        let (security_enabled, mail_enabled, unified) = match kind {
            0..=13 => (true, false, false),
            14..=16 => (false, true, true),
            17..=18 => (true, true, false),
            _ => (false, true, false),
        };
        let nickname: String = ascii_alias(&name.replace(' ', "-"));
        let size = group_size(rng, rank, users.len());
        let members = pick_members(rng, users, size);
        groups.push(Group {
            id: guid(rng),
            display_name: name.clone(),
            description: rng
                .random_bool(0.7)
                .then(|| format!("{name} ({})", if unified { "Microsoft 365" } else { "security" })),
            security_enabled,
            mail_enabled,
            mail: mail_enabled.then(|| format!("{nickname}@{domain}")),
            mail_nickname: nickname,
            group_types: if unified {
                vec!["Unified".to_owned()]
            } else {
                Vec::new()
            },
            members,
            created_date_time: random_timestamp(rng),
        });
    }
    nest(rng, &mut groups);
    groups
}

/// About `size` distinct users, in id order.
fn pick_members(rng: &mut StdRng, users: &[User], size: usize) -> Vec<Member> {
    let mut picked: Vec<usize> = if size * 4 > users.len() {
        let p = size as f64 / users.len().max(1) as f64;
        (0..users.len()).filter(|_| rng.random_bool(p.min(1.0))).collect()
    } else {
        let mut set = HashSet::with_capacity(size);
        while set.len() < size {
            set.insert(rng.random_range(0..users.len()));
        }
        let mut v: Vec<usize> = set.into_iter().collect();
        v.sort_unstable();
        v
    };
    picked.dedup();
    picked
        .into_iter()
        .map(|i| Member {
            id: users[i].id.clone(),
            kind: PrincipalType::User,
        })
        .collect()
}

/// Some groups contain later groups (never earlier ones, so there are no cycles).
fn nest(rng: &mut StdRng, groups: &mut [Group]) {
    let n = groups.len();
    for i in 0..n {
        let nest = i == 1 || (i + 1 < n && rng.random_bool(0.1));
        if nest && i + 1 < n {
            let j = rng.random_range(i + 1..n);
            let id = groups[j].id.clone();
            groups[i].members.push(Member {
                id,
                kind: PrincipalType::Group,
            });
        }
    }
}
