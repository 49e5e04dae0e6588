//! Delta rounds for users and groups (spec §6): a round follows nextLinks (empty pages
//! included) until a page carries the deltaLink, which the caller stores for the next round.
//! Items may repeat within a round and come in any order; the caller merges idempotently.
//!
//! An expired or reset token (400 `syncStateNotFound`/`resyncRequired`, or any 410) restarts
//! the round from the initial query as a full round and is reported through
//! [`DeltaRound::reset`], never silently.

use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::paging::Envelope;
use super::{Client, Error, GraphError};

/// Why an object left: `changed` = soft-deleted (restorable), `deleted` = gone for good; for
/// a `members@delta` entry, `deleted` also means "no longer a member" (spec §6.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removed {
    Changed,
    Deleted,
    Other(String),
}

impl Removed {
    fn parse(v: &Value) -> Removed {
        match v.get("reason").and_then(Value::as_str) {
            Some("changed") => Removed::Changed,
            Some("deleted") => Removed::Deleted,
            other => Removed::Other(other.unwrap_or_default().to_owned()),
        }
    }
}

/// One entry of `members@delta` or `manager@delta`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefChange {
    pub id: String,
    /// `#microsoft.graph.user`, `#microsoft.graph.group`, …
    pub odata_type: Option<String>,
    /// `None`: added (or the current value); `Some`: removed.
    pub removed: Option<Removed>,
}

impl RefChange {
    pub fn is_user(&self) -> bool {
        self.odata_type.as_deref() == Some("#microsoft.graph.user")
    }
}

/// One object of a delta page.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "Map<String, Value>")]
pub struct DeltaItem {
    pub id: String,
    /// Set when the object was removed; then `properties` is empty.
    pub removed: Option<Removed>,
    /// The properties present on this item: for a new object its selected properties; for an
    /// update at least the changed ones (`null` = cleared). Absent ≠ null.
    pub properties: Map<String, Value>,
    /// `members@delta` (groups), when present.
    pub members: Option<Vec<RefChange>>,
    /// `manager@delta` (users, when `manager` is selected), when present.
    pub manager: Option<Vec<RefChange>>,
}

impl DeltaItem {
    /// The properties as a typed object (`User`, `Group`); absent ones take their defaults.
    pub fn to<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        let mut m = self.properties.clone();
        m.insert("id".to_owned(), Value::String(self.id.clone()));
        serde_json::from_value(Value::Object(m))
    }
}

fn refs(v: &Value) -> Vec<RefChange> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| {
                    Some(RefChange {
                        id: e.get("id")?.as_str()?.to_owned(),
                        odata_type: e.get("@odata.type").and_then(Value::as_str).map(str::to_owned),
                        removed: e.get("@removed").map(Removed::parse),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A delta item Graph sent that names no object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeltaItemError {
    #[error("delta item without an id")]
    NoId,
    /// The `id` as JSON text.
    #[error("delta item whose id {0} is not a string")]
    IdNotText(String),
}

impl TryFrom<Map<String, Value>> for DeltaItem {
    type Error = DeltaItemError;

    fn try_from(mut m: Map<String, Value>) -> Result<Self, Self::Error> {
        let id = match m.remove("id") {
            Some(Value::String(s)) => s,
            Some(other) => return Err(DeltaItemError::IdNotText(other.to_string())),
            None => return Err(DeltaItemError::NoId),
        };
        let removed = m.remove("@removed").map(|v| Removed::parse(&v));
        let members = m.remove("members@delta").map(|v| refs(&v));
        let manager = m.remove("manager@delta").map(|v| refs(&v));
        m.retain(|k, _| !k.starts_with('@'));
        Ok(DeltaItem {
            id,
            removed,
            properties: m,
            members,
            manager,
        })
    }
}

/// One delta round, page by page.
pub struct DeltaRound<T = DeltaItem> {
    client: Client,
    initial: String,
    next: Option<String>,
    delta_link: Option<String>,
    full: bool,
    reset: Option<GraphError>,
    /// Pages read so far in this round (after a reset, counted from the full round's start).
    pages: u64,
    _items: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> DeltaRound<T> {
    /// A round from `link` (a stored deltaLink), or a full round from `initial` without one.
    pub(crate) fn new(client: Client, initial: String, link: Option<&str>) -> Self {
        DeltaRound {
            client,
            next: Some(link.map(str::to_owned).unwrap_or_else(|| initial.clone())),
            full: link.is_none(),
            initial,
            delta_link: None,
            reset: None,
            pages: 0,
            _items: PhantomData,
        }
    }

    /// The next page's items (possibly none), `None` once the deltaLink has arrived. After an
    /// error the same page is asked for again on the next call. A page with neither link is
    /// [`Error::DeltaPageWithoutLink`]: the round cannot be finished, and no deltaLink is given.
    pub async fn next_page(&mut self) -> Result<Option<Vec<T>>, Error> {
        loop {
            let Some(url) = self.next.take() else {
                return Ok(None);
            };
            match self.client.get_json::<Envelope<T>>(&url).await {
                Ok(page) => {
                    // Graph sends empty pages with a nextLink during delta rounds: keep following.
                    match (page.next_link, page.delta_link) {
                        (Some(next), _) => self.next = Some(next),
                        (None, Some(delta)) => self.delta_link = Some(delta),
                        // Not the end of the round (graph.md §6.1: it ends with a deltaLink):
                        // taking it as one would read a cut-short round as the whole state.
                        (None, None) => {
                            let page = self.pages + 1;
                            self.next = Some(url.clone());
                            return Err(Error::DeltaPageWithoutLink { url, page });
                        }
                    }
                    self.pages += 1;
                    return Ok(Some(page.value));
                }
                Err(Error::Graph(g)) if g.is_delta_reset() && self.reset.is_none() => {
                    // Our own initial query, not the 410's Location: it keeps our $select and
                    // cannot point at another host.
                    tracing::warn!(
                        status = g.status,
                        code = %g.code,
                        request_id = g.request_id.as_deref().unwrap_or("-"),
                        "delta token no longer valid: starting a full round"
                    );
                    self.reset = Some(*g);
                    self.full = true;
                    self.pages = 0;
                    self.next = Some(self.initial.clone());
                }
                Err(e) => {
                    self.next = Some(url);
                    return Err(e);
                }
            }
        }
    }

    /// True when this round reports the whole state (no stored link, or the link was reset):
    /// objects absent from it no longer exist in scope of the query.
    pub fn is_full(&self) -> bool {
        self.full
    }

    /// The error that made a stored link unusable, if that happened in this round.
    pub fn reset(&self) -> Option<&GraphError> {
        self.reset.as_ref()
    }

    /// The link for the next round, once the last page has been read.
    pub fn delta_link(&self) -> Option<&str> {
        self.delta_link.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delta_items_parse_annotations() {
        let page: Envelope<DeltaItem> = serde_json::from_str(
            r##"{"@odata.context":"x","@odata.deltaLink":"https://h/v1.0/groups/delta?$deltatoken=a",
            "value":[
              {"id":"u1","@removed":{"reason":"changed"}},
              {"id":"u2","@removed":{"reason":"deleted"}},
              {"id":"u3","displayName":"Ann","department":null,
               "manager@delta":[{"@odata.type":"#microsoft.graph.user","id":"m1"}]},
              {"id":"g1","displayName":"G","members@delta":[
                 {"@odata.type":"#microsoft.graph.user","id":"a"},
                 {"@odata.type":"#microsoft.graph.user","id":"b","@removed":{"reason":"deleted"}},
                 {"@odata.type":"#microsoft.graph.group","id":"g2"}]}]}"##,
        )
        .unwrap();
        assert_eq!(
            page.delta_link.as_deref(),
            Some("https://h/v1.0/groups/delta?$deltatoken=a")
        );
        let v = &page.value;
        assert_eq!(v[0].removed, Some(Removed::Changed));
        assert_eq!(v[1].removed, Some(Removed::Deleted));
        assert!(v[0].properties.is_empty());
        assert_eq!(
            v[2].properties.get("department"),
            Some(&Value::Null),
            "cleared is null, not absent"
        );
        assert!(!v[2].properties.contains_key("mail"));
        let m = v[2].manager.as_ref().unwrap();
        assert_eq!(
            (m[0].id.as_str(), m[0].is_user(), m[0].removed.clone()),
            ("m1", true, None)
        );
        let members = v[3].members.as_ref().unwrap();
        assert_eq!(members.len(), 3);
        assert_eq!(members[1].removed, Some(Removed::Deleted));
        assert!(!members[2].is_user());
        let user: crate::graph::User = v[2].to().unwrap();
        assert_eq!((user.id.as_str(), user.display_name.as_deref()), ("u3", Some("Ann")));
        assert!(serde_json::from_str::<DeltaItem>(r#"{"displayName":"no id"}"#).is_err());
    }

    #[test]
    fn an_item_without_a_text_id_says_which_way_it_is_wrong() {
        let item = |v: Value| DeltaItem::try_from(v.as_object().cloned().unwrap_or_default());
        assert_eq!(item(serde_json::json!({"displayName": "x"})), Err(DeltaItemError::NoId));
        assert_eq!(
            item(serde_json::json!({"id": 7})),
            Err(DeltaItemError::IdNotText("7".into()))
        );
    }

    #[test]
    fn empty_pages_and_unknown_reasons() {
        let page: Envelope<DeltaItem> =
            serde_json::from_str(r#"{"@odata.nextLink":"https://h/next","value":[]}"#).unwrap();
        assert!(page.value.is_empty() && page.next_link.is_some());
        let item: DeltaItem = serde_json::from_str(r#"{"id":"x","@removed":{"reason":"purged"}}"#).unwrap();
        assert_eq!(item.removed, Some(Removed::Other("purged".into())));
    }
}
