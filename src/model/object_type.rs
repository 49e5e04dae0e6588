//! The kind of object an operation, a link, a failure or a log record is about: user, group
//! or membership. Text exists only at the state database's boundary and in output: `Display`
//! gives the word, `FromStr` reads it back, and serde writes the same words, so existing state
//! databases and the socket protocol read as before.

use serde::{Deserialize, Serialize};

/// Which kind of object an operation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectType {
    User,
    Group,
    Membership,
}

impl ObjectType {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectType::User => "user",
            ObjectType::Group => "group",
            ObjectType::Membership => "membership",
        }
    }
}

impl std::fmt::Display for ObjectType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// An object type the state database holds that this version does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown object type '{0}'")]
pub struct UnknownObjectType(pub String);

impl std::str::FromStr for ObjectType {
    type Err = UnknownObjectType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "user" => Ok(ObjectType::User),
            "group" => Ok(ObjectType::Group),
            "membership" => Ok(ObjectType::Membership),
            other => Err(UnknownObjectType(other.to_owned())),
        }
    }
}
