//! The compact forms of an op's fields read, compare and serialise as the strings they replaced
//! (issue 16 §3): the plan's JSON, the door's frames and the console are unchanged.

use std::borrow::Cow;
use std::sync::Arc;

use super::*;

static MEMBER: [Step; 1] = [Step {
    name: Cow::Borrowed("Action"),
    status: Status::Planned,
    detail: Cow::Borrowed("member in Entra"),
}];

fn membership() -> Op {
    let (group, user): (Arc<str>, Arc<str>) = ("Sales".into(), "ada@x.com".into());
    Op {
        object_type: ObjectType::Membership,
        source_id: Id::from("g1"),
        source_name: Name::member(group, user),
        target_id: None,
        member_id: Some(Id::from("u1")),
        kind: OpKind::AddMember,
        steps: Cow::Borrowed(&MEMBER),
        hash: OpHash::from(crate::model::stable_hash(&["g1", "u1", "add_member"])),
    }
}

#[test]
fn a_membership_serialises_exactly_as_an_op_of_strings_did() {
    let json = serde_json::to_string(&membership()).unwrap();
    let hash = crate::model::stable_hash(&["g1", "u1", "add_member"]);
    // The form the `String` fields gave (field for field, in order).
    let before = format!(
        r#"{{"object_type":"membership","source_id":"g1","source_name":"Sales / ada@x.com","target_id":null,"member_id":"u1","kind":{{"action":"add_member"}},"steps":[{{"name":"Action","status":"planned","detail":"member in Entra"}}],"hash":"{hash}"}}"#
    );
    assert_eq!(json, before);
}

#[test]
fn a_membership_read_back_is_equal_and_reads_the_same() {
    let op = membership();
    let back: Op = serde_json::from_str(&serde_json::to_string(&op).unwrap()).unwrap();
    assert_eq!(back, op, "a name read back as text equals the pair it was");
    assert_eq!(back.source_name.text(), "Sales / ada@x.com");
    assert_eq!(op.source_name.to_string(), "Sales / ada@x.com");
    assert_eq!(
        format!("{:<20}|", op.source_name),
        "Sales / ada@x.com   |",
        "padded as a str"
    );
    assert_eq!(format!("{:?}", op.source_name), format!("{:?}", "Sales / ada@x.com"));
    assert_eq!(op.source_name, "Sales / ada@x.com");
    assert_ne!(op.source_name, Name::from("Sales/ada@x.com"));
}

#[test]
fn ids_and_hashes_compare_and_print_as_text() {
    let id = Id::from("4f1c");
    assert_eq!(id, "4f1c");
    assert_eq!(id, "4f1c".to_owned());
    assert_eq!(&*id, "4f1c");
    assert_eq!(format!("{id}/{:?}", id), "4f1c/\"4f1c\"");
    let set: std::collections::HashSet<Id> = [id.clone()].into();
    assert!(set.contains("4f1c"), "looked up by &str");
    let hash = OpHash::from(crate::model::stable_hash(&["a"]));
    assert_eq!(hash.len(), 16);
    assert_eq!(crate::model::stable_hash(&["a"]), hash);
    assert_eq!(OpHash::default(), "", "an op planned without one");
}

#[test]
fn a_change_keeps_short_and_long_values_as_given() {
    let long = "x".repeat(300);
    let c = Change::new("description", Some("short".into()), Some(long.clone()));
    assert_eq!(c.old.as_deref(), Some("short"));
    assert_eq!(c.new.as_deref(), Some(long.as_str()));
    let back: Change = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
    assert_eq!(back, c);
}

#[test]
fn an_op_stays_small() {
    // ~600,000 of them at 100,000 users: every 8 bytes is ~5 MB (was 232 before issue 16 §3).
    assert!(std::mem::size_of::<Op>() <= 200, "{}", std::mem::size_of::<Op>());
    assert!(std::mem::size_of::<Change>() <= 80, "{}", std::mem::size_of::<Change>());
}
