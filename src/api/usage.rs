//! `usage.record` (a notification from hosts; also callable as a method by scripts) and
//! `usage.summary`: served-member and cost attribution (issue 16). The rules live in
//! `crate::usage`; this module reads params, finds the cache directory and the catalogue.

use std::sync::Arc;
use std::time::SystemTime;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Api;
use crate::error::ServiceError;
use crate::options::OptionsInput;
use crate::service::Service;
use crate::usage::record::{normalise, RawAttribution};
use crate::usage::summary::{ms_of, parse_bound, rfc3339_ms, summarise, GroupBy, UsageRow};
use crate::usage::{self, ledger::Ledger};

/// `usage.record` result (when called as a method rather than sent as a notification).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageRecordResult {
    /// The record as written to the ledger.
    pub record: usage::record::LedgerRecord,
    /// The ledger file.
    pub ledger: String,
}

/// `usage.summary` params.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UsageSummaryParams {
    /// Start (inclusive): RFC 3339, a date, or a duration before now (`7d`, `24h`). Default:
    /// everything in the ledger.
    pub since: Option<String>,
    /// End (exclusive), same forms. Default: now.
    pub until: Option<String>,
    /// Grouping (default `member`: the member split of each combo).
    pub group_by: Option<GroupBy>,
    /// Only this host session's requests.
    pub session_id: Option<String>,
    /// Only requests for this model (as requested).
    pub model: Option<String>,
    /// Options (for `cacheDir`).
    #[schemars(with = "Option<OptionsInput>")]
    pub options: Option<Value>,
}

/// `usage.summary` result.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageSummaryResult {
    /// One row per group.
    pub rows: Vec<UsageRow>,
    /// Sums over every row.
    pub totals: UsageRow,
    /// The window's start (RFC 3339); null when open.
    pub since: Option<String>,
    /// The window's end (RFC 3339).
    pub until: String,
    /// The grouping used.
    pub group_by: GroupBy,
    /// The ledger file read.
    pub ledger: String,
    /// Unreadable ledger lines, and the like.
    pub warnings: Vec<String>,
}

/// Normalises and appends one raw attribution; the catalogue (memory or disk, never the
/// network) maps served ids back to catalogue ids.
pub async fn record(
    svc: Arc<Service>,
    raw: RawAttribution,
) -> Result<UsageRecordResult, ServiceError> {
    if raw.model.trim().is_empty() {
        return Err(ServiceError::InvalidParams(
            "`model` (the model requested) is required".into(),
        ));
    }
    let ctx = svc.context(raw.options.as_ref(), None);
    let catalogue = svc.peek(&ctx).await;
    let ids: Vec<&str> = catalogue
        .as_ref()
        .map(|c| c.models.iter().map(|m| m.id.as_str()).collect())
        .unwrap_or_default();
    let rec = normalise(&raw, ms_of(SystemTime::now()), &ids);
    let dir = ctx.opts.cache_dir.clone();
    usage::append(Ledger::in_dir(&dir, svc.env().usage_max_bytes), rec.clone())
        .await
        .map_err(|reason| ServiceError::CacheIo {
            path: dir.display().to_string(),
            reason,
        })?;
    Ok(UsageRecordResult {
        record: rec,
        ledger: Ledger::in_dir(&dir, svc.env().usage_max_bytes)
            .path()
            .display()
            .to_string(),
    })
}

/// Handles a `usage.record` notification: no answer, failures go to the log.
pub async fn record_notification(svc: Arc<Service>, params: Option<Value>) {
    let raw: RawAttribution = match serde_json::from_value(params.unwrap_or(Value::Null)) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!("ignored a usage.record notification with invalid params: {e}");
            return;
        }
    };
    if let Err(e) = record(svc, raw).await {
        tracing::warn!("usage.record: {e}");
    }
}

/// Reads the ledger and groups it.
pub async fn summary(
    svc: Arc<Service>,
    p: UsageSummaryParams,
) -> Result<UsageSummaryResult, ServiceError> {
    let ctx = svc.context(p.options.as_ref(), None);
    let now = SystemTime::now();
    let bound = |field: &str, v: &Option<String>| {
        v.as_deref()
            .map(|t| parse_bound(t, now))
            .transpose()
            .map_err(|e| ServiceError::InvalidParams(format!("field `{field}`: {e}")))
    };
    let since = bound("since", &p.since)?;
    let until = bound("until", &p.until)?.unwrap_or(ms_of(now) + 1);
    let dir = ctx.opts.cache_dir.clone();
    let read = usage::read(
        Ledger::in_dir(&dir, svc.env().usage_max_bytes),
        since,
        Some(until),
    )
    .await
    .map_err(|reason| ServiceError::CacheIo {
        path: dir.display().to_string(),
        reason,
    })?;
    let records: Vec<_> = read
        .records
        .into_iter()
        .filter(|r| p.session_id.is_none() || r.session_id == p.session_id)
        .filter(|r| p.model.as_ref().is_none_or(|m| &r.model == m))
        .collect();
    let group_by = p.group_by.unwrap_or_default();
    let (rows, totals) = summarise(&records, group_by);
    let mut warnings = ctx.warnings.clone();
    if read.skipped > 0 {
        warnings.push(format!(
            "{} unreadable ledger line(s) skipped",
            read.skipped
        ));
    }
    Ok(UsageSummaryResult {
        rows,
        totals,
        since: since.map(rfc3339_ms),
        until: rfc3339_ms(until),
        group_by,
        ledger: Ledger::in_dir(&dir, svc.env().usage_max_bytes)
            .path()
            .display()
            .to_string(),
        warnings,
    })
}

/// Registers `usage.record` and `usage.summary`.
pub fn register(api: &mut Api) {
    api.method(
        "usage.record",
        "Records one request a host made through the gateway (normally sent as a notification): served member, tokens, cost, latency.",
        record,
    );
    api.method(
        "usage.summary",
        "Requests, tokens, cost and latency from the usage ledger, grouped by requested model, served member, provider or day, with totals.",
        summary,
    );
}
