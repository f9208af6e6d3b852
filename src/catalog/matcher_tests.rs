//! The matcher's rule table, exercised on real-world ids against the models.dev fixture.
use super::*;
use std::sync::OnceLock;

fn index() -> &'static DevIndex {
    static INDEX: OnceLock<DevIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/modelsdev-api.json"
        );
        let bytes = std::fs::read(path).expect("fixture readable");
        DevIndex::parse(&bytes).expect("fixture parses")
    })
}

/// Expected answer of one table row.
enum Want {
    /// provider, model id (as spelled in models.dev), rule, context, output
    F(&'static str, &'static str, MatchRule, u64, u64),
    /// the ambiguous candidates, in provider order
    A(&'static [&'static str]),
    N,
}
use MatchRule::*;
use Want::{A, F, N};

fn check(m: &Matcher, rows: &[(&str, Option<&str>, Want)]) {
    let mut failures = Vec::new();
    for (id, owned_by, want) in rows {
        let got = m.find(index(), id, *owned_by);
        let ok = match (want, &got) {
            (F(p, mid, r, c, o), MatchOutcome::Found { model, rule }) => {
                model.provider == *p
                    && model.id == *mid
                    && rule == r
                    && model.context == Some(*c)
                    && model.output == Some(*o)
            }
            (A(cands), MatchOutcome::Ambiguous { candidates }) => candidates == cands,
            (N, MatchOutcome::NotFound) => true,
            _ => false,
        };
        if !ok {
            let got = match &got {
                MatchOutcome::Found { model, rule } => format!(
                    "{}/{} {rule:?} {:?}/{:?}",
                    model.provider, model.id, model.context, model.output
                ),
                other => format!("{other:?}"),
            };
            failures.push(format!("{id} (owned_by {owned_by:?}): got {got}"));
        }
    }
    assert!(failures.is_empty(), "mismatches:\n{}", failures.join("\n"));
}

/// Every example row of modelsdev.md §3.
#[test]
fn contract_examples() {
    check(
        &Matcher::default(),
        &[
            (
                "cx/gpt-5.1-codex-mini",
                None,
                F("openai", "gpt-5.1-codex-mini", Exact, 400_000, 128_000),
            ),
            (
                "gemini/models/gemini-3-flash-preview",
                None,
                F("google", "gemini-3-flash-preview", Exact, 1_048_576, 65_536),
            ),
            (
                "kmc/kimi-k2.5",
                None,
                F("moonshotai", "kimi-k2.5", Exact, 262_144, 262_144),
            ),
            (
                "codex/gpt-5.5-xhigh",
                None,
                F("openai", "gpt-5.5", VariantStripped, 1_050_000, 128_000),
            ),
            (
                "openrouter/openai/gpt-4o",
                None,
                F("openrouter", "openai/gpt-4o", Exact, 128_000, 16_384),
            ),
            ("cx/gpt-9.9", None, N),
            ("mock/mock-small", None, N),
        ],
    );
}

/// Real-world ids, answers checked by hand against the fixture with jq.
#[test]
fn real_world_ids() {
    check(
        &Matcher::default(),
        &[
            // --- aliases
            (
                "cc/claude-sonnet-4-5",
                None,
                F("anthropic", "claude-sonnet-4-5", Exact, 200_000, 64_000),
            ),
            (
                "claude/claude-opus-4-6",
                None,
                F("anthropic", "claude-opus-4-6", Exact, 1_000_000, 128_000),
            ),
            (
                "anthropic/claude-haiku-4-5",
                None,
                F("anthropic", "claude-haiku-4-5", Exact, 200_000, 64_000),
            ),
            // Copilot's own limits, not OpenAI's 1050000
            (
                "gh/gpt-5.5",
                None,
                F("github-copilot", "gpt-5.5", Exact, 400_000, 128_000),
            ),
            (
                "github/claude-sonnet-4.5",
                None,
                F(
                    "github-copilot",
                    "claude-sonnet-4.5",
                    Exact,
                    200_000,
                    32_000,
                ),
            ),
            (
                "kmca/kimi-k2.6",
                None,
                F("moonshotai", "kimi-k2.6", Exact, 262_144, 262_144),
            ),
            (
                "kimi-coding-apikey/kimi-k2.6",
                None,
                F("moonshotai", "kimi-k2.6", Exact, 262_144, 262_144),
            ),
            (
                "kmc/kimi-k2-thinking",
                None,
                F("moonshotai", "kimi-k2-thinking", Exact, 262_144, 262_144),
            ),
            (
                "ds/deepseek-reasoner",
                None,
                F("deepseek", "deepseek-reasoner", Exact, 1_000_000, 384_000),
            ),
            (
                "ds/deepseek-v4-pro",
                None,
                F("deepseek", "deepseek-v4-pro", Exact, 1_000_000, 384_000),
            ),
            (
                "qw/qwen3-coder-plus",
                None,
                F("alibaba", "qwen3-coder-plus", Exact, 1_048_576, 65_536),
            ),
            (
                "qwen/qwen3-max",
                None,
                F("alibaba", "qwen3-max", Exact, 262_144, 65_536),
            ),
            (
                "glm/glm-4.7",
                None,
                F("zai", "glm-4.7", Exact, 204_800, 131_072),
            ),
            (
                "zai/glm-5.1",
                None,
                F("zai", "glm-5.1", Exact, 200_000, 131_072),
            ),
            (
                "ag/gemini-3-pro-preview",
                None,
                F("google", "gemini-3-pro-preview", Exact, 1_048_576, 65_536),
            ),
            (
                "gemini-cli/gemini-2.5-pro",
                None,
                F("google", "gemini-2.5-pro", Exact, 1_048_576, 65_536),
            ),
            (
                "gemini-cli/models/gemini-2.5-flash",
                None,
                F("google", "gemini-2.5-flash", Exact, 1_048_576, 65_536),
            ),
            (
                "gemini/models/gemma-4-31b-it",
                None,
                F("google", "gemma-4-31b-it", Exact, 262_144, 32_768),
            ),
            (
                "grok/grok-4.3",
                None,
                F("xai", "grok-4.3", Exact, 1_000_000, 30_000),
            ),
            (
                "xai/grok-4.20-0309-reasoning",
                None,
                F("xai", "grok-4.20-0309-reasoning", Exact, 1_000_000, 30_000),
            ),
            (
                "pplx/sonar-pro",
                None,
                F("perplexity", "sonar-pro", Exact, 200_000, 8_192),
            ),
            (
                "ollamacloud/gpt-oss:120b",
                None,
                F("ollama-cloud", "gpt-oss:120b", Exact, 131_072, 32_768),
            ),
            (
                "together/moonshotai/kimi-k2.5",
                None,
                F(
                    "togetherai",
                    "moonshotai/Kimi-K2.5",
                    Exact,
                    262_144,
                    262_144,
                ),
            ),
            (
                "hf/Qwen/Qwen3-32B",
                None,
                F("huggingface", "Qwen/Qwen3-32B", Exact, 131_072, 16_384),
            ),
            // --- prefixes that are models.dev providers themselves, nested model ids
            (
                "openrouter/anthropic/claude-sonnet-4.5",
                None,
                F(
                    "openrouter",
                    "anthropic/claude-sonnet-4.5",
                    Exact,
                    1_000_000,
                    64_000,
                ),
            ),
            (
                "groq/openai/gpt-oss-120b",
                None,
                F("groq", "openai/gpt-oss-120b", Exact, 131_072, 65_536),
            ),
            (
                "groq/llama-3.3-70b-versatile",
                None,
                F("groq", "llama-3.3-70b-versatile", Exact, 131_072, 32_768),
            ),
            (
                "mistral/codestral-latest",
                None,
                F("mistral", "codestral-latest", Exact, 256_000, 4_096),
            ),
            (
                "nvidia/meta/llama-3.3-70b-instruct",
                None,
                F(
                    "nvidia",
                    "meta/llama-3.3-70b-instruct",
                    Exact,
                    128_000,
                    4_096,
                ),
            ),
            (
                "nvidia/deepseek-ai/deepseek-v4-pro",
                None,
                F(
                    "nvidia",
                    "deepseek-ai/deepseek-v4-pro",
                    Exact,
                    1_048_576,
                    393_216,
                ),
            ),
            (
                "cerebras/gpt-oss-120b",
                None,
                F("cerebras", "gpt-oss-120b", Exact, 131_072, 40_960),
            ),
            // --- variants
            (
                "cx/gpt-5.4-mini-high",
                None,
                F("openai", "gpt-5.4-mini", VariantStripped, 400_000, 128_000),
            ),
            (
                "cx/gpt-5-mini-minimal",
                None,
                F("openai", "gpt-5-mini", VariantStripped, 400_000, 128_000),
            ),
            (
                "cx/gpt-5.1-none",
                None,
                F("openai", "gpt-5.1", VariantStripped, 400_000, 128_000),
            ),
            (
                "cx/gpt-5.1-codex-max-xhigh",
                None,
                F(
                    "openai",
                    "gpt-5.1-codex-max",
                    VariantStripped,
                    400_000,
                    128_000,
                ),
            ),
            (
                "cx/o4-mini-low",
                None,
                F("openai", "o4-mini", VariantStripped, 200_000, 100_000),
            ),
            (
                "cc/claude-opus-4-5-thinking",
                None,
                F(
                    "anthropic",
                    "claude-opus-4-5",
                    VariantStripped,
                    200_000,
                    64_000,
                ),
            ),
            (
                "ag/gemini-3.1-pro-preview-high",
                None,
                F(
                    "google",
                    "gemini-3.1-pro-preview",
                    VariantStripped,
                    1_048_576,
                    65_536,
                ),
            ),
            // two variant suffixes peeled one after the other
            (
                "cc/claude-opus-4-6-thinking-high",
                None,
                F(
                    "anthropic",
                    "claude-opus-4-6",
                    VariantStripped,
                    1_000_000,
                    128_000,
                ),
            ),
            // --- dates
            (
                "cx/gpt-4o-2024-08-06",
                None,
                F("openai", "gpt-4o-2024-08-06", Exact, 128_000, 16_384),
            ),
            (
                "cx/gpt-4.1-2025-04-14",
                None,
                F("openai", "gpt-4.1", DateStripped, 1_047_576, 32_768),
            ),
            (
                "cx/gpt-4.1-mini-2025-04-14",
                None,
                F("openai", "gpt-4.1-mini", DateStripped, 1_047_576, 32_768),
            ),
            (
                "cc/claude-opus-4-5-20251101",
                None,
                F(
                    "anthropic",
                    "claude-opus-4-5-20251101",
                    Exact,
                    200_000,
                    64_000,
                ),
            ),
            (
                "cc/claude-sonnet-4-6-20260217",
                None,
                F(
                    "anthropic",
                    "claude-sonnet-4-6",
                    DateStripped,
                    1_000_000,
                    64_000,
                ),
            ),
            (
                "ds/deepseek-chat-0324",
                None,
                F(
                    "deepseek",
                    "deepseek-chat",
                    DateStripped,
                    1_000_000,
                    384_000,
                ),
            ),
            // `-2507` / `-2411` are year-month tags, not dates: exact only
            (
                "mistral/devstral-small-2507",
                None,
                F("mistral", "devstral-small-2507", Exact, 128_000, 128_000),
            ),
            (
                "mistral/mistral-large-2411",
                None,
                F("mistral", "mistral-large-2411", Exact, 131_072, 16_384),
            ),
            ("mistral/mistral-large-2413", None, N),
            // --- variant + date, in both orders
            (
                "cx/o3-mini-2025-01-31-high",
                None,
                F("openai", "o3-mini", VariantDateStripped, 200_000, 100_000),
            ),
            (
                "cc/claude-sonnet-4-5-20250929-thinking",
                None,
                F(
                    "anthropic",
                    "claude-sonnet-4-5-20250929",
                    VariantStripped,
                    200_000,
                    64_000,
                ),
            ),
            (
                "cc/claude-haiku-4-5-thinking-20251001",
                None,
                F(
                    "anthropic",
                    "claude-haiku-4-5",
                    VariantDateStripped,
                    200_000,
                    64_000,
                ),
            ),
            // --- versions are never stripped or rewritten
            ("cx/gpt-5.6", None, N),
            ("cx/gpt-5.5-mini", None, N),
            ("cx/gpt-4.1-micro", None, N),
            (
                "cx/gpt-5.2-pro",
                None,
                F("openai", "gpt-5.2-pro", Exact, 400_000, 128_000),
            ),
            (
                "cx/gpt-5.2",
                None,
                F("openai", "gpt-5.2", Exact, 400_000, 128_000),
            ),
            ("kmc/kimi-k2.8", None, N),
            ("cc/claude-sonnet-4-7", None, N),
            ("xai/grok-4.20-0309", None, N),
            ("cx/gpt-9.9-high", None, N),
            // a known provider that lacks the model never borrows another provider's limits
            ("gh/gpt-5.1", None, N),
            ("ag/claude-sonnet-4-5", Some("antigravity"), N),
            // --- case-insensitivity; ids come back as models.dev spells them
            (
                "CX/GPT-5.1-Codex-Mini",
                None,
                F("openai", "gpt-5.1-codex-mini", Exact, 400_000, 128_000),
            ),
            (
                "minimax/minimax-m2.5",
                None,
                F("minimax", "MiniMax-M2.5", Exact, 204_800, 131_072),
            ),
            (
                "Gemini/Models/Gemini-2.5-Pro",
                None,
                F("google", "gemini-2.5-pro", Exact, 1_048_576, 65_536),
            ),
            (
                "omniroute/cx/gpt-5.5",
                None,
                F("openai", "gpt-5.5", Exact, 1_050_000, 128_000),
            ),
            (
                "OmniRoute/kmc/kimi-k2.5",
                None,
                F("moonshotai", "kimi-k2.5", Exact, 262_144, 262_144),
            ),
            // --- unknown prefixes and bare ids: global search
            (
                "gpt-5.5",
                None,
                F("openai", "gpt-5.5", GlobalLab, 1_050_000, 128_000),
            ),
            (
                "claude-sonnet-4-5",
                None,
                F("anthropic", "claude-sonnet-4-5", GlobalLab, 200_000, 64_000),
            ),
            (
                "glm-5.1",
                None,
                F("zhipuai", "glm-5.1", GlobalLab, 200_000, 131_072),
            ),
            (
                "deepseek-v4-pro",
                None,
                F("deepseek", "deepseek-v4-pro", GlobalLab, 1_000_000, 384_000),
            ),
            (
                "myproxy/gpt-5.5-high",
                None,
                F("openai", "gpt-5.5", GlobalLab, 1_050_000, 128_000),
            ),
            (
                "models/gemini-2.5-pro",
                None,
                F("google", "gemini-2.5-pro", GlobalLab, 1_048_576, 65_536),
            ),
            (
                "gpt-4.1-mini-2025-04-14",
                None,
                F(
                    "helicone",
                    "gpt-4.1-mini-2025-04-14",
                    GlobalUnique,
                    1_047_576,
                    32_768,
                ),
            ),
            (
                "mercury-2",
                None,
                F("inception", "mercury-2", GlobalAgreeing, 128_000, 50_000),
            ),
            (
                "myproxy/amazon/nova-lite-v1",
                None,
                F(
                    "kilo",
                    "amazon/nova-lite-v1",
                    GlobalAgreeing,
                    300_000,
                    5_120,
                ),
            ),
            (
                "llama-3.3-70b-versatile",
                None,
                A(&[
                    "abacus/llama-3.3-70b-versatile",
                    "groq/llama-3.3-70b-versatile",
                    "helicone/llama-3.3-70b-versatile",
                ]),
            ),
            ("gpt-9.9", None, N),
            ("mock-small", None, N),
            // --- owned_by fallback
            (
                "kc/kimi-k2.5",
                Some("kimi-coding"),
                F("moonshotai", "kimi-k2.5", Exact, 262_144, 262_144),
            ),
            (
                "custom/gpt-5.5",
                Some("openai"),
                F("openai", "gpt-5.5", Exact, 1_050_000, 128_000),
            ),
            (
                "gpt-5.5",
                Some("github"),
                F("github-copilot", "gpt-5.5", Exact, 400_000, 128_000),
            ),
            (
                "custom/gpt-5.5",
                Some("Codex"),
                F("openai", "gpt-5.5", Exact, 1_050_000, 128_000),
            ),
            // --- degenerate input
            ("", None, N),
            ("cx/", None, N),
            ("/", None, N),
            ("cx/models/", None, N),
            ("cx/-high", None, N),
        ],
    );
}

#[test]
fn ambiguous_lists_every_candidate() {
    let got = Matcher::default().find(index(), "sonar-pro", None);
    let MatchOutcome::Ambiguous { candidates } = got else {
        panic!("sonar-pro should be ambiguous, got {got:?}");
    };
    assert!(candidates.contains(&"perplexity/sonar-pro".to_owned()));
    assert!(candidates.len() >= 3);
}

#[test]
fn user_aliases_override_defaults() {
    let user: BTreeMap<String, String> = [
        ("GH", "github-models"),
        ("cc", "Azure"),
        ("MyProxy", "OpenRouter"),
        ("", "ignored"),
        ("empty", " "),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let m = Matcher::new(&user);
    check(
        &m,
        &[
            // user alias beats the default (anthropic says 1000000 here)
            (
                "cc/claude-opus-4-6",
                None,
                F("azure", "claude-opus-4-6", Exact, 200_000, 128_000),
            ),
            (
                "gh/deepseek/deepseek-r1-0528",
                None,
                F(
                    "github-models",
                    "deepseek/deepseek-r1-0528",
                    Exact,
                    65_536,
                    8_192,
                ),
            ),
            (
                "gh/deepseek/deepseek-r1-0101",
                None,
                F(
                    "github-models",
                    "deepseek/deepseek-r1",
                    DateStripped,
                    65_536,
                    8_192,
                ),
            ),
            (
                "myproxy/openai/gpt-4o",
                None,
                F("openrouter", "openai/gpt-4o", Exact, 128_000, 16_384),
            ),
            // untouched defaults still work
            (
                "cx/gpt-5.5",
                None,
                F("openai", "gpt-5.5", Exact, 1_050_000, 128_000),
            ),
            // owned_by goes through the user table too
            (
                "x/claude-opus-4-6",
                Some("CC"),
                F("azure", "claude-opus-4-6", Exact, 200_000, 128_000),
            ),
        ],
    );
    assert_eq!(m.provider_for("gh"), "github-models");
    assert_eq!(m.provider_for("Empty"), "empty");
    assert_eq!(Matcher::default().provider_for("GH"), "github-copilot");
    assert_eq!(Matcher::default().provider_for("groq"), "groq");
}

#[test]
fn date_and_variant_stripping_rules() {
    assert_eq!(strip_date("gpt-4o-2024-08-06"), Some("gpt-4o"));
    assert_eq!(
        strip_date("claude-3-7-sonnet-20250219"),
        Some("claude-3-7-sonnet")
    );
    assert_eq!(strip_date("deepseek-r1-0528"), Some("deepseek-r1"));
    assert_eq!(strip_date("qwen3-235b-a22b-2507"), None);
    assert_eq!(strip_date("gpt-5.5"), None);
    assert_eq!(strip_date("gpt-4-1399"), None);
    assert_eq!(strip_date("model-2024-13-01"), None);
    assert_eq!(strip_date("0528"), None);
    assert_eq!(strip_date("-0528"), None);
    assert_eq!(strip_date("x/-0528"), None);
    assert_eq!(strip_variant("gpt-5.5-xhigh"), Some("gpt-5.5"));
    assert_eq!(strip_variant("gpt-5.5-xlow"), None);
    assert_eq!(strip_variant("-high"), None);
    assert_eq!(strip_variant("gpt-5.5"), None);
    let forms: Vec<_> = KeyForms::new("o3-mini-2025-01-31-high").iter().collect();
    assert_eq!(
        forms,
        vec![
            ("o3-mini-2025-01-31-high", Exact),
            ("o3-mini-2025-01-31", VariantStripped),
            ("o3-mini", VariantDateStripped),
        ]
    );
}

#[test]
fn lab_table() {
    for (name, lab) in [
        ("gpt-5.5", Some("openai")),
        ("o3-mini", Some("openai")),
        ("codex-mini-latest", Some("openai")),
        ("openai/gpt-4o", Some("openai")),
        ("claude-opus-4-6", Some("anthropic")),
        ("gemma-4-31b-it", Some("google")),
        ("kimi-k2.5", Some("moonshotai")),
        ("deepseek-v4-pro", Some("deepseek")),
        ("grok-4.3", Some("xai")),
        ("qwen3-max", Some("alibaba")),
        ("glm-5.1", Some("zhipuai")),
        ("magistral-small", Some("mistral")),
        ("minimax-m2.5", Some("minimax")),
        ("llama-3.3-70b-versatile", None),
        ("omni-moderation", None),
    ] {
        assert_eq!(lab_of(name), lab, "{name}");
    }
}

#[test]
fn outcome_model_helper_and_send_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Matcher>();
    let m = Matcher::default();
    assert!(m.find(index(), "cx/gpt-5.5", None).model().is_some());
    assert!(m.find(index(), "cx/gpt-9.9", None).model().is_none());
    let json = serde_json::to_string(&MatchRule::VariantDateStripped).expect("serialise");
    assert_eq!(json, "\"variantDateStripped\"");
}

#[test]
fn every_fixture_entry_matches_itself_through_its_provider() {
    let m = Matcher::default();
    for model in index().models() {
        let id = format!("{}/{}", model.provider, model.id);
        match m.find(index(), &id, None) {
            MatchOutcome::Found { model: got, rule } => {
                assert!(
                    std::ptr::eq(got, model),
                    "{id} matched {}/{}",
                    got.provider,
                    got.id
                );
                assert_eq!(rule, Exact);
            }
            other => panic!("{id}: {other:?}"),
        }
    }
}
