use super::*;
use crate::sim::snow::test_support::store_with;

fn opts(display: DisplayValue, exclude_link: bool) -> Opts {
    Opts {
        display,
        exclude_link,
        link_base: "http://h:1/api/now/v2/".into(),
    }
}

#[test]
fn references_in_all_six_modes() {
    let store = store_with(&[]);
    let dept = store.table("cmn_department").unwrap().find_by_display("Sales").unwrap();
    let link = format!("http://h:1/api/now/v2/table/cmn_department/{dept}");
    let cases = [
        (
            DisplayValue::False,
            false,
            json!({"link": link, "value": dept}),
            json!(""),
        ),
        (DisplayValue::False, true, json!(dept), json!("")),
        (
            DisplayValue::True,
            false,
            json!({"display_value": "Sales", "link": link}),
            json!(""),
        ),
        (DisplayValue::True, true, json!("Sales"), json!("")),
        (
            DisplayValue::All,
            false,
            json!({"display_value": "Sales", "link": link, "value": dept}),
            json!({"display_value": "", "value": ""}),
        ),
        (
            DisplayValue::All,
            true,
            json!({"display_value": "Sales", "value": dept}),
            json!({"display_value": "", "value": ""}),
        ),
    ];
    for (display, exclude, full, empty) in cases {
        let o = opts(display, exclude);
        assert_eq!(
            value(&store, Kind::Reference, Some("cmn_department"), &dept, &o),
            full,
            "{display:?} {exclude}"
        );
        assert_eq!(
            value(&store, Kind::Reference, Some("cmn_department"), "", &o),
            empty,
            "{display:?} {exclude}"
        );
    }
    let o = opts(DisplayValue::All, false);
    assert_eq!(
        value(&store, Kind::Bool, None, "true", &o),
        json!({"display_value": "true", "value": "true"})
    );
    let orphan = "f".repeat(32);
    let o = opts(DisplayValue::True, true);
    assert_eq!(
        value(&store, Kind::Reference, Some("cmn_department"), &orphan, &o),
        json!("")
    );
    assert_eq!(
        value(&store, Kind::Reference, Some("sys_user_group"), "global", &o),
        json!("global")
    );
}

#[test]
fn link_header_composition() {
    let params = vec![
        ("sysparm_query".to_owned(), "active=true^ORDERBYsys_id".to_owned()),
        ("sysparm_fields".to_owned(), "sys_id,name".to_owned()),
        ("sysparm_limit".to_owned(), "10".to_owned()),
        ("sysparm_offset".to_owned(), "10".to_owned()),
    ];
    let base = "http://h:1/api/now/table/sys_user";
    let got = link_header(base, &params, 10, 10, Some(35), 10).unwrap();
    let url = |o: usize| {
        format!(
            "{base}?sysparm_query=active%3Dtrue%5EORDERBYsys_id&sysparm_fields=sys_id,name&sysparm_offset={o}&sysparm_limit=10"
        )
    };
    let want = format!(
        "<{}>;rel=\"first\",<{}>;rel=\"prev\",<{}>;rel=\"next\",<{}>;rel=\"last\"",
        url(0),
        url(0),
        url(20),
        url(30)
    );
    assert_eq!(got, want);
    let first_page = link_header(base, &params, 0, 10, Some(35), 10).unwrap();
    assert!(!first_page.contains("rel=\"prev\""));
    let last_page = link_header(base, &params, 30, 10, Some(35), 10).unwrap();
    assert!(!last_page.contains("rel=\"next\""));
    assert_eq!(link_header(base, &params, 0, 10, Some(10), 10), None);
    assert_eq!(link_header(base, &params, 0, 10, Some(0), 10), None);
    // Uncounted: `next` after a full page, never `last`.
    let open = link_header(base, &params, 10, 10, None, 10).unwrap();
    assert!(
        open.contains("rel=\"next\"") && !open.contains("rel=\"last\""),
        "{open}"
    );
    let end = link_header(base, &params, 10, 10, None, 4).unwrap();
    assert!(!end.contains("rel=\"next\""), "{end}");
    assert_eq!(link_header(base, &params, 0, 10, None, 4), None);
}

#[test]
fn fields_selection_flattens_dot_walks_and_skips_unknown() {
    let store = store_with(&[("abel.tuter", "Abel", "Tuter", "a@x.com", true, "Sales")]);
    let t = store.table("sys_user").unwrap();
    let row = t.get(&format!("{:032x}", 1)).unwrap();
    let fields = parse_fields(Some("user_name, nope ,department.name,department.company.name")).unwrap();
    let got = record(&store, t, row, Some(&fields), &opts(DisplayValue::False, true));
    assert_eq!(
        got,
        json!({"user_name": "abel.tuter", "department.name": "Sales", "department.company.name": "Acme Corporation"})
    );
    assert_eq!(parse_fields(Some("")), None);
}
