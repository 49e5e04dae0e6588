//! State bound to its instance and tenant (issue 12). The links and delta links in a state
//! database name rows of one ServiceNow instance and objects of one Entra tenant; run against
//! another instance they would update or disable unrelated rows, and a stored delta link would
//! carry the new bearer token to the old Graph host. So the store records which instance (its
//! URL and, where the account can read it, its `instance_id` system property — a URL can be
//! re-pointed, the id cannot) and which tenant, enterprise app and Graph base the state was
//! made against, and no cycle runs when the profile now points elsewhere.
//!
//! Identifying the new side is all that is sent: the instance's identity and the tenant's
//! `GET /organization`, both to the hosts the profile names now.

use super::super::cycle::Context;
use crate::store::Binding;
use crate::sync::error::CycleError;

/// How the current sides compare with the stored binding.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Compared {
    Same,
    /// The same instance (same `instance_id`) under another URL: the binding follows it.
    Readdressed,
    /// Another instance or tenant: what differs, worded for the refusal.
    Elsewhere(Vec<String>),
}

/// Compares the stored binding with the sides the profile points at now.
pub(crate) fn compare(stored: &Binding, now: &Binding) -> Compared {
    let mut differs = Vec::new();
    let same_url = same_text(&stored.instance_url, &now.instance_url);
    let same_instance = match (&stored.instance_id, &now.instance_id) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        _ => same_url,
    };
    if !same_instance {
        differs.push(format!(
            "ServiceNow instance {} (now {})",
            instance(stored),
            instance(now)
        ));
    }
    if !same_text(&stored.tenant_id, &now.tenant_id) {
        differs.push(format!("tenant {} (now {})", stored.tenant_id, now.tenant_id));
    }
    if !same_text(&stored.service_principal_id, &now.service_principal_id) {
        differs.push(format!(
            "enterprise app {} (now {})",
            stored.service_principal_id, now.service_principal_id
        ));
    }
    if !same_text(&stored.graph_url, &now.graph_url) {
        differs.push(format!("Graph {} (now {})", stored.graph_url, now.graph_url));
    }
    match differs.is_empty() {
        false => Compared::Elsewhere(differs),
        true if same_url => Compared::Same,
        true => Compared::Readdressed,
    }
}

fn same_text(a: &str, b: &str) -> bool {
    a.trim_end_matches('/').eq_ignore_ascii_case(b.trim_end_matches('/'))
}

fn instance(b: &Binding) -> String {
    match &b.instance_id {
        Some(id) => format!("{} (instance_id {id})", b.instance_url),
        None => b.instance_url.clone(),
    }
}

/// The sides the profile points at now; reads the instance's identity and the tenant's id.
async fn current(cx: &Context) -> Result<Binding, CycleError> {
    let identity = cx.identity().await?;
    let tenant_id = match cx.graph.organization_id().await? {
        Some(id) => id,
        None => cx.graph.tenant_id().to_ascii_lowercase(),
    };
    Ok(Binding {
        instance_url: cx.snow.instance().to_string(),
        instance_id: identity.instance_id.clone(),
        tenant_id,
        service_principal_id: cx.graph.service_principal_id().to_ascii_lowercase(),
        graph_url: cx.graph.endpoints().graph.clone(),
    })
}

/// Refuses when the state belongs to another instance or tenant; records the binding when
/// there is none yet (the first cycle, after `restart --scope full`, or a state made before
/// bindings were recorded).
pub(crate) async fn check(cx: &Context) -> Result<(), CycleError> {
    let now = current(cx).await?;
    let Some(stored) = cx.store.binding()? else {
        cx.store.set_binding(&now)?;
        return Ok(());
    };
    match compare(&stored, &now) {
        Compared::Same => Ok(()),
        Compared::Readdressed => {
            tracing::info!(
                from = %stored.instance_url,
                to = %now.instance_url,
                "the same instance (its instance_id) under another URL: the state follows it"
            );
            cx.store.set_binding(&now)?;
            Ok(())
        }
        Compared::Elsewhere(differs) => Err(CycleError::Rebound {
            differs: differs.join("; "),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bound() -> Binding {
        Binding {
            instance_url: "https://acme.service-now.com".into(),
            instance_id: Some("a1".into()),
            tenant_id: "t1".into(),
            service_principal_id: "sp1".into(),
            graph_url: "https://graph.microsoft.com/v1.0".into(),
        }
    }

    #[test]
    fn an_instance_is_known_by_its_id_and_a_url_only_without_one() {
        let stored = bound();
        assert_eq!(compare(&stored, &bound()), Compared::Same);
        let moved = Binding {
            instance_url: "https://acme-new.service-now.com/".into(),
            ..bound()
        };
        assert_eq!(compare(&stored, &moved), Compared::Readdressed);
        let other = Binding {
            instance_id: Some("b2".into()),
            ..bound()
        };
        let Compared::Elsewhere(d) = compare(&stored, &other) else {
            panic!("another instance_id is another instance");
        };
        assert!(
            d[0].contains("instance_id a1") && d[0].contains("instance_id b2"),
            "{d:?}"
        );
        let unreadable = Binding {
            instance_id: None,
            ..moved
        };
        assert!(matches!(compare(&stored, &unreadable), Compared::Elsewhere(_)));
        assert_eq!(
            compare(
                &stored,
                &Binding {
                    instance_id: None,
                    ..bound()
                }
            ),
            Compared::Same
        );
    }

    #[test]
    fn another_tenant_app_or_graph_base_is_elsewhere() {
        let stored = bound();
        for now in [
            Binding {
                tenant_id: "t2".into(),
                ..bound()
            },
            Binding {
                service_principal_id: "sp2".into(),
                ..bound()
            },
            Binding {
                graph_url: "https://graph.microsoft.us/v1.0".into(),
                ..bound()
            },
        ] {
            assert!(matches!(compare(&stored, &now), Compared::Elsewhere(d) if d.len() == 1));
        }
        let upper = Binding {
            tenant_id: "T1".into(),
            ..bound()
        };
        assert_eq!(compare(&stored, &upper), Compared::Same);
    }
}
