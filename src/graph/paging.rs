//! Paging: each page is fetched when the caller asks for it, so a 100,000-user tenant is never
//! held in memory as JSON text. The `@odata.nextLink` is followed verbatim (spec §2.3: never
//! rebuilt from `$skiptoken`), and empty pages are legal.

use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::{Client, Error};

/// A collection response.
#[derive(Debug, Deserialize)]
#[serde(bound = "T: DeserializeOwned")]
pub(crate) struct Envelope<T> {
    #[serde(default)]
    pub value: Vec<T>,
    #[serde(rename = "@odata.nextLink")]
    pub next_link: Option<String>,
    #[serde(rename = "@odata.deltaLink")]
    pub delta_link: Option<String>,
}

/// The pages of one list, handed out one at a time.
pub struct Pager<T> {
    client: Client,
    next: Option<String>,
    pages: u64,
    _items: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> Pager<T> {
    pub(crate) fn new(client: Client, url: String) -> Pager<T> {
        Pager {
            client,
            next: Some(url),
            pages: 0,
            _items: PhantomData,
        }
    }

    /// The next page's items, `None` after the last page. After an error the same page is
    /// asked for again on the next call.
    pub async fn next_page(&mut self) -> Result<Option<Vec<T>>, Error> {
        let Some(url) = self.next.take() else {
            return Ok(None);
        };
        match self.client.get_json::<Envelope<T>>(&url).await {
            Ok(page) => {
                self.next = page.next_link;
                self.pages += 1;
                Ok(Some(page.value))
            }
            Err(e) => {
                self.next = Some(url);
                Err(e)
            }
        }
    }

    /// Pages fetched so far.
    pub fn pages(&self) -> u64 {
        self.pages
    }

    /// Every item of every page; for small collections (assignments, members of one group).
    pub async fn all(mut self) -> Result<Vec<T>, Error> {
        let mut out = Vec::new();
        while let Some(items) = self.next_page().await? {
            out.extend(items);
        }
        Ok(out)
    }
}
