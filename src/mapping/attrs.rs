//! [`Attrs`]: one source object's attributes, held compactly (issue 16 §3). A cycle at 100,000
//! users holds one per user; as a `BTreeMap<String, Value>` each took about 2.5 KB (tree nodes
//! plus a heap copy of every attribute name). Here the entries are one sorted `Vec` and the
//! names are interned (`Arc<str>`, one allocation per distinct name for the whole process:
//! the names are the catalogue's, a few dozen).

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

use super::Value;
use super::eval::Attributes;

/// The one shared copy of an attribute name (source attributes here, target fields in a
/// plan's `Change`s).
pub fn intern(name: &str) -> Arc<str> {
    static NAMES: OnceLock<Mutex<HashSet<Arc<str>>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(n) = names.get(name) {
        return n.clone();
    }
    let n: Arc<str> = Arc::from(name);
    names.insert(n.clone());
    n
}

/// Attribute name → value, sorted by name (as the `BTreeMap` it replaces iterated).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attrs(Vec<(Arc<str>, Value)>);

impl Attrs {
    /// Sets `name` (replacing its value when present).
    pub fn insert(&mut self, name: &str, value: Value) {
        match self.0.binary_search_by(|(k, _)| (**k).cmp(name)) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => self.0.insert(i, (intern(name), value)),
        }
    }

    /// The value of exactly `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0
            .binary_search_by(|(k, _)| (**k).cmp(name))
            .ok()
            .map(|i| &self.0[i].1)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (&**k, v))
    }

    /// Drops the spare capacity the inserts left: a cycle holds one per user (issue 16 §3).
    pub fn shrink_to_fit(&mut self) {
        self.0.shrink_to_fit();
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Attributes for Attrs {
    /// Exact name first, then ignoring ASCII case (as for the maps).
    fn get(&self, name: &str) -> Value {
        if let Some(v) = Attrs::get(self, name) {
            return v.clone();
        }
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map_or(Value::Null, |(_, v)| v.clone())
    }
}

impl From<BTreeMap<String, Value>> for Attrs {
    fn from(map: BTreeMap<String, Value>) -> Attrs {
        // Already sorted and unique.
        let mut v = Vec::with_capacity(map.len());
        v.extend(map.into_iter().map(|(k, v)| (intern(&k), v)));
        Attrs(v)
    }
}

impl FromIterator<(String, Value)> for Attrs {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Attrs {
        let mut out = Attrs::default();
        for (k, v) in iter {
            out.insert(&k, v);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_like_the_map_it_replaces() {
        let map = BTreeMap::from([
            ("mail".to_owned(), Value::Str("a@b".into())),
            ("Department".to_owned(), Value::Str("Sales".into())),
        ]);
        let mut attrs = Attrs::from(map.clone());
        assert_eq!(
            Attributes::get(&attrs, "department"),
            Attributes::get(&map, "department")
        );
        assert_eq!(Attributes::get(&attrs, "missing"), Value::Null);
        attrs.insert("mail", Value::Str("c@d".into()));
        attrs.insert("accountEnabled", Value::Bool(true));
        assert_eq!(attrs.get("mail"), Some(&Value::Str("c@d".into())));
        let names: Vec<&str> = attrs.iter().map(|(k, _)| k).collect();
        assert_eq!(names, ["Department", "accountEnabled", "mail"]);
        assert_eq!(attrs.len(), 3);
        // One copy of each name for the whole process.
        let other = Attrs::from(BTreeMap::from([("mail".to_owned(), Value::Null)]));
        assert!(Arc::ptr_eq(&attrs.0[2].0, &other.0[0].0));
    }
}
