//! A JSONC span locator: parses JSON with comments and trailing commas (Zed's and OpenCode's
//! settings) or strict JSON (Crush) into a tree that records the byte span of every value and
//! member, so an edit can replace exactly the part the export owns and leave every other byte
//! (comments, key order, formatting) as the user wrote it.

use serde_json::{Map, Value};

/// Deepest nesting accepted (a hostile file cannot overflow the stack).
const MAX_DEPTH: usize = 256;

/// What the parser accepts besides strict JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flavor {
    /// `//` and `/* */` comments.
    pub comments: bool,
    /// A comma after the last member or item.
    pub trailing_commas: bool,
}

impl Flavor {
    /// JSON with comments and trailing commas (Zed, OpenCode).
    pub const JSONC: Flavor = Flavor {
        comments: true,
        trailing_commas: true,
    };
    /// Strict JSON (Crush).
    pub const STRICT: Flavor = Flavor {
        comments: false,
        trailing_commas: false,
    };
}

/// A syntax error at a byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offset into the text.
    pub offset: usize,
    /// What was wrong.
    pub message: String,
}

/// One parsed value with its byte span `start..end`.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// First byte of the value.
    pub start: usize,
    /// One past its last byte.
    pub end: usize,
    /// What it is.
    pub kind: Kind,
}

/// The shape of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// An object and its members in file order.
    Object(Vec<Member>),
    /// An array and its items.
    Array(Vec<Node>),
    /// A string, number, `true`, `false` or `null`.
    Scalar,
}

/// One `"key": value` member of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// The decoded key.
    pub key: String,
    /// Offset of the key's opening quote.
    pub key_start: usize,
    /// The value.
    pub value: Node,
    /// Offset just past the comma that follows the value, if one does.
    pub comma_end: Option<usize>,
}

impl Node {
    /// The members of an object node (empty for anything else).
    pub fn members(&self) -> &[Member] {
        match &self.kind {
            Kind::Object(m) => m,
            _ => &[],
        }
    }

    /// The last member named `key` (later duplicates win, as in JSON.parse).
    pub fn member(&self, key: &str) -> Option<&Member> {
        self.members().iter().rev().find(|m| m.key == key)
    }

    /// The value as `serde_json::Value` (comments dropped).
    pub fn to_value(&self, text: &str) -> Value {
        match &self.kind {
            Kind::Object(members) => {
                let mut map = Map::new();
                for m in members {
                    map.insert(m.key.clone(), m.value.to_value(text));
                }
                Value::Object(map)
            }
            Kind::Array(items) => Value::Array(items.iter().map(|n| n.to_value(text)).collect()),
            Kind::Scalar => {
                serde_json::from_str(&text[self.start..self.end]).unwrap_or(Value::Null)
            }
        }
    }

    /// A short name of the value's type for messages.
    pub fn type_name(&self, text: &str) -> &'static str {
        match &self.kind {
            Kind::Object(_) => "an object",
            Kind::Array(_) => "an array",
            Kind::Scalar => match text.as_bytes().get(self.start) {
                Some(b'"') => "a string",
                Some(b't' | b'f') => "a boolean",
                Some(b'n') => "null",
                _ => "a number",
            },
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Parses a whole document. `Ok(None)` when it holds nothing but whitespace and comments.
pub fn parse(text: &str, flavor: Flavor) -> Result<Option<Node>, ParseError> {
    let mut p = Parser {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        flavor,
    };
    if text.starts_with('\u{feff}') {
        p.pos = 3;
    }
    p.skip_ws()?;
    if p.pos >= p.bytes.len() {
        return Ok(None);
    }
    let node = p.value(0)?;
    p.skip_ws()?;
    if p.pos < p.bytes.len() {
        return Err(p.error("unexpected text after the top-level value"));
    }
    Ok(Some(node))
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    flavor: Flavor,
}

impl Parser<'_> {
    fn error(&self, message: &str) -> ParseError {
        ParseError {
            offset: self.pos,
            message: message.to_string(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) -> Result<(), ParseError> {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' | b'\n' | b'\r' => self.pos += 1,
                b'/' => {
                    if !self.flavor.comments {
                        return Err(
                            self.error("comments are not allowed in this file (strict JSON)")
                        );
                    }
                    match self.bytes.get(self.pos + 1) {
                        Some(b'/') => {
                            while let Some(c) = self.peek() {
                                if c == b'\n' {
                                    break;
                                }
                                self.pos += 1;
                            }
                        }
                        Some(b'*') => {
                            let start = self.pos;
                            match self.text[self.pos + 2..].find("*/") {
                                Some(i) => self.pos += 2 + i + 2,
                                None => {
                                    self.pos = start;
                                    return Err(self.error("unterminated /* comment"));
                                }
                            }
                        }
                        _ => return Err(self.error("unexpected '/'")),
                    }
                }
                _ => break,
            }
        }
        Ok(())
    }

    fn value(&mut self, depth: usize) -> Result<Node, ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.error("nesting too deep"));
        }
        let start = self.pos;
        let kind = match self.peek() {
            Some(b'{') => self.object(depth)?,
            Some(b'[') => self.array(depth)?,
            Some(b'"') => {
                self.string()?;
                Kind::Scalar
            }
            Some(b'-' | b'0'..=b'9') => {
                self.number()?;
                Kind::Scalar
            }
            Some(b't') => self.literal("true")?,
            Some(b'f') => self.literal("false")?,
            Some(b'n') => self.literal("null")?,
            None => return Err(self.error("unexpected end of file; expected a value")),
            Some(_) => return Err(self.error("expected a value")),
        };
        Ok(Node {
            start,
            end: self.pos,
            kind,
        })
    }

    fn literal(&mut self, word: &str) -> Result<Kind, ParseError> {
        if self.text[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(Kind::Scalar)
        } else {
            Err(self.error("expected a value"))
        }
    }

    fn number(&mut self) -> Result<(), ParseError> {
        let start = self.pos;
        while let Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        match serde_json::from_str::<serde_json::Number>(&self.text[start..self.pos]) {
            Ok(_) => Ok(()),
            Err(_) => {
                self.pos = start;
                Err(self.error("malformed number"))
            }
        }
    }

    /// Scans a string literal; returns its decoded text.
    fn string(&mut self) -> Result<String, ParseError> {
        let start = self.pos;
        self.pos += 1;
        loop {
            match self.peek() {
                None => {
                    self.pos = start;
                    return Err(self.error("unterminated string"));
                }
                Some(b'"') => {
                    self.pos += 1;
                    break;
                }
                Some(b'\n') => {
                    self.pos = start;
                    return Err(self.error("unterminated string (a line break inside)"));
                }
                Some(b'\\') => self.pos += 2,
                Some(c) if c < 0x20 => return Err(self.error("control character in a string")),
                Some(_) => self.pos += 1,
            }
        }
        let end = self.pos.min(self.bytes.len());
        serde_json::from_str::<String>(&self.text[start..end]).map_err(|_| ParseError {
            offset: start,
            message: "invalid escape in a string".into(),
        })
    }

    fn object(&mut self, depth: usize) -> Result<Kind, ParseError> {
        self.pos += 1;
        let mut members = Vec::new();
        loop {
            self.skip_ws()?;
            match self.peek() {
                Some(b'}') => {
                    if !members.is_empty() && !self.flavor.trailing_commas {
                        return Err(self.error("trailing comma before '}'"));
                    }
                    self.pos += 1;
                    return Ok(Kind::Object(members));
                }
                Some(b'"') => {}
                None => return Err(self.error("unexpected end of file inside an object")),
                Some(_) => return Err(self.error("expected a quoted key or '}'")),
            }
            let key_start = self.pos;
            let key = self.string()?;
            self.skip_ws()?;
            if self.peek() != Some(b':') {
                return Err(self.error("expected ':' after the key"));
            }
            self.pos += 1;
            self.skip_ws()?;
            let value = self.value(depth + 1)?;
            self.skip_ws()?;
            let comma_end = if self.peek() == Some(b',') {
                self.pos += 1;
                Some(self.pos)
            } else {
                None
            };
            members.push(Member {
                key,
                key_start,
                value,
                comma_end,
            });
            if comma_end.is_none() {
                self.skip_ws()?;
                return match self.peek() {
                    Some(b'}') => {
                        self.pos += 1;
                        Ok(Kind::Object(members))
                    }
                    None => Err(self.error("unexpected end of file inside an object")),
                    Some(_) => Err(self.error("expected ',' or '}'")),
                };
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Kind, ParseError> {
        self.pos += 1;
        let mut items = Vec::new();
        let mut after_comma = false;
        loop {
            self.skip_ws()?;
            match self.peek() {
                Some(b']') => {
                    if after_comma && !self.flavor.trailing_commas {
                        return Err(self.error("trailing comma before ']'"));
                    }
                    self.pos += 1;
                    return Ok(Kind::Array(items));
                }
                None => return Err(self.error("unexpected end of file inside an array")),
                Some(_) if !items.is_empty() && !after_comma => {
                    return Err(self.error("expected ',' or ']'"))
                }
                Some(_) => {}
            }
            items.push(self.value(depth + 1)?);
            self.skip_ws()?;
            after_comma = self.peek() == Some(b',');
            if after_comma {
                self.pos += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SAMPLE: &str = "// Zed settings\n{\n  \"theme\": \"One Dark\", // mine\n  /* block */ \"a\": {\"b\": [1, 2,],},\n}\n";

    #[test]
    fn jsonc_spans_and_values() {
        let root = parse(SAMPLE, Flavor::JSONC).unwrap().unwrap();
        assert_eq!(&SAMPLE[root.start..root.start + 1], "{");
        assert_eq!(root.end, SAMPLE.len() - 1);
        let theme = root.member("theme").unwrap();
        assert_eq!(&SAMPLE[theme.value.start..theme.value.end], "\"One Dark\"");
        assert!(theme.comma_end.is_some());
        let a = root.member("a").unwrap();
        assert_eq!(&SAMPLE[a.value.start..a.value.end], "{\"b\": [1, 2,],}");
        assert_eq!(
            root.to_value(SAMPLE),
            json!({"theme": "One Dark", "a": {"b": [1, 2]}})
        );
    }

    #[test]
    fn strict_rejects_comments_and_trailing_commas() {
        let e = parse("{\"a\": 1 // x\n}", Flavor::STRICT).unwrap_err();
        assert!(e.message.contains("comments"), "{e:?}");
        assert_eq!(line_col("{\"a\": 1 // x\n}", e.offset), (1, 9));
        let e = parse("{\"a\": 1,}", Flavor::STRICT).unwrap_err();
        assert!(e.message.contains("trailing comma"));
        let e = parse("[1,]", Flavor::STRICT).unwrap_err();
        assert!(e.message.contains("trailing comma"));
        assert!(parse("{\"a\": [1, 2]}", Flavor::STRICT).is_ok());
    }

    #[test]
    fn errors_carry_positions() {
        for (text, line, col) in [
            ("{\n  \"a\": 1\n  \"b\": 2\n}", 3, 3),
            ("{\n  \"a\": tru\n}", 2, 8),
            ("{\n  \"a\": \"x\n}", 2, 8),
            ("{\"a\": 1} x", 1, 10),
            ("{\n  /* open", 2, 3),
            ("{\"a\": 01x}", 1, 7),
            ("{\"a\":", 1, 6),
        ] {
            let e = parse(text, Flavor::JSONC).unwrap_err();
            assert_eq!(line_col(text, e.offset), (line, col), "{text:?}: {e:?}");
        }
    }

    #[test]
    fn empty_and_comment_only_documents() {
        assert_eq!(parse("", Flavor::JSONC).unwrap(), None);
        assert_eq!(parse(" // nothing\n/* */\n", Flavor::JSONC).unwrap(), None);
        assert_eq!(
            parse("\u{feff}{}", Flavor::STRICT).unwrap().unwrap().start,
            3
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(100_000);
        let e = parse(&text, Flavor::JSONC).unwrap_err();
        assert!(e.message.contains("too deep"));
    }

    #[test]
    fn duplicate_keys_last_wins() {
        let text = "{\"a\": 1, \"a\": 2}";
        let root = parse(text, Flavor::STRICT).unwrap().unwrap();
        assert_eq!(&text[root.member("a").unwrap().value.start..][..1], "2");
    }
}
