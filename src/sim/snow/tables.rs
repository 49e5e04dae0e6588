//! The tables of the simulated instance, as (name, label, display/unique fields, columns):
//! the directory (users, groups, members), roles, the tables references point at, and the
//! metadata tables a client reads to learn the schema.

use super::schema::{Field, Kind, b, f, mandatory, r, user_fields};

type Def = (&'static str, &'static str, &'static [&'static str], Vec<Field>);

pub(super) fn defs() -> Vec<Def> {
    let mut all = directory_tables();
    all.extend(reference_tables());
    all.extend(meta_tables());
    all
}

fn directory_tables() -> Vec<Def> {
    use Kind::*;
    vec![
        (
            "sys_user",
            "User",
            &["user_name", "email", "name", "employee_number"],
            user_fields(),
        ),
        (
            "sys_user_group",
            "Group",
            &["name"],
            vec![
                mandatory(f("name", "Name", Str, 80)),
                r("manager", "Manager", "sys_user"),
                f("email", "Group email", Email, 100),
                r("parent", "Parent", "sys_user_group"),
                b("active", "Active", "true"),
                f("description", "Description", Str, 1000),
                f("type", "Type", Str, 1024),
                f("roles", "Roles", UserRoles, 255),
                f("source", "Source", Str, 255),
            ],
        ),
        (
            "sys_user_grmember",
            "Group Member",
            &["user", "group"],
            vec![
                mandatory(r("user", "User", "sys_user")),
                mandatory(r("group", "Group", "sys_user_group")),
            ],
        ),
    ]
}

fn reference_tables() -> Vec<Def> {
    use Kind::*;
    vec![
        (
            "sys_user_role",
            "Role",
            &["name"],
            vec![
                mandatory(f("name", "Name", Str, 100)),
                f("description", "Description", Str, 1000),
                b("elevated_privilege", "Elevated privilege", "false"),
                b("grantable", "Grantable", "true"),
                b("can_delegate", "Can delegate", "true"),
                f("suffix", "Suffix", Str, 100),
            ],
        ),
        (
            "sys_user_has_role",
            "User Role",
            &["user", "role", "granted_by"],
            vec![
                mandatory(r("user", "User", "sys_user")),
                mandatory(r("role", "Role", "sys_user_role")),
                b("inherited", "Inherited", "false"),
                r("granted_by", "Granted by", "sys_user_group"),
                f("state", "State", Str, 40),
            ],
        ),
        (
            "cmn_department",
            "Department",
            &["name"],
            vec![
                mandatory(f("name", "Name", Str, 100)),
                f("id", "ID", Str, 40),
                f("description", "Description", Str, 1000),
                r("company", "Company", "core_company"),
                r("dept_head", "Department head", "sys_user"),
                r("parent", "Parent", "cmn_department"),
                f("head_count", "Head count", Int, 40),
            ],
        ),
        (
            "cmn_location",
            "Location",
            &["name"],
            vec![
                mandatory(f("name", "Name", Str, 100)),
                f("full_name", "Full name", Str, 255),
                f("street", "Street", Str, 255),
                f("city", "City", Str, 100),
                f("state", "State / Province", Str, 100),
                f("zip", "Zip / Postal Code", Str, 40),
                f("country", "Country", Str, 40),
                r("parent", "Parent", "cmn_location"),
                r("company", "Company", "core_company"),
                f("time_zone", "Time zone", Str, 40),
            ],
        ),
    ]
}

fn meta_tables() -> Vec<Def> {
    use Kind::*;
    vec![
        (
            "core_company",
            "Company",
            &["name"],
            vec![
                mandatory(f("name", "Name", Str, 80)),
                f("street", "Street", Str, 255),
                f("city", "City", Str, 50),
                f("state", "State / Province", Str, 40),
                f("zip", "Zip / Postal code", Str, 40),
                f("country", "Country", Str, 40),
                f("phone", "Phone", Phone, 40),
                f("stock_symbol", "Stock symbol", Str, 40),
                f("website", "Website", Str, 1024),
                r("parent", "Parent", "core_company"),
                b("vendor", "Vendor", "false"),
                b("customer", "Customer", "false"),
                b("manufacturer", "Manufacturer", "false"),
            ],
        ),
        (
            "sys_dictionary",
            "Dictionary Entry",
            &["name", "element"],
            vec![
                f("name", "Table", Str, 80),
                f("element", "Column name", Str, 80),
                f("column_label", "Column label", Str, 80),
                r("internal_type", "Type", "sys_glide_object"),
                f("max_length", "Max length", Int, 40),
                r("reference", "Reference", "sys_db_object"),
                b("mandatory", "Mandatory", "false"),
                b("read_only", "Read only", "false"),
                b("active", "Active", "true"),
                b("display", "Display", "false"),
                f("default_value", "Default value", Str, 512),
            ],
        ),
        (
            "sys_db_object",
            "Table",
            &["name"],
            vec![
                f("name", "Name", Str, 80),
                f("label", "Label", Str, 80),
                r("super_class", "Extends table", "sys_db_object"),
                b("is_extendable", "Extensible", "false"),
                f("number_ref", "Auto number", Str, 32),
            ],
        ),
    ]
}
