//! Delta rounds with writes between them, resets, empty pages and duplicates.

use std::collections::{HashMap, HashSet};

use nowsync::graph::{Client, DeltaItem, DeltaRound, Removed};
use nowsync::sim::graph::Faults;
use reqwest::Method;
use serde_json::json;

use super::{client, start};

struct Round {
    items: Vec<DeltaItem>,
    pages: usize,
    link: String,
    full: bool,
    reset: Option<(u16, String)>,
}

async fn run(mut round: DeltaRound) -> Round {
    let (mut items, mut pages) = (Vec::new(), 0);
    while let Some(page) = round.next_page().await.unwrap() {
        pages += 1;
        items.extend(page);
    }
    Round {
        items,
        pages,
        link: round.delta_link().unwrap().to_owned(),
        full: round.is_full(),
        reset: round.reset().map(|g| (g.status, g.code.clone())),
    }
}

fn by_id(items: &[DeltaItem]) -> HashMap<&str, &DeltaItem> {
    items.iter().map(|i| (i.id.as_str(), i)).collect()
}

async fn write(c: &Client, method: Method, path: &str, body: serde_json::Value) -> Option<serde_json::Value> {
    let body = (!body.is_null()).then_some(body);
    c.request(method, path, body.as_ref()).await.unwrap()
}

#[tokio::test]
async fn full_then_incremental_rounds_report_every_kind_of_change() {
    let r = start(200, 12, |o| o.delta_page_size = 40).await;
    let c = client(&r);
    let t = r.sim.tenant().clone();

    let users = run(c.users_delta(None)).await;
    assert!(users.full && users.pages >= 5, "{} pages", users.pages);
    assert_eq!(by_id(&users.items).len(), 200);
    assert!(users.items.iter().all(|i| i.removed.is_none()));
    let managed = t.users.iter().find(|u| u.manager_id.is_some()).unwrap();
    let m = by_id(&users.items)[managed.id.as_str()].manager.clone().unwrap();
    assert_eq!(Some(m[0].id.clone()), managed.manager_id);
    let groups = run(c.groups_delta(None)).await;
    assert_eq!(groups.items.len(), 12);
    let g0 = &t.groups[1];
    let members = by_id(&groups.items)[g0.id.as_str()].members.clone().unwrap();
    assert_eq!(members.len(), g0.members.len());

    // Quiet tenant: an empty round with a new link.
    let quiet = run(c.users_delta(Some(&users.link))).await;
    assert!(quiet.items.is_empty() && !quiet.full && quiet.reset.is_none());

    // Writes between rounds.
    let [a, b, d, e, p] = [3, 4, 5, 6, 7].map(|i| t.users[i].id.clone());
    let created = write(
        &c,
        Method::POST,
        "/users",
        json!({"@odata.type": "#microsoft.graph.user",
        "accountEnabled": true, "displayName": "Zoë Nouveau", "mailNickname": "zoe.nouveau",
        "userPrincipalName": format!("zoe.nouveau@{}", t.domain), "department": "Sales",
        "passwordProfile": {"password": "x", "forceChangePasswordNextSignIn": true}}),
    )
    .await
    .unwrap();
    let x = created["id"].as_str().unwrap().to_owned();
    write(
        &c,
        Method::PATCH,
        &format!("/users/{a}"),
        json!({"department": "Legal", "jobTitle": null}),
    )
    .await;
    write(
        &c,
        Method::PUT,
        &format!("/users/{a}/manager/$ref"),
        json!({"@odata.id": format!("{}/users/{x}", r.graph_url)}),
    )
    .await;
    write(&c, Method::DELETE, &format!("/users/{b}"), json!(null)).await;
    write(&c, Method::DELETE, &format!("/users/{d}"), json!(null)).await;
    write(&c, Method::DELETE, &format!("/directory/deletedItems/{d}"), json!(null)).await;
    write(&c, Method::DELETE, &format!("/users/{e}"), json!(null)).await;
    write(
        &c,
        Method::POST,
        &format!("/directory/deletedItems/{e}/restore"),
        json!(null),
    )
    .await;
    let gid = g0.id.clone();
    let leaver = g0
        .members
        .iter()
        .find(|m| ![&b, &d, &e].contains(&&m.id))
        .unwrap()
        .id
        .clone();
    write(
        &c,
        Method::POST,
        &format!("/groups/{gid}/members/$ref"),
        json!({"@odata.id": format!("{}/directoryObjects/{x}", r.graph_url)}),
    )
    .await;
    write(
        &c,
        Method::DELETE,
        &format!("/groups/{gid}/members/{leaver}/$ref"),
        json!(null),
    )
    .await;
    // An unassignment is in no delta, only in appRoleAssignedTo.
    let before = c.app_role_assigned_to().all().await.unwrap();
    let gone = before.iter().find(|a| a.principal_type == "User").unwrap().clone();
    let path = format!(
        "/servicePrincipals/{}/appRoleAssignedTo/{}",
        r.service_principal_id, gone.id
    );
    write(&c, Method::DELETE, &path, json!(null)).await;
    write(&c, Method::POST, &format!("/servicePrincipals/{}/appRoleAssignedTo", r.service_principal_id),
        json!({"principalId": p, "resourceId": r.service_principal_id, "appRoleId": "00000000-0000-0000-0000-000000000000"})).await;
    let after = c.app_role_assigned_to().all().await.unwrap();
    assert!(!after.iter().any(|a| a.id == gone.id));
    assert!(after.iter().any(|a| a.principal_id == p) || before.iter().any(|a| a.principal_id == p));

    r.sim.set_faults(Faults {
        delta_page_size: Some(2),
        ..Faults::default()
    });
    let next = run(c.users_delta(Some(&users.link))).await;
    assert!(!next.full && next.pages >= 3, "{} pages", next.pages);
    let items = by_id(&next.items);
    assert_eq!(items.len(), 5, "{:?}", items.keys());
    assert_eq!(items[x.as_str()].properties["department"], json!("Sales"));
    assert_eq!(items[x.as_str()].removed, None);
    assert_eq!(items[a.as_str()].properties["department"], json!("Legal"));
    assert_eq!(
        items[a.as_str()].properties["jobTitle"],
        json!(null),
        "cleared, reported as null"
    );
    assert_eq!(items[a.as_str()].manager.as_ref().unwrap()[0].id, x);
    assert_eq!(items[b.as_str()].removed, Some(Removed::Changed));
    assert_eq!(items[d.as_str()].removed, Some(Removed::Deleted));
    assert_eq!(items[e.as_str()].removed, None, "restored comes back as a plain object");
    assert!(!items.contains_key(p.as_str()) && !items.contains_key(gone.principal_id.as_str()));

    let gnext = run(c.groups_delta(Some(&groups.link))).await;
    let g = by_id(&gnext.items)[gid.as_str()];
    let changes: HashMap<&str, Option<Removed>> = g
        .members
        .as_ref()
        .unwrap()
        .iter()
        .map(|m| (m.id.as_str(), m.removed.clone()))
        .collect();
    assert_eq!(changes[x.as_str()], None);
    assert_eq!(changes[leaver.as_str()], Some(Removed::Deleted));
    for left in [&b, &d] {
        if g0.members.iter().any(|m| &m.id == left) {
            assert_eq!(changes[left.as_str()], Some(Removed::Deleted));
        }
    }

    // The newest link sees only what changed after it.
    write(
        &c,
        Method::PATCH,
        &format!("/users/{a}"),
        json!({"officeLocation": "Tokyo"}),
    )
    .await;
    let last = run(c.users_delta(Some(&next.link))).await;
    assert_eq!(last.items.len(), 1);
    assert_eq!(last.items[0].properties["officeLocation"], json!("Tokyo"));
}

#[tokio::test]
async fn an_expired_delta_token_leads_to_a_reported_full_round() {
    let r = start(200, 5, |_| {}).await;
    let c = client(&r);
    let first = run(c.users_delta(None)).await;
    r.sim.set_faults(Faults {
        expire_delta_tokens: true,
        ..Faults::default()
    });
    let again = run(c.users_delta(Some(&first.link))).await;
    assert!(again.full);
    assert_eq!(again.reset, Some((400, "syncStateNotFound".to_owned())));
    assert_eq!(by_id(&again.items).len(), 200);

    r.sim.set_faults(Faults {
        delta_gone_next: 1,
        ..Faults::default()
    });
    let gone = run(c.groups_delta(Some(&run(c.groups_delta(None)).await.link))).await;
    assert_eq!(gone.reset.map(|g| g.0), Some(410));
    assert_eq!(gone.items.len(), 5);
    assert_eq!(r.sim.stats().delta_resets, 2);
}

#[tokio::test]
async fn empty_pages_and_duplicates_are_tolerated() {
    let r = start(200, 30, |o| o.delta_page_size = 50).await;
    let c = client(&r);
    r.sim.set_faults(Faults {
        empty_delta_pages: true,
        duplicate_delta_items: true,
        ..Faults::default()
    });
    let round = run(c.users_delta(None)).await;
    assert!(round.pages >= 8, "{}", round.pages);
    assert!(round.items.len() > 200);
    let ids: HashSet<&str> = round.items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids.len(), 200);
}

#[tokio::test]
async fn large_groups_are_split_across_pages() {
    let r = start(1200, 4, |o| o.delta_members_per_page = 100).await;
    let c = client(&r);
    let round = run(c.groups_delta(None)).await;
    let mut members: HashMap<&str, HashSet<&str>> = HashMap::new();
    for i in &round.items {
        let set = members.entry(i.id.as_str()).or_default();
        set.extend(i.members.iter().flatten().map(|m| m.id.as_str()));
    }
    assert!(round.items.len() > 4, "the 35 % group came back on several pages");
    for g in &r.sim.tenant().groups {
        assert_eq!(
            members.get(g.id.as_str()).map(HashSet::len).unwrap_or(0),
            g.members.len()
        );
    }
}

#[tokio::test]
async fn deleted_users_are_purged_when_their_retention_ends() {
    let r = start(200, 5, |o| o.deleted_retention = std::time::Duration::ZERO).await;
    let c = client(&r);
    let first = run(c.users_delta(None)).await;
    let id = r.sim.tenant().users[9].id.clone();
    write(&c, Method::DELETE, &format!("/users/{id}"), json!(null)).await;
    assert!(c.deleted_users().all().await.unwrap().is_empty(), "purged by the clock");
    let next = run(c.users_delta(Some(&first.link))).await;
    assert_eq!(next.items.len(), 1);
    assert_eq!(next.items[0].removed, Some(Removed::Deleted));
}

/// Review R7 (harm): a delta page with neither `@odata.nextLink` nor `@odata.deltaLink` was
/// taken as the end of the round (graph.md §6.1: every page carries one), so a round cut short
/// read as the whole state.
#[tokio::test]
async fn a_delta_page_without_a_link_is_an_error_naming_the_page_and_gives_no_delta_link() {
    let r = start(200, 5, |o| o.delta_page_size = 40).await;
    let c = client(&r);
    r.sim.set_faults(Faults {
        delta_page_without_link: Some(2),
        ..Faults::default()
    });
    let mut round = c.users_delta(None);
    let first = round.next_page().await.unwrap().unwrap();
    assert_eq!(first.len(), 40);
    let err = round.next_page().await.unwrap_err();
    assert!(
        matches!(err, nowsync::graph::Error::DeltaPageWithoutLink { page: 2, .. }),
        "{err:?}"
    );
    let text = err.to_string();
    for needle in [
        "page 2",
        "users/delta",
        "neither @odata.nextLink nor @odata.deltaLink",
        "previous delta token",
    ] {
        assert!(text.contains(needle), "{needle} in {text}");
    }
    assert!(err.is_transient());
    assert!(round.delta_link().is_none());
    // Asked again, the page comes whole and the round ends as usual.
    let mut items = first.len();
    while let Some(page) = round.next_page().await.unwrap() {
        items += page.len();
    }
    assert_eq!(items, 200);
    assert!(round.delta_link().is_some());
}
