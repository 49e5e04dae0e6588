use super::*;

fn record(cycle: i64, name: &str, status: &str) -> LogRecord {
    LogRecord {
        cycle_id: cycle,
        change_id: format!("c-{name}"),
        time: now(),
        object_type: ObjectType::User,
        source_id: format!("id-{name}"),
        source_name: name.into(),
        target_id: None,
        action: "create".into(),
        status: status.into(),
        error_code: (status == "failure").then(|| "InvalidLookupReference".into()),
        reason: "r".into(),
        recommended_action: None,
        steps: serde_json::json!([]),
        modified_properties: serde_json::json!([{"attribute":"a","old":null,"new":"b"}]),
        duration_ms: 3,
    }
}

#[test]
fn migrations_links_failures_and_log_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path(), "p").unwrap();
        store.set_link(ObjectType::User, "u1", "a@x", "s1").unwrap();
        store.set_link(ObjectType::User, "u1", "a@x", "s2").unwrap();
        store.set_watermark("users", "link").unwrap();
        store
            .set_failure(
                ObjectType::User,
                "u1",
                &FailureRow {
                    hash: "h".into(),
                    code: "X".into(),
                    transient: false,
                    attempts: 0,
                },
            )
            .unwrap();
        let c = store.begin_cycle(CycleKind::Initial, false).unwrap();
        store.append_log(&record(c, "alice@x", "success")).unwrap();
        store.append_log(&record(c, "bob_%@x", "failure")).unwrap();
    }
    // Reopening runs no migration twice and keeps everything.
    let store = Store::open(dir.path(), "p").unwrap();
    assert_eq!(store.links(ObjectType::User).unwrap()[0].sys_id, "s2");
    assert_eq!(store.watermark("users").unwrap().as_deref(), Some("link"));
    assert_eq!(store.failures().unwrap()[0].2.code, "X");
    let all = store.log(&LogFilter::default()).unwrap();
    assert_eq!(all.len(), 2);
    let failed = store
        .log(&LogFilter {
            status: Some("FAILURE".into()),
            ..LogFilter::default()
        })
        .unwrap();
    assert_eq!(failed[0].error_code.as_deref(), Some("InvalidLookupReference"));
    // `%` and `_` in a filter are literal text.
    let bob = store
        .log(&LogFilter {
            user: Some("_%".into()),
            ..LogFilter::default()
        })
        .unwrap();
    assert_eq!(bob.len(), 1);
    assert_eq!(bob[0].modified_properties[0]["new"], "b");
}

#[cfg(unix)]
#[test]
fn the_database_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), "p").unwrap();
    store.set_link(ObjectType::User, "u", "n", "s").unwrap();
    let mode = std::fs::metadata(store.path()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn intents_with_unknown_outcomes_outlive_their_cycle_until_one_reads_them_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), "p").unwrap();
    let first = store.begin_cycle(CycleKind::Initial, false).unwrap();
    let answered = store
        .intent(first, ObjectType::User, "sys_user", "POST", "alice")
        .unwrap();
    store.intent_done(answered, Some("0123")).unwrap();
    store
        .intent(first, ObjectType::Membership, "sys_user_grmember", "POST", "team")
        .unwrap();
    store
        .intent(first, ObjectType::User, "sys_user", "PATCH", "bob")
        .unwrap();
    // Its own cycle does not see them as earlier unknowns; the next one does.
    assert!(store.unresolved_intents(first).unwrap().is_empty());
    store.settle_intents(first, true).unwrap();
    let second = store.begin_cycle(CycleKind::Incremental, false).unwrap();
    let unknown = store.unresolved_intents(second).unwrap();
    assert_eq!(
        unknown,
        vec![
            (ObjectType::Membership, "team".to_owned()),
            (ObjectType::User, "bob".to_owned())
        ]
    );
    // A cycle that read nothing (a shown plan applied) keeps them; one that read settles them.
    store.settle_intents(second, false).unwrap();
    assert_eq!(store.unresolved_intents(second).unwrap().len(), 2);
    store.settle_intents(second, true).unwrap();
    assert!(store.unresolved_intents(second).unwrap().is_empty());
}

#[test]
fn object_types_are_words_in_their_columns_and_an_unknown_word_is_left_out_of_the_lists() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), "p").unwrap();
    let row = FailureRow {
        hash: "h".into(),
        code: "SystemForbidden".into(),
        transient: false,
        attempts: 0,
    };
    store.set_failure(ObjectType::Group, "g1", &row).unwrap();
    store.set_link(ObjectType::Group, "g1", "Team", "s1").unwrap();
    let word: String = store
        .conn()
        .query_row("SELECT object_type FROM links", [], |r| r.get(0))
        .unwrap();
    assert_eq!(word, "group", "the column holds the word existing databases hold");
    // A hand-edited row of a type this version does not know.
    store
        .conn()
        .execute(
            "INSERT INTO failures (object_type, source_id, hash, code, transient, attempts, updated)
             VALUES ('printer', 'p1', 'h', 'SystemForbidden', 0, 1, '')",
            [],
        )
        .unwrap();
    let failures: Vec<(ObjectType, String)> = store
        .failures()
        .unwrap()
        .into_iter()
        .map(|(t, id, _)| (t, id))
        .collect();
    assert_eq!(failures, vec![(ObjectType::Group, "g1".to_owned())]);
    let escrows: Vec<ObjectType> = store.escrows().unwrap().into_iter().map(|e| e.object_type).collect();
    assert_eq!(escrows, vec![ObjectType::Group]);
    assert_eq!(
        store.links(ObjectType::Group).unwrap()[0].object_type,
        ObjectType::Group
    );
}
