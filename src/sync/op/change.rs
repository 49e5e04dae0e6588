//! One attribute's change in a plan (old → new), kept small: a plan at 100,000 users holds
//! about a million of them (issue 16 §3), and redacted ones never show their values.

use compact_str::CompactString;
use serde::{Deserialize, Serialize};

/// A value, inline when it fits; a longer one keeps no spare capacity.
fn compact(s: String) -> CompactString {
    CompactString::from(s.as_str())
}

/// One attribute's change: what ServiceNow holds now → what it will hold.
///
/// A redacted change (`Redact()` in its mapping) keeps its values for the request that writes
/// them only: `Debug`, serialisation (the plan's JSON, the provisioning log, a held op) and
/// [`Change::old_text`]/[`Change::new_text`] give `***`, and [`Change::digest`] is the keyed
/// digest of the new value, for comparisons (`sync::redact`).
#[derive(Clone, PartialEq, Eq)]
pub struct Change {
    /// The field's name, interned (`mapping::intern`): a plan at 100,000 users holds about a
    /// million changes of a few dozen names (issue 16 §3).
    pub attribute: std::sync::Arc<str>,
    /// The new value, inline when short (up to 24 bytes: most values are), so that a create's
    /// fields cost no allocation each (issue 16 §3). The old one is in `more` ([`Change::old`]):
    /// a create's changes, most of a plan's, have none.
    pub new: Option<CompactString>,
    /// What few changes carry, boxed so that the others stay small: 56 bytes instead of 152
    /// (issue 16 §3). `None` when it would be empty.
    more: Option<Box<More>>,
    /// `Redact()`: the values are never shown or stored. A change read back from the store
    /// holds `***`, never a value to write.
    pub redacted: bool,
    /// `new` is the source id of a user this cycle creates (a manager created in the same
    /// cycle): apply writes that user's sys_id, once its create is done (`apply::waves`).
    pub pending: bool,
}

/// The rarer parts of a [`Change`].
#[derive(Clone, Default, PartialEq, Eq)]
struct More {
    /// What ServiceNow holds now, when it holds a value (an update's, a disable's).
    old: Option<CompactString>,
    /// For a reference, whose `old` and `new` are sys_ids: the referenced rows' display values
    /// (`location: (none) → Seattle`), when the cycle read them.
    old_display: Option<CompactString>,
    new_display: Option<CompactString>,
    /// The keyed digest of `new` when redacted.
    digest: Option<CompactString>,
}

impl More {
    /// `None` when empty: a change without them compares equal however it was made.
    fn boxed(self) -> Option<Box<More>> {
        (self != More::default()).then(|| Box::new(self))
    }
}

impl Change {
    pub fn new(attribute: impl AsRef<str>, old: Option<String>, new: Option<String>) -> Change {
        Change {
            attribute: crate::mapping::intern(attribute.as_ref()),
            new: new.map(compact),
            more: More {
                old: old.map(compact),
                ..More::default()
            }
            .boxed(),
            redacted: false,
            pending: false,
        }
    }

    /// What ServiceNow holds now (`None` for a create's field or an empty field).
    pub fn old(&self) -> Option<&str> {
        self.more.as_ref().and_then(|m| m.old.as_deref())
    }

    /// A reference to the user `source_id` that this cycle creates: its sys_id is written
    /// once that create is done.
    pub fn pending(attribute: impl AsRef<str>, source_id: String) -> Change {
        Change {
            pending: true,
            ..Change::new(attribute, None, Some(source_id))
        }
    }

    /// This change redacted under `key`: shown as `***`, remembered by digest.
    pub fn redact(mut self, key: &crate::sync::redact::Redaction) -> Change {
        self.redacted = true;
        let digest = self.new.as_deref().map(|v| compact(key.digest(&self.attribute, v)));
        let old = self.more.take().and_then(|m| m.old);
        self.more = More {
            old,
            digest,
            ..More::default()
        }
        .boxed();
        self
    }

    /// For a reference: the display values of the rows `old` and `new` name.
    pub fn set_display(&mut self, old: Option<String>, new: Option<String>) {
        let (value, digest) = self.more.take().map_or((None, None), |m| (m.old, m.digest));
        self.more = More {
            old: value,
            old_display: old.map(compact),
            new_display: new.map(compact),
            digest,
        }
        .boxed();
    }

    /// The display value of the row `old` names (a reference), when the cycle read it.
    pub fn old_display(&self) -> Option<&str> {
        self.more.as_ref().and_then(|m| m.old_display.as_deref())
    }

    /// The display value of the row `new` names (a reference).
    pub fn new_display(&self) -> Option<&str> {
        self.more.as_ref().and_then(|m| m.new_display.as_deref())
    }

    /// The keyed digest of `new` when redacted.
    pub fn digest(&self) -> Option<&str> {
        self.more.as_ref().and_then(|m| m.digest.as_deref())
    }

    fn shown<'a>(&self, value: Option<&'a str>) -> Option<&'a str> {
        if self.redacted {
            value.map(|_| crate::sync::redact::MASK)
        } else {
            value
        }
    }

    /// The old value as a person reads it: the display value of a reference, else the value;
    /// `***` when redacted.
    pub fn old_text(&self) -> Option<&str> {
        self.shown(self.old_display().or(self.old()))
    }

    /// The new value as a person reads it.
    pub fn new_text(&self) -> Option<&str> {
        self.shown(self.new_display().or(self.new.as_deref()))
    }

    /// The new value as a person reads it, saying so when it is a user this cycle creates (a
    /// pending reference): `boss@x.com (created in this cycle)`.
    pub fn new_words(&self) -> Option<String> {
        let text = self.new_text()?;
        Some(if self.pending {
            format!("{text} (created in this cycle)")
        } else {
            text.to_owned()
        })
    }
}

/// A change as serialised (the plan's JSON, the provisioning log, the engine's socket).
#[derive(Deserialize)]
struct Wire {
    attribute: String,
    old: Option<String>,
    new: Option<String>,
    #[serde(default)]
    old_display: Option<String>,
    #[serde(default)]
    new_display: Option<String>,
    #[serde(default)]
    redacted: bool,
    #[serde(default)]
    digest: Option<String>,
    #[serde(default)]
    pending: bool,
}

impl<'de> Deserialize<'de> for Change {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Change, D::Error> {
        let w = Wire::deserialize(d)?;
        Ok(Change {
            redacted: w.redacted,
            pending: w.pending,
            more: More {
                old: w.old.map(compact),
                old_display: w.old_display.map(compact),
                new_display: w.new_display.map(compact),
                digest: w.digest.map(compact),
            }
            .boxed(),
            ..Change::new(&w.attribute, None, w.new)
        })
    }
}

impl std::fmt::Debug for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Change")
            .field("attribute", &self.attribute)
            .field("old", &self.shown(self.old()))
            .field("new", &self.shown(self.new.as_deref()))
            .field("old_display", &self.old_display())
            .field("new_display", &self.new_display())
            .field("redacted", &self.redacted)
            .field("digest", &self.digest())
            .field("pending", &self.pending)
            .finish()
    }
}

impl Serialize for Change {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Shown<'a> {
            attribute: &'a str,
            old: Option<&'a str>,
            new: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            old_display: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            new_display: Option<&'a str>,
            #[serde(skip_serializing_if = "std::ops::Not::not")]
            redacted: bool,
            #[serde(skip_serializing_if = "Option::is_none")]
            digest: Option<&'a str>,
            #[serde(skip_serializing_if = "std::ops::Not::not")]
            pending: bool,
        }
        Shown {
            attribute: &self.attribute,
            old: self.shown(self.old()),
            new: self.shown(self.new.as_deref()),
            old_display: self.shown(self.old_display()),
            new_display: self.shown(self.new_display()),
            redacted: self.redacted,
            digest: self.digest(),
            pending: self.pending,
        }
        .serialize(s)
    }
}
