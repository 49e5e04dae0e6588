//! The small-tenant rule: stop writing after [`HALT_AFTER`] identical permanent failures in a
//! row when (a) every write of the cycle so far failed alike, or (b) the error is a refused
//! permission (403: a lost role), which every later write would hit too; and after that many
//! rejected logins (401: a password changed mid-cycle) in the cycle at all. The engine then
//! quarantines the job (`quarantine`).

use super::rules::HALT_AFTER;
use crate::sync::outcome::FailureCode;

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
    /// Set when the cycle stopped under the rule: the code and the error's text.
    pub halted: Option<(FailureCode, String)>,
}

impl Halt {
    pub fn success(&mut self) {
        self.any_success = true;
        self.streak = 0;
    }

    pub fn failure(&mut self, code: FailureCode, transient: bool, message: &str) {
        if transient {
            return;
        }
        self.failures += 1;
        if self.code == Some(code) {
            self.streak += 1;
        } else {
            self.code = Some(code);
            self.streak = 1;
        }
        if code == FailureCode::ServiceNowUnauthorized {
            self.unauthorized += 1;
        }
        let forbidden = code == FailureCode::ServiceNowForbidden;
        let all_alike = !self.any_success && self.streak == self.failures;
        let halt = self.unauthorized >= HALT_AFTER || (self.streak >= HALT_AFTER && (forbidden || all_alike));
        if halt && self.halted.is_none() {
            self.halted = Some((code, message.to_owned()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Halt;
    use crate::sync::outcome::FailureCode;

    #[test]
    fn the_halt_counts_401s_across_successes_and_needs_alike_failures_otherwise() {
        let mut h = Halt::default();
        for _ in 0..4 {
            h.failure(FailureCode::ServiceNowBadRequest, false, "x");
        }
        h.failure(FailureCode::ServiceNowBadRequest, true, "transient: ignored");
        assert!(h.halted.is_none());
        h.failure(FailureCode::ServiceNowBadRequest, false, "x");
        assert_eq!(
            h.halted.as_ref().map(|(c, _)| *c),
            Some(FailureCode::ServiceNowBadRequest)
        );

        let mut h = Halt::default();
        h.success();
        for _ in 0..10 {
            h.failure(FailureCode::ServiceNowBadRequest, false, "data");
        }
        assert!(h.halted.is_none(), "data failures after a success are per object");
        for _ in 0..4 {
            h.failure(FailureCode::ServiceNowUnauthorized, false, "401");
            h.success();
        }
        assert!(h.halted.is_none());
        h.failure(FailureCode::ServiceNowUnauthorized, false, "401");
        assert!(h.halted.is_some(), "five 401s in a cycle halt it");
    }
}
