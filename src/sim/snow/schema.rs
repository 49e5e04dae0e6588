//! Table definitions of the simulated instance: fields, internal types, max lengths, references,
//! display fields and table inheritance.
//!
//! Inheritance (what `sys_db_object.super_class` says): every data table extends the abstract
//! table `sys_metadata_record`, which owns the system fields (`sys_id`, `sys_created_on`,
//! `sys_created_by`, `sys_updated_on`, `sys_updated_by`, `sys_mod_count`, `sys_class_name`,
//! `sys_domain`, `sys_domain_path`, `sys_tags`). Their `sys_dictionary` rows carry
//! `name=sys_metadata_record`, so a client that reads a table's own dictionary rows must walk
//! `super_class` to see them, as it must on a real instance for extended tables. The parent has
//! no rows of its own.
//!
//! Lengths follow spec §5 where documented; unverified ones are chosen as the spec suggests
//! (email 100, employee_number 40, group name 80, department/location name 100).

use std::collections::HashMap;

/// The abstract parent of every data table; owns the system fields.
pub const BASE_TABLE: &str = "sys_metadata_record";

/// A field's internal type, as `sys_dictionary.internal_type` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Guid,
    Str,
    Email,
    Phone,
    Bool,
    Int,
    DateTime,
    Reference,
    UserRoles,
    ClassName,
    Tags,
    Password,
}

impl Kind {
    pub fn internal_type(self) -> &'static str {
        match self {
            Kind::Guid => "GUID",
            Kind::Str => "string",
            Kind::Email => "email",
            Kind::Phone => "ph_number",
            Kind::Bool => "boolean",
            Kind::Int => "integer",
            Kind::DateTime => "glide_date_time",
            Kind::Reference => "reference",
            Kind::UserRoles => "user_roles",
            Kind::ClassName => "sys_class_name",
            Kind::Tags => "related_tags",
            Kind::Password => "password",
        }
    }
}

/// One column.
#[derive(Clone, Debug)]
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: Kind,
    pub max_length: usize,
    /// Referenced table, for `Kind::Reference`.
    pub reference: Option<&'static str>,
    pub default: &'static str,
    pub mandatory: bool,
    /// `(value, label)` of a choice field's choice list (`sys_choice`).
    pub choices: &'static [(&'static str, &'static str)],
}

/// One table with its own and inherited columns.
#[derive(Debug)]
pub struct TableDef {
    pub name: &'static str,
    pub label: &'static str,
    pub super_class: Option<&'static str>,
    /// Own columns followed by inherited ones; a row's values are stored in this order.
    pub fields: Vec<Field>,
    /// How many of `fields` (from the start) are the table's own dictionary rows.
    pub own: usize,
    pub display: &'static str,
    /// Fields with a hash index (lower-cased value → sys_ids).
    pub indexed: &'static [&'static str],
    positions: HashMap<&'static str, usize>,
}

impl TableDef {
    pub fn pos(&self, field: &str) -> Option<usize> {
        self.positions.get(field).copied()
    }

    #[cfg(test)]
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.pos(name).map(|i| &self.fields[i])
    }

    pub fn display_pos(&self) -> usize {
        self.pos(self.display).unwrap_or(0)
    }
}

pub(super) const fn f(name: &'static str, label: &'static str, kind: Kind, max_length: usize) -> Field {
    Field {
        name,
        label,
        kind,
        max_length,
        reference: None,
        default: "",
        mandatory: false,
        choices: &[],
    }
}

pub(super) const fn r(name: &'static str, label: &'static str, table: &'static str) -> Field {
    Field {
        name,
        label,
        kind: Kind::Reference,
        max_length: 32,
        reference: Some(table),
        default: "",
        mandatory: false,
        choices: &[],
    }
}

pub(super) const fn b(name: &'static str, label: &'static str, default: &'static str) -> Field {
    Field {
        name,
        label,
        kind: Kind::Bool,
        max_length: 40,
        reference: None,
        default,
        mandatory: false,
        choices: &[],
    }
}

/// Choices of `sys_user.country` (ISO 3166 alpha-2 values; a subset of an instance's list).
const COUNTRIES: &[(&str, &str)] = &[
    ("US", "United States"),
    ("GB", "United Kingdom"),
    ("DE", "Germany"),
    ("FR", "France"),
    ("NL", "Netherlands"),
    ("CH", "Switzerland"),
    ("CA", "Canada"),
    ("AU", "Australia"),
    ("IN", "India"),
    ("JP", "Japan"),
];

/// Choices of `sys_user.preferred_language`.
const LANGUAGES: &[(&str, &str)] = &[
    ("en", "English"),
    ("de", "German"),
    ("fr", "French"),
    ("es", "Spanish"),
    ("it", "Italian"),
    ("nl", "Dutch"),
    ("ja", "Japanese"),
    ("pt", "Portuguese"),
    ("zh", "Chinese"),
];

pub(super) fn mandatory(mut field: Field) -> Field {
    field.mandatory = true;
    field
}

pub(super) fn system_fields() -> Vec<Field> {
    vec![
        f("sys_id", "Sys ID", Kind::Guid, 32),
        f("sys_created_on", "Created", Kind::DateTime, 40),
        f("sys_created_by", "Created by", Kind::Str, 40),
        f("sys_updated_on", "Updated", Kind::DateTime, 40),
        f("sys_updated_by", "Updated by", Kind::Str, 40),
        f("sys_mod_count", "Updates", Kind::Int, 40),
        f("sys_class_name", "Class", Kind::ClassName, 80),
        r("sys_domain", "Domain", "sys_user_group"),
        f("sys_domain_path", "Domain Path", Kind::Str, 255),
        f("sys_tags", "Tags", Kind::Tags, 40),
    ]
}

pub(super) fn user_fields() -> Vec<Field> {
    use Kind::*;
    vec![
        mandatory(f("user_name", "User ID", Str, 40)),
        f("first_name", "First name", Str, 50),
        f("middle_name", "Middle name", Str, 50),
        f("last_name", "Last name", Str, 50),
        f("name", "Name", Str, 151),
        f("email", "Email", Email, 100),
        f("title", "Title", Str, 60),
        r("department", "Department", "cmn_department"),
        r("location", "Location", "cmn_location"),
        r("company", "Company", "core_company"),
        r("manager", "Manager", "sys_user"),
        f("phone", "Business phone", Phone, 40),
        f("mobile_phone", "Mobile phone", Phone, 40),
        f("home_phone", "Home phone", Phone, 40),
        f("employee_number", "Employee number", Str, 40),
        b("active", "Active", "true"),
        b("locked_out", "Locked out", "false"),
        b("password_needs_reset", "Password needs reset", "false"),
        f("user_password", "Password", Password, 255),
        b("web_service_access_only", "Web service access only", "false"),
        b("internal_integration_user", "Internal Integration User", "false"),
        b("vip", "VIP", "false"),
        f("city", "City", Str, 40),
        f("state", "State / Province", Str, 40),
        f("zip", "Zip / Postal code", Str, 40),
        f("street", "Street", Str, 255),
        Field {
            choices: COUNTRIES,
            ..f("country", "Country code", Str, 3)
        },
        f("time_zone", "Time zone", Str, 40),
        Field {
            choices: LANGUAGES,
            ..f("preferred_language", "Language", Str, 3)
        },
        f("gender", "Gender", Str, 40),
        f("roles", "Roles", UserRoles, 40),
        f("source", "Source", Str, 255),
        f("failed_attempts", "Failed login attempts", Int, 40),
        f("last_login_time", "Last login time", DateTime, 40),
    ]
}

pub(super) fn build(
    name: &'static str,
    label: &'static str,
    super_class: Option<&'static str>,
    indexed: &'static [&'static str],
    own: Vec<Field>,
    inherited: Vec<Field>,
) -> TableDef {
    let own_count = own.len();
    let mut fields = own;
    fields.extend(inherited);
    let positions = fields.iter().enumerate().map(|(i, f)| (f.name, i)).collect();
    let display = if fields.iter().any(|f| f.name == "name") {
        "name"
    } else {
        "sys_id"
    };
    TableDef {
        name,
        label,
        super_class,
        fields,
        own: own_count,
        display,
        indexed,
        positions,
    }
}

/// Every table of the instance, the abstract base first.
pub fn tables() -> Vec<TableDef> {
    let mut out = vec![build(BASE_TABLE, "Record", None, &[], system_fields(), Vec::new())];
    for (name, label, indexed, own) in super::tables::defs() {
        out.push(build(name, label, Some(BASE_TABLE), indexed, own, system_fields()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_data_table_inherits_the_system_fields() {
        for t in tables().iter().filter(|t| t.name != BASE_TABLE) {
            assert_eq!(t.super_class, Some(BASE_TABLE));
            assert!(t.pos("sys_id").is_some_and(|p| p >= t.own), "{}", t.name);
        }
    }

    #[test]
    fn user_name_is_forty_characters() {
        let all = tables();
        let user = all.iter().find(|t| t.name == "sys_user").unwrap();
        assert_eq!(user.field("user_name").unwrap().max_length, 40);
        assert_eq!(user.display, "name");
    }
}
