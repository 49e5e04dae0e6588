//! Property tests (issue 17): Graph's answers are decoded without a panic whatever they hold —
//! delta items, users, groups, error envelopes and token-endpoint errors — and a malformed
//! one is a typed error.

use proptest::prelude::*;
use reqwest::header::HeaderMap;
use serde_json::{Map, Value, json};

use super::{DeltaItem, GraphError, Group, TokenError, User};

/// Any JSON value, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(key(), inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Keys Graph uses, and others.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(vec![
            "id",
            "@removed",
            "members@delta",
            "manager@delta",
            "reason",
            "displayName",
            "userPrincipalName",
            "accountEnabled",
            "mail",
            "@odata.type",
            "@odata.nextLink",
            "@odata.deltaLink",
            "value",
            "error",
            "code",
            "message",
            "innerError",
            "error_codes",
            "error_description",
            "businessPhones",
            "groupTypes",
        ])
        .prop_map(str::to_owned),
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn delta_items_decode_or_say_why(map in proptest::collection::btree_map(key(), json_value(), 0..8)) {
        let m: Map<String, Value> = map.into_iter().collect();
        match DeltaItem::try_from(m) {
            Ok(item) => {
                // Typed decoding of the properties is an error value, never a panic.
                let _ = item.to::<User>();
                let _ = item.to::<Group>();
            }
            Err(why) => prop_assert!(!why.to_string().is_empty()),
        }
    }

    #[test]
    fn users_groups_and_pages_decode_without_panicking(v in json_value()) {
        let text = v.to_string();
        let _ = serde_json::from_str::<User>(&text);
        let _ = serde_json::from_str::<Group>(&text);
        let _ = serde_json::from_str::<Vec<User>>(&text);
    }

    #[test]
    fn error_bodies_of_any_shape_give_an_error(
        status in 100u16..600,
        body in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..200),
            json_value().prop_map(|v| v.to_string().into_bytes()),
        ],
    ) {
        let e = GraphError::from_response("GET", "https://graph.microsoft.com/v1.0/users", status, &HeaderMap::new(), &body);
        prop_assert!(!e.to_string().is_empty());
        let t = TokenError::from_body(status, &body);
        prop_assert!(!t.to_string().is_empty());
    }
}
