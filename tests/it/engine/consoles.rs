//! Two consoles on one engine (acceptance F20, F4), as door clients of `nowsync run`: one
//! saves a change of the rules and asks the engine to reload; the engine then runs the saved
//! configuration, so a plan made after the save is current, also when the deletion threshold
//! holds part of it; a plan made before the save is out of date for every console at once.

use nowsync::config::edit::{Edit, EditValue, edit_profile};
use nowsync::door::Client;
use nowsync::door::proto::ServerFrame;
use nowsync::sync::{Command, SyncEvent};

use super::socket::{finished, next_matching, plan_ready, set_enabled, socket_of, spawn_run};
use super::{Env, setup};

/// Saves `edits` to the profile as a console's save does.
fn save(env: &Env, edits: &[Edit]) {
    edit_profile(&env.ws.config(), "default", edits).unwrap();
}

fn scope(to: &str) -> Edit {
    Edit::set("provisioning", "scope", to)
}

/// `client`'s reload, acknowledged.
async fn reload(client: &mut Client) {
    let id = client.reload().await.unwrap();
    next_matching(
        client,
        "the reload's ack",
        |f| matches!(f, ServerFrame::Ack { id: i } if *i == id),
    )
    .await;
}

/// A dry run asked by `client`: its plan.
async fn dry_run(client: &mut Client) -> std::sync::Arc<nowsync::sync::Plan> {
    client.command(Command::DryRun).await.unwrap();
    let plan = plan_ready(client, "the dry run's plan").await;
    next_matching(client, "the dry run's end", finished(true)).await;
    plan
}

/// Applies `plan_id` through `client`: the refusal's reason, or `None` once the cycle ran.
async fn apply(client: &mut Client, plan_id: u64) -> Option<String> {
    client.command(Command::ApplyPlan { plan_id }).await.unwrap();
    let frame = next_matching(client, "the apply's outcome", |f| {
        matches!(
            f,
            ServerFrame::Event {
                event: SyncEvent::PlanRefused { .. } | SyncEvent::CycleFinished { dry_run: false, .. }
            }
        )
    })
    .await;
    match frame {
        ServerFrame::Event {
            event: SyncEvent::PlanRefused { reason, .. },
        } => Some(reason),
        _ => None,
    }
}

#[tokio::test]
async fn a_plan_made_after_another_consoles_scope_save_is_current_also_when_the_threshold_holds_part() {
    let env = setup(200, 20, 20, 0).await;
    set_enabled(&env, false);
    save(
        &env,
        &[
            scope("all"),
            Edit::set("provisioning", "deletion_threshold", EditValue::Int(20)),
        ],
    );
    let _run = spawn_run(&env);
    let path = socket_of(&env).await;
    let (mut owner, _) = Client::attach(&path, "console-a").await.unwrap();
    let (mut other, _) = Client::attach(&path, "console-b").await.unwrap();
    owner.command(Command::RunNow).await.unwrap();
    next_matching(&mut owner, "the first cycle", finished(false)).await;

    // The other console switches the scope to assigned and saves: the engine reloads.
    save(&env, &[scope("assigned")]);
    reload(&mut other).await;
    // Its dry run disables more than the threshold allows: the disables are held (staged).
    let plan = dry_run(&mut other).await;
    assert!(plan.counts.staged_delete > 20, "{:?}", plan.counts);
    assert_eq!(plan.counts.disable, 0, "{:?}", plan.counts);
    // Nothing changed since: the plan is current, and applying it runs it.
    assert_eq!(apply(&mut other, plan.id).await, None, "plan {} was refused", plan.id);

    // The owning console's next plan is current too (it saw the other's cycle end first).
    next_matching(&mut owner, "the other console's cycle", finished(false)).await;
    let plan = dry_run(&mut owner).await;
    assert_eq!(apply(&mut owner, plan.id).await, None, "plan {} was refused", plan.id);
}

#[tokio::test]
async fn a_save_tells_every_console_the_plan_made_before_is_out_of_date_naming_what_changed() {
    let env = setup(200, 20, 20, 0).await;
    set_enabled(&env, false);
    save(&env, &[scope("all")]);
    let _run = spawn_run(&env);
    let path = socket_of(&env).await;
    let (mut owner, _) = Client::attach(&path, "console-a").await.unwrap();
    let (mut other, _) = Client::attach(&path, "console-b").await.unwrap();
    let plan = dry_run(&mut owner).await;

    // The other console saves the scope: every console hears what changed, and that plans
    // are now made under other rules than the one shown.
    save(&env, &[scope("assigned")]);
    reload(&mut other).await;
    for client in [&mut owner, &mut other] {
        let frame = next_matching(client, "the reload", |f| {
            matches!(
                f,
                ServerFrame::Event {
                    event: SyncEvent::Reloaded { .. }
                }
            )
        })
        .await;
        let ServerFrame::Event {
            event: SyncEvent::Reloaded { changed, plan_hash },
        } = frame
        else {
            unreachable!()
        };
        assert_eq!(changed, ["the scope (all → assigned)"]);
        assert_ne!(plan_hash, plan.basis.profile);
    }
    // A console attaching now is told the plan is out of date, and why.
    let (_late, attached) = Client::attach(&path, "console-c").await.unwrap();
    let last = attached.replay.plan.expect("the last plan");
    assert_eq!(last.plan.id, plan.id);
    assert_eq!(
        last.state,
        nowsync::door::replay::PlanState::Superseded {
            why: "the scope (all → assigned) changed since it was made".to_owned()
        }
    );
    // The engine refuses it, naming what differs.
    let reason = apply(&mut owner, plan.id).await.expect("refused");
    assert!(
        reason.ends_with("the scope (all → assigned) changed since it was made)"),
        "{reason}"
    );
}
