//! ServiceNow's throttling, said in the console's log pane at INFO once per pause it starts,
//! not per request: the acceptance pass saw progress stall 10 s with nothing on screen while the
//! log file had "throttled: waiting".

use std::time::Duration;

use tokio::sync::broadcast;

use super::event::{LogLevel, SyncEvent};
use crate::servicenow;

/// Says each pause `snow` starts as a [`SyncEvent::Log`] on `events`. The task ends with the
/// client it listens to (a reload makes a new client, and a new task).
pub(super) fn say(snow: &servicenow::Client, events: &broadcast::Sender<SyncEvent>) {
    let mut throttles = snow.throttles();
    let events = events.clone();
    tokio::spawn(async move {
        loop {
            match throttles.recv().await {
                Ok(wait) => {
                    let _ = events.send(SyncEvent::Log {
                        level: LogLevel::Info,
                        message: said(wait),
                    });
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    });
}

/// What a pause of `wait` says.
pub fn said(wait: Duration) -> String {
    format!(
        "ServiceNow throttled (429): paused {} s as it asked (Retry-After), then every request goes on; if this repeats, raise the instance's REST API rate limit rule for the integration user",
        wait.as_secs_f64().ceil()
    )
}
