//! The `omniroute-rpc usage` table: a `usage.summary` result as aligned text for a terminal.
//! Every string from the gateway or a host is escaped (control characters shown as `\u{…}`),
//! so nothing it says can move the cursor or recolour the terminal.

use serde_json::Value;

/// Longest cell shown (longer ones end in `…`).
const MAX_CELL: usize = 48;

/// Escapes control characters and clips to [`MAX_CELL`] characters.
pub fn escape_cell(s: &str) -> String {
    let escaped: String = s
        .chars()
        .flat_map(|c| {
            if c.is_control() {
                format!("\\u{{{:x}}}", c as u32).chars().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect();
    if escaped.chars().count() > MAX_CELL {
        let head: String = escaped.chars().take(MAX_CELL - 1).collect();
        format!("{head}…")
    } else {
        escaped
    }
}

/// Renders a `usage.summary` result (its JSON) as a table with a totals line.
pub fn render(result: &Value) -> String {
    let rows = result
        .get("rows")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let group = result
        .get("groupBy")
        .and_then(Value::as_str)
        .unwrap_or("member");
    let keys: &[(&str, &str)] = match group {
        "model" => &[("model", "MODEL")],
        "servedModel" => &[("servedModel", "SERVED BY")],
        "provider" => &[("provider", "PROVIDER")],
        "day" => &[("day", "DAY")],
        _ => &[("model", "MODEL"), ("servedModel", "SERVED BY")],
    };
    let mut header: Vec<String> = keys.iter().map(|(_, h)| h.to_string()).collect();
    header.extend(
        [
            "REQUESTS",
            "ERRORS",
            "TOKENS IN",
            "TOKENS OUT",
            "COST USD",
            "AVG MS",
        ]
        .map(String::from),
    );
    let line_of = |r: &Value| -> Vec<String> {
        let mut cells: Vec<String> = keys
            .iter()
            .map(|(k, _)| {
                r.get(*k)
                    .and_then(Value::as_str)
                    .map(escape_cell)
                    .unwrap_or_else(|| "-".into())
            })
            .collect();
        let n = |k: &str| {
            r.get(k)
                .and_then(Value::as_u64)
                .map_or("-".into(), |v| v.to_string())
        };
        cells.extend([n("requests"), n("errors"), n("tokensIn"), n("tokensOut")]);
        cells.push(
            r.get("costUsd")
                .and_then(Value::as_f64)
                .map_or("-".into(), format_cost),
        );
        cells.push(n("avgLatencyMs"));
        cells
    };
    let mut table: Vec<Vec<String>> = vec![header];
    table.extend(rows.iter().map(line_of));
    if let Some(t) = result.get("totals") {
        let mut total = line_of(t);
        total[0] = "TOTAL".into();
        for c in total.iter_mut().take(keys.len()).skip(1) {
            *c = String::new();
        }
        table.push(total);
    }
    let cols = table[0].len();
    let widths: Vec<usize> = (0..cols)
        .map(|i| {
            table
                .iter()
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in &table {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let w = widths[i];
                if i < keys.len() {
                    format!("{c:<w$}")
                } else {
                    format!("{c:>w$}")
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    let since = result
        .get("since")
        .and_then(Value::as_str)
        .unwrap_or("the start");
    let until = result.get("until").and_then(Value::as_str).unwrap_or("now");
    let ledger = result.get("ledger").and_then(Value::as_str).unwrap_or("?");
    out.push_str(&format!(
        "\n{} row(s), {} to {}; ledger {}\n",
        rows.len(),
        escape_cell(since),
        escape_cell(until),
        ledger
            .chars()
            .filter(|c| !c.is_control())
            .collect::<String>()
    ));
    for w in result
        .get("warnings")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        out.push_str(&format!(
            "note: {}\n",
            w.chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect::<String>()
        ));
    }
    out
}

/// A cost with enough digits for sub-cent requests.
fn format_cost(c: f64) -> String {
    if c == 0.0 {
        "0".into()
    } else if c < 0.01 {
        format!("{c:.6}")
    } else {
        format!("{c:.4}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn escapes_and_totals() {
        let r = json!({"groupBy": "member", "rows": [
            {"model": "combo", "servedModel": "evil\u{1b}[2Jx", "requests": 2, "errors": 0,
             "tokensIn": 10, "tokensOut": 8, "costUsd": 0.0000024, "avgLatencyMs": 150}],
            "totals": {"requests": 2, "errors": 0, "tokensIn": 10, "tokensOut": 8, "costUsd": 0.0000024},
            "since": null, "until": "2026-01-01T00:00:00.000Z", "ledger": "/x/usage.jsonl", "warnings": []});
        let t = render(&r);
        assert!(!t.contains('\u{1b}'), "{t}");
        assert!(t.contains("evil\\u{1b}[2Jx"), "{t}");
        assert!(
            t.contains("MODEL") && t.contains("SERVED BY") && t.contains("TOTAL"),
            "{t}"
        );
        assert!(t.contains("0.000002"), "{t}");
    }
}
