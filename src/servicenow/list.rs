//! The parameters and result of a Table API list (GET) request (spec §1.2, §1.6).
//!
//! Defaults suit provisioning: raw values (`sysparm_display_value=false`), references as plain
//! sys_ids (`sysparm_exclude_reference_link=true`), the client's page size.

use super::query::Query;
use super::record::Record;

/// `sysparm_display_value`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DisplayValue {
    /// Raw values (sys_ids for references): what provisioning compares.
    #[default]
    False,
    True,
    All,
}

/// The parameters of a Table API list (GET) request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListParams {
    pub query: Query,
    /// `sysparm_fields`; empty = every field.
    pub fields: Vec<String>,
    /// `sysparm_limit`; `None` = the client's page size.
    pub limit: Option<u32>,
    pub offset: u64,
    pub display_value: DisplayValue,
    /// `sysparm_exclude_reference_link`, default true: references come as plain sys_ids.
    pub exclude_reference_link: bool,
    /// `sysparm_no_count`: skip the `select count(*)` behind `X-Total-Count`.
    pub no_count: bool,
}

impl Default for ListParams {
    fn default() -> Self {
        ListParams {
            query: Query::new(),
            fields: Vec::new(),
            limit: None,
            offset: 0,
            display_value: DisplayValue::False,
            exclude_reference_link: true,
            no_count: false,
        }
    }
}

impl ListParams {
    pub fn new(query: Query) -> Self {
        ListParams {
            query,
            ..ListParams::default()
        }
    }

    pub fn fields(mut self, fields: &[&str]) -> Self {
        self.fields = fields.iter().map(|f| (*f).to_owned()).collect();
        self
    }

    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }
}

/// One page of a list.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub records: Vec<Record>,
    /// `X-Total-Count`: rows matching the query across all pages (absent with `no_count`).
    pub total: Option<u64>,
    /// The `Link` header's `rel="next"` URL, when sent.
    pub next: Option<String>,
}
