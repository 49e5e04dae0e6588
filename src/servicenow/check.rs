//! The ServiceNow side of `nowsync test-connection`.
use super::{Auth, ClientOptions, Instance};
use crate::model::check::Step;

/// Runs the steps in order and stops at the first failure.
pub async fn test_connection(_instance: &Instance, _auth: &Auth, _options: &ClientOptions) -> Vec<Step> {
    Vec::new()
}
