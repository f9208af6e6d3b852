//! Replaces or inserts the one member the export owns (`a.b.c`) in a JSON/JSONC document,
//! touching no other byte: the owned value's span is swapped for the new rendering, or a new
//! member is added after the last one of its parent object (missing parents are created).
//! The result is re-parsed and checked before anyone writes it.

use serde_json::Value;

use super::jsonc::{line_col, parse, Flavor, Kind, Node, ParseError};
use super::render::{json_pretty, quote, Doc};

/// Why a document could not be edited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditError {
    /// Byte offset the problem is at.
    pub offset: usize,
    /// What was wrong.
    pub message: String,
}

impl From<ParseError> for EditError {
    fn from(e: ParseError) -> EditError {
        EditError {
            offset: e.offset,
            message: e.message,
        }
    }
}

/// The current value at `path`, `None` when the document or a member on the path is absent.
pub fn get(text: &str, flavor: Flavor, path: &[&str]) -> Result<Option<Value>, EditError> {
    let Some(root) = parse(text, flavor)? else {
        return Ok(None);
    };
    let mut node = &root;
    for (i, key) in path.iter().enumerate() {
        if !matches!(node.kind, Kind::Object(_)) {
            return Err(not_an_object(text, node, &path[..i]));
        }
        match node.member(key) {
            Some(m) => node = &m.value,
            None => return Ok(None),
        }
    }
    Ok(Some(node.to_value(text)))
}

/// "`a.b` is an array (line 3, column 5); expected an object".
fn not_an_object(text: &str, node: &Node, walked: &[&str]) -> EditError {
    let (line, col) = line_col(text, node.start);
    let what = if walked.is_empty() {
        "the top level".to_string()
    } else {
        format!("`{}`", walked.join("."))
    };
    EditError {
        offset: node.start,
        message: format!(
            "{what} is {} (line {line}, column {col}); expected an object",
            node.type_name(text)
        ),
    }
}

/// `text` with the value at `path` set to `value`. `root_extra` members are added at the top
/// of a document created from nothing (e.g. `$schema`).
pub fn upsert(
    text: &str,
    flavor: Flavor,
    path: &[&str],
    value: &Doc,
    root_extra: &[(&str, Doc)],
) -> Result<String, EditError> {
    let unit = indent_unit(text);
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let out = match parse(text, flavor)? {
        None => {
            let mut members: Vec<(String, Doc)> = root_extra
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect();
            members.push((path[0].to_string(), nest(&path[1..], value)));
            let doc = json_pretty(&Doc::Map(members), "", &unit).replace('\n', newline);
            let mut out = text.trim_end().to_string();
            if !out.is_empty() {
                out.push_str(newline);
            }
            out.push_str(&doc);
            out.push_str(newline);
            out
        }
        Some(root) => edit(text, &root, path, value, &unit, newline)?,
    };
    // The edit must read back as exactly the value written.
    match get(&out, flavor, path) {
        Ok(Some(v)) if v == value.to_value() => Ok(out),
        _ => Err(EditError {
            offset: 0,
            message: "internal error: the edited document did not read back as written".into(),
        }),
    }
}

fn nest(path: &[&str], value: &Doc) -> Doc {
    path.iter()
        .rev()
        .fold(value.clone(), |inner, key| Doc::map(vec![(*key, inner)]))
}

fn edit(
    text: &str,
    root: &Node,
    path: &[&str],
    value: &Doc,
    unit: &str,
    nl: &str,
) -> Result<String, EditError> {
    let mut node = root;
    for (i, key) in path.iter().enumerate() {
        if !matches!(node.kind, Kind::Object(_)) {
            return Err(not_an_object(text, node, &path[..i]));
        }
        match node.member(key) {
            Some(m) if i + 1 == path.len() => {
                let base = line_indent(text, m.key_start);
                let rendered = json_pretty(value, base, unit).replace('\n', nl);
                return Ok(splice(text, m.value.start, m.value.end, &rendered));
            }
            Some(m) => node = &m.value,
            None => {
                let inner = nest(&path[i + 1..], value);
                return Ok(insert_member(text, node, key, &inner, unit, nl));
            }
        }
    }
    Ok(text.to_string())
}

fn splice(text: &str, start: usize, end: usize, with: &str) -> String {
    let mut out = String::with_capacity(text.len() + with.len());
    out.push_str(&text[..start]);
    out.push_str(with);
    out.push_str(&text[end..]);
    out
}

/// Adds `"key": value` as the last member of the object `obj`.
fn insert_member(text: &str, obj: &Node, key: &str, value: &Doc, unit: &str, nl: &str) -> String {
    let members = obj.members();
    let indent = match members.first() {
        Some(m) => line_indent(text, m.key_start).to_string(),
        None => format!("{}{unit}", line_indent(text, obj.start)),
    };
    let rendered =
        format!("{}: {}", quote(key), json_pretty(value, &indent, unit)).replace('\n', nl);
    match members.last() {
        Some(last) => {
            let (after, comma) = match last.comma_end {
                Some(c) => (c, ""),
                None => (last.value.end, ","),
            };
            let at = line_end_after(text, after);
            let trailing = if last.comma_end.is_some() { "," } else { "" };
            let inserted = format!("{nl}{indent}{rendered}{trailing}");
            if at == after {
                splice(text, after, after, &format!("{comma}{inserted}"))
            } else {
                // Comma right after the value, new member after the rest of the line (a comment).
                let with_member = splice(text, at, at, &inserted);
                splice(&with_member, after, after, comma)
            }
        }
        None => {
            let close = obj.end - 1;
            let line_start = text[..close].rfind('\n').map_or(0, |i| i + 1);
            if text[line_start..close].trim().is_empty() && line_start > obj.start {
                splice(
                    text,
                    line_start,
                    line_start,
                    &format!("{indent}{rendered}{nl}"),
                )
            } else {
                let outer = line_indent(text, obj.start);
                splice(
                    text,
                    close,
                    close,
                    &format!("{nl}{indent}{rendered}{nl}{outer}"),
                )
            }
        }
    }
}

/// The offset where a new line may be started after `pos`: past spaces and a `//` comment
/// closing the line, or `pos` itself when other text follows on the line.
fn line_end_after(text: &str, pos: usize) -> usize {
    let bytes = text.as_bytes();
    let mut p = pos;
    while matches!(bytes.get(p), Some(b' ' | b'\t')) {
        p += 1;
    }
    if text[p..].starts_with("//") {
        p = text[p..].find('\n').map_or(text.len(), |i| p + i);
    }
    let p = if p > 0 && bytes.get(p - 1) == Some(&b'\r') && bytes.get(p) == Some(&b'\n') {
        p - 1
    } else {
        p
    };
    match bytes.get(p) {
        None | Some(b'\n' | b'\r') => p,
        _ => pos,
    }
}

/// Leading whitespace of the line holding `pos`.
fn line_indent(text: &str, pos: usize) -> &str {
    let start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[start..];
    let n = line.len() - line.trim_start_matches([' ', '\t']).len();
    &line[..n]
}

/// The file's indentation step: the leading whitespace of the first indented line (tabs if it
/// starts with one), two spaces when nothing is indented.
fn indent_unit(text: &str) -> String {
    for line in text.lines() {
        let trimmed = line.trim_start_matches([' ', '\t']);
        let n = line.len() - trimmed.len();
        if n > 0 && !trimmed.is_empty() {
            return if line.starts_with('\t') {
                "\t".into()
            } else {
                " ".repeat(n.min(8))
            };
        }
    }
    "  ".into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(v: Value) -> Doc {
        Doc::from_value(&v)
    }

    const PATH: [&str; 3] = ["language_models", "openai_compatible", "omniroute"];

    #[test]
    fn creates_parents_and_keeps_comments() {
        let text =
            "// my settings\n{\n    \"theme\": \"One\", // keep\n    \"vim_mode\": true\n}\n";
        let out = upsert(
            text,
            Flavor::JSONC,
            &PATH,
            &doc(json!({"api_url": "u"})),
            &[],
        )
        .unwrap();
        assert_eq!(
            out,
            "// my settings\n{\n    \"theme\": \"One\", // keep\n    \"vim_mode\": true,\n    \"language_models\": {\n        \"openai_compatible\": {\n            \"omniroute\": {\n                \"api_url\": \"u\"\n            }\n        }\n    }\n}\n"
        );
        // Second run replaces only the owned value.
        let again = upsert(
            &out,
            Flavor::JSONC,
            &PATH,
            &doc(json!({"api_url": "v"})),
            &[],
        )
        .unwrap();
        assert_eq!(again, out.replace("\"u\"", "\"v\""));
    }

    #[test]
    fn trailing_comma_and_line_comment_after_last_member() {
        let text = "{\n  \"a\": 1, // note\n}";
        let out = upsert(text, Flavor::JSONC, &["b"], &doc(json!(2)), &[]).unwrap();
        assert_eq!(out, "{\n  \"a\": 1, // note\n  \"b\": 2,\n}");
        let text = "{\n  \"a\": 1 // note\n}";
        let out = upsert(text, Flavor::JSONC, &["b"], &doc(json!(2)), &[]).unwrap();
        assert_eq!(out, "{\n  \"a\": 1, // note\n  \"b\": 2\n}");
    }

    #[test]
    fn empty_objects_and_documents() {
        let out = upsert("{}", Flavor::STRICT, &["p", "x"], &doc(json!(1)), &[]).unwrap();
        assert_eq!(out, "{\n  \"p\": {\n    \"x\": 1\n  }\n}");
        let out = upsert(
            "{\n\t\"p\": {\n\t}\n}",
            Flavor::STRICT,
            &["p", "x"],
            &doc(json!(1)),
            &[],
        )
        .unwrap();
        assert_eq!(out, "{\n\t\"p\": {\n\t\t\"x\": 1\n\t}\n}");
        let out = upsert(
            "",
            Flavor::STRICT,
            &["p"],
            &doc(json!(1)),
            &[("$schema", doc(json!("s")))],
        )
        .unwrap();
        assert_eq!(out, "{\n  \"$schema\": \"s\",\n  \"p\": 1\n}\n");
        let out = upsert(
            "// only a comment\n",
            Flavor::JSONC,
            &["p"],
            &doc(json!(1)),
            &[],
        )
        .unwrap();
        assert_eq!(out, "// only a comment\n{\n  \"p\": 1\n}\n");
    }

    #[test]
    fn crlf_files_stay_crlf() {
        let text = "{\r\n  \"a\": 1\r\n}\r\n";
        let out = upsert(text, Flavor::STRICT, &["b"], &doc(json!({"c": 2})), &[]).unwrap();
        assert_eq!(
            out,
            "{\r\n  \"a\": 1,\r\n  \"b\": {\r\n    \"c\": 2\r\n  }\r\n}\r\n"
        );
    }

    #[test]
    fn non_object_on_the_path_is_an_error_with_position() {
        let text = "{\n  \"language_models\": [1]\n}";
        let e = upsert(text, Flavor::JSONC, &PATH, &doc(json!({})), &[]).unwrap_err();
        assert!(
            e.message
                .contains("`language_models` is an array (line 2, column 22)"),
            "{e:?}"
        );
        let e = upsert("[]", Flavor::JSONC, &PATH, &doc(json!({})), &[]).unwrap_err();
        assert!(e.message.contains("the top level is an array"), "{e:?}");
    }

    #[test]
    fn get_reads_the_owned_value() {
        let text = "{\"a\": {\"b\": [1, {\"c\": null}]}}";
        assert_eq!(
            get(text, Flavor::STRICT, &["a", "b"]).unwrap(),
            Some(json!([1, {"c": null}]))
        );
        assert_eq!(get(text, Flavor::STRICT, &["a", "x"]).unwrap(), None);
    }
}
