//! What the plan holds at 100,000 users (issue 16 §3): sized to what it plans.

use super::*;

#[test]
fn an_incremental_plan_is_sized_for_the_rows_it_read_not_for_every_link() {
    // An incremental cycle's plan of one touched user: 1,000 other users are linked, but their
    // rows were not read, so none of them can be deprovisioned in it.
    let mut prior = Prior::default();
    for i in 0..1000 {
        prior.links.insert((ObjectType::User, format!("u{i}")), format!("s{i}"));
    }
    let t = target(vec![row("s0", &[("user_name", "a@x.com")])]);
    let source = Source {
        users: vec![user("u0", "a@x.com", json!({}))],
        ..Source::default()
    };
    // Its own op, and at most one deprovisioning per row read (was 1,000: one per link).
    assert_eq!(super::super::objects::capacity(&source, &t, &prior), 2);
    // Out of scope, it is the one deprovisioning its read row allows.
    let mut left = source.clone();
    left.users[0].in_scope = false;
    assert_eq!(super::super::objects::capacity(&left, &t, &prior), 1);
    let p = plan(1, CycleKind::Incremental, left, &t, &prior, &rules());
    assert!(matches!(only(&p), OpKind::Disable { .. }), "{:?}", only(&p));
}
