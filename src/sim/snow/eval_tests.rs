use super::*;
use crate::sim::snow::query::{self, Cond, Op};
use crate::sim::snow::test_support::store_with;

fn fixture() -> Store {
    store_with(&[
        ("abel.tuter", "Abel", "Tuter", "abel@x.com", true, "Engineering"),
        ("beth.anglin", "Beth", "Anglin", "beth@y.com", true, "Sales"),
        ("carl.tuter", "Carl", "Tuter", "", false, "Engineering"),
        ("dana.dee", "Dana", "Dee", "dana@x.com", true, ""),
    ])
}

fn names(store: &Store, q: &str) -> Vec<String> {
    let caller = Caller {
        sys_id: &format!("{:032x}", 2),
        user_name: "beth.anglin",
    };
    let filter = Filter::compile(store, "sys_user", &query::parse(q), &caller);
    let t = store.table("sys_user").unwrap();
    let pos = t.def.pos("user_name").unwrap();
    let (total, ids) = filter.select(store, t, 0, 10_000);
    assert_eq!(total, ids.len());
    let mut out: Vec<String> = ids
        .iter()
        .map(|id| t.get(id).unwrap()[pos].clone())
        .filter(|n| n.contains('.') && n != "snow.reader")
        .collect();
    if !q.contains("ORDERBY") {
        out.sort();
    }
    out
}

#[test]
fn operators_and_precedence() {
    let store = fixture();
    let cases: &[(&str, &[&str])] = &[
        ("user_name=abel.tuter", &["abel.tuter"]),
        ("user_name=ABEL.TUTER", &["abel.tuter"]),
        ("last_name!=tuter", &["beth.anglin", "dana.dee"]),
        ("nameLIKEtut", &["abel.tuter", "carl.tuter"]),
        ("nameNOT LIKEtut", &["beth.anglin", "dana.dee"]),
        ("nameNOTLIKEtut", &["beth.anglin", "dana.dee"]),
        ("user_nameSTARTSWITHb", &["beth.anglin"]),
        ("emailENDSWITH@X.COM", &["abel.tuter", "dana.dee"]),
        ("user_nameINabel.tuter,dana.dee", &["abel.tuter", "dana.dee"]),
        ("last_nameNOT INtuter,dee", &["beth.anglin"]),
        ("emailISEMPTY", &["carl.tuter"]),
        ("emailEMPTYSTRING", &["carl.tuter"]),
        ("departmentISNOTEMPTY^emailISNOTEMPTY", &["abel.tuter", "beth.anglin"]),
        ("nameANYTHING^user_nameSTARTSWITHa", &["abel.tuter"]),
        ("failed_attempts<5", &["abel.tuter"]),
        ("failed_attempts<=5", &["abel.tuter", "beth.anglin"]),
        ("failed_attempts>10", &["dana.dee"]),
        ("failed_attempts>=10", &["carl.tuter", "dana.dee"]),
        ("failed_attemptsBETWEEN5@10", &["beth.anglin", "carl.tuter"]),
        ("first_nameSAMEASlast_name", &[]),
        ("first_nameNSAMEASlast_name^user_nameSTARTSWITHa", &["abel.tuter"]),
        ("active=false", &["carl.tuter"]),
        ("active=0", &["carl.tuter"]),
        ("active=TRUE^last_name=tuter", &["abel.tuter"]),
        // ^OR binds to the previous condition only: a AND (b OR c).
        ("last_name=tuter^first_name=abel^ORfirst_name=beth", &["abel.tuter"]),
        ("first_name=abel^ORfirst_name=beth^last_name=tuter", &["abel.tuter"]),
        // ^NQ: (A AND B) OR (C AND D).
        (
            "last_name=tuter^active=false^NQuser_name=dana.dee^emailLIKEx",
            &["carl.tuter", "dana.dee"],
        ),
        ("department.name=engineering", &["abel.tuter", "carl.tuter"]),
        ("department.nameSTARTSWITHsal", &["beth.anglin"]),
        // Unknown fields are dropped: the rest still applies.
        ("no_such_field=1^user_name=abel.tuter", &["abel.tuter"]),
        ("department.nope=1^user_name=abel.tuter", &["abel.tuter"]),
        ("sys_id=javascript:gs.getUserID()", &["beth.anglin"]),
        ("user_name=javascript:gs.getUserName()", &["beth.anglin"]),
        ("user_name=abel.tuter^EQ", &["abel.tuter"]),
        ("first_name=dana dee^ORlast_name=Dee", &["dana.dee"]),
    ];
    for (q, want) in cases {
        assert_eq!(
            names(&store, q),
            want.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            "{q}"
        );
    }
}

#[test]
fn ordering_and_paging() {
    let store = fixture();
    let got = names(&store, "user_nameLIKE.^ORDERBYDESCuser_name");
    assert_eq!(got, ["dana.dee", "carl.tuter", "beth.anglin", "abel.tuter"]);
    let got = names(&store, "user_nameLIKE.^ORDERBYlast_name^ORDERBYDESCfirst_name");
    assert_eq!(got, ["beth.anglin", "dana.dee", "carl.tuter", "abel.tuter"]);
    let caller = Caller {
        sys_id: "",
        user_name: "",
    };
    let filter = Filter::compile(&store, "sys_user", &query::parse("ORDERBYsys_id"), &caller);
    let t = store.table("sys_user").unwrap();
    let (total, page) = filter.select(&store, t, 1, 2);
    assert_eq!(total, t.rows.len());
    assert_eq!(page, t.rows.keys().skip(1).take(2).cloned().collect::<Vec<_>>());
}

#[test]
fn indexed_equality_narrows_candidates() {
    let store = fixture();
    let caller = Caller {
        sys_id: "",
        user_name: "",
    };
    let filter = Filter::compile(
        &store,
        "sys_user",
        &query::parse("user_name=Abel.Tuter^active=true"),
        &caller,
    );
    let t = store.table("sys_user").unwrap();
    assert_eq!(filter.candidates(t).map(|c| c.len()), Some(1));
    let wide = Filter::compile(&store, "sys_user", &query::parse("user_name=a^NQuser_name=b"), &caller);
    assert!(wide.candidates(t).is_none());
    let narrow = |q: &str| {
        Filter::compile(&store, "sys_user", &query::parse(q), &caller)
            .candidates(t)
            .map(|c| c.len())
    };
    assert_eq!(narrow("user_nameINabel.tuter,DANA.DEE,nobody^active=true"), Some(2));
    assert_eq!(narrow("user_nameSTARTSWITHAbel^ORemail=beth@y.com"), Some(2));
    assert_eq!(narrow("emailSTARTSWITHdana"), Some(1));
    assert_eq!(
        narrow("user_nameLIKEabel^ORemail=beth@y.com"),
        None,
        "LIKE has no index"
    );
    let id = format!("{:032x}", 3);
    assert_eq!(narrow(&format!("sys_idIN{id},{:032x}", 99)), Some(1));
}

#[test]
fn keyset_paging_walks_the_sys_id_range() {
    // Keyset paging (`sys_id>LAST^ORDERBYsys_id`, spec §13 #10) neither skips nor repeats rows.
    let store = fixture();
    let caller = Caller {
        sys_id: "",
        user_name: "",
    };
    let t = store.table("sys_user").unwrap();
    let all: Vec<String> = t.rows.keys().cloned().collect();
    let mut seen = Vec::new();
    let mut last = String::new();
    loop {
        let q = if last.is_empty() {
            "ORDERBYsys_id".to_owned()
        } else {
            format!("sys_id>{last}^ORDERBYsys_id")
        };
        let filter = Filter::compile(&store, "sys_user", &query::parse(&q), &caller);
        assert_eq!(filter.is_keyset(t), !last.is_empty());
        let page = filter.page(&store, t, 0, 2);
        let Some(end) = page.last() else { break };
        last = end.clone();
        seen.extend(page);
    }
    assert_eq!(seen, all);
    let filter = Filter::compile(
        &store,
        "sys_user",
        &query::parse(&format!("sys_id>={}", all[1])),
        &caller,
    );
    assert_eq!(filter.select(&store, t, 0, 100).0, all.len() - 1);
}

#[test]
fn name_value_filters_use_indexes_and_resolve_reference_names() {
    let store = fixture();
    let caller = Caller {
        sys_id: "",
        user_name: "",
    };
    let t = store.table("sys_user").unwrap();
    let mut filter = Filter::default();
    let cond = Cond {
        field: "user_name".into(),
        op: Op::EqOrDisplay,
        value: "BETH.ANGLIN".into(),
    };
    filter.extra.extend(compile_cond(&store, "sys_user", &cond, &caller));
    assert_eq!(filter.candidates(t).map(|c| c.len()), Some(1));
    let mut filter = Filter::default();
    let cond = Cond {
        field: "department".into(),
        op: Op::EqOrDisplay,
        value: "engineering".into(),
    };
    filter.extra.extend(compile_cond(&store, "sys_user", &cond, &caller));
    assert_eq!(filter.select(&store, t, 0, 100).0, 2);
}
