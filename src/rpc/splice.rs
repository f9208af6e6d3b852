//! Pre-serialized result bodies (the models JSON, built once per catalogue) bypass a second
//! validation pass: jsonrpsee validates every response it builds (`RawValue::from_string`), which
//! for a 3 MB model list costs more than building it. While a request is dispatched, a
//! [`Raw`](crate::api::Raw) value serializes as a short placeholder and is stashed here; the
//! dispatcher splices the stashed JSON back into the response text afterwards.

use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};

use serde::Serializer;
use serde_json::value::RawValue;

tokio::task_local! {
    static STASH: Arc<Mutex<Vec<Arc<RawValue>>>>;
}

/// A per-process marker: placeholders are `"\u0000splice:<nonce>:<n>"`, which no gateway data
/// can produce by accident.
fn nonce() -> u64 {
    static NONCE: OnceLock<u64> = OnceLock::new();
    *NONCE.get_or_init(|| {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .elapsed()
                .map_or(0, |d| d.as_nanos()),
        );
        h.finish()
    })
}

fn placeholder(n: usize) -> String {
    format!("\0splice:{}:{n}", nonce())
}

/// Serializes `raw`: as a placeholder inside a dispatch scope, else as the JSON itself.
pub fn serialize_raw<S: Serializer>(raw: &Arc<RawValue>, s: S) -> Result<S::Ok, S::Error> {
    let slot = STASH.try_with(|stash| {
        let mut v = stash.lock().unwrap_or_else(|p| p.into_inner());
        v.push(raw.clone());
        v.len() - 1
    });
    match slot {
        Ok(n) => s.serialize_str(&placeholder(n)),
        Err(_) => serde::Serialize::serialize(raw.as_ref(), s),
    }
}

/// Runs `f` in a stash scope; returns its output and what was stashed.
pub async fn scope<F: Future>(f: F) -> (F::Output, Vec<Arc<RawValue>>) {
    let stash: Arc<Mutex<Vec<Arc<RawValue>>>> = Arc::default();
    let out = STASH.scope(stash.clone(), f).await;
    let stashed = std::mem::take(&mut *stash.lock().unwrap_or_else(|p| p.into_inner()));
    (out, stashed)
}

/// Puts stashed bodies back in place of their placeholders.
pub fn splice(text: &str, stashed: &[Arc<RawValue>]) -> String {
    let extra: usize = stashed.iter().map(|r| r.get().len()).sum();
    let mut out = String::with_capacity(text.len() + extra);
    let mut rest = text;
    for (n, raw) in stashed.iter().enumerate() {
        // serde_json writes NUL as `\u0000`; the placeholder is a whole JSON string.
        let quoted = format!("\"\\u0000splice:{}:{n}\"", nonce());
        match rest.find(&quoted) {
            Some(pos) => {
                out.push_str(&rest[..pos]);
                out.push_str(raw.get());
                rest = &rest[pos + quoted.len()..];
            }
            None => break,
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stashes_inside_a_scope_and_splices_back() {
        let raw: Arc<RawValue> =
            Arc::from(RawValue::from_string("[1,{\"a\":\"\\u0000\"}]".into()).expect("raw"));
        #[derive(serde::Serialize)]
        struct Wrap {
            #[serde(serialize_with = "serialize_raw")]
            models: Arc<RawValue>,
            n: u8,
        }
        let w = Wrap {
            models: raw.clone(),
            n: 1,
        };
        assert_eq!(
            serde_json::to_string(&w).expect("json"),
            "{\"models\":[1,{\"a\":\"\\u0000\"}],\"n\":1}"
        );
        let (text, stashed) = scope(async { serde_json::to_string(&w).expect("json") }).await;
        assert_eq!(stashed.len(), 1);
        assert!(text.len() < 60, "{text}");
        assert_eq!(
            splice(&text, &stashed),
            "{\"models\":[1,{\"a\":\"\\u0000\"}],\"n\":1}"
        );
    }
}
