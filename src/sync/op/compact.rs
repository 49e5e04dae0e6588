//! Small forms of an op's fields (issue 16 §3): a plan at 100,000 users holds about 600,000
//! ops, ~526,000 of them memberships, so a membership must cost no allocation of its own.
//! - [`Id`]: a source id shared by every op that names it (a group's id by each of its
//!   memberships, a user's by each of theirs): one reference count, not a copy.
//! - [`Name`]: an object's name, or a membership's `group / user` kept as the two shared names
//!   and written out only when shown.
//! - [`OpHash`]: the 16 hex digits of `model::stable_hash`, held inline.
//!
//! Each serialises exactly as the `String` it replaced, and compares with text as one.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// A source (Graph) id, shared by the ops that name it.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(Arc<str>);

impl Id {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Id {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Id {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Id {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Id {
    fn from(s: &str) -> Id {
        Id(s.into())
    }
}

impl From<String> for Id {
    fn from(s: String) -> Id {
        Id(s.into())
    }
}

impl From<&String> for Id {
    fn from(s: &String) -> Id {
        Id(s.as_str().into())
    }
}

impl From<Id> for String {
    fn from(id: Id) -> String {
        id.0.as_ref().to_owned()
    }
}

impl PartialEq<str> for Id {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for Id {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<String> for Id {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl Serialize for Id {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Id, D::Error> {
        String::deserialize(d).map(Id::from)
    }
}

/// What an op is about, as a person reads it: a user's UPN or a group's name, or for a
/// membership `group / user` (built when shown: the plan keeps the two shared names).
#[derive(Clone)]
pub enum Name {
    Text(Box<str>),
    Member(Arc<str>, Arc<str>),
}

impl Name {
    /// A membership's name: `group / user`.
    pub fn member(group: Arc<str>, user: Arc<str>) -> Name {
        Name::Member(group, user)
    }

    /// The name as text (written out for a membership).
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Name::Text(t) => Cow::Borrowed(t),
            Name::Member(g, u) => Cow::Owned(format!("{g} / {u}")),
        }
    }
}

impl Default for Name {
    fn default() -> Name {
        Name::Text(Box::default())
    }
}

impl From<&str> for Name {
    fn from(s: &str) -> Name {
        Name::Text(s.into())
    }
}

impl From<String> for Name {
    fn from(s: String) -> Name {
        Name::Text(s.into_boxed_str())
    }
}

impl From<Name> for String {
    fn from(n: Name) -> String {
        n.text().into_owned()
    }
}

/// Equal when they read the same (a membership's name read back from JSON is text).
impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        self.text() == other.text()
    }
}

impl Eq for Name {}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        self.text() == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.text() == *other
    }
}

impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        self.text() == other.as_str()
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Name::Text(t) => f.pad(t),
            Name::Member(..) => f.pad(&self.text()),
        }
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.text(), f)
    }
}

impl Serialize for Name {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Name, D::Error> {
        String::deserialize(d).map(Name::from)
    }
}

/// What an op was computed from (`model::stable_hash`: 16 hex digits), inline. Any other text
/// (an empty hash, a hash stored by another version) is kept as it is, so that it compares and
/// serialises as before.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct OpHash(compact_str::CompactString);

impl OpHash {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for OpHash {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<String> for OpHash {
    fn from(s: String) -> OpHash {
        OpHash(compact_str::CompactString::from(s.as_str()))
    }
}

impl From<&str> for OpHash {
    fn from(s: &str) -> OpHash {
        OpHash(s.into())
    }
}

impl PartialEq<String> for OpHash {
    fn eq(&self, other: &String) -> bool {
        self.0 == *other
    }
}

impl PartialEq<&str> for OpHash {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<OpHash> for String {
    fn eq(&self, other: &OpHash) -> bool {
        other.0 == *self
    }
}

impl fmt::Display for OpHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl fmt::Debug for OpHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0.as_str(), f)
    }
}

impl Serialize for OpHash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for OpHash {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<OpHash, D::Error> {
        String::deserialize(d).map(OpHash::from)
    }
}
