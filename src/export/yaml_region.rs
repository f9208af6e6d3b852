//! The export's region in a YAML file (Continue's `config.yaml`): the entries it manages sit
//! inside the top-level `models:` block list between two marker comments, so the next run finds
//! and replaces exactly those lines and nothing the user wrote around them.

use serde_json::{Map, Number, Value};
use yaml_rust2::{Yaml, YamlLoader};

use super::jsonc_edit::EditError;
use super::render::{yaml_item, Doc};

/// First line of the managed region (after the indentation).
pub const BEGIN: &str =
    "# >>> omniroute-rpc export: managed entries, rewritten by `omniroute-rpc export continue --write` >>>";
/// Last line of the managed region.
pub const END: &str = "# <<< omniroute-rpc export <<<";
const BEGIN_TAG: &str = "# >>> omniroute-rpc export";
const END_TAG: &str = "# <<< omniroute-rpc export";

/// Parses a YAML document into JSON; errors carry the byte offset.
pub fn load(text: &str) -> Result<Value, EditError> {
    let docs = YamlLoader::load_from_str(text).map_err(|e| EditError {
        offset: e.marker().index(),
        message: e.info().to_string(),
    })?;
    match docs.len() {
        0 => Ok(Value::Null),
        1 => Ok(to_json(&docs[0])),
        _ => Err(EditError {
            offset: 0,
            message: "the file holds several YAML documents; expected one".into(),
        }),
    }
}

fn to_json(y: &Yaml) -> Value {
    match y {
        Yaml::Real(s) => s
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map_or_else(|| Value::String(s.clone()), Value::Number),
        Yaml::Integer(i) => Value::from(*i),
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        Yaml::Hash(h) => {
            let mut map = Map::new();
            for (k, v) in h {
                let key = match to_json(k) {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                map.insert(key, to_json(v));
            }
            Value::Object(map)
        }
        Yaml::Alias(_) | Yaml::Null | Yaml::BadValue => Value::Null,
    }
}

/// Line spans of the region: (begin marker line index, end marker line index).
fn find_markers(lines: &[&str]) -> Result<Option<(usize, usize)>, EditError> {
    let offset_of = |i: usize| lines[..i].iter().map(|l| l.len() + 1).sum::<usize>();
    let begins: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].trim_start().starts_with(BEGIN_TAG))
        .collect();
    let ends: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].trim_start().starts_with(END_TAG))
        .collect();
    match (begins.as_slice(), ends.as_slice()) {
        ([], []) => Ok(None),
        ([b], [e]) if b < e => Ok(Some((*b, *e))),
        _ => {
            let at = begins.first().or(ends.first()).copied().unwrap_or(0);
            Err(EditError {
                offset: offset_of(at),
                message: format!(
                    "the omniroute-rpc markers are damaged (expected one `{BEGIN_TAG}` line before one `{END_TAG}` line); remove them and the entries between them, then run again"
                ),
            })
        }
    }
}

/// The entries currently in the region, `None` when the file has no region.
pub fn current(text: &str) -> Result<Option<Vec<Value>>, EditError> {
    load(text)?;
    let lines: Vec<&str> = text.split('\n').collect();
    let Some((b, e)) = find_markers(&lines)? else {
        // Say now whether a write could add the region.
        upsert(text, &[])?;
        return Ok(None);
    };
    let region = lines[b + 1..e].join("\n");
    match load(&region) {
        Ok(Value::Array(items)) => Ok(Some(items)),
        Ok(Value::Null) => Ok(Some(Vec::new())),
        _ => Ok(Some(Vec::new())),
    }
}

/// `text` with the region holding `entries` (created inside `models:` when absent).
pub fn upsert(text: &str, entries: &[Doc]) -> Result<String, EditError> {
    let root = load(text)?;
    if !matches!(root, Value::Object(_) | Value::Null) {
        return Err(EditError {
            offset: 0,
            message: "the top level is not a mapping".into(),
        });
    }
    let crlf = text.contains("\r\n");
    let norm = text.replace("\r\n", "\n");
    let lines: Vec<&str> = norm.split('\n').collect();
    let render = |indent: &str| -> String {
        let mut s = format!("{indent}{BEGIN}\n");
        for e in entries {
            s.push_str(&yaml_item(e, indent));
        }
        s.push_str(&format!("{indent}{END}\n"));
        s
    };
    let out = match find_markers(&lines)? {
        Some((b, e)) => {
            let indent = leading(lines[b]);
            let mut out = lines[..b].join("\n");
            if b > 0 {
                out.push('\n');
            }
            out.push_str(&render(indent));
            out.push_str(&lines[e + 1..].join("\n"));
            out
        }
        None => insert_region(&norm, &lines, &root, &render)?,
    };
    let out = if crlf { out.replace('\n', "\r\n") } else { out };
    // Safety net: the models list must now hold exactly our entries in the region.
    let wanted: Vec<Value> = entries.iter().map(Doc::to_value).collect();
    let models = match load(&out) {
        Ok(v) => v.get("models").cloned().unwrap_or(Value::Null),
        Err(_) => Value::Null,
    };
    let listed = models.as_array().cloned().unwrap_or_default();
    let ok = current(&out).ok().flatten().as_ref() == Some(&wanted)
        && wanted.iter().all(|w| listed.contains(w));
    if !ok {
        return Err(EditError {
            offset: 0,
            message:
                "internal error: the edited file did not read back with the entries in `models`"
                    .into(),
        });
    }
    Ok(out)
}

fn leading(line: &str) -> &str {
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

fn is_content(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && !t.starts_with('#')
}

fn insert_region(
    text: &str,
    lines: &[&str],
    root: &Value,
    render: &dyn Fn(&str) -> String,
) -> Result<String, EditError> {
    let offset_of = |i: usize| lines[..i].iter().map(|l| l.len() + 1).sum::<usize>();
    let models_line = lines.iter().position(|l| {
        l.strip_prefix("models")
            .is_some_and(|rest| rest.trim_start().starts_with(':'))
    });
    let Some(m) = models_line else {
        if root.get("models").is_some() {
            return Err(EditError {
                offset: 0,
                message: "cannot find the top-level `models:` line (write it as `models:` at the start of a line)".into(),
            });
        }
        let mut out = text.to_string();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str("models:\n");
        out.push_str(&render("  "));
        return Ok(out);
    };
    let after_colon = lines[m].split_once(':').map_or("", |(_, r)| r).trim();
    let value_text = after_colon.split(" #").next().unwrap_or("").trim();
    let mut head = lines[m].to_string();
    if value_text == "[]" {
        head = format!("models:{}", &after_colon[2..]);
    } else if !value_text.is_empty() && !after_colon.starts_with('#') {
        return Err(EditError {
            offset: offset_of(m),
            message: "`models` is not written as a block list; write each model as a `- name: …` item under `models:` so the export can add its entries".into(),
        });
    }
    // The block list: indented lines (or `-` items at column 0) after `models:`.
    let first = (m + 1..lines.len()).find(|&i| is_content(lines[i]));
    let item_indent = match first {
        Some(i) if lines[i].trim_start().starts_with('-') => leading(lines[i]).to_string(),
        _ => "  ".to_string(),
    };
    let belongs = |l: &str| {
        !is_content(l) || !leading(l).is_empty() || (item_indent.is_empty() && l.starts_with('-'))
    };
    let mut last = m;
    for (i, l) in lines.iter().enumerate().skip(m + 1) {
        if !belongs(l) {
            break;
        }
        if is_content(l) {
            last = i;
        }
    }
    let mut out = lines[..m].join("\n");
    if m > 0 {
        out.push('\n');
    }
    out.push_str(&head);
    out.push('\n');
    if last > m {
        out.push_str(&lines[m + 1..=last].join("\n"));
        out.push('\n');
    }
    out.push_str(&render(&item_indent));
    out.push_str(&lines[last + 1..].join("\n"));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(name: &str) -> Doc {
        Doc::map(vec![
            ("name", Doc::leaf(name)),
            ("provider", Doc::leaf("openai")),
        ])
    }

    const USER: &str = "name: Mine # top\nversion: 1.0.0\nschema: v1\nmodels:\n  # local first\n  - name: local\n    provider: ollama\n    model: qwen\n\n# rules below\nrules:\n  - be brief\n";

    #[test]
    fn region_goes_after_the_users_models_and_is_replaced_next_time() {
        let out = upsert(USER, &[entry("a")]).unwrap();
        let expected_region =
            format!("  {BEGIN}\n  - name: \"a\"\n    provider: \"openai\"\n  {END}\n");
        assert!(
            out.contains(&format!(
                "    model: qwen\n{expected_region}\n# rules below"
            )),
            "{out}"
        );
        assert!(out.starts_with("name: Mine # top\n"));
        let models = load(&out).unwrap()["models"].clone();
        assert_eq!(models.as_array().unwrap().len(), 2);
        // Hand edit elsewhere, then a new catalogue.
        let edited = out.replace("model: qwen", "model: qwen3");
        let again = upsert(&edited, &[entry("b"), entry("c")]).unwrap();
        assert!(again.contains("model: qwen3"));
        assert!(!again.contains("\"a\""));
        assert_eq!(
            current(&again).unwrap().unwrap(),
            vec![
                json!({"name": "b", "provider": "openai"}),
                json!({"name": "c", "provider": "openai"})
            ]
        );
        assert_eq!(upsert(&again, &[entry("b"), entry("c")]).unwrap(), again);
    }

    #[test]
    fn no_models_key_empty_flow_and_column_zero_items() {
        let out = upsert("name: x\n", &[entry("a")]).unwrap();
        assert!(out.starts_with("name: x\nmodels:\n  # >>>"), "{out}");
        let out = upsert("models: [] # none yet\nname: x\n", &[entry("a")]).unwrap();
        assert!(out.starts_with("models: # none yet\n  # >>>"), "{out}");
        assert_eq!(load(&out).unwrap()["name"], json!("x"));
        let out = upsert(
            "models:\n- name: l\n  provider: o\nname: x\n",
            &[entry("a")],
        )
        .unwrap();
        assert!(out.contains("  provider: o\n# >>>"), "{out}");
        assert_eq!(load(&out).unwrap()["models"].as_array().unwrap().len(), 2);
        let out = upsert("", &[entry("a")]).unwrap();
        assert!(out.starts_with("models:\n"));
    }

    #[test]
    fn refusals_carry_positions() {
        let e = upsert("models: [{name: a}]\n", &[entry("a")]).unwrap_err();
        assert!(e.message.contains("block list"), "{e:?}");
        let e = upsert("a: [1\nb: 2\n", &[entry("a")]).unwrap_err();
        assert!(e.offset > 0, "{e:?}");
        let e = upsert("- 1\n", &[entry("a")]).unwrap_err();
        assert!(e.message.contains("mapping"));
        let damaged = format!("models:\n  {BEGIN}\n  - name: a\n");
        assert!(upsert(&damaged, &[entry("a")])
            .unwrap_err()
            .message
            .contains("damaged"));
    }

    #[test]
    fn crlf_is_kept() {
        let out = upsert("name: x\r\nmodels:\r\n  - name: l\r\n", &[entry("a")]).unwrap();
        assert!(!out.replace("\r\n", "").contains('\n'), "{out:?}");
    }
}
