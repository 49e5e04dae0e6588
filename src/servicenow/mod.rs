//! ServiceNow: the Table and Batch API client, the encoded-query builder, table schema from
//! `sys_dictionary`, typed errors, and the ServiceNow half of test connection.
//!
//! Terms are ServiceNow's: instance, table, sys_id, encoded query, reference, transaction id.
//! Invariants: values are strings on the wire; no cookie jar (shared sessions are serialised by
//! the instance and answered 202 empty); the password never appears in an error or a log.

mod instance;

pub use instance::{Instance, InstanceError};
