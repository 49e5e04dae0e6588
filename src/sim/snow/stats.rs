//! What the simulator saw, for `GET /sim/stats` (DESIGN.md "Simulators").
//!
//! `requests`/`by_table` count Table API operations that were admitted and dispatched, by
//! method (HEAD counts as GET); each Batch item counts under its own method and table, the
//! wrapping batch POST only in `batches`. Token requests count in `oauth`. Requests refused by
//! the full queue count in `rejected_429`; `peak_in_flight` is the most requests that held a
//! semaphore slot at once. `faults` counts injected faults by kind (`drop_after`, `status`, …).
//! `/sim/*` is never counted.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::{Value, json};

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

#[derive(Default)]
struct Counts {
    requests: BTreeMap<&'static str, u64>,
    by_table: BTreeMap<String, BTreeMap<&'static str, u64>>,
    batches: u64,
    oauth: u64,
    peak_in_flight: u64,
    rejected_429: u64,
    injected: BTreeMap<&'static str, u64>,
}

#[derive(Default)]
pub struct Stats {
    counts: Mutex<Counts>,
}

fn method_key(method: &str) -> &'static str {
    match method.to_ascii_uppercase().as_str() {
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        _ => "GET",
    }
}

impl Stats {
    fn with(&self, f: impl FnOnce(&mut Counts)) {
        let mut guard = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard);
    }

    pub fn request(&self, method: &str, table: &str) {
        let m = method_key(method);
        self.with(|c| {
            *c.requests.entry(m).or_default() += 1;
            *c.by_table.entry(table.to_owned()).or_default().entry(m).or_default() += 1;
        });
    }

    pub fn batch(&self) {
        self.with(|c| c.batches += 1);
    }

    pub fn oauth(&self) {
        self.with(|c| c.oauth += 1);
    }

    /// A fault of kind `kind` was injected (see `faults`).
    pub fn injected(&self, kind: &'static str) {
        self.with(|c| *c.injected.entry(kind).or_default() += 1);
    }

    pub fn rejected(&self) {
        self.with(|c| c.rejected_429 += 1);
    }

    pub fn in_flight(&self, now: u64) {
        self.with(|c| c.peak_in_flight = c.peak_in_flight.max(now));
    }

    pub fn reset(&self) {
        self.with(|c| *c = Counts::default());
    }

    pub fn json(&self) -> Value {
        let c = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let methods = |m: &BTreeMap<&'static str, u64>| {
            let mut out = serde_json::Map::new();
            for k in METHODS {
                out.insert(k.to_owned(), json!(m.get(k).copied().unwrap_or(0)));
            }
            Value::Object(out)
        };
        let by_table: serde_json::Map<String, Value> =
            c.by_table.iter().map(|(t, m)| (t.clone(), methods(m))).collect();
        json!({
            "requests": methods(&c.requests),
            "by_table": by_table,
            "batches": c.batches,
            "oauth": c.oauth,
            "peak_in_flight": c.peak_in_flight,
            "rejected_429": c.rejected_429,
            "faults": c.injected,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_method_and_table_and_resets() {
        let s = Stats::default();
        s.request("GET", "sys_user");
        s.request("HEAD", "sys_user");
        s.request("PATCH", "sys_user_group");
        s.batch();
        s.in_flight(3);
        s.in_flight(2);
        s.injected("drop_after");
        let j = s.json();
        assert_eq!(j["faults"]["drop_after"], 1);
        assert_eq!(j["requests"]["GET"], 2);
        assert_eq!(j["requests"]["DELETE"], 0);
        assert_eq!(j["by_table"]["sys_user_group"]["PATCH"], 1);
        assert_eq!(j["batches"], 1);
        assert_eq!(j["peak_in_flight"], 3);
        s.reset();
        assert_eq!(s.json()["requests"]["GET"], 0);
    }
}
