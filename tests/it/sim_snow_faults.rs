//! The ServiceNow simulator's performance model and fault injection over HTTP.
