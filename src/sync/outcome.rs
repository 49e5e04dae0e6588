//! The typed words of an object's outcome: its [`Status`], the [`Action`] the log names, why a
//! plan skips it ([`SkipReason`]) and the [`FailureCode`] of a failure. `Display` gives the
//! provisioning log's spelling (Entra's, where Entra has one); text exists only in output and
//! at the state database's boundary, where [`FailureCode`] and [`crate::sync::ObjectType`] are
//! parsed back with `FromStr`.

use std::fmt;

use serde::{Deserialize, Serialize, Serializer};

/// How an object (or one step of its pipeline) came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Success,
    Failure,
    /// Nothing written: in sync, held back, or an action that is off.
    Skipped,
    /// A step that went through with a caveat (`missing_reference = "warn"`).
    Warning,
    /// A step of a plan not applied yet.
    Planned,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Success => "success",
            Status::Failure => "failure",
            Status::Skipped => "skipped",
            Status::Warning => "warning",
            Status::Planned => "planned",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// The action word of the provisioning log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Action {
    #[serde(rename = "create")]
    Create,
    #[serde(rename = "update")]
    Update,
    #[serde(rename = "disable")]
    Disable,
    #[serde(rename = "delete")]
    Delete,
    /// A disable or delete held back by the deletion threshold (Entra's word).
    StagedDelete,
    #[serde(rename = "add_member")]
    AddMember,
    #[serde(rename = "remove_member")]
    RemoveMember,
    #[serde(rename = "create_reference")]
    CreateReference,
    #[serde(rename = "skip")]
    Skip,
    #[serde(rename = "error")]
    Error,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Disable => "disable",
            Action::Delete => "delete",
            Action::StagedDelete => "StagedDelete",
            Action::AddMember => "add_member",
            Action::RemoveMember => "remove_member",
            Action::CreateReference => "create_reference",
            Action::Skip => "skip",
            Action::Error => "error",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

macro_rules! failure_codes {
    ($($(#[$doc:meta])* $code:ident),* $(,)?) => {
        /// Why an object failed: Entra's code where Entra has one, otherwise ours in the same
        /// style (DESIGN.md: every failure record has one).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum FailureCode {
            $($(#[$doc])* $code,)*
        }

        impl FailureCode {
            pub const ALL: &[FailureCode] = &[$(FailureCode::$code,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(FailureCode::$code => stringify!($code),)*
                }
            }
        }
    };
}

failure_codes! {
    // Found by the plan.
    /// Two source objects in scope have the same matching value.
    DuplicateSourceEntries,
    /// Several ServiceNow rows have the matching value.
    DuplicateTargetEntries,
    /// No value for any matching attribute.
    EntryJoiningPropertyValueIsMissing,
    /// A value longer than the field's max length.
    AttributeValueTooLong,
    /// A reference value with no row.
    InvalidLookupReference,
    /// A mapping expression failed for the object.
    AttributeMappingEvaluationFailed,
    /// The matching value points at the integration account (the account nowsync signs in
    /// as), which is never matched, written or deprovisioned.
    MatchesIntegrationAccount,
    /// The matching value points at a row of a table that extends the target table
    /// (`customer_contact`, `csm_consumer`, …), which is never matched or written.
    MatchesOtherClass,
    /// A matching value could not be looked up in ServiceNow this cycle, so the object is not
    /// created (it might exist).
    MatchingValueNotSearchable,
    /// A group to delete that the integration account is a member of or holds roles through:
    /// the delete would cascade to them and take nowsync's own access (servicenow.md §13 #3).
    GroupGrantsIntegrationAccount,
    // Found while applying.
    /// The op depends on an object that was not provisioned.
    ReferenceNotProvisioned,
    /// 401: the login was rejected.
    ServiceNowUnauthorized,
    /// 403: a role or ACL refused the write.
    ServiceNowForbidden,
    /// 403: a data policy refused the record (a mandatory field is empty, …).
    ServiceNowDataPolicy,
    /// 403: a business rule aborted the write of the record.
    ServiceNowBusinessRule,
    /// 403: an ACL refused the write of this record (`ACL Exception …`).
    ServiceNowAclDenied,
    /// 404: the linked row is gone.
    InvalidAnchor,
    /// 429 after the client's retries.
    ServiceNowThrottled,
    /// 400: a field rule or a bad value.
    ServiceNowBadRequest,
    /// 5xx after the client's retries.
    ServiceNowServerError,
    /// A timeout or a dropped connection after the client's retries.
    ServiceNowTransientError,
    /// Anything else ServiceNow answered.
    ServiceNowError,
}

impl FailureCode {
    /// A rejected login or a refused permission: not about one object.
    pub fn is_credentials(self) -> bool {
        matches!(
            self,
            FailureCode::ServiceNowUnauthorized | FailureCode::ServiceNowForbidden | FailureCode::ServiceNowAclDenied
        )
    }

    /// A refusal of one record for what it holds (a data policy, a business rule, a unique
    /// key): the object fails, the cycle goes on, and it never counts toward a halt
    /// (servicenow.md §13 #2).
    pub fn is_per_record(self) -> bool {
        matches!(
            self,
            FailureCode::ServiceNowDataPolicy
                | FailureCode::ServiceNowBusinessRule
                | FailureCode::DuplicateTargetEntries
        )
    }
}

impl fmt::Display for FailureCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A failure code the state database holds that this version does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown failure code '{0}'")]
pub struct UnknownCode(pub String);

impl std::str::FromStr for FailureCode {
    type Err = UnknownCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FailureCode::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

/// Why the plan writes nothing for an object. Serialised as its text (the plan's JSON keeps
/// `"reason": "in sync: nothing differs"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// Nothing differs: counted, not logged (a quiet cycle leaves a quiet log).
    InSync,
    /// Disabled in Entra and not in ServiceNow: never created.
    DisabledNotCreated,
    /// No row matches and the mapping's Create action is off.
    CreateOff,
    /// The row differs and the mapping's Update action is off.
    UpdateOff,
    /// It failed permanently with `code` and nothing it was computed from changed.
    UnchangedFailure { code: FailureCode },
    /// A reference to a user that is not provisioned and that this plan (or this provision on
    /// demand) does not create: a write of it could only fail, so the object waits for it.
    /// `user` names it (its UPN; its object id only when the source has no name for it).
    ReferenceWaits { attribute: String, user: String },
    /// It failed with `code` before it was ever provisioned, and has left scope since (or is
    /// gone from Entra): nothing of it exists in ServiceNow to deprovision, so its failure is
    /// dropped and never retried (acceptance N11).
    LeftScope { code: FailureCode },
    /// A membership of a user whose create failed in this cycle: it waits for the create
    /// (acceptance N8). `user` its UPN, `group` the group's name, `failed` the create's reason.
    /// Boxed: an op stays small (`op::tests::an_op_stays_small`).
    MemberWaits(Box<MemberWait>),
}

/// See [`SkipReason::MemberWaits`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberWait {
    pub user: String,
    pub group: String,
    pub failed: String,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::InSync => f.write_str("in sync: nothing differs"),
            SkipReason::DisabledNotCreated => f.write_str("disabled in Entra: not created"),
            SkipReason::CreateOff => f.write_str("no match, and the Create action is off"),
            SkipReason::UpdateOff => f.write_str("differs, but the Update action is off"),
            SkipReason::UnchangedFailure { code } => {
                write!(
                    f,
                    "failed with {code} and nothing about it has changed since; not retried"
                )
            }
            SkipReason::ReferenceWaits { attribute, user } => write!(
                f,
                "{attribute} waits for {user}, not provisioned yet: set by the cycle that provisions it"
            ),
            SkipReason::LeftScope { code } => write!(f, "{LEFT_SCOPE}{code}{LEFT_SCOPE_END}"),
            SkipReason::MemberWaits(w) => {
                write!(
                    f,
                    "{MEMBER_OF}{}{MEMBER_IN}{}{MEMBER_WAITS}{})",
                    w.user, w.group, w.failed
                )
            }
        }
    }
}

const LEFT_SCOPE: &str = "out of scope and never provisioned: its failure (";
const LEFT_SCOPE_END: &str = ") is dropped, not retried";
const MEMBER_OF: &str = "membership of ";
const MEMBER_IN: &str = " in ";
const MEMBER_WAITS: &str = " waits for the user's create (failed: ";

impl Serialize for SkipReason {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A skip reason's text that is not one this version writes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown skip reason '{0}'")]
pub struct UnknownSkipReason(pub String);

impl std::str::FromStr for SkipReason {
    type Err = UnknownSkipReason;

    /// The text [`fmt::Display`] writes, read back (a plan received over the engine's socket).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let fixed = [
            SkipReason::InSync,
            SkipReason::DisabledNotCreated,
            SkipReason::CreateOff,
            SkipReason::UpdateOff,
        ];
        if let Some(reason) = fixed.into_iter().find(|r| r.to_string() == s) {
            return Ok(reason);
        }
        let unknown = || UnknownSkipReason(s.to_owned());
        if let Some(code) = s
            .strip_prefix("failed with ")
            .and_then(|rest| rest.strip_suffix(" and nothing about it has changed since; not retried"))
        {
            return Ok(SkipReason::UnchangedFailure {
                code: code.parse().map_err(|_| unknown())?,
            });
        }
        if let Some(code) = s
            .strip_prefix(LEFT_SCOPE)
            .and_then(|rest| rest.strip_suffix(LEFT_SCOPE_END))
        {
            return Ok(SkipReason::LeftScope {
                code: code.parse().map_err(|_| unknown())?,
            });
        }
        // A UPN holds no space: the first " in " ends it.
        if let Some((user, rest)) = s.strip_prefix(MEMBER_OF).and_then(|rest| rest.split_once(MEMBER_IN))
            && let Some((group, failed)) = rest.split_once(MEMBER_WAITS)
            && let Some(failed) = failed.strip_suffix(')')
        {
            return Ok(SkipReason::MemberWaits(Box::new(MemberWait {
                user: user.to_owned(),
                group: group.to_owned(),
                failed: failed.to_owned(),
            })));
        }
        // `attribute waits for user, not provisioned yet: …`: attribute names hold no spaces.
        let rest = s
            .strip_suffix(", not provisioned yet: set by the cycle that provisions it")
            .ok_or_else(unknown)?;
        let (attribute, user) = rest.split_once(" waits for ").ok_or_else(unknown)?;
        Ok(SkipReason::ReferenceWaits {
            attribute: attribute.to_owned(),
            user: user.to_owned(),
        })
    }
}

impl<'de> Deserialize<'de> for SkipReason {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_their_entra_spelling() {
        for code in FailureCode::ALL {
            assert_eq!(code.as_str().parse::<FailureCode>(), Ok(*code));
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
        }
        assert!("NoSuchCode".parse::<FailureCode>().is_err());
        for (action, word) in [
            (Action::StagedDelete, "StagedDelete"),
            (Action::AddMember, "add_member"),
        ] {
            assert_eq!(serde_json::to_value(action).unwrap(), word);
            assert_eq!(action.to_string(), word);
        }
        let skip = SkipReason::UnchangedFailure {
            code: FailureCode::ServiceNowBadRequest,
        };
        assert_eq!(
            serde_json::to_value(&skip).unwrap(),
            "failed with ServiceNowBadRequest and nothing about it has changed since; not retried"
        );
        for reason in [
            SkipReason::InSync,
            SkipReason::DisabledNotCreated,
            SkipReason::CreateOff,
            SkipReason::UpdateOff,
            skip,
            SkipReason::ReferenceWaits {
                attribute: "manager".into(),
                user: "boss@x.com".into(),
            },
            SkipReason::LeftScope {
                code: FailureCode::AttributeValueTooLong,
            },
            SkipReason::MemberWaits(Box::new(MemberWait {
                user: "ada@x.com".into(),
                group: "Sales in EMEA".into(),
                failed: "user_name: the value 'x' has 61 characters (too long)".into(),
            })),
        ] {
            let text = serde_json::to_string(&reason).unwrap();
            assert_eq!(serde_json::from_str::<SkipReason>(&text).unwrap(), reason, "{text}");
        }
        assert!(serde_json::from_str::<SkipReason>(r#""because""#).is_err());
    }
}
