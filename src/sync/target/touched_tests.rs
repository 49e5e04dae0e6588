//! The first plan of the touched users (issue 16 §3/§4).

use std::collections::HashSet;

use super::*;
use crate::mapping::{Attrs, Value};
use crate::sync::op::CycleKind;

fn user(id: &str, in_scope: bool) -> SourceObject {
    let mut attrs = Attrs::default();
    attrs.insert("userPrincipalName", Value::Str(format!("{id}@x.com")));
    attrs.insert("manager", Value::Str("boss".into()));
    attrs.insert("appRoleAssignments", Value::multi(vec![]));
    SourceObject {
        id: id.into(),
        name: format!("{id}@x.com"),
        attrs,
        in_scope,
        enabled: true,
        scope_detail: "scope: all users".into(),
        members: Vec::new(),
    }
}

#[test]
fn the_first_plan_gets_the_touched_users_whole_and_the_source_keeps_them_slim_to_fill() {
    let mut source = Source {
        users: vec![user("a", true), user("b", false), user("c", true)],
        ..Source::default()
    };
    let touched = Touched {
        users: HashSet::from(["a".to_owned(), "b".to_owned()]),
        groups: HashSet::new(),
        scoped: HashSet::new(),
        whole: HashSet::new(),
    };
    let seen = std::sync::Mutex::new(Vec::new());
    let first_plan: Box<FirstPlan<'_>> = Box::new(|cut: Source, _: &Target| {
        for u in &cut.users {
            seen.lock()
                .unwrap()
                .push((u.id.clone(), u.attrs.get("userPrincipalName").is_some()));
        }
        crate::sync::op::Plan::new(0, CycleKind::Incremental, Vec::new())
    });
    let (linked, lent) = linked_now(&mut source, &touched, &Prior::default(), &Target::default(), first_plan);
    assert!(linked.is_empty(), "the plan made no op");
    assert_eq!(
        *seen.lock().unwrap(),
        [("a".to_owned(), true), ("b".to_owned(), true)],
        "the touched users, whole"
    );
    assert_eq!(lent, HashSet::from(["a".to_owned()]), "the in-scope one is lent");
    let a = &source.users[0];
    assert!(a.attrs.get("userPrincipalName").is_none(), "moved out, not copied");
    assert!(a.attrs.get("manager").is_some() && a.attrs.get("appRoleAssignments").is_some());
    assert!(
        source.users[1].attrs.get("userPrincipalName").is_some(),
        "out of scope: copied"
    );
    assert!(source.users[2].attrs.get("userPrincipalName").is_some(), "untouched");
}

#[test]
fn the_untouched_users_leave_the_source_and_those_a_plan_may_name_keep_their_names() {
    let mut source = Source {
        users: vec![user("a", true), user("b", true), user("c", true), user("d", true)],
        groups: vec![SourceObject {
            id: "g".into(),
            members: vec!["c".into()],
            ..SourceObject::default()
        }],
        ..Source::default()
    };
    let touched = Touched {
        users: HashSet::from(["a".to_owned()]),
        groups: HashSet::from(["g".to_owned()]),
        scoped: HashSet::new(),
        whole: HashSet::new(),
    };
    let mut prior = Prior::default();
    prior.links.insert((ObjectType::User, "b".into()), "sb".into());
    let named = names(&mut source, &touched, &prior);
    let mut named: Vec<_> = named.into_iter().collect();
    named.sort();
    assert_eq!(
        named,
        [
            ("b".to_owned(), "b@x.com".to_owned()),
            ("c".to_owned(), "c@x.com".to_owned())
        ],
        "linked, or a member of a touched group"
    );
    let left: Vec<&str> = source.users.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(left, ["a"], "only the touched users stay");
}
