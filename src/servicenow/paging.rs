//! Whole-table reads: every row matching a query, page by page, never all held at once.
//!
//! Rules (spec §1.2, §1.6, §12): order by `sys_id` so offset paging neither skips nor repeats
//! rows; pages of the client's page size (1,000 by default, up to 10,000); stop on an empty page
//! or once the offset reaches `X-Total-Count` — never on a short page alone, because
//! `sysparm_limit` is applied before ACLs and a page can come back short while more rows follow.
//! The count is asked for on the first page only (`sysparm_no_count=true` afterwards saves the
//! instance a `count(*)` per page, KB0564204).
//!
//! Terms: `Link` is the pagination header, `<url>;rel="next",<url>;rel="last"`, with raw commas
//! inside URLs: split it on `,<`, not on `,`.

use futures_util::StreamExt;
use futures_util::stream::FuturesOrdered;

use super::client::Client;
use super::error::Error;
use super::list::ListParams;
use super::record::Record;

/// Pulls the pages of one whole-table read, in order.
pub struct Pager {
    client: Client,
    table: String,
    params: ListParams,
    limit: u32,
    total: Option<u64>,
    done: bool,
}

impl Pager {
    /// The next page, or `None` when the read is complete.
    pub async fn next_page(&mut self) -> Result<Option<Vec<Record>>, Error> {
        if self.done || self.total.is_some_and(|t| self.params.offset >= t) {
            self.done = true;
            return Ok(None);
        }
        let page = self.client.list(&self.table, &self.params).await?;
        if self.total.is_none() {
            self.total = page.total;
            // Count once; later pages skip the count(*).
            self.params.no_count = true;
        }
        if page.records.is_empty() {
            self.done = true;
            return Ok(None);
        }
        self.params.offset += u64::from(self.limit);
        Ok(Some(page.records))
    }

    /// `X-Total-Count` of the first page, once it has been read.
    pub fn total(&self) -> Option<u64> {
        self.total
    }
}

impl Client {
    /// Starts a whole-table read of `table`; see [`Pager::next_page`]. The query gets
    /// `ORDERBYsys_id` appended (as a tiebreaker when it already orders by something else).
    pub fn pager(&self, table: &str, params: &ListParams) -> Pager {
        let mut params = params.clone();
        if !params.query.orders_by("sys_id") {
            params.query = params.query.order_by("sys_id");
        }
        let limit = params.limit.unwrap_or(self.inner.options.page_size).clamp(1, 10_000);
        params.limit = Some(limit);
        params.no_count = false;
        Pager {
            client: self.clone(),
            table: table.to_owned(),
            params,
            limit,
            total: None,
            done: false,
        }
    }

    /// Reads every row of `table` matching `params.query`, handing each page to `on_page` in
    /// order as it arrives. Returns the number of rows read.
    ///
    /// Once the first page has told the total, the following pages are fetched concurrently,
    /// up to the in-flight ceiling (at most 8), and still handed over in order: at most that
    /// many pages are held at once. Filling the ceiling, not just the instance's 4 slots, keeps
    /// a request queued behind each slot so no slot idles for a client round trip (DESIGN).
    pub async fn read_all<F>(&self, table: &str, params: &ListParams, mut on_page: F) -> Result<u64, Error>
    where
        F: FnMut(Vec<Record>),
    {
        let mut pager = self.pager(table, params);
        let mut rows = 0u64;
        let Some(first) = pager.next_page().await? else {
            return Ok(0);
        };
        rows += first.len() as u64;
        on_page(first);
        let Some(total) = pager.total else {
            while let Some(page) = pager.next_page().await? {
                rows += page.len() as u64;
                on_page(page);
            }
            return Ok(rows);
        };
        let window = self.inner.options.max_in_flight.clamp(1, 8);
        let mut offsets = (pager.params.offset..total).step_by(pager.limit as usize);
        let base = &pager.params;
        let fetch = |offset: u64| {
            let mut p = base.clone();
            p.offset = offset;
            async move { self.list(table, &p).await }
        };
        let mut inflight = FuturesOrdered::new();
        for offset in offsets.by_ref().take(window) {
            inflight.push_back(fetch(offset));
        }
        while let Some(page) = inflight.next().await {
            let page = page?;
            // An empty page ends the read even with a total (spec §12), as it would sequentially.
            if page.records.is_empty() {
                break;
            }
            rows += page.records.len() as u64;
            on_page(page.records);
            if let Some(offset) = offsets.next() {
                inflight.push_back(fetch(offset));
            }
        }
        Ok(rows)
    }
}

/// The URL of the `rel` entry of a `Link` header (spec §1.6: no spaces after commas, raw commas
/// inside URLs).
pub fn link_rel(header: &str, rel: &str) -> Option<String> {
    let want = format!("rel=\"{rel}\"");
    header.split(",<").find_map(|part| {
        let part = part.trim();
        let part = part.strip_prefix('<').unwrap_or(part);
        let (url, params) = part.split_once('>')?;
        params.split(';').any(|p| p.trim() == want).then(|| url.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header_splits_on_comma_angle() {
        let h = "<https://i.service-now.com/api/now/table/cmdb_ci?sysparm_offset=0&sysparm_limit=1000&sysparm_fields=name,sys_id>;rel=\"first\",<https://i.service-now.com/api/now/table/cmdb_ci?sysparm_offset=1000&sysparm_limit=1000&sysparm_fields=name,sys_id>;rel=\"next\",<https://i.service-now.com/api/now/table/cmdb_ci?sysparm_offset=2780&sysparm_limit=1000&sysparm_fields=name,sys_id>;rel=\"last\"";
        assert_eq!(
            link_rel(h, "next").as_deref(),
            Some(
                "https://i.service-now.com/api/now/table/cmdb_ci?sysparm_offset=1000&sysparm_limit=1000&sysparm_fields=name,sys_id"
            )
        );
        assert!(link_rel(h, "last").unwrap().contains("offset=2780"));
        assert!(link_rel(h, "first").unwrap().contains("offset=0"));
        assert_eq!(link_rel(h, "prev"), None);
        assert_eq!(link_rel("", "next"), None);
        assert_eq!(link_rel("<u>; rel=\"next\"", "next").as_deref(), Some("u"));
    }
}
