//! `usage.summary`: ledger records grouped by requested model, served member, provider or day,
//! with totals. Pure: the records and the clock are passed in.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::record::LedgerRecord;

/// How rows are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum GroupBy {
    /// By the model requested (a combo counts once, whatever member answered).
    Model,
    /// By the model that answered (catalogue id when mapped).
    ServedModel,
    /// By the gateway's provider node.
    Provider,
    /// By UTC day.
    Day,
    /// By (requested, served) pair: the member split of each combo (default).
    #[default]
    Member,
}

/// One row (or the totals, without the grouping fields).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageRow {
    /// The model requested (grouping `model` and `member`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The model that answered (grouping `servedModel` and `member`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub served_model: Option<String>,
    /// The provider node (grouping `provider`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The UTC day, `YYYY-MM-DD` (grouping `day`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub day: Option<String>,
    /// Requests recorded.
    pub requests: u64,
    /// Requests that failed (no response, an HTTP error, a cut-off stream).
    pub errors: u64,
    /// Prompt tokens.
    pub tokens_in: u64,
    /// Completion tokens.
    pub tokens_out: u64,
    /// Cost in USD.
    pub cost_usd: f64,
    /// Mean time to the last byte over the requests that report one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avg_latency_ms: Option<u64>,
    #[serde(skip)]
    latency_sum: u64,
    #[serde(skip)]
    latency_n: u64,
}

impl UsageRow {
    fn add(&mut self, r: &LedgerRecord) {
        self.requests += 1;
        self.errors += u64::from(!r.ok);
        self.tokens_in += r.tokens_in;
        self.tokens_out += r.tokens_out;
        self.cost_usd += r.cost_usd;
        if let Some(l) = r.latency_ms {
            self.latency_sum = self.latency_sum.saturating_add(l);
            self.latency_n += 1;
        }
        self.avg_latency_ms = self.latency_sum.checked_div(self.latency_n);
    }
}

/// The served model of a record as shown: the catalogue id when mapped, else the gateway's
/// name, else `None` (no answer).
pub fn served_of(r: &LedgerRecord) -> Option<String> {
    r.served_id.clone().or_else(|| r.served_model.clone())
}

/// Groups `records` into rows (sorted: days in order, else by cost, then requests, then key)
/// and totals.
pub fn summarise(records: &[LedgerRecord], group_by: GroupBy) -> (Vec<UsageRow>, UsageRow) {
    let mut groups: BTreeMap<Vec<Option<String>>, UsageRow> = BTreeMap::new();
    let mut totals = UsageRow::default();
    for r in records {
        let (model, served, provider, day) = match group_by {
            GroupBy::Model => (Some(r.model.clone()), None, None, None),
            GroupBy::ServedModel => (None, served_of(r), None, None),
            GroupBy::Provider => (None, None, r.provider.clone(), None),
            GroupBy::Day => (None, None, None, Some(day_of(r.at))),
            GroupBy::Member => (Some(r.model.clone()), served_of(r), None, None),
        };
        let key = vec![model.clone(), served.clone(), provider.clone(), day.clone()];
        let row = groups.entry(key).or_insert_with(|| UsageRow {
            model,
            served_model: served,
            provider,
            day,
            ..UsageRow::default()
        });
        row.add(r);
        totals.add(r);
    }
    let mut rows: Vec<UsageRow> = groups.into_values().collect();
    if group_by != GroupBy::Day {
        rows.sort_by(|a, b| {
            b.cost_usd
                .total_cmp(&a.cost_usd)
                .then(b.requests.cmp(&a.requests))
                .then_with(|| {
                    (&a.model, &a.served_model, &a.provider).cmp(&(
                        &b.model,
                        &b.served_model,
                        &b.provider,
                    ))
                })
        });
    }
    (rows, totals)
}

/// `YYYY-MM-DD` (UTC) of a time in ms since the epoch.
pub fn day_of(ms: u64) -> String {
    let t = UNIX_EPOCH + Duration::from_millis(ms);
    humantime::format_rfc3339_seconds(t).to_string()[..10].to_string()
}

/// Reads a time bound: RFC 3339 (`2026-01-02T00:00:00Z`, or a bare date `2026-01-02`), or a
/// duration before `now` (`7d`, `24h`, `30m`, `1w`). Returns ms since the epoch.
pub fn parse_bound(text: &str, now: SystemTime) -> Result<u64, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("an empty time".into());
    }
    let date_only = t.len() == 10 && t.as_bytes().get(4) == Some(&b'-');
    let rfc = if date_only {
        format!("{t}T00:00:00Z")
    } else {
        t.to_string()
    };
    if let Ok(at) = humantime::parse_rfc3339_weak(&rfc) {
        return Ok(ms_of(at));
    }
    match humantime::parse_duration(t) {
        Ok(d) => Ok(ms_of(now.checked_sub(d).unwrap_or(UNIX_EPOCH))),
        Err(_) => Err(format!(
            "`{t}` is neither an RFC 3339 time nor a duration like 7d or 24h"
        )),
    }
}

/// Milliseconds since the epoch (0 before it).
pub fn ms_of(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// RFC 3339 (ms precision) of a time in ms since the epoch.
pub fn rfc3339_ms(ms: u64) -> String {
    humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(ms)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(at: u64, model: &str, served: Option<&str>, ok: bool, cost: f64) -> LedgerRecord {
        LedgerRecord {
            at,
            model: model.into(),
            served_model: served.map(|s| s.rsplit('/').next().unwrap_or(s).to_string()),
            served_id: served.map(String::from),
            provider: Some("p1".into()),
            tokens_in: 10,
            tokens_out: 5,
            cost_usd: cost,
            latency_ms: Some(100 + at % 10),
            ttft_ms: None,
            cache_hit: None,
            fallback_attempts: None,
            status: if ok { 200 } else { 0 },
            ok,
            host: None,
            session_id: None,
            error: None,
        }
    }

    #[test]
    fn member_split_and_totals() {
        let rs = vec![
            rec(1, "combo", Some("mock/a"), true, 0.1),
            rec(2, "combo", Some("mock/a"), true, 0.1),
            rec(3, "combo", Some("mock/b"), true, 0.3),
            rec(4, "combo", None, false, 0.0),
            rec(5, "mock/a", Some("mock/a"), true, 0.0),
        ];
        let (rows, totals) = summarise(&rs, GroupBy::Member);
        assert_eq!(rows.len(), 4);
        assert_eq!(
            rows[0].served_model.as_deref(),
            Some("mock/b"),
            "costliest first"
        );
        let a = rows
            .iter()
            .find(|r| {
                r.model.as_deref() == Some("combo") && r.served_model.as_deref() == Some("mock/a")
            })
            .unwrap();
        assert_eq!((a.requests, a.tokens_in, a.tokens_out), (2, 20, 10));
        assert_eq!(a.avg_latency_ms, Some(101));
        assert_eq!(totals.requests, 5);
        assert_eq!(totals.errors, 1);
        assert!((totals.cost_usd - 0.5).abs() < 1e-9);
        let (rows, _) = summarise(&rs, GroupBy::Model);
        assert_eq!(rows.len(), 2);
        let (rows, _) = summarise(&rs, GroupBy::ServedModel);
        assert_eq!(rows.len(), 3, "a, b and no answer");
    }

    #[test]
    fn days_in_order() {
        let day = 86_400_000;
        let rs = vec![
            rec(2 * day + 5, "m", None, true, 1.0),
            rec(5, "m", None, true, 0.0),
        ];
        let (rows, _) = summarise(&rs, GroupBy::Day);
        let days: Vec<_> = rows.iter().map(|r| r.day.clone().unwrap()).collect();
        assert_eq!(days, ["1970-01-01", "1970-01-03"]);
    }

    #[test]
    fn bounds() {
        let now = UNIX_EPOCH + Duration::from_secs(10 * 86_400);
        assert_eq!(parse_bound("7d", now).unwrap(), 3 * 86_400_000);
        assert_eq!(parse_bound("24h", now).unwrap(), 9 * 86_400_000);
        assert_eq!(parse_bound("1970-01-02", now).unwrap(), 86_400_000);
        assert_eq!(
            parse_bound("1970-01-02T00:00:01Z", now).unwrap(),
            86_401_000
        );
        assert_eq!(parse_bound("100000d", now).unwrap(), 0);
        assert!(parse_bound("yesterday", now).is_err());
        assert!(parse_bound("", now).is_err());
    }
}
