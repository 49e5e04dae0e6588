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
    assert_eq!(c.old(), Some("short"));
    assert_eq!(c.new.as_deref(), Some(long.as_str()));
    let back: Change = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
    assert_eq!(back, c);
}

#[test]
fn an_op_stays_small() {
    // ~600,000 of them at 100,000 users: every 8 bytes is ~5 MB (was 232 before issue 16 §3).
    assert!(std::mem::size_of::<Op>() <= 200, "{}", std::mem::size_of::<Op>());
    assert!(std::mem::size_of::<Change>() <= 56, "{}", std::mem::size_of::<Change>());
}

/// A plan of a user's create, two memberships (held compactly) and a reference set after them.
fn plan_with_members() -> Plan {
    let object = |id: &str, kind: OpKind| Op {
        object_type: ObjectType::User,
        source_id: Id::from(id),
        source_name: Name::from("ada@x.com"),
        target_id: Some("s1".into()),
        member_id: None,
        kind,
        steps: Vec::new().into(),
        hash: OpHash::from("h"),
    };
    let mut members = MembersBuilder::default();
    let sales = members.end("g1", "Sales");
    let ada = members.end("u1", "ada@x.com");
    let bob = members.end("u2", "bob@x.com");
    members.push(sales, ada, None, Why::MemberInEntra);
    members.push(sales, bob, Some("row9"), Why::NoLongerMember);
    let ops = vec![
        object("u1", OpKind::Update { diff: Vec::new() }),
        object(
            "u1",
            OpKind::SetReference {
                attribute: "manager".into(),
                source_id: "u2".into(),
            },
        ),
    ];
    let mut plan = Plan::with_members(3, CycleKind::Initial, ops, members.finish(), 1);
    plan.basis.profile = "p".into();
    plan
}

#[test]
fn a_compact_membership_is_built_as_the_op_the_plan_held_before() {
    let plan = plan_with_members();
    assert_eq!(plan.len(), 4);
    let ops = plan.to_vec();
    assert_eq!(ops[1], membership(), "the same op, field for field");
    let removal = &ops[2];
    assert_eq!(removal.kind, OpKind::RemoveMember);
    assert_eq!(removal.target_id.as_deref(), Some("row9"));
    assert_eq!(removal.source_name, "Sales / bob@x.com");
    assert_eq!(removal.steps[0].detail, "no longer a member in Entra");
    assert_eq!(
        removal.hash,
        crate::model::stable_hash(&["g1", "u2", "remove_member"]),
        "the hash a membership op always had"
    );
    let kinds: Vec<Action> = plan.ops().map(|op| op.kind.action()).collect();
    assert_eq!(
        kinds,
        [Action::Update, Action::AddMember, Action::RemoveMember, Action::Update],
        "apply order: objects, memberships, then the references set after them"
    );
    assert_eq!(plan.get(3).map(|op| op.source_id.to_string()).as_deref(), Some("u1"));
    assert!(plan.get(4).is_none());
    assert_eq!(
        plan.counts,
        Counts::of(&ops),
        "counted without building the memberships"
    );
}

#[test]
fn a_plan_serialises_and_travels_byte_for_byte_as_a_list_of_whole_ops() {
    let plan = plan_with_members();
    let mut whole = Plan::new(plan.id, plan.kind, plan.to_vec());
    whole.basis = plan.basis.clone();
    let text = serde_json::to_string(&plan).unwrap();
    assert_eq!(text, serde_json::to_string(&whole).unwrap());
    assert!(
        text.starts_with(r#"{"id":3,"kind":"initial","counts":{"#),
        "the fields in their order: {text}"
    );
    assert!(text.contains(r#""ops":[{"object_type":"user""#));
    assert!(text.ends_with(r#"],"basis":{"profile":"p","cycle_id":0}}"#), "{text}");
    let back: Plan = serde_json::from_str(&text).unwrap();
    assert_eq!(back, plan, "read back (its memberships whole) it is the same plan");
    assert_eq!(serde_json::to_string(&back).unwrap(), text);
    assert_eq!(
        serde_json::to_value(OpsSeq(&plan)).unwrap(),
        serde_json::to_value(plan.to_vec()).unwrap(),
        "the ops alone (sync --once --dry-run --json)"
    );
}
