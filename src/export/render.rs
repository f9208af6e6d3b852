//! Text rendering for exported blocks: JSON pretty-printed at any indentation (so a block fits
//! the file it is spliced into), YAML block style for Continue, and escaping of every control
//! or bidi character so a gateway string can never drive the terminal it is printed on.

use serde_json::{Map, Value};

/// An ordered JSON-like tree: the exported blocks keep the key order a reader expects
/// (`name` first), which `serde_json::Value`'s sorted maps would lose.
#[derive(Debug, Clone, PartialEq)]
pub enum Doc {
    /// An object, members in order.
    Map(Vec<(String, Doc)>),
    /// An array.
    List(Vec<Doc>),
    /// A string, number, boolean or null.
    Leaf(Value),
}

impl Doc {
    /// An object from `(key, value)` pairs.
    pub fn map<K: Into<String>>(members: Vec<(K, Doc)>) -> Doc {
        Doc::Map(members.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// A leaf from anything serde_json can hold.
    pub fn leaf(v: impl Into<Value>) -> Doc {
        Doc::Leaf(v.into())
    }

    /// The same tree as a `serde_json::Value` (for order-insensitive comparison).
    pub fn to_value(&self) -> Value {
        match self {
            Doc::Map(members) => {
                let mut map = Map::new();
                for (k, v) in members {
                    map.insert(k.clone(), v.to_value());
                }
                Value::Object(map)
            }
            Doc::List(items) => Value::Array(items.iter().map(Doc::to_value).collect()),
            Doc::Leaf(v) => v.clone(),
        }
    }

    /// A tree from a `serde_json::Value` (its key order).
    pub fn from_value(v: &Value) -> Doc {
        match v {
            Value::Object(map) => Doc::Map(
                map.iter()
                    .map(|(k, v)| (k.clone(), Doc::from_value(v)))
                    .collect(),
            ),
            Value::Array(items) => Doc::List(items.iter().map(Doc::from_value).collect()),
            other => Doc::Leaf(other.clone()),
        }
    }

    fn is_scalar(&self) -> bool {
        matches!(self, Doc::Leaf(_))
    }
}

/// True for characters that must never reach a terminal raw: C0/C1 controls, DEL, and the
/// bidi overrides/isolates and line/paragraph separators that reorder or break displayed text.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
        )
        || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// A string for a terminal line: unsafe characters become `\u{…}` escapes.
pub fn escape_terminal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if is_unsafe_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// A double-quoted string literal valid in both JSON and YAML, with every unsafe character
/// written as a `\uXXXX` escape (the value is unchanged for any parser).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if is_unsafe_char(c) => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Pretty JSON for `value`. The first line is not indented (it follows a key or sits at the
/// cursor); nested lines are indented by `base` plus `unit` per level; the closing bracket
/// sits at `base`.
pub fn json_pretty(value: &Doc, base: &str, unit: &str) -> String {
    let mut out = String::new();
    write_json(&mut out, value, base, unit);
    out
}

fn write_json(out: &mut String, value: &Doc, indent: &str, unit: &str) {
    match value {
        Doc::Map(map) if !map.is_empty() => {
            let inner = format!("{indent}{unit}");
            out.push_str("{\n");
            for (i, (k, v)) in map.iter().enumerate() {
                out.push_str(&inner);
                out.push_str(&quote(k));
                out.push_str(": ");
                write_json(out, v, &inner, unit);
                if i + 1 < map.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            out.push_str(indent);
            out.push('}');
        }
        Doc::List(items) if !items.is_empty() => {
            if items.iter().all(Doc::is_scalar) {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_json(out, v, indent, unit);
                }
                out.push(']');
                return;
            }
            let inner = format!("{indent}{unit}");
            out.push_str("[\n");
            for (i, v) in items.iter().enumerate() {
                out.push_str(&inner);
                write_json(out, v, &inner, unit);
                if i + 1 < items.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            out.push_str(indent);
            out.push(']');
        }
        Doc::Map(_) => out.push_str("{}"),
        Doc::List(_) => out.push_str("[]"),
        Doc::Leaf(Value::String(s)) => out.push_str(&quote(s)),
        Doc::Leaf(other) => out.push_str(&other.to_string()),
    }
}

/// One YAML block-sequence item (`- key: value` …) for a JSON object, every line prefixed by
/// `indent`; nested objects become nested block mappings, scalar arrays flow sequences, and
/// strings double-quoted (so no value is ever read as another type).
pub fn yaml_item(value: &Doc, indent: &str) -> String {
    let mut out = String::new();
    match value {
        Doc::Map(map) if !map.is_empty() => {
            let inner = format!("{indent}  ");
            for (i, (k, v)) in map.iter().enumerate() {
                out.push_str(if i == 0 { indent } else { &inner });
                if i == 0 {
                    out.push_str("- ");
                }
                write_yaml_member(&mut out, k, v, &inner);
            }
        }
        other => {
            out.push_str(indent);
            out.push_str("- ");
            out.push_str(&yaml_scalar(other));
            out.push('\n');
        }
    }
    out
}

fn write_yaml_member(out: &mut String, key: &str, value: &Doc, indent: &str) {
    out.push_str(&yaml_key(key));
    out.push(':');
    match value {
        Doc::Map(map) if !map.is_empty() => {
            out.push('\n');
            let inner = format!("{indent}  ");
            for (k, v) in map {
                out.push_str(&inner);
                write_yaml_member(out, k, v, &inner);
            }
        }
        Doc::List(items) if !items.is_empty() && !items.iter().all(Doc::is_scalar) => {
            out.push('\n');
            for item in items {
                out.push_str(&yaml_item(item, &format!("{indent}  ")));
            }
        }
        other => {
            out.push(' ');
            out.push_str(&yaml_scalar(other));
            out.push('\n');
        }
    }
}

fn yaml_key(key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !key.starts_with('-');
    if plain {
        key.to_string()
    } else {
        quote(key)
    }
}

fn yaml_scalar(value: &Doc) -> String {
    match value {
        Doc::List(items) => {
            let parts: Vec<String> = items.iter().map(yaml_scalar).collect();
            format!("[{}]", parts.join(", "))
        }
        Doc::Map(_) => "{}".into(),
        Doc::Leaf(Value::String(s)) => quote(s),
        Doc::Leaf(other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quote_escapes_controls_and_bidi_and_round_trips() {
        let s = "a\u{1b}[31mb\u{9b}c\u{202e}d\"\\\n";
        let q = quote(s);
        assert!(!q.chars().any(is_unsafe_char), "{q}");
        let back: String = serde_json::from_str(&q).unwrap();
        assert_eq!(back, s);
        assert_eq!(escape_terminal("x\u{1b}y"), "x\\u{1b}y");
    }

    #[test]
    fn pretty_json_honours_base_and_unit() {
        let v = json!({"a": [1, 2], "b": {"c": "d"}, "e": [{"f": true}], "g": {}});
        let text = json_pretty(&Doc::from_value(&v), "  ", "\t");
        assert_eq!(
            text,
            "{\n  \t\"a\": [1, 2],\n  \t\"b\": {\n  \t\t\"c\": \"d\"\n  \t},\n  \t\"e\": [\n  \t\t{\n  \t\t\t\"f\": true\n  \t\t}\n  \t],\n  \t\"g\": {}\n  }"
        );
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn yaml_item_is_block_style() {
        let v = Doc::map(vec![
            ("name", Doc::leaf("x: y")),
            ("roles", Doc::from_value(&json!(["chat"]))),
            ("opts", Doc::from_value(&json!({"n": 5}))),
        ]);
        assert_eq!(
            yaml_item(&v, "  "),
            "  - name: \"x: y\"\n    roles: [\"chat\"]\n    opts:\n      n: 5\n"
        );
    }
}
