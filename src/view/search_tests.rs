//! Unit tests of the search ranking.

use super::*;

fn m(id: &str, name: &str, owner: Option<&str>, family: Option<&str>) -> Model {
    Model {
        id: id.into(),
        name: name.into(),
        owned_by: owner.map(String::from),
        family: family.map(String::from),
        ..Model::default()
    }
}

fn catalogue() -> Vec<Model> {
    vec![
        m("cx/gpt-5", "GPT-5", Some("cx"), Some("gpt")),
        m("cx/gpt-5-mini", "GPT-5 Mini", Some("cx"), Some("gpt")),
        m("gpt-5", "GPT-5 (bare)", None, Some("gpt")),
        m(
            "openrouter/openai/gpt-5",
            "GPT-5 via OpenRouter",
            Some("openrouter"),
            None,
        ),
        m(
            "cc/claude-sonnet-4-5",
            "Claude Sonnet 4.5",
            Some("cc"),
            Some("claude-sonnet"),
        ),
        m(
            "cc/claude-opus-4-1",
            "Claude Opus 4.1",
            Some("cc"),
            Some("claude-opus"),
        ),
        m(
            "gemini/models/gemini-2.5-pro",
            "Gemini 2.5 Pro",
            Some("gemini"),
            Some("gemini-pro"),
        ),
        m(
            "ds/deepseek-chat",
            "DeepSeek V3",
            Some("ds"),
            Some("deepseek"),
        ),
        m("my-gpt-5-proxy", "Proxy", None, None),
    ]
}

fn ids(models: &[Model], found: &[Found]) -> Vec<String> {
    found.iter().map(|f| models[f.index].id.clone()).collect()
}

#[test]
fn exact_id_first_then_bare_key_then_prefixes_words_and_substrings() {
    let ms = catalogue();
    let ix = SearchIndex::new(&ms);
    let (found, total) = ix.search("gpt-5", None, 50);
    let got = ids(&ms, &found);
    // exact id; then exact id after the prefix (shorter first); the rest by tier
    assert_eq!(got[0], "gpt-5");
    assert_eq!(found[0].kind, MatchKind::Exact);
    assert_eq!(got[1], "cx/gpt-5");
    assert_eq!(found[1].kind, MatchKind::Exact);
    assert_eq!(got[2], "openrouter/openai/gpt-5");
    assert_eq!(got[3], "cx/gpt-5-mini");
    assert_eq!(found[3].kind, MatchKind::Prefix);
    assert_eq!(got[4], "my-gpt-5-proxy");
    assert_eq!(found[4].kind, MatchKind::Word);
    assert_eq!(total, 5);
}

#[test]
fn case_insensitive_and_whitespace_tolerant() {
    let ms = catalogue();
    let ix = SearchIndex::new(&ms);
    let (found, _) = ix.search("  CX/GPT-5 ", None, 1);
    assert_eq!(ids(&ms, &found), ["cx/gpt-5"]);
}

#[test]
fn names_owners_and_families_are_searched() {
    let ms = catalogue();
    let ix = SearchIndex::new(&ms);
    let (found, _) = ix.search("deepseek v3", None, 5);
    assert_eq!(ids(&ms, &found), ["ds/deepseek-chat"]);
    assert_eq!(found[0].kind, MatchKind::Exact);
    let (found, _) = ix.search("claude-opus", None, 5);
    assert_eq!(ids(&ms, &found)[0], "cc/claude-opus-4-1");
    let (found, _) = ix.search("openrouter", None, 5);
    assert_eq!(ids(&ms, &found), ["openrouter/openai/gpt-5"]);
}

#[test]
fn several_words_all_needed_ranked_by_the_weakest() {
    let ms = catalogue();
    let ix = SearchIndex::new(&ms);
    let (found, _) = ix.search("sonnet claude", None, 5);
    assert_eq!(ids(&ms, &found), ["cc/claude-sonnet-4-5"]);
    let (found, total) = ix.search("gemini nope", None, 5);
    assert!(found.is_empty());
    assert_eq!(total, 0);
}

#[test]
fn fuzzy_finds_abbreviations_after_every_substring_match() {
    let ms = catalogue();
    let ix = SearchIndex::new(&ms);
    let (found, _) = ix.search("gem25pro", None, 5);
    assert_eq!(ids(&ms, &found), ["gemini/models/gemini-2.5-pro"]);
    assert_eq!(found[0].kind, MatchKind::Fuzzy);
    let (found, _) = ix.search("clsn", None, 5);
    assert_eq!(ids(&ms, &found)[0], "cc/claude-sonnet-4-5");
    let (found, _) = ix.search("zzq", None, 5);
    assert!(found.is_empty());
}

#[test]
fn allowed_mask_limit_and_empty_query() {
    let ms = catalogue();
    let ix = SearchIndex::new(&ms);
    let mut allowed = vec![true; ms.len()];
    allowed[2] = false; // bare gpt-5
    let (found, total) = ix.search("gpt-5", Some(&allowed), 2);
    assert_eq!(ids(&ms, &found), ["cx/gpt-5", "openrouter/openai/gpt-5"]);
    assert_eq!(total, 4);
    let (found, total) = ix.search("", Some(&allowed), 3);
    assert_eq!(total, ms.len() - 1);
    assert_eq!(
        ids(&ms, &found),
        ["cx/gpt-5", "cx/gpt-5-mini", "openrouter/openai/gpt-5"]
    );
    assert!(found.iter().all(|f| f.kind == MatchKind::All));
    let (found, total) = ix.search("gpt", None, 0);
    assert!(found.is_empty());
    assert!(total > 0);
}

#[test]
fn odd_input_never_panics() {
    let ms = vec![
        m("ünï/cödé-ß", "Ünïcödé\nname", None, None),
        m("a", "", None, None),
        m("", "", None, None),
    ];
    let ix = SearchIndex::new(&ms);
    assert_eq!(ix.len(), 3);
    for q in [
        "ü",
        "ß",
        "\n",
        "\u{0}",
        "a",
        "ünï/cödé-ß",
        &"x".repeat(10_000),
        "é?*",
    ] {
        let _ = ix.search(q, None, 10);
    }
    let (found, _) = ix.search("ÜNÏ/CÖDÉ-SS", None, 10);
    // `ß` uppercases to `SS`, which does not lowercase back: no exact match, no panic
    assert!(found.iter().all(|f| f.kind != MatchKind::Exact));
    let (found, _) = ix.search("ünï/cödé-ß", None, 10);
    assert_eq!(found[0].kind, MatchKind::Exact);
    assert!(SearchIndex::new(&[]).search("x", None, 5).0.is_empty());
}
