//! Ranked model search for editor pickers, over id, name, owner and family.
//!
//! The index is built once per catalogue: every model's searchable fields, lowercased, in one
//! text buffer, plus a bitmask of the characters each model has. A query then scans that buffer
//! once per word (SIMD `memmem`), maps each occurrence to its model and field, and only
//! models without a substring occurrence are tried as a fuzzy subsequence (after the bitmask
//! rules most of them out). Nothing is lowercased or allocated per model per query.
//!
//! Ranking (higher first): exact id; exact id without its prefix (`gpt-5` for `cx/gpt-5`); the
//! id's last segment (`openrouter/openai/gpt-5`); exact name; id prefix; prefix after the id's prefix; name prefix; a word of the id or name (after
//! `/ - _ . : ` or a space); owner or family; any substring; fuzzy (every query character in
//! order, closer together scores higher). A query of several words needs every word to match
//! and ranks by its weakest word. Ties: shorter id, then id.

use schemars::JsonSchema;
use serde::Serialize;

use crate::catalog::model::Model;

/// How a result matched (its best match).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum MatchKind {
    /// The whole id, the id without its prefix, or the whole name.
    Exact,
    /// The start of the id (with or without its prefix) or of the name.
    Prefix,
    /// The start of a word in the id or name, or the owner or family.
    Word,
    /// Anywhere in a field.
    Substring,
    /// The query's characters in order, with gaps.
    Fuzzy,
    /// An empty query lists everything, in catalogue order.
    All,
}

/// One result: the catalogue index of the model, its score and how it matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    /// Index into the catalogue's models.
    pub index: usize,
    /// Higher is better (1000 = exact id).
    pub score: u32,
    /// The best match.
    pub kind: MatchKind,
}

/// Field offsets of one model in the index text.
#[derive(Debug, Clone, Copy)]
struct Entry {
    id: u32,
    key: u32,
    name: u32,
    owner: u32,
    family: u32,
    end: u32,
    mask: u64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Id,
    Name,
    Owner,
    Family,
}

/// The per-catalogue search index.
#[derive(Debug, Clone, Default)]
pub struct SearchIndex {
    text: String,
    entries: Vec<Entry>,
}

/// Longest query accepted (characters); longer queries are cut.
pub const MAX_QUERY: usize = 200;

impl SearchIndex {
    /// Builds the index for a catalogue's models (lowercases every field once).
    pub fn new(models: &[Model]) -> SearchIndex {
        let mut text = String::with_capacity(models.len() * 64);
        let mut entries = Vec::with_capacity(models.len());
        for m in models {
            let id = text.len() as u32;
            push_field(&mut text, &m.id);
            let id_lc = &text[id as usize..text.len() - 1];
            let bare = id_lc.strip_prefix("omniroute/").unwrap_or(id_lc);
            let key = match bare.find('/') {
                Some(p) => id as usize + (id_lc.len() - bare.len()) + p + 1,
                None => id as usize,
            } as u32;
            let name = text.len() as u32;
            push_field(&mut text, &m.name);
            let owner = text.len() as u32;
            push_field(&mut text, m.owned_by.as_deref().unwrap_or(""));
            let family = text.len() as u32;
            push_field(&mut text, m.family.as_deref().unwrap_or(""));
            let end = text.len() as u32;
            entries.push(Entry {
                id,
                key,
                name,
                owner,
                family,
                end,
                mask: mask(&text[id as usize..end as usize]),
            });
        }
        SearchIndex { text, entries }
    }

    /// Number of indexed models.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no model is indexed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Ranked results among the models `allowed` lets through (all when `None`), best first, at
    /// most `limit`; also how many matched in all.
    pub fn search(
        &self,
        query: &str,
        allowed: Option<&[bool]>,
        limit: usize,
    ) -> (Vec<Found>, usize) {
        let ok = |i: usize| allowed.is_none_or(|a| a.get(i).copied().unwrap_or(false));
        let q = normalise_query(query);
        if q.is_empty() {
            let all: Vec<usize> = (0..self.entries.len()).filter(|&i| ok(i)).collect();
            let total = all.len();
            let found = all
                .into_iter()
                .take(limit)
                .map(|index| Found {
                    index,
                    score: 0,
                    kind: MatchKind::All,
                })
                .collect();
            return (found, total);
        }
        let words: Vec<&str> = q.split(' ').collect();
        let mut best = self.scores(&q, None);
        if words.len() > 1 {
            // every word must match: each word is scored only where the previous ones matched
            let mut weakest: Option<Vec<u32>> = None;
            for w in &words {
                let s = self.scores(w, weakest.as_deref());
                weakest = Some(match weakest {
                    None => s,
                    Some(prev) => prev.iter().zip(&s).map(|(a, b)| *a.min(b)).collect(),
                });
            }
            if let Some(weakest) = weakest {
                for (b, w) in best.iter_mut().zip(weakest) {
                    *b = (*b).max(w);
                }
            }
        }
        let mut hits: Vec<Found> = best
            .iter()
            .enumerate()
            .filter(|(i, s)| **s > 0 && ok(*i))
            .map(|(index, &score)| Found {
                index,
                score,
                kind: kind_of(score),
            })
            .collect();
        let total = hits.len();
        let order = |a: &Found, b: &Found| {
            b.score
                .cmp(&a.score)
                .then_with(|| self.id(a.index).len().cmp(&self.id(b.index).len()))
                .then_with(|| self.id(a.index).cmp(self.id(b.index)))
        };
        if hits.len() > limit && limit > 0 {
            hits.select_nth_unstable_by(limit - 1, order);
            hits.truncate(limit);
        }
        hits.truncate(limit);
        hits.sort_unstable_by(order);
        (hits, total)
    }

    fn id(&self, i: usize) -> &str {
        let e = &self.entries[i];
        &self.text[e.id as usize..e.name as usize - 1]
    }

    /// Best score of one word (or phrase) for every model; 0 = no match. With `only`, models
    /// whose entry there is 0 are skipped (and stay 0).
    fn scores(&self, q: &str, only: Option<&[u32]>) -> Vec<u32> {
        let mut best = vec![0u32; self.entries.len()];
        let live = |i: usize| only.is_none_or(|o| o[i] > 0);
        let text = self.text.as_bytes();
        let qlen = q.len() as u32;
        let finder = memchr::memmem::Finder::new(q.as_bytes());
        let mut i = 0usize;
        for pos in finder.find_iter(text) {
            let pos = pos as u32;
            // occurrences come in text order: move the entry cursor forward
            while i + 1 < self.entries.len() && self.entries[i + 1].id <= pos {
                i += 1;
            }
            if !live(i) {
                continue;
            }
            let e = &self.entries[i];
            let (field, start, end) = if pos < e.name {
                (Field::Id, e.id, e.name - 1)
            } else if pos < e.owner {
                (Field::Name, e.name, e.owner - 1)
            } else if pos < e.family {
                (Field::Owner, e.owner, e.family - 1)
            } else {
                (Field::Family, e.family, e.end - 1)
            };
            let whole = pos == start && pos + qlen == end;
            let before = (pos > start).then(|| text[pos as usize - 1]);
            let word = before.is_none_or(is_separator);
            let after_slash = before == Some(b'/');
            let s = match field {
                Field::Id if whole => 1000,
                Field::Id if pos == e.key && pos + qlen == end => 950,
                Field::Id if pos + qlen == end && after_slash => 940,
                Field::Name if whole => 900,
                Field::Id if pos == start => 800,
                Field::Id if pos == e.key => 780,
                Field::Name if pos == start => 760,
                Field::Id if word => 600,
                Field::Name if word => 580,
                Field::Owner | Field::Family if whole => 560,
                Field::Owner | Field::Family if word => 540,
                Field::Id => 400,
                Field::Name => 380,
                Field::Owner | Field::Family => 360,
            };
            if s > best[i] {
                best[i] = s;
            }
        }
        // fuzzy per word only (a phrase's words are scored one by one)
        if q.len() >= 2 && !q.contains(' ') {
            let qmask = mask(q);
            let qb = q.as_bytes();
            for (i, e) in self.entries.iter().enumerate() {
                if best[i] == 0 && qmask & !e.mask == 0 && live(i) {
                    let id = &text[e.id as usize..e.name as usize - 1];
                    let name = &text[e.name as usize..e.owner as usize - 1];
                    best[i] = fuzzy(qb, id).max(fuzzy(qb, name));
                }
            }
        }
        best
    }
}

fn push_field(text: &mut String, s: &str) {
    if s.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
        text.extend(s.bytes().map(|b| char::from(b.to_ascii_lowercase())));
        text.push('\n');
        return;
    }
    for c in s.chars() {
        // the separator of fields and the space of queries never occur inside a field
        if c == '\n' || c.is_control() {
            text.push(' ');
        } else {
            text.extend(c.to_lowercase());
        }
    }
    text.push('\n');
}

/// Lowercase, control characters dropped, runs of blanks collapsed to one space, at most
/// [`MAX_QUERY`] characters.
fn normalise_query(q: &str) -> String {
    let mut out = String::with_capacity(q.len().min(MAX_QUERY));
    for w in q.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for c in w.chars().filter(|c| !c.is_control()) {
            out.extend(c.to_lowercase());
        }
    }
    out.chars().take(MAX_QUERY).collect()
}

fn is_separator(b: u8) -> bool {
    matches!(
        b,
        b'/' | b'-' | b'_' | b'.' | b':' | b' ' | b'(' | b'[' | b'@'
    )
}

/// One bit per ASCII letter/digit present (other characters share one bit).
fn mask(s: &str) -> u64 {
    s.bytes().fold(0u64, |m, b| {
        m | match b {
            b'a'..=b'z' => 1 << (b - b'a'),
            b'0'..=b'9' => 1 << (26 + b - b'0'),
            b'\n' | b' ' => 0,
            _ => 1 << 36,
        }
    })
}

/// A subsequence match: 100–299, higher when the characters are closer together and start
/// earlier; 0 when some character is missing.
fn fuzzy(q: &[u8], hay: &[u8]) -> u32 {
    let mut qi = 0;
    let mut first = None;
    let mut last = 0;
    for (i, &b) in hay.iter().enumerate() {
        if qi < q.len() && b == q[qi] {
            if first.is_none() {
                first = Some(i);
            }
            last = i;
            qi += 1;
        }
    }
    match first {
        Some(f) if qi == q.len() => {
            let gaps = (last - f + 1 - q.len()) as u32;
            let penalty = (gaps * 4 + f as u32).min(199);
            299 - penalty
        }
        _ => 0,
    }
}

fn kind_of(score: u32) -> MatchKind {
    match score {
        900.. => MatchKind::Exact,
        700..900 => MatchKind::Prefix,
        500..700 => MatchKind::Word,
        360..500 => MatchKind::Substring,
        _ => MatchKind::Fuzzy,
    }
}

#[cfg(test)]
#[path = "search_tests.rs"]
mod tests;
