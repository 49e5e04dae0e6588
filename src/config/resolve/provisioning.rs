//! `[provisioning]`: what is provisioned and how, the deletion threshold, deprovisioning, the
//! escrow schedule and the mapping file's path.

use std::path::PathBuf;

use super::Ctx;
use crate::config::bounds;
use crate::config::raw::RawProvisioning;
use crate::config::{ConfigError, DeprovisionGroups, DeprovisionUsers, MissingReferenceMode, Provisioning, ScopeMode};

impl Ctx {
    pub(super) fn provisioning(&self, raw: RawProvisioning) -> Result<Provisioning, ConfigError> {
        const S: &str = "provisioning";
        let d = Provisioning::default();
        let scope = self.choice(
            S,
            "scope",
            raw.scope.as_deref(),
            &[("assigned", ScopeMode::Assigned), ("all", ScopeMode::All)],
            "expected \"assigned\" or \"all\"",
        )?;
        let percent = self.threshold_percent(raw.deletion_threshold_percent)?;
        let missing_reference = self.choice(
            S,
            "missing_reference",
            raw.missing_reference.as_deref(),
            &[
                ("fail", MissingReferenceMode::Fail),
                ("warn", MissingReferenceMode::Warn),
                ("create", MissingReferenceMode::Create),
            ],
            "expected \"fail\", \"warn\" or \"create\"",
        )?;
        let escrow_retry_hours = self.escrow_retry_hours(raw.escrow_retry_hours, d.escrow_retry_hours.clone())?;
        let deprovision_users = self.choice(
            S,
            "deprovision_users",
            raw.deprovision_users.as_deref(),
            &[
                ("disable", DeprovisionUsers::Disable),
                ("delete", DeprovisionUsers::Delete),
            ],
            "expected \"disable\" or \"delete\"",
        )?;
        let deprovision_groups = self.choice(
            S,
            "deprovision_groups",
            raw.deprovision_groups.as_deref(),
            &[
                ("deactivate", DeprovisionGroups::Deactivate),
                ("delete", DeprovisionGroups::Delete),
            ],
            "expected \"deactivate\" or \"delete\"",
        )?;
        Ok(Provisioning {
            deprovision_users,
            deprovision_groups,
            reconcile_hours: self.ranged(S, "reconcile_hours", raw.reconcile_hours, 24, 0, 24 * 365)? as u32,
            match_active_only: raw.match_active_only.unwrap_or(d.match_active_only),
            flatten_nested_groups: raw.flatten_nested_groups.unwrap_or(d.flatten_nested_groups),
            keep_in_background: raw.keep_in_background.unwrap_or(d.keep_in_background),
            plan_valid_minutes: self.ranged(S, "plan_valid_minutes", raw.plan_valid_minutes, 15, 1, 24 * 60)? as u32,
            missing_reference,
            log_retention_days: self.within(
                "log_retention_days",
                raw.log_retention_days,
                30,
                bounds::LOG_RETENTION_DAYS,
            )?,
            escrow_retry_hours,
            escrow_days: self.ranged(S, "escrow_days", raw.escrow_days, 28, 1, 365)? as u32,
            enabled: raw.enabled.unwrap_or(d.enabled),
            scope,
            interval_minutes: self.within("interval_minutes", raw.interval_minutes, 40, bounds::INTERVAL_MINUTES)?,
            deletion_threshold: self.within(
                "deletion_threshold",
                raw.deletion_threshold,
                500,
                bounds::DELETION_THRESHOLD,
            )?,
            deletion_threshold_percent: percent,
            // Relative to the configuration file, wherever nowsync is started from.
            mappings: raw.mappings.map(|m| match self.path.parent() {
                Some(dir) if PathBuf::from(&m).is_relative() => dir.join(m),
                _ => PathBuf::from(m),
            }),
        })
    }

    /// A `[provisioning]` count within the bounds the settings screen also checks (`config::bounds`).
    fn within(&self, key: &str, raw: Option<i64>, default: i64, (lo, hi): (i64, i64)) -> Result<u32, ConfigError> {
        Ok(self.ranged("provisioning", key, raw, default, lo, hi)? as u32)
    }

    /// `provisioning.deletion_threshold_percent`: off, or a percentage from 1 to 100.
    fn threshold_percent(&self, raw: Option<i64>) -> Result<Option<u8>, ConfigError> {
        match raw {
            None => Ok(None),
            Some(p) if (bounds::DELETION_THRESHOLD_PERCENT.0..=bounds::DELETION_THRESHOLD_PERCENT.1).contains(&p) => {
                Ok(Some(p as u8))
            }
            Some(p) => Err(self.invalid(
                "provisioning",
                "deletion_threshold_percent",
                p,
                "expected a whole number from 1 to 100",
            )),
        }
    }

    /// `provisioning.escrow_retry_hours`: 1 to 20 increasing waits of at most four weeks.
    fn escrow_retry_hours(&self, raw: Option<Vec<i64>>, default: Vec<u32>) -> Result<Vec<u32>, ConfigError> {
        match raw {
            None => Ok(default),
            Some(h)
                if !h.is_empty()
                    && h.len() <= 20
                    && h.windows(2).all(|w| w[0] < w[1])
                    && h.iter().all(|x| (1..=24 * 28).contains(x)) =>
            {
                Ok(h.into_iter().map(|x| x as u32).collect())
            }
            Some(h) => Err(self.invalid(
                "provisioning",
                "escrow_retry_hours",
                format!("{h:?}"),
                "expected 1 to 20 increasing whole numbers of hours from 1 to 672, e.g. [6, 12, 24]",
            )),
        }
    }
}
