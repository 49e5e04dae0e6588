//! Which instance and tenant the state belongs to (issue 12): one row, written when a cycle
//! first runs against them, cleared by `restart --scope full`.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError, now};

/// The ServiceNow instance and the Entra tenant the links and delta links were made against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The instance's URL as the profile named it.
    pub instance_url: String,
    /// The instance's `instance_id` system property, when the account could read it.
    pub instance_id: Option<String>,
    /// The tenant's id (`GET /organization`, or the configured tenant when unreadable).
    pub tenant_id: String,
    /// The enterprise app whose assignments make the scope.
    pub service_principal_id: String,
    /// The Graph base the delta links point at.
    pub graph_url: String,
}

impl Store {
    /// The stored binding; `None` before the first cycle or after `restart --scope full`.
    pub fn binding(&self) -> Result<Option<Binding>, StoreError> {
        self.conn()
            .query_row(
                "SELECT instance_url, instance_id, tenant_id, service_principal_id, graph_url FROM binding WHERE id = 1",
                [],
                |r| {
                    Ok(Binding {
                        instance_url: r.get(0)?,
                        instance_id: r.get(1)?,
                        tenant_id: r.get(2)?,
                        service_principal_id: r.get(3)?,
                        graph_url: r.get(4)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Records (or replaces) the binding.
    pub fn set_binding(&self, b: &Binding) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT OR REPLACE INTO binding (id, instance_url, instance_id, tenant_id, service_principal_id, graph_url, bound)
                 VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    b.instance_url,
                    b.instance_id,
                    b.tenant_id,
                    b.service_principal_id,
                    b.graph_url,
                    now()
                ],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }
}

/// A value the instance kept otherwise than it was sent: the digests of both
/// ([`kept_digest`]), by row and field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub sys_id: String,
    pub field: String,
    pub sent: String,
    pub kept: String,
}

/// The digest a kept value is remembered by: the value is never stored.
pub fn kept_digest(field: &str, value: &str) -> String {
    crate::model::stable_hash(&["kept", field, value])
}

impl Store {
    /// Every remembered normalisation.
    pub fn kept(&self) -> Result<Vec<Kept>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT sys_id, field, sent, kept FROM kept")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(Kept {
                    sys_id: r.get(0)?,
                    field: r.get(1)?,
                    sent: r.get(2)?,
                    kept: r.get(3)?,
                })
            })
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }

    /// Remembers what the instance kept of the fields just written to `sys_id`.
    pub fn set_kept(&self, kept: &[Kept]) -> Result<(), StoreError> {
        if kept.is_empty() {
            return Ok(());
        }
        let conn = self.conn();
        let mut st = conn
            .prepare_cached("INSERT OR REPLACE INTO kept (sys_id, field, sent, kept) VALUES (?1, ?2, ?3, ?4)")
            .map_err(|e| self.err(e))?;
        for k in kept {
            st.execute(params![k.sys_id, k.field, k.sent, k.kept])
                .map_err(|e| self.err(e))?;
        }
        Ok(())
    }
}
