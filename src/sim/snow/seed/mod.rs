//! The data an instance starts with, deterministic for a seed: the dictionary (`sys_dictionary`,
//! `sys_db_object`), roles, the admin and `snow.reader` accounts with their role rows, a few
//! companies, departments, locations and groups, and `snow_users` generated users
//! (`first.last` user names, some inactive and therefore locked out).

mod extras;

use std::collections::HashMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::schema::{BASE_TABLE, Kind, TableDef};
use super::store::Store;
use crate::model::SysId;
use crate::sim::tenant::{COMPANY_NAME, REFERENCE_DEPARTMENTS, REFERENCE_LOCATIONS};

pub use extras::{Extras, extend};

/// The non-admin account: role `itil` only.
pub const READER_USER: &str = "snow.reader";
pub const READER_PASSWORD: &str = "Reader-Passw0rd-1";

pub const COMPANIES: &[&str] = &["Acme Corporation", "Globex", "Initech", COMPANY_NAME];
// The generated tenant draws its departments and locations mostly from these lists, so that one
// seed describes one consistent world (and the rest become InvalidLookupReference).
pub const DEPARTMENTS: &[&str] = REFERENCE_DEPARTMENTS;
pub const LOCATIONS: &[&str] = REFERENCE_LOCATIONS;
/// Groups and the roles their members inherit (`sys_user_group.roles`).
pub const GROUPS: &[(&str, &str)] = &[("Service Desk", "itil"), ("Network", ""), ("Database", "")];
const ROLES: &[(&str, &str)] = &[
    ("admin", "Administrator: full access"),
    ("itil", "Fulfiller: works on tasks"),
    ("user", "Basic user"),
];
const FIRST: &[&str] = &[
    "Abel", "Beth", "Carlos", "Dana", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kara", "Liam", "Maya",
    "Nils", "Olga", "Pavel", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wei", "Xena", "Yusuf", "Zoe",
];
const LAST: &[&str] = &[
    "Tuter", "Anders", "Brown", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hansen", "Ito", "Jensen", "Kim",
    "Lopez", "Muller", "Nakamura", "Olsen", "Patel", "Quist", "Rossi", "Smith", "Tanaka", "Ueda", "Varga", "Weber",
    "Young", "Zimmer",
];

/// sys_id of the out-of-box `admin` user on every instance.
pub const ADMIN_SYS_ID: &str = "6816f79cc0a8016401c5a33be04be441";

/// A seeded login.
#[derive(Clone, Debug)]
pub struct Account {
    pub user_name: String,
    pub password: String,
    pub roles: Vec<String>,
}

struct Seeder<'a> {
    store: &'a mut Store,
    rng: StdRng,
    tick: i64,
}

impl Seeder<'_> {
    fn sys_id(&mut self) -> String {
        SysId::from_bytes(self.rng.random()).to_string()
    }

    fn timestamp(&mut self) -> String {
        self.tick += 1;
        let base = chrono::DateTime::from_timestamp(1_704_186_000 + self.tick * 61, 0).unwrap_or_default();
        base.format("%Y-%m-%d %H:%M:%S").to_string()
    }

    /// Inserts a row with the given fields; system fields are filled in. Returns its sys_id.
    fn insert(&mut self, table: &str, values: &[(&str, String)]) -> String {
        self.insert_as(table, values, None)
    }

    /// As `insert`, with a fixed sys_id (a random one is still drawn, so the rows after it keep
    /// theirs).
    fn insert_as(&mut self, table: &str, values: &[(&str, String)], fixed: Option<&str>) -> String {
        let drawn = self.sys_id();
        let id = fixed.map_or(drawn, str::to_owned);
        let ts = self.timestamp();
        let Some(t) = self.store.table_mut(table) else {
            return id;
        };
        let mut row = t.blank();
        let def = t.def.clone();
        let mut set = |f: &str, v: String| {
            if let Some(p) = def.pos(f) {
                row[p] = v;
            }
        };
        set("sys_id", id.clone());
        set("sys_created_on", ts.clone());
        set("sys_updated_on", ts);
        set("sys_created_by", "system".into());
        set("sys_updated_by", "system".into());
        set("sys_mod_count", "0".into());
        set("sys_class_name", table.to_owned());
        set("sys_domain", "global".into());
        set("sys_domain_path", "/".into());
        for (f, v) in values {
            set(f, v.clone());
        }
        t.put(row);
        id
    }

    fn dictionary(&mut self, defs: &[std::sync::Arc<TableDef>]) {
        let mut object_ids = std::collections::HashMap::new();
        for def in defs
            .iter()
            .filter(|d| d.name == BASE_TABLE)
            .chain(defs.iter().filter(|d| d.name != BASE_TABLE))
        {
            let parent = def
                .super_class
                .and_then(|p| {
                    object_ids
                        .get(p)
                        .cloned()
                        .or_else(|| self.store.table("sys_db_object").and_then(|t| t.find_by_display(p)))
                })
                .unwrap_or_default();
            let id = self.insert(
                "sys_db_object",
                &[
                    ("name", def.name.into()),
                    ("label", def.label.into()),
                    ("super_class", parent),
                    (
                        "is_extendable",
                        [BASE_TABLE, "sys_user", "sso_properties"]
                            .contains(&def.name)
                            .to_string(),
                    ),
                ],
            );
            object_ids.insert(def.name, id);
            let collection = [
                ("name", def.name.to_owned()),
                ("column_label", def.label.to_owned()),
                ("internal_type", "collection".to_owned()),
                ("max_length", "40".to_owned()),
            ];
            self.insert("sys_dictionary", &collection);
            for f in &def.fields[..def.own] {
                let values = [
                    ("name", def.name.to_owned()),
                    ("element", f.name.to_owned()),
                    ("column_label", f.label.to_owned()),
                    ("internal_type", f.kind.internal_type().to_owned()),
                    ("max_length", f.max_length.to_string()),
                    ("reference", f.reference.unwrap_or_default().to_owned()),
                    ("mandatory", f.mandatory.to_string()),
                    (
                        "read_only",
                        (f.name.starts_with("sys_") || f.kind == Kind::UserRoles).to_string(),
                    ),
                    ("display", (f.name == def.display).to_string()),
                    ("default_value", f.default.to_owned()),
                ];
                self.insert("sys_dictionary", &values);
            }
        }
    }
}

fn s(v: &str) -> String {
    v.to_owned()
}

/// Fills an empty store. Returns the seeded accounts (admin first).
pub fn seed(store: &mut Store, seed: u64, snow_users: usize, admin_user: &str, admin_password: &str) -> Vec<Account> {
    // Tables added later are seeded by `extend`, after these rows, so a seed keeps its sys_ids.
    let core: Vec<&str> = super::schema::tables().iter().map(|d| d.name).collect();
    let defs: Vec<_> = store.defs().into_iter().filter(|d| core.contains(&d.name)).collect();
    let mut sd = Seeder {
        store,
        rng: StdRng::seed_from_u64(seed),
        tick: 0,
    };
    sd.dictionary(&defs);
    let refs = sd.reference_rows();
    let accounts = vec![
        Account {
            user_name: admin_user.to_owned(),
            password: admin_password.to_owned(),
            roles: vec![s("admin")],
        },
        Account {
            user_name: s(READER_USER),
            password: s(READER_PASSWORD),
            roles: vec![s("itil")],
        },
    ];
    for (account, name) in accounts.iter().zip([("System", "Administrator"), ("Snow", "Reader")]) {
        sd.account(account, name, &refs.roles);
    }
    sd.users(snow_users, &refs);
    accounts
}

/// The rows seeded before any user, by table.
struct ReferenceRows {
    roles: HashMap<&'static str, String>,
    companies: Vec<String>,
    departments: Vec<String>,
    locations: Vec<String>,
}

impl Seeder<'_> {
    /// Roles, companies, departments, locations and groups: what users refer to.
    fn reference_rows(&mut self) -> ReferenceRows {
        let mut role_ids = HashMap::new();
        for (name, description) in ROLES {
            let id = self.insert("sys_user_role", &[("name", s(name)), ("description", s(description))]);
            role_ids.insert(*name, id);
        }
        let companies: Vec<String> = COMPANIES
            .iter()
            .map(|c| self.insert("core_company", &[("name", s(c))]))
            .collect();
        let departments: Vec<String> = DEPARTMENTS
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let values = [
                    ("name", s(d)),
                    ("id", format!("D{:03}", i + 1)),
                    ("company", companies[0].clone()),
                ];
                self.insert("cmn_department", &values)
            })
            .collect();
        let locations: Vec<String> = LOCATIONS
            .iter()
            .map(|l| self.insert("cmn_location", &[("name", s(l)), ("city", s(l))]))
            .collect();
        for (name, roles) in GROUPS {
            self.insert(
                "sys_user_group",
                &[
                    ("name", s(name)),
                    ("roles", s(roles)),
                    ("description", format!("{name} team")),
                ],
            );
        }
        ReferenceRows {
            roles: role_ids,
            companies,
            departments,
            locations,
        }
    }

    fn account(&mut self, account: &Account, (first, last): (&str, &str), role_ids: &HashMap<&str, String>) {
        let role = &account.roles[0];
        // The admin of every instance has this sys_id (it appears as `opened_by`, `closed_by`, …
        // in recorded Table API answers of many instances) and the email admin@example.com.
        let fixed = (account.user_name == "admin").then_some(ADMIN_SYS_ID);
        let email = if account.user_name.contains('@') {
            account.user_name.clone()
        } else {
            format!("{}@example.com", account.user_name)
        };
        let user = self.insert_as(
            "sys_user",
            &[
                ("user_name", account.user_name.clone()),
                ("first_name", s(first)),
                ("last_name", s(last)),
                ("name", format!("{first} {last}")),
                ("email", email),
                ("roles", role.clone()),
                ("web_service_access_only", s("false")),
                ("internal_integration_user", s("false")),
            ],
            fixed,
        );
        let values = [
            ("user", user),
            ("role", role_ids.get(role.as_str()).cloned().unwrap_or_default()),
            ("inherited", s("false")),
            ("state", s("active")),
        ];
        self.insert("sys_user_has_role", &values);
    }

    fn users(&mut self, snow_users: usize, refs: &ReferenceRows) {
        let (companies, departments, locations) = (&refs.companies, &refs.departments, &refs.locations);
        let mut taken = std::collections::HashSet::new();
        for i in 0..snow_users {
            let first = FIRST[self.rng.random_range(0..FIRST.len())];
            let last = LAST[self.rng.random_range(0..LAST.len())];
            let mut user_name = format!("{}.{}", first.to_lowercase(), last.to_lowercase());
            if !taken.insert(user_name.clone()) {
                user_name = format!("{user_name}{i}");
                taken.insert(user_name.clone());
            }
            // Every seventh user is inactive (and so locked out), whatever the seed.
            let active = i % 7 != 3;
            let department = departments[self.rng.random_range(0..departments.len())].clone();
            let location = locations[self.rng.random_range(0..locations.len())].clone();
            let values = [
                ("user_name", user_name.clone()),
                ("first_name", s(first)),
                ("last_name", s(last)),
                ("name", format!("{first} {last}")),
                ("email", format!("{user_name}@example.com")),
                ("title", s(["Engineer", "Analyst", "Manager", "Consultant"][i % 4])),
                ("department", department),
                ("location", location),
                ("company", companies[i % companies.len()].clone()),
                ("employee_number", format!("E{:06}", i + 1)),
                ("active", active.to_string()),
                ("locked_out", (!active).to_string()),
            ];
            self.insert("sys_user", &values);
        }
    }
}
