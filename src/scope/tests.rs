use super::*;

fn t(s: &str) -> Value {
    Value::Text(s.into())
}

#[test]
fn every_operator() {
    let null = Value::Null;
    let empty = t("");
    let multi = Value::Multi(vec!["Sales".into()]);
    // (attribute value, operator, clause value, expected)
    let cases: Vec<(Value, &str, &str, bool)> = vec![
        (t("Sales"), "&", "Sales,Marketing", true),
        (t("HR"), "&", "Sales,Marketing", false),
        (null.clone(), "&", "Sales", false),
        (t("HR"), "!&", "Sales,Marketing", true),
        (t("Sales"), "!&", "Sales,Marketing", false),
        (empty.clone(), "!&", "Sales", false),
        (t("a@contoso.com"), "ENDS_WITH", "@contoso.com", true),
        (t("a@CONTOSO.com"), "ENDS_WITH", "@contoso.com", false),
        (t("sales"), "EQUALS", "sales", true),
        (t("Sales"), "EQUALS", "sales", false),
        (null.clone(), "EQUALS", "sales", false),
        (t("Sales"), "NOT EQUALS", "sales", true),
        (t("sales"), "NOT EQUALS", "sales", false),
        (null.clone(), "NOT EQUALS", "sales", false),
        (empty.clone(), "NOT_EQUALS", "sales", false),
        (t("10"), "Greater_Than", "9", true),
        (t("9"), "Greater_Than", "9", false),
        (t("9"), "Greater_Than_OR_EQUALS", "9", true),
        (t("8"), "GREATER_THAN_OR_EQUALS", "9", false),
        (t("ten"), "Greater_Than", "9", false),
        (t("-5"), "Greater_Than", "1", false),
        (null.clone(), "Greater_Than", "1", false),
        (t("Contoso Sales"), "Includes", "Sales", true),
        (t("Contoso sales"), "Includes", "Sales", false),
        (t("True"), "IS TRUE", "", true),
        (t("true"), "IS TRUE", "", true),
        (t("False"), "IS TRUE", "", false),
        (null.clone(), "IS TRUE", "", false),
        (t("False"), "IS FALSE", "", true),
        (null.clone(), "IS FALSE", "", false),
        (null.clone(), "IS NULL", "", true),
        (empty.clone(), "IS NULL", "", true),
        (t("x"), "IS NULL", "", false),
        (t("x"), "IS NOT NULL", "", true),
        (null.clone(), "IS NOT NULL", "", false),
        (t("a@domain.com"), "REGEX MATCH", r".*\@domain.com", true),
        (t("a@other.com"), "REGEX MATCH", r".*\@domain.com", false),
        (t("42"), "REGEX MATCH", "([1-9][0-9])", true),
        (t("420"), "REGEX MATCH", "([1-9][0-9])", false),
        (t("1234567"), "REGEX_MATCH", "(1[0-9][0-9][0-9][0-9][0-9][0-9])", true),
        (t("2234567"), "REGEX MATCH", "(1[0-9][0-9][0-9][0-9][0-9][0-9])", false),
        (t("SALES"), "REGEX MATCH", "sales", false),
        (t("x"), "NOT REGEX MATCH", "[0-9]+", true),
        (t("12"), "NOT REGEX MATCH", "[0-9]+", false),
        (null.clone(), "NOT REGEX MATCH", "[0-9]+", false),
        (empty.clone(), "NOT REGEX MATCH", "[0-9]+", false),
        (multi.clone(), "EQUALS", "Sales", false),
        (multi.clone(), "IS NOT NULL", "", false),
    ];
    for (v, op, value, want) in cases {
        let c = Clause::compile("attr", op, value).unwrap_or_else(|e| panic!("{op} {value}: {e}"));
        assert_eq!(c.matches(&v), want, "{v:?} {op} {value:?}");
    }
}

#[test]
fn clauses_and_filters_or() {
    let scope = Scope::compile([
        FilterSpec {
            name: "sales in US",
            clauses: vec![("department", "EQUALS", "Sales"), ("country", "EQUALS", "US")],
        },
        FilterSpec {
            name: "contractors",
            clauses: vec![("employeeType", "EQUALS", "Contractor")],
        },
    ])
    .unwrap();
    let get = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map_or(Value::Null, |(_, v)| Value::Text(v.to_string()))
        }
    };
    assert!(scope.in_scope(&get(&[("department", "Sales"), ("country", "US")])));
    assert!(!scope.in_scope(&get(&[("department", "Sales"), ("country", "FR")])));
    assert!(scope.in_scope(&get(&[("employeeType", "Contractor")])));
    assert!(!scope.in_scope(&get(&[])));
    assert!(Scope::default().in_scope(&get(&[])));
    let why = scope.explain(&get(&[("department", "Sales")]));
    assert_eq!(why[0].0, "sales in US");
    assert_eq!(
        why[0].1,
        [
            ("department EQUALS \"Sales\"".to_string(), true),
            ("country EQUALS \"US\"".to_string(), false)
        ]
    );
}

#[test]
fn load_errors_name_filter_and_clause() {
    let errors = Scope::compile([FilterSpec {
        name: "f",
        clauses: vec![
            ("department", "LIKE", "x"),
            ("age", "Greater_Than", "1.5"),
            ("upn", "REGEX MATCH", "(["),
            ("manager", "IS NOT NULL", ""),
            ("city", "EQUALS", ""),
            ("ok", "IS NULL", ""),
        ],
    }])
    .unwrap_err();
    let got: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(got.len(), 5, "{got:#?}");
    assert!(
        got[0].starts_with(
            "scoping filter \"f\", clause 1 (department LIKE): unknown operator \"LIKE\": use one of &, !&"
        )
    );
    assert_eq!(
        got[1],
        "scoping filter \"f\", clause 2 (age Greater_Than): Greater_Than compares integers only; \"1.5\" is not one"
    );
    assert!(got[2].starts_with("scoping filter \"f\", clause 3 (upn REGEX MATCH): invalid regular expression \"([\""));
    assert_eq!(
        got[3],
        "scoping filter \"f\", clause 4 (manager IS NOT NULL): Entra's scoping filters do not support the attribute manager"
    );
    assert_eq!(
        got[4],
        "scoping filter \"f\", clause 5 (city EQUALS): EQUALS needs a value"
    );
    let empty = Scope::compile([FilterSpec {
        name: "g",
        clauses: vec![],
    }])
    .unwrap_err();
    assert_eq!(empty[0].problem, ClauseError::NoClauses);
}
