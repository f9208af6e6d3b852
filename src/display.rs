//! Text shown to people: times, URLs without their passwords, and gateway strings made safe for
//! a terminal. JSON results keep gateway strings intact; these helpers are for human output,
//! warnings, errors and logs.

use std::borrow::Cow;
use std::time::SystemTime;

/// RFC 3339 text of a time, in UTC with milliseconds.
pub fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

/// A URL with any userinfo (`user:password@`) replaced by `***@`, so a password written into
/// `baseURL` never reaches a result, warning, error or log. Text that is not a URL is returned
/// with anything before an `@` in its authority removed the same way.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}://***@{}", &url[..scheme_end], &rest[at + 1..]),
        None => url.to_string(),
    }
}

/// Replaces every URL-with-userinfo inside free text (error chains from HTTP libraries quote the
/// URL they tried).
pub fn redact_urls_in(text: &str) -> Cow<'_, str> {
    if !text.contains('@') || !text.contains("://") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("://") {
        // Back up to the start of the scheme.
        let start = rest[..pos]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '-' || c == '.'))
            .map_or(0, |i| i + 1);
        let end = rest[pos..]
            .find(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == ')' || c == '>')
            .map_or(rest.len(), |i| pos + i);
        out.push_str(&rest[..start]);
        out.push_str(&redact_url(&rest[start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// A gateway string made safe for a terminal: control characters (ESC, BEL, CR, DEL, C1 …)
/// become visible escapes (`\x1b`, `\u{9b}`), so a model id cannot repaint or retitle the
/// user's terminal. Printable text, including non-ASCII, is unchanged.
pub fn escape_controls(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() {
            if (c as u32) < 0x80 {
                out.push_str(&format!("\\x{:02x}", c as u32));
            } else {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_userinfo_only() {
        assert_eq!(
            redact_url("http://user:pass@host:1/v1"),
            "http://***@host:1/v1"
        );
        assert_eq!(
            redact_url("https://tok@h/v1?a=b@c"),
            "https://***@h/v1?a=b@c"
        );
        assert_eq!(redact_url("http://h:20128/v1"), "http://h:20128/v1");
        assert_eq!(redact_url("not a url"), "not a url");
        assert_eq!(
            redact_urls_in("error sending request for url (http://u:p@h/v1/models): refused"),
            "error sending request for url (http://***@h/v1/models): refused"
        );
        assert_eq!(redact_urls_in("no url here @ all"), "no url here @ all");
    }

    #[test]
    fn escapes_controls() {
        assert_eq!(escape_controls("gpt-4o"), "gpt-4o");
        assert_eq!(
            escape_controls("a\x1b]0;pwned\x07b"),
            "a\\x1b]0;pwned\\x07b"
        );
        assert_eq!(escape_controls("x\ry\u{9b}z"), "x\\x0dy\\u{9b}z");
        assert_eq!(escape_controls("модель ✓"), "модель ✓");
    }
}
