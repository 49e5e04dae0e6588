//! Property tests (issue 17): the encoded-query builder never panics and never lets a value
//! change a query's meaning (an accepted query has exactly the conditions it was given); the
//! response decoder never panics on any status, header or body, and every failure is typed.

use proptest::prelude::*;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};

use super::query::{Cond, Query};
use super::response::classify;
use super::{Context, Error};

/// Text rich in what encoded queries and JSON bodies treat specially.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z_.^,=@%!<>\\n\\r \"{}\\[\\]:ORNQ]{0,24}",
        proptest::sample::select(vec![
            "^OR".to_owned(),
            "^NQ".to_owned(),
            "a^ORb=c".to_owned(),
            "x,y".to_owned(),
            "line\nbreak".to_owned(),
            "javascript:gs.log(1)".to_owned(),
            String::new(),
        ]),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn one_condition_encodes_to_one_condition_or_a_typed_refusal(
        field in hostile(),
        value in hostile(),
        op in 0usize..6,
    ) {
        let cond = match op {
            0 => Cond::eq(field.clone(), value.clone()),
            1 => Cond::like(field.clone(), value.clone()),
            2 => Cond::starts_with(field.clone(), value.clone()),
            3 => Cond::is_in(field.clone(), value.split('|').map(str::to_owned)),
            4 => Cond::between(field.clone(), value.clone(), value.clone()),
            _ => Cond::same_as(field.clone(), value.clone()),
        };
        match Query::new().and(cond).encode() {
            // No separator of conditions or queries, no line break: one condition.
            Ok(encoded) => {
                prop_assert!(!encoded.contains('^'), "{encoded:?}");
                prop_assert!(!encoded.contains('\n') && !encoded.contains('\r'), "{encoded:?}");
                // The instance runs a value starting with `javascript:` as a script.
                let scripted = |v: &str| v.trim_start().to_ascii_lowercase().starts_with("javascript:");
                let sent: Vec<&str> = match op {
                    3 => value.split('|').collect(),
                    5 => Vec::new(),
                    _ => vec![value.as_str()],
                };
                prop_assert!(!sent.into_iter().any(scripted), "{encoded:?}");
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    #[test]
    fn conditions_joined_by_the_builder_keep_their_count(
        values in proptest::collection::vec(hostile(), 1..6),
    ) {
        let mut q = Query::new();
        for v in &values {
            q = q.and(Cond::eq("user_name", v.clone()));
        }
        if let Ok(encoded) = q.encode() {
            prop_assert_eq!(encoded.matches('^').count(), values.len() - 1, "{}", encoded);
        }
    }

    #[test]
    fn any_response_classifies_without_panicking(
        status in prop_oneof![100u16..600, Just(200u16), Just(201), Just(429), Just(500)],
        body in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..256),
            hostile().prop_map(String::into_bytes),
            Just(br#"{"result": []}"#.to_vec()),
            Just(br#"{"result": {"sys_id": 1}}"#.to_vec()),
            Just(br#"{"error": {"message": null, "detail": []}, "status": "failure"}"#.to_vec()),
            Just(br#"{"result": [{"sys_id": "x"}], "error": {"message": "Transaction cancelled"}}"#.to_vec()),
            Just(b"<html><body>Your instance is hibernating</body></html>".to_vec()),
        ],
        json_type in any::<bool>(),
        retry_after in proptest::option::of("[0-9a-zA-Z ,:]{0,30}"),
        want_result in any::<bool>(),
    ) {
        let mut headers = HeaderMap::new();
        if json_type {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        if let Some(v) = retry_after.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
            headers.insert("retry-after", v);
        }
        let ctx = Context::new("https://x.service-now.com", "GET", Some("sys_user"));
        match classify(ctx, status, &headers, &body, want_result, 1_700_000_000) {
            Ok(_) => {}
            // Typed, with a message that says something.
            Err(e) => {
                let _: &Error = &e;
                prop_assert!(!e.to_string().is_empty());
            }
        }
    }
}
