//! What happened, as the engine reports it to [`super::Notifier`]: an [`Event`] and the reason a
//! job stopped. Plain data, so the engine, the console and tests can build one without I/O.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

/// Why a job stopped. The words are Entra's where Entra has one (`TooManyDeletes`), ours in the
/// same style otherwise; [`Reason::as_str`] is what de-duplication compares.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reason {
    /// The deletion threshold tripped: disables and deletes are staged, not applied.
    TooManyDeletes,
    /// Too many operations failed (Entra's escrow thresholds, or every operation failing alike).
    TooManyFailures,
    /// ServiceNow or Graph rejected our credentials (a changed password, a revoked secret).
    CredentialsRejected,
    /// A reason this version does not name; kept as the engine spelt it.
    Other(String),
}

impl Reason {
    pub fn as_str(&self) -> &str {
        match self {
            Reason::TooManyDeletes => "TooManyDeletes",
            Reason::TooManyFailures => "TooManyFailures",
            Reason::CredentialsRejected => "CredentialsRejected",
            Reason::Other(word) => word,
        }
    }

    /// One sentence for the admin: what this reason means.
    fn explanation(&self) -> &'static str {
        match self {
            Reason::TooManyDeletes => {
                "The cycle would have disabled or deleted more objects than the deletion threshold allows, \
                 so nothing was disabled or deleted."
            }
            Reason::TooManyFailures => {
                "Too many provisioning operations failed, so scheduled cycles now back off (1 h, 6 h, 12 h, then daily)."
            }
            Reason::CredentialsRejected => {
                "A service rejected nowsync's credentials, so the cycle stopped before failing every object."
            }
            Reason::Other(_) => "The job stopped for this reason.",
        }
    }

    /// The commands that get the job going again.
    fn what_to_do(&self, profile: &str) -> Vec<String> {
        let p = if profile == "default" {
            String::new()
        } else {
            format!("--profile {profile} ")
        };
        match self {
            Reason::TooManyDeletes => vec![
                format!("Review the staged deletions (action StagedDelete): nowsync {p}logs"),
                format!("If they are intended, apply exactly that set: nowsync {p}allow-deletes"),
                "If they are not, fix the assignments or scoping filters; the next good cycle ends the quarantine."
                    .to_owned(),
            ],
            Reason::TooManyFailures => vec![
                format!("Read the failures (status failure): nowsync {p}logs"),
                "Fix the cause (mappings, missing reference data in ServiceNow, permissions).".to_owned(),
                format!("Then try again at once: nowsync {p}restart --scope quarantine"),
            ],
            Reason::CredentialsRejected => vec![
                format!("Check the credentials: nowsync {p}test-connection"),
                format!("Store the new password or secret: nowsync {p}secrets set NAME"),
                format!("Then try again at once: nowsync {p}restart --scope quarantine"),
            ],
            Reason::Other(_) => vec![
                format!("See the state of the job: nowsync {p}status"),
                format!("After fixing the cause: nowsync {p}restart --scope quarantine"),
            ],
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Reason {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "TooManyDeletes" => Reason::TooManyDeletes,
            "TooManyFailures" => Reason::TooManyFailures,
            "CredentialsRejected" => Reason::CredentialsRejected,
            other => Reason::Other(other.to_owned()),
        })
    }
}

/// What kind of thing happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// The job entered quarantine.
    QuarantineStarted { reason: Reason },
    /// A cycle's plan exceeded the deletion threshold: the disables and deletes are staged.
    DeletionThreshold {
        staged_disables: u64,
        staged_deletes: u64,
        /// The count that was exceeded (`deletion_threshold`, or the percentage's share).
        threshold: u64,
    },
    /// The job was already quarantined, and the reason is now a different one.
    ReasonChanged { from: Reason, to: Reason },
    /// `nowsync notify --test`: never de-duplicated, never recorded.
    Test,
}

/// One failed operation, as the provisioning log has it. Foreign text: sanitised when rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorSample {
    /// Entra's error code, e.g. `InvalidLookupReference`.
    pub code: String,
    /// The object: a UPN, a group name, or an id.
    pub object: String,
    pub message: String,
}

/// Counts of the cycle that raised the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Operations attempted in the cycle.
    pub operations: u64,
    /// Operations that failed.
    pub failures: u64,
}

/// What happened, to whom, when: everything a notification says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub profile: String,
    pub kind: Kind,
    pub time: DateTime<Utc>,
    pub counts: Counts,
    /// The first failures of the cycle; the mail shows at most [`super::MAX_ERRORS`].
    pub errors: Vec<ErrorSample>,
    /// When the next scheduled cycle will try again, if known.
    pub next_attempt: Option<DateTime<Utc>>,
}

impl Event {
    /// An event with no counts, errors or next attempt; fill those in with struct update syntax.
    pub fn new(profile: impl Into<String>, kind: Kind, time: DateTime<Utc>) -> Self {
        Self {
            profile: profile.into(),
            kind,
            time,
            counts: Counts::default(),
            errors: Vec::new(),
            next_attempt: None,
        }
    }

    /// The reason this event stands for, which de-duplication compares; `None` for a test.
    /// A tripped deletion threshold quarantines the job with `TooManyDeletes`, so both kinds of
    /// event share that reason and only one mail goes out for them.
    pub fn reason(&self) -> Option<Reason> {
        match &self.kind {
            Kind::QuarantineStarted { reason } | Kind::ReasonChanged { to: reason, .. } => Some(reason.clone()),
            Kind::DeletionThreshold { .. } => Some(Reason::TooManyDeletes),
            Kind::Test => None,
        }
    }

    pub(super) fn explanation(&self) -> Option<&'static str> {
        self.reason().map(|r| r.explanation())
    }

    pub(super) fn what_to_do(&self) -> Vec<String> {
        self.reason().map(|r| r.what_to_do(&self.profile)).unwrap_or_default()
    }
}
