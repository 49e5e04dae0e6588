//! The network layer both clients share: retries and throttling ([`retry`]).
//!
//! Terms: a *failure* is an attempt that went wrong (5xx, a dropped connection); a *throttle* is
//! the service asking us to slow down (429); a *pause* stops every request of one client.
//! Depends on nothing of ours: the clients (`servicenow`, `graph`) judge their own errors.

pub mod cert;
pub mod encode;
pub mod http;
pub mod limiter;
pub mod probe;
pub mod proxy;
pub mod resolve;
pub mod retry;
pub mod tls;
