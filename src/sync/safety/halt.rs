//! When a cycle stops writing: only for refusals that are not about one record (issue 12,
//! servicenow.md §13 #2), after which the engine quarantines the job (`quarantine`).
//!
//! - Rejected logins (401: a password changed mid-cycle): [`HALT_AFTER`] in the cycle at all,
//!   whatever succeeded in between.
//! - Refused permissions (403 `ACL Exception …`, or a 403 that names no rule): the same table
//!   operation refused [`HALT_AFTER`] times, for writes of at least two shapes (different
//!   fields sent), with no success of that operation in the cycle. An ACL on some records
//!   lets others through, or refuses records alike; an ACL on the whole table operation
//!   refuses whatever is sent.
//! - Refusals of one record for what it holds — a data policy, a business rule, a unique key
//!   (`FailureCode::is_per_record`) — and a missing row (404) never halt: the object fails,
//!   the others go on.
//! - Any other permanent failure (400, an unexpected answer): [`HALT_AFTER`] identical ones
//!   in a row with nothing else before them (the small-tenant rule: every write failing alike
//!   would only add load and noise).
//!
//! Transient failures never count: they are retried next cycle.

use std::collections::{HashMap, HashSet};

use super::rules::HALT_AFTER;
use crate::sync::outcome::FailureCode;

/// One write as the rule sees it: its table operation and its shape.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Write {
    /// (table, method).
    pub operation: (String, &'static str),
    /// The fields sent, in order.
    pub shape: Vec<String>,
}

/// A table operation's refused permissions this cycle.
#[derive(Debug, Default)]
struct Refused {
    count: u32,
    shapes: HashSet<Vec<String>>,
}

/// The rule's tally over one cycle's writes.
#[derive(Debug, Default)]
pub struct Halt {
    any_success: bool,
    failures: u32,
    code: Option<FailureCode>,
    streak: u32,
    /// 401s this cycle: a rejected login is never about one object, so they are counted
    /// whatever succeeded in between (requests sent before a password change still succeed
    /// after the first 401s).
    unauthorized: u32,
    /// Table operations that succeeded this cycle.
    succeeded: HashSet<(String, &'static str)>,
    refused: HashMap<(String, &'static str), Refused>,
    /// Set when the cycle stopped under the rule: the code and the error's text.
    pub halted: Option<(FailureCode, String)>,
}

impl Halt {
    pub fn success(&mut self, write: &Write) {
        self.any_success = true;
        self.streak = 0;
        self.succeeded.insert(write.operation.clone());
    }

    pub fn failure(&mut self, write: &Write, code: FailureCode, transient: bool, message: &str) {
        if transient || code.is_per_record() || code == FailureCode::InvalidAnchor {
            return;
        }
        let halt = match code {
            FailureCode::ServiceNowUnauthorized => {
                self.unauthorized += 1;
                self.unauthorized >= HALT_AFTER
            }
            FailureCode::ServiceNowAclDenied | FailureCode::ServiceNowForbidden => {
                let refused = self.refused.entry(write.operation.clone()).or_default();
                refused.count += 1;
                refused.shapes.insert(write.shape.clone());
                refused.count >= HALT_AFTER && refused.shapes.len() >= 2 && !self.succeeded.contains(&write.operation)
            }
            _ => self.alike(code),
        };
        if halt && self.halted.is_none() {
            self.halted = Some((code, message.to_owned()));
        }
    }

    /// The small-tenant rule: identical permanent failures with nothing else before them.
    fn alike(&mut self, code: FailureCode) -> bool {
        self.failures += 1;
        if self.code == Some(code) {
            self.streak += 1;
        } else {
            self.code = Some(code);
            self.streak = 1;
        }
        !self.any_success && self.streak == self.failures && self.streak >= HALT_AFTER
    }
}

#[cfg(test)]
mod tests {
    use super::{Halt, Write};
    use crate::sync::outcome::FailureCode;

    fn write(method: &'static str, fields: &[&str]) -> Write {
        Write {
            operation: ("sys_user".into(), method),
            shape: fields.iter().map(|f| (*f).to_owned()).collect(),
        }
    }

    #[test]
    fn the_halt_counts_401s_across_successes_and_needs_alike_failures_otherwise() {
        let w = write("POST", &["user_name"]);
        let mut h = Halt::default();
        for _ in 0..4 {
            h.failure(&w, FailureCode::ServiceNowBadRequest, false, "x");
        }
        h.failure(&w, FailureCode::ServiceNowBadRequest, true, "transient: ignored");
        assert!(h.halted.is_none());
        h.failure(&w, FailureCode::ServiceNowBadRequest, false, "x");
        assert_eq!(
            h.halted.as_ref().map(|(c, _)| *c),
            Some(FailureCode::ServiceNowBadRequest)
        );

        let mut h = Halt::default();
        h.success(&w);
        for _ in 0..10 {
            h.failure(&w, FailureCode::ServiceNowBadRequest, false, "data");
        }
        assert!(h.halted.is_none(), "data failures after a success are per object");
        for _ in 0..4 {
            h.failure(&w, FailureCode::ServiceNowUnauthorized, false, "401");
            h.success(&w);
        }
        assert!(h.halted.is_none());
        h.failure(&w, FailureCode::ServiceNowUnauthorized, false, "401");
        assert!(h.halted.is_some(), "five 401s in a cycle halt it");
    }

    #[test]
    fn refusals_of_one_record_never_halt_and_acls_halt_only_across_shapes() {
        let mut h = Halt::default();
        for code in [
            FailureCode::ServiceNowDataPolicy,
            FailureCode::ServiceNowBusinessRule,
            FailureCode::DuplicateTargetEntries,
        ] {
            for _ in 0..8 {
                h.failure(&write("POST", &["user_name"]), code, false, "refused");
            }
        }
        assert!(
            h.halted.is_none(),
            "eight refused contractors are eight failures, no halt"
        );
        // A record ACL refusing records of one shape: per record.
        for _ in 0..8 {
            h.failure(
                &write("PATCH", &["title"]),
                FailureCode::ServiceNowAclDenied,
                false,
                "acl",
            );
        }
        assert!(h.halted.is_none());
        // The whole table operation refused, whatever is sent: halt.
        for (i, fields) in [&["title"][..], &["title", "mail"], &["mail"], &["phone"], &["title"]]
            .iter()
            .enumerate()
        {
            h.failure(&write("POST", fields), FailureCode::ServiceNowAclDenied, false, "acl");
            assert_eq!(h.halted.is_some(), i == 4, "{i}");
        }
        // An operation that also succeeds is refused per record.
        let mut h = Halt::default();
        h.success(&write("POST", &["title"]));
        for fields in [&["a"][..], &["b"], &["c"], &["d"], &["e"], &["f"]] {
            h.failure(&write("POST", fields), FailureCode::ServiceNowAclDenied, false, "acl");
        }
        assert!(h.halted.is_none());
    }
}
