//! Model id lists as users write them in `visibleModels` / `hiddenModels`: exact ids, globs
//! (`*` any run of characters, `?` one character), `"*"` for everything, and the short forms of
//! OmniRoute's OpenCode plugin: an entry without `/` matches by suffix, so `claude-opus-4-7`
//! matches `cc/claude-opus-4-7` and `claude/claude-opus-4-7` as well as a bare `claude-opus-4-7`.
//!
//! Matching is case-insensitive. Literal entries are kept in hash sets (one lookup per id
//! suffix); only glob entries are tried one by one.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

/// FNV-1a: a fast hash for the short id strings the views look up thousands of times per call
/// (the default SipHash dominated the curated view's time).
#[derive(Debug, Clone, Copy)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Hash-map state using [`Fnv`].
pub type FastHash = BuildHasherDefault<Fnv>;

/// A compiled id list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IdPatterns {
    /// Literal entries containing `/`: compared with the whole id.
    exact: HashSet<String, FastHash>,
    /// Literal entries without `/`: compared with the whole id and every part after a `/`.
    short: HashSet<String, FastHash>,
    /// Glob entries (lowercased), compiled.
    globs: Vec<Glob>,
    /// `"*"` was listed.
    everything: bool,
}

/// How an id matched a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hit {
    /// A literal entry (full id or short form): the user named this model.
    Literal,
    /// A glob entry (or `"*"`).
    Glob,
}

impl IdPatterns {
    /// Compiles entries; blank entries are ignored.
    pub fn new<I, S>(entries: I) -> IdPatterns
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut p = IdPatterns::default();
        for e in entries {
            p.add(e.as_ref(), true);
        }
        p
    }

    /// Compiles entries as literals only (`*` and `?` have no special meaning): for ids that
    /// come from data (usage records), never from a user's pattern.
    pub fn literal<I, S>(entries: I) -> IdPatterns
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut p = IdPatterns::default();
        for e in entries {
            p.add(e.as_ref(), false);
        }
        p
    }

    fn add(&mut self, raw: &str, globs: bool) {
        let e = raw.trim().to_lowercase();
        if e.is_empty() {
            return;
        }
        let slash = e.contains('/');
        if globs && e == "*" {
            self.everything = true;
        } else if globs && (e.contains('*') || e.contains('?')) {
            self.globs.push(Glob::new(e, slash));
        } else if slash {
            self.exact.insert(e);
        } else {
            self.short.insert(e);
        }
    }

    /// True when the list has no entry.
    pub fn is_empty(&self) -> bool {
        !self.everything && self.exact.is_empty() && self.short.is_empty() && self.globs.is_empty()
    }

    /// How `id` (already lowercased) matches, if it does. A literal match wins over a glob.
    pub fn find(&self, id_lc: &str) -> Option<Hit> {
        if self.exact.contains(id_lc) || self.short_literal(id_lc) {
            return Some(Hit::Literal);
        }
        if self.everything {
            return Some(Hit::Glob);
        }
        self.globs
            .iter()
            .any(|g| g.matches(id_lc))
            .then_some(Hit::Glob)
    }

    /// True when `id` (already lowercased) matches any entry.
    pub fn matches(&self, id_lc: &str) -> bool {
        self.find(id_lc).is_some()
    }

    fn short_literal(&self, id_lc: &str) -> bool {
        !self.short.is_empty()
            && (self.short.contains(id_lc) || suffixes(id_lc).any(|s| self.short.contains(s)))
    }
}

/// One glob, with fast paths for the common shapes (`*x*`, `x*`, `*x`).
#[derive(Debug, Clone, PartialEq)]
struct Glob {
    pattern: String,
    shape: Shape,
    /// Without `/` the glob also matches the parts after each `/` (the short form).
    by_suffix: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Shape {
    /// `*lit*`
    Contains(String),
    /// `lit*`
    Prefix(String),
    /// `*lit`
    Suffix(String),
    /// anything else
    General,
}

impl Glob {
    fn new(pattern: String, slash: bool) -> Glob {
        let inner = |s: &str| !s.is_empty() && !s.contains(['*', '?']);
        let shape = if let Some(lit) = pattern
            .strip_prefix('*')
            .and_then(|p| p.strip_suffix('*'))
            .filter(|l| inner(l))
        {
            Shape::Contains(lit.to_string())
        } else if let Some(lit) = pattern.strip_suffix('*').filter(|l| inner(l)) {
            Shape::Prefix(lit.to_string())
        } else if let Some(lit) = pattern.strip_prefix('*').filter(|l| inner(l)) {
            Shape::Suffix(lit.to_string())
        } else {
            Shape::General
        };
        Glob {
            pattern,
            shape,
            by_suffix: !slash,
        }
    }

    fn matches(&self, id: &str) -> bool {
        let one = |s: &str| match &self.shape {
            Shape::Contains(l) => s.contains(l.as_str()),
            Shape::Prefix(l) => s.starts_with(l.as_str()),
            Shape::Suffix(l) => s.ends_with(l.as_str()),
            Shape::General => glob(self.pattern.as_bytes(), s.as_bytes()),
        };
        // a pattern starting with `*` matching a part after a `/` matches the whole id too
        one(id) || (self.by_suffix && !self.pattern.starts_with('*') && suffixes(id).any(one))
    }
}

/// The parts of an id after each `/` (`a/b/c` → `b/c`, `c`).
fn suffixes(id: &str) -> impl Iterator<Item = &str> {
    id.match_indices('/').map(move |(i, _)| &id[i + 1..])
}

/// Wildcard match: `*` any run (also across `/`), `?` exactly one byte of a character.
/// Iterative with one backtrack point: O(pattern × text) at worst, no recursion.
pub fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == text[t]) {
            if pattern[p] == b'?' {
                // one whole UTF-8 character
                t += utf8_len(text[t]);
            } else {
                t += 1;
            }
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            let next = st + utf8_len(text[st]);
            star = Some((sp, next));
            t = next;
        } else {
            return false;
        }
    }
    while p < pattern.len() && pattern[p] == b'*' {
        p += 1;
    }
    p == pattern.len()
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// `s` lowercased, borrowing when it has no uppercase character (the common case for ids).
pub fn lower(s: &str) -> std::borrow::Cow<'_, str> {
    let upper = if s.is_ascii() {
        s.bytes().any(|b| b.is_ascii_uppercase())
    } else {
        s.chars().any(char::is_uppercase)
    };
    if upper {
        std::borrow::Cow::Owned(s.to_lowercase())
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_basics() {
        assert!(glob(b"cx/*", b"cx/gpt-5"));
        assert!(glob(b"*codex*", b"cx/gpt-5.1-codex-mini"));
        assert!(glob(b"gpt-?", b"gpt-5"));
        assert!(!glob(b"gpt-?", b"gpt-55"));
        assert!(glob(b"*", b""));
        assert!(!glob(b"a*b", b"acbd"));
        assert!(glob(b"a*b*c", b"axxbyyc"));
        assert!(glob("é?".as_bytes(), "éü".as_bytes()));
    }

    #[test]
    fn short_forms_match_by_suffix_only_after_a_slash() {
        let p = IdPatterns::new(["claude-opus-4-7"]);
        assert_eq!(p.find("cc/claude-opus-4-7"), Some(Hit::Literal));
        assert_eq!(p.find("claude-opus-4-7"), Some(Hit::Literal));
        assert_eq!(p.find("a/b/claude-opus-4-7"), Some(Hit::Literal));
        assert_eq!(p.find("cc/xclaude-opus-4-7"), None);
        assert_eq!(p.find("cc/claude-opus-4-7-high"), None);
    }

    #[test]
    fn full_ids_are_exact_and_case_insensitive() {
        let p = IdPatterns::new(["CX/GPT-5"]);
        assert!(p.matches("cx/gpt-5"));
        assert!(!p.matches("codex/cx/gpt-5"));
        assert!(!p.matches("gpt-5"));
    }

    #[test]
    fn globs_with_and_without_slash() {
        let p = IdPatterns::new(["cx/*"]);
        assert_eq!(p.find("cx/gpt-5"), Some(Hit::Glob));
        assert!(!p.matches("codex/gpt-5"));
        // without `/`: any suffix after a slash may match
        let p = IdPatterns::new(["gpt-5*"]);
        assert!(p.matches("cx/gpt-5.1"));
        assert!(p.matches("gpt-5"));
        assert!(!p.matches("cx/o3"));
        let star = IdPatterns::new(["*"]);
        assert_eq!(star.find("anything/at-all"), Some(Hit::Glob));
        assert!(!star.is_empty());
        assert!(IdPatterns::new(["", "  "]).is_empty());
    }

    #[test]
    fn glob_shapes_agree_with_the_general_matcher() {
        let ids = [
            "cx/gpt-5.1-codex-mini",
            "codex",
            "a/b/codex-x",
            "x-codex",
            "gpt",
        ];
        for pat in [
            "*codex*", "codex*", "*codex", "c?dex*", "*", "cx/*", "*-mini", "gpt*",
        ] {
            let p = IdPatterns::new([pat]);
            for id in ids {
                let general = glob(pat.as_bytes(), id.as_bytes())
                    || (!pat.contains('/')
                        && suffixes(id).any(|s| glob(pat.as_bytes(), s.as_bytes())));
                assert_eq!(p.matches(id), general, "{pat} vs {id}");
            }
        }
    }

    #[test]
    fn literal_lists_ignore_wildcards() {
        let p = IdPatterns::literal(["weird*name"]);
        assert!(p.matches("x/weird*name"));
        assert!(!p.matches("x/weirdXname"));
    }

    #[test]
    fn lower_borrows_when_possible() {
        assert!(matches!(lower("cx/gpt"), std::borrow::Cow::Borrowed(_)));
        assert_eq!(lower("CX/Gpt"), "cx/gpt");
    }
}
