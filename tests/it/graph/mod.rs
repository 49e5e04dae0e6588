//! The Graph client against the Graph simulator: reads and paging, delta rounds with writes
//! between them, resets, throttling, and the Entra steps of test connection.

mod check;
mod conformance;
mod delta;
mod reads;

use std::time::Duration;

use nowsync::config::{Cloud, Entra};
use nowsync::graph::{Client, Options, RetryPolicy};
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
    }
}

/// A client with short backoff steps, so 5xx retries take milliseconds.
pub fn client(r: &Running) -> Client {
    let options = Options {
        retry: RetryPolicy {
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(50),
            ..RetryPolicy::default()
        },
        ..Options::default()
    };
    Client::new(&settings(r), Secret::new(r.client_secret.clone()), options).unwrap()
}
