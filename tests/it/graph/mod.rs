//! The Graph client against the Graph simulator: reads and paging, delta rounds with writes
//! between them, resets, throttling, and the Entra steps of test connection.

mod check;
mod conformance;
mod delta;
mod quirks;
mod reads;

use std::time::Duration;

use nowsync::config::{Cloud, Entra};
use nowsync::graph::{Client, Options};
use nowsync::net::retry::Policy;
use nowsync::secrets::Secret;
use nowsync::sim::graph::{self as sim, Running};

/// A simulator with `users`/`groups` on a free port.
pub async fn start(users: usize, groups: usize, tweak: impl FnOnce(&mut sim::Options)) -> Running {
    let mut options = sim::Options {
        users,
        groups,
        seed: 11,
        ..sim::Options::default()
    };
    tweak(&mut options);
    sim::spawn(options).await.unwrap()
}

pub fn settings(r: &Running) -> Entra {
    Entra {
        tenant_id: r.tenant_id.clone(),
        client_id: r.client_id.clone(),
        service_principal_id: r.service_principal_id.clone(),
        cloud: Cloud::Global,
        authority_url: Some(r.authority_url.clone()),
        graph_url: Some(r.graph_url.clone()),
        network: Default::default(),
    }
}

/// A client with short backoff steps, so 5xx retries take milliseconds.
pub fn client(r: &Running) -> Client {
    let options = Options {
        retry: Policy {
            base: Duration::from_millis(5),
            cap: Duration::from_millis(50),
            throttle_base: Duration::from_millis(5),
            throttle_cap: Duration::from_millis(50),
            throttle_budget: Duration::from_secs(5),
            ..Options::default().retry
        },
        ..Options::default()
    };
    Client::new(&settings(r), Secret::new(r.client_secret.clone()), options).unwrap()
}
