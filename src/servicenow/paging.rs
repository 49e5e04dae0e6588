//! Whole-table reads: every row matching a query, page by page, never all held at once.
//!
//! Rules (servicenow.md §1.2, §1.6, §13 #1, #10):
//! - **Keyset paging**, never offset: each page is `<query>^sys_id>LAST^ORDERBYsys_id`. Other
//!   writers (LDAP imports, SSO just-in-time provisioning) insert and delete rows while we
//!   read; a delete before an offset shifts the rows after it and offset paging skips them,
//!   while keyset paging reads every row that existed throughout, once.
//! - `sysparm_limit` is applied **before** ACLs (§1.2, §1.7): a page can come back short, or
//!   empty, while readable rows follow. So neither ends a range alone. An empty page leaves no
//!   cursor to step past the hidden rows: the same keyset query is asked again at
//!   `sysparm_offset` + limit, as long as its `X-Total-Count` (rows matching before ACLs) or a
//!   `Link rel="next"` says rows remain (§12); the range ends at an empty page that neither
//!   does. The count is asked for on the first page, on the page after a short one (likely the
//!   last: its count ends the range without another request), and again on an empty page that
//!   came without one; other pages send `sysparm_no_count=true`, which saves the instance a
//!   `count(*)` per page (KB0564204).
//! - A page the instance cancelled by its transaction quota (a 200 with a partial `result`
//!   and an error, or a 500 "Transaction cancelled") is **never used**: it is asked for again
//!   in pages half the size, down to [`MIN_PAGE`] rows; past that the read fails
//!   ([`Error::ReadCancelled`]) and the caller writes nothing.
//! - Concurrency: after the first page, the rest of the key space is split into up to 8 ranges
//!   of sys_ids (`sys_id>lo^sys_id<=hi`, bounds of 8 hex digits: sys_ids are 32 random hex
//!   digits, so the ranges are even; any other key still falls in exactly one range), each
//!   read by keyset, concurrently; pages are handed over in sys_id order.
//!
//! Terms: `Link` is the pagination header, `<url>;rel="next",<url>;rel="last"`, with raw commas
//! inside URLs: split it on `,<`, not on `,`.

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;

use super::client::Client;
use super::error::Error;
use super::list::ListParams;
use super::query::Cond;
use super::record::Record;

/// The smallest page a cancelled read is asked for again in.
pub const MIN_PAGE: u32 = 10;

/// Pulls the pages of one key range of a whole-table read, in sys_id order.
pub struct Pager {
    client: Client,
    table: String,
    params: ListParams,
    /// The last sys_id read (exclusive lower bound); `None` before the first page.
    after: Option<String>,
    /// The range's inclusive upper bound.
    upto: Option<String>,
    limit: u32,
    total: Option<u64>,
    /// Rows read so far.
    read: u64,
    /// Rows of the current keyset query (after `after`) skipped because their page came back
    /// empty (hidden by ACLs).
    skip: u64,
    /// `X-Total-Count` of the current keyset query, once an empty page asked for it.
    rest: Option<u64>,
    /// Ask the next page's count (see the module doc).
    count_next: bool,
    done: bool,
}

impl Pager {
    /// The next page, or `None` when the range is read. A page cancelled by the instance's
    /// quota is asked for again in smaller pages.
    pub async fn next_page(&mut self) -> Result<Option<Vec<Record>>, Error> {
        loop {
            if self.done {
                return Ok(None);
            }
            let counted = !self.params.no_count || self.count_next;
            let page = self.fetch(counted).await?;
            if self.total.is_none() && !self.params.no_count {
                self.total = page.total;
            }
            // Count once; later pages skip the count(*).
            self.params.no_count = true;
            self.count_next = false;
            let Some(last) = page.records.last().and_then(|r| r.value("sys_id")) else {
                self.after_empty(page.total, page.next.is_some(), counted);
                continue;
            };
            self.after = Some(last);
            self.skip = 0;
            self.rest = None;
            self.read += page.records.len() as u64;
            let short = page.records.len() < self.limit as usize;
            self.count_next = short;
            self.done = short && self.total.is_some_and(|t| self.read >= t);
            return Ok(Some(page.records));
        }
    }

    /// After an empty page of the current keyset query: step over it when its count (or a
    /// `Link rel="next"`) says rows remain; ask its count when it came without one; else the
    /// range is read. `asked`: the page was asked with its count.
    fn after_empty(&mut self, count: Option<u64>, next: bool, asked: bool) {
        if count.is_some() {
            self.rest = count;
        }
        let end = self.skip + u64::from(self.limit);
        match (self.rest, next) {
            (Some(rest), _) if end < rest => self.skip = end,
            (Some(_), _) => self.done = true,
            (None, true) => self.skip = end,
            // An instance that sends no count even when asked: the empty page ends the range.
            (None, false) if asked => self.done = true,
            (None, false) => self.count_next = true,
        }
    }

    /// One page of the current keyset query; a page cancelled by the instance's quota is asked
    /// for again smaller.
    async fn fetch(&mut self, counted: bool) -> Result<super::list::Page, Error> {
        loop {
            let mut params = self.params.clone();
            params.limit = Some(self.limit);
            params.offset = self.skip;
            params.no_count = !counted;
            if let Some(after) = &self.after {
                params.query = params.query.and_each_group(Cond::gt("sys_id", after.as_str()));
            }
            if let Some(upto) = &self.upto {
                params.query = params.query.and_each_group(Cond::le("sys_id", upto.as_str()));
            }
            params.query = params.query.only_ordered_by("sys_id");
            match self.client.list_page(&self.table, &params).await {
                Ok(page) => return Ok(page),
                Err(e) if e.is_quota_cancelled() && self.limit > MIN_PAGE => {
                    self.limit = (self.limit / 2).max(MIN_PAGE);
                    tracing::warn!(table = %self.table, limit = self.limit, "{e}");
                }
                Err(e) if e.is_quota_cancelled() => {
                    return Err(Error::ReadCancelled {
                        ctx: self.client.ctx("GET", Some(&self.table)),
                        limit: self.limit,
                        message: quota_message(&e),
                    });
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// `X-Total-Count` of the first page, once it has been read.
    pub fn total(&self) -> Option<u64> {
        self.total
    }
}

impl Client {
    /// Starts a whole-table read of `table` by keyset (see the module doc); `fields` gets
    /// `sys_id`, the order is `ORDERBYsys_id` alone.
    pub fn pager(&self, table: &str, params: &ListParams) -> Pager {
        let mut params = params.clone();
        if !params.fields.is_empty() && !params.fields.iter().any(|f| f == "sys_id") {
            params.fields.push("sys_id".to_owned());
        }
        params.offset = 0;
        params.no_count = false;
        let limit = params.limit.unwrap_or(self.inner.options.page_size).clamp(1, 10_000);
        Pager {
            client: self.clone(),
            table: table.to_owned(),
            params,
            after: None,
            upto: None,
            limit,
            total: None,
            read: 0,
            skip: 0,
            rest: None,
            count_next: false,
            done: false,
        }
    }

    /// Reads every row of `table` matching `params.query`, handing each page to `on_page` in
    /// sys_id order (see the module doc). Returns the number of rows read.
    ///
    /// The ranges are read concurrently; a range's pages are handed over once every range
    /// before it is complete, so pages of later ranges may be held meanwhile (the callers
    /// keep every row anyway; the order makes matching deterministic).
    pub async fn read_all<F>(&self, table: &str, params: &ListParams, mut on_page: F) -> Result<u64, Error>
    where
        F: FnMut(Vec<Record>),
    {
        let mut pager = self.pager(table, params);
        let Some(first) = pager.next_page().await? else {
            return Ok(0);
        };
        let mut read = first.len() as u64;
        on_page(first);
        let Some(after) = pager.after.clone().filter(|_| !pager.done) else {
            return Ok(read);
        };
        let limit = u64::from(pager.limit);
        let remaining = pager.total.map_or(1, |t| t.saturating_sub(read));
        let window = self.inner.options.max_in_flight.clamp(1, 8) as u64;
        let ranges = split(&after, remaining.div_ceil(limit).clamp(1, window) as u32);
        let mut held: Vec<RangeState> = (0..ranges.len()).map(|_| RangeState::default()).collect();
        let mut inflight = FuturesUnordered::new();
        for (i, (lo, hi)) in ranges.into_iter().enumerate() {
            let mut p = self.pager(table, &pager.params);
            p.limit = pager.limit;
            // A range is not counted up front: an empty page's count ends it (module doc).
            p.params.no_count = true;
            // The first range goes on from the cursor: after a short page, count its next.
            p.count_next = i == 0 && pager.count_next;
            p.after = Some(lo);
            p.upto = hi;
            inflight.push(range_page(i, p));
        }
        let mut next = 0;
        while let Some(result) = inflight.next().await {
            let (i, p, page) = result?;
            match page {
                Some(page) => {
                    held[i].pages.push(page);
                    inflight.push(range_page(i, p));
                }
                None => held[i].done = true,
            }
            // Hand over what is in order: the first unfinished range's pages, and every
            // finished range's before it.
            while let Some(range) = held.get_mut(next) {
                for page in range.pages.drain(..) {
                    read += page.len() as u64;
                    on_page(page);
                }
                if !range.done {
                    break;
                }
                next += 1;
            }
        }
        Ok(read)
    }
}

/// The pages of one range not yet handed over, and whether the range is read.
#[derive(Default)]
struct RangeState {
    pages: Vec<Vec<Record>>,
    done: bool,
}

/// The next page of range `i`, with its pager for the page after.
async fn range_page(i: usize, mut p: Pager) -> Result<(usize, Pager, Option<Vec<Record>>), Error> {
    let page = p.next_page().await?;
    Ok((i, p, page))
}

/// What the instance said when it cancelled a read.
fn quota_message(e: &Error) -> String {
    match e {
        Error::Cancelled { message, .. } | Error::Server { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// The key space after `after` cut into `n` ranges `(lo, hi]`, the last unbounded; bounds of
/// 8 hex digits spaced evenly over sys_ids' first 8 digits. One range when `after` does not
/// start with 8 hex digits.
fn split(after: &str, n: u32) -> Vec<(String, Option<String>)> {
    let start = after
        .get(..8)
        .filter(|h| h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        .and_then(|h| u32::from_str_radix(h, 16).ok());
    let Some(start) = start.filter(|_| n > 1) else {
        return vec![(after.to_owned(), None)];
    };
    let span = u64::from(u32::MAX - start);
    let mut bounds: Vec<String> = (1..n)
        .map(|i| start as u64 + span * u64::from(i) / u64::from(n))
        .map(|b| format!("{b:08x}"))
        .filter(|b| b.as_str() > after)
        .collect();
    bounds.dedup();
    let mut out = Vec::with_capacity(bounds.len() + 1);
    let mut lo = after.to_owned();
    for b in bounds {
        out.push((lo, Some(b.clone())));
        lo = b;
    }
    out.push((lo, None));
    out
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

    #[test]
    fn the_key_space_after_a_cursor_splits_into_even_hex_ranges() {
        let after = "80000000aaaaaaaaaaaaaaaaaaaaaaaa";
        let ranges = split(after, 4);
        assert_eq!(
            ranges,
            vec![
                (after.to_owned(), Some("9fffffff".to_owned())),
                ("9fffffff".to_owned(), Some("bfffffff".to_owned())),
                ("bfffffff".to_owned(), Some("dfffffff".to_owned())),
                ("dfffffff".to_owned(), None),
            ]
        );
        // Every key after the cursor falls in exactly one range.
        for key in ["80000000b", "9fffffff0", "9fffffff", "c0", "ffffffffff", "zz"] {
            let hits = ranges
                .iter()
                .filter(|(lo, hi)| key > lo.as_str() && hi.as_deref().is_none_or(|h| key <= h))
                .count();
            assert_eq!(hits, usize::from(key > after), "{key}");
        }
        assert_eq!(split("admin-not-hex", 4), vec![("admin-not-hex".to_owned(), None)]);
        assert_eq!(split(after, 1).len(), 1);
    }
}
