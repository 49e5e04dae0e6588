use super::*;
use crate::servicenow::schema::{FieldDef, TableSchema};

/// The query string as it goes on the wire (form encoding, as the client's URL builder does).
fn wire(q: &Query) -> String {
    let text = q.encode().unwrap();
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("sysparm_query", &text)
        .finish()
}

#[test]
fn every_operator_encodes() {
    let cases: Vec<(Cond, &str)> = vec![
        (Cond::eq("user_name", "abel.tuter"), "user_name=abel.tuter"),
        (Cond::ne("active", "true"), "active!=true"),
        (Cond::like("name", "tut"), "nameLIKEtut"),
        (Cond::not_like("name", "tut"), "nameNOT LIKEtut"),
        (Cond::starts_with("user_name", "abel"), "user_nameSTARTSWITHabel"),
        (Cond::ends_with("email", "@x.com"), "emailENDSWITH@x.com"),
        (Cond::is_in("sys_id", ["a", "b", "c"]), "sys_idINa,b,c"),
        (Cond::not_in("name", ["db2", "sql server"]), "nameNOT INdb2,sql server"),
        (Cond::is_empty("department"), "departmentISEMPTY"),
        (Cond::is_not_empty("element"), "elementISNOTEMPTY"),
        (Cond::empty_string("title"), "titleEMPTYSTRING"),
        (Cond::anything("title"), "titleANYTHING"),
        (Cond::lt("sys_mod_count", "4"), "sys_mod_count<4"),
        (Cond::le("sys_mod_count", "4"), "sys_mod_count<=4"),
        (Cond::gt("sys_id", "abc"), "sys_id>abc"),
        (Cond::ge("sys_id", "abc"), "sys_id>=abc"),
        (
            Cond::between("sys_created_on", "2024-01-01 00:00:00", "2024-12-31 23:59:59"),
            "sys_created_onBETWEEN2024-01-01 00:00:00@2024-12-31 23:59:59",
        ),
        (Cond::same_as("first_name", "last_name"), "first_nameSAMEASlast_name"),
        (
            Cond::not_same_as("first_name", "last_name"),
            "first_nameNSAMEASlast_name",
        ),
        (Cond::eq("user.user_name", "x"), "user.user_name=x"),
    ];
    for (cond, want) in cases {
        assert_eq!(Query::new().and(cond).encode().unwrap(), want);
    }
}

#[test]
fn joins_and_ordering_compose() {
    let q = Query::new()
        .and(Cond::starts_with("user_name", "abel"))
        .and(Cond::eq("active", "true"))
        .or(Cond::ends_with("email", "@x.com"))
        .new_query(Cond::is_empty("department"))
        .order_by("sys_id")
        .order_by_desc("user_name");
    assert_eq!(
        q.encode().unwrap(),
        "user_nameSTARTSWITHabel^active=true^ORemailENDSWITH@x.com^NQdepartmentISEMPTY^ORDERBYsys_id^ORDERBYDESCuser_name"
    );
    assert_eq!(Query::new().encode().unwrap(), "");
    assert_eq!(Query::new().order_by("sys_id").encode().unwrap(), "ORDERBYsys_id");
    assert!(Query::new().order_by("sys_id").orders_by("sys_id"));
    assert_eq!(Query::new().or(Cond::eq("a", "1")).encode(), Err(QueryError::LeadingOr));
    assert_eq!(
        Query::new().new_query(Cond::eq("a", "1")).encode(),
        Err(QueryError::LeadingOr)
    );
}

#[test]
fn values_are_percent_encoded_on_the_wire() {
    let cases = [
        ("a b", "sysparm_query=f%3Da+b"),
        ("100%", "sysparm_query=f%3D100%25"),
        ("x=y", "sysparm_query=f%3Dx%3Dy"),
        ("a&b", "sysparm_query=f%3Da%26b"),
        ("a+b", "sysparm_query=f%3Da%2Bb"),
        ("a#b", "sysparm_query=f%3Da%23b"),
        ("a,b", "sysparm_query=f%3Da%2Cb"),
        ("o'brien@x.com", "sysparm_query=f%3Do%27brien%40x.com"),
        (
            "Zoë Ærø 山田",
            "sysparm_query=f%3DZo%C3%AB+%C3%86r%C3%B8+%E5%B1%B1%E7%94%B0",
        ),
        (
            "user#EXT#@x.onmicrosoft.com",
            "sysparm_query=f%3Duser%23EXT%23%40x.onmicrosoft.com",
        ),
    ];
    for (value, want) in cases {
        assert_eq!(wire(&Query::new().and(Cond::eq("f", value))), want, "{value}");
    }
    let q = Query::new()
        .and(Cond::eq("a", "1"))
        .and(Cond::eq("b", "2"))
        .order_by("sys_id");
    assert_eq!(wire(&q), "sysparm_query=a%3D1%5Eb%3D2%5EORDERBYsys_id");
}

#[test]
fn hostile_values_are_rejected_never_sent() {
    let rejected: Vec<(Cond, &str)> = vec![
        (Cond::eq("user_name", "x^ORactive=true"), "'^'"),
        (Cond::eq("user_name", "x^NQactive=true"), "'^'"),
        (Cond::eq("user_name", "^"), "'^'"),
        (Cond::eq("user_name", "a\nb"), "control"),
        (Cond::eq("user_name", "a\r\nb"), "control"),
        (Cond::eq("user_name", "a\tb"), "control"),
        (Cond::eq("user_name", "a\0b"), "control"),
        (Cond::eq("user_name", "a\u{85}b"), "control"),
        (Cond::eq("user_name", "a\u{2028}b"), "control"),
        (Cond::eq("user_name", ""), "is empty"),
        (Cond::like("name", ""), "is empty"),
        (Cond::eq("user", "javascript:gs.getUserID()"), "javascript"),
        (Cond::eq("user", " JavaScript:x"), "javascript"),
        (Cond::is_in("sys_id", ["a", "b,c"]), "','"),
        (Cond::is_in("sys_id", ["a", ""]), "','"),
        (Cond::is_in("sys_id", Vec::<String>::new()), "empty IN list"),
        (Cond::not_in("sys_id", ["a^b"]), "'^'"),
        (Cond::between("d", "a@b", "c"), "'@'"),
        (Cond::between("d", "a", ""), "'@'"),
        (Cond::between("d", "a", "b^c"), "'^'"),
    ];
    for (cond, needle) in rejected {
        let err = Query::new().and(cond.clone()).encode().expect_err(&format!("{cond:?}"));
        assert!(err.to_string().contains(needle), "{cond:?}: {err}");
        assert!(matches!(err, QueryError::BadValue { .. }));
    }
    // A comma is fine in an ordinary value, '@' outside BETWEEN too.
    assert!(Query::new().and(Cond::eq("name", "Tuter, Abel")).encode().is_ok());
    assert!(Query::new().and(Cond::eq("email", "a@b.c")).encode().is_ok());
}

#[test]
fn bad_field_names_are_rejected() {
    for field in ["", "user name", "a^b", "a=b", "a..b", ".a", "a.", "naïve", "a,b"] {
        let err = Query::new().and(Cond::is_empty(field)).encode().unwrap_err();
        assert_eq!(err, QueryError::BadField(field.to_owned()), "{field:?}");
    }
    assert!(Query::new().order_by("a b").encode().is_err());
    assert!(Query::new().and(Cond::same_as("a", "b^c")).encode().is_err());
}

fn def(name: &str, ty: &str, reference: Option<&str>) -> FieldDef {
    FieldDef {
        name: name.into(),
        internal_type: ty.into(),
        max_length: Some(40),
        reference: reference.map(Into::into),
        mandatory: false,
        read_only: false,
        defined_on: "sys_user".into(),
    }
}

#[test]
fn validate_checks_fields_against_the_schema() {
    let schema = TableSchema::new(
        "sys_user",
        [
            def("user_name", "string", None),
            def("department", "reference", Some("cmn_department")),
        ],
    );
    let ok = Query::new()
        .and(Cond::eq("user_name", "x"))
        .or(Cond::eq("department.name", "Sales"))
        .order_by("sys_id")
        .order_by("sys_created_on");
    assert_eq!(ok.validate(&schema), Ok(()));
    let typo = Query::new().and(Cond::eq("user_nmae", "x"));
    let err = typo.validate(&schema).unwrap_err();
    assert!(matches!(&err, QueryError::UnknownField { field, .. } if field == "user_nmae"));
    assert!(err.to_string().contains("silently drop"));
    // Dot-walk through a field that is not a reference.
    assert!(
        Query::new()
            .and(Cond::eq("user_name.x", "1"))
            .validate(&schema)
            .is_err()
    );
    assert!(Query::new().order_by("nope").validate(&schema).is_err());
    assert!(
        Query::new()
            .and(Cond::same_as("user_name", "nope"))
            .validate(&schema)
            .is_err()
    );
}

#[test]
fn in_lists_are_chunked_to_keep_urls_short() {
    let ids: Vec<String> = (0..10).map(|i| format!("{i:032x}")).collect();
    let chunks = Cond::in_chunks("sys_id", ids.clone(), 112);
    assert_eq!(
        chunks.len(),
        4,
        "sys_idIN + 3 ids of 32 + 2 encoded commas = 110 per chunk"
    );
    let joined: Vec<String> = chunks
        .iter()
        .map(|c| {
            Query::new()
                .and(c.clone())
                .encode()
                .unwrap()
                .trim_start_matches("sys_idIN")
                .to_owned()
        })
        .collect();
    assert!(joined.iter().all(|j| j.len() <= 112));
    assert_eq!(joined.join(",").split(',').map(str::to_owned).collect::<Vec<_>>(), ids);
    assert_eq!(Cond::in_chunks("sys_id", ["x".repeat(300)], 100).len(), 1);
    assert!(Cond::in_chunks("sys_id", Vec::<String>::new(), 100).is_empty());
}

/// Review R8: chunks were measured as text, so names of multi-byte characters (and `,` `=`
/// escapes) made a URL three times as long as allowed. Each chunk is now at most the budget
/// as sent, and as full as the budget allows.
#[test]
fn in_lists_are_chunked_by_their_encoded_bytes_and_filled_to_the_budget() {
    let names: Vec<String> = (0..60).map(|i| format!("Zoë Ünal-{i} \u{202e}مرحبا = a@b")).collect();
    let budget = 400;
    let chunks = Cond::in_chunks("name", names.clone(), budget);
    let texts: Vec<String> = chunks
        .iter()
        .map(|c| Query::new().and(c.clone()).encode().unwrap())
        .collect();
    for t in &texts {
        assert!(encoded_len(t) <= budget, "{} > {budget}: {t}", encoded_len(t));
    }
    // Full: one more name would not have fitted in any chunk but the last.
    let one = encoded_len(&names[0]);
    for t in &texts[..texts.len() - 1] {
        assert!(encoded_len(t) + 3 + one > budget, "{t}");
    }
    // Ordinary sys_ids fill a 1,600-byte budget with 45 each, as the text measure did.
    let ids: Vec<String> = (0..90).map(|i| format!("{i:032x}")).collect();
    assert_eq!(Cond::in_chunks("sys_id", ids, 1600).len(), 2);
}

#[test]
fn a_bound_narrows_every_new_query_group_and_the_order_can_be_replaced() {
    let q = Query::new()
        .and(Cond::eq("a", "1"))
        .or(Cond::eq("a", "2"))
        .new_query(Cond::eq("b", "3"))
        .order_by("name");
    let bounded = q.and_each_group(Cond::gt("sys_id", "abc")).only_ordered_by("sys_id");
    assert_eq!(
        bounded.encode().unwrap(),
        "a=1^ORa=2^sys_id>abc^NQb=3^sys_id>abc^ORDERBYsys_id"
    );
    assert_eq!(
        Query::new().and_each_group(Cond::gt("sys_id", "x")).encode().unwrap(),
        "sys_id>x"
    );
}
